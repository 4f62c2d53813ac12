/** `copyfleet infer FILE`: the dataset spec a load would use, as YAML. */
import type { Config } from '@copyfleet/config';
import { inputBaseName, listInputs, normalizeSourceUri, openSource } from '@copyfleet/source';
import { readDatasetSpec, specToYaml } from '@copyfleet/spec';
import { designTable, planLoad } from './design.js';
import type { LoadRequest } from './request.js';
import { targetName } from './table-spec.js';

export async function inferSpec(config: Config, req: LoadRequest): Promise<string> {
  const dataset = req.dataset ? await readDatasetSpec(req.dataset) : null;
  // Several files share one table: it is designed from the first, as a load does.
  const first = (await listInputs(req.inputs.map(normalizeSourceUri))).files[0]!;
  const source = await openSource(first.uri);
  const target = targetName(req, inputBaseName(req.inputs[0]!), config.defaultSchema, dataset?.table);
  const plan = await planLoad(source, config, dataset);
  const { table, inference } = await designTable(source, plan, req, target, dataset);
  // Every column's decision and its reason as a YAML comment above it.
  return specToYaml(plan.format, plan.dialect, plan.header, plan.json, table, inference.report, plan.decisions);
}
