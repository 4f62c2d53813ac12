/** `copyfleet infer FILE`: the dataset spec a load would use, as YAML. */
import type { Config } from '@copyfleet/config';
import { normalizeSourceUri, openSource } from '@copyfleet/source';
import { readDatasetSpec, specToYaml } from '@copyfleet/spec';
import { designTable, planLoad } from './design.js';
import type { LoadRequest } from './request.js';
import { targetName } from './table-spec.js';

export async function inferSpec(config: Config, req: LoadRequest): Promise<string> {
  const dataset = req.dataset ? await readDatasetSpec(req.dataset) : null;
  const source = await openSource(normalizeSourceUri(req.file));
  const target = targetName(req, source.name, config.defaultSchema, dataset?.table);
  const plan = await planLoad(source, config, dataset);
  const { table } = await designTable(source, plan, req, target, dataset);
  return specToYaml(plan.format, plan.dialect, plan.header, plan.json, table);
}
