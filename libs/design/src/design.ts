/**
 * Works out what a load will do before anything is written: the plan (format,
 * header, chunks), a sample of records, and the table spec — inferred, shaped by the
 * dataset spec when there is one, flags on top. Used by the splitter and by
 * `copyfleet infer`.
 */
import type { Config } from '@copyfleet/config';
import type { CsvDialect } from '@copyfleet/parse';
import { planChunks, sampleRecords, type Plan, type Sample } from '@copyfleet/plan';
import type { ColumnInference, TableSpec } from '@copyfleet/schema';
import type { Source } from '@copyfleet/source';
import { readerOverrides, tableSpecFrom, type DatasetSpec } from '@copyfleet/spec';
import type { LoadRequest } from './request.js';
import { buildTableSpec, inferColumns, withRequestFlags } from './table-spec.js';

export interface LoadDesign {
  plan: Plan;
  sample: Sample;
  table: TableSpec;
  /** Each inferred column's decision (type, fraction that fit, outliers) and the notes to tell the user. */
  inference: { report: ColumnInference[]; notes: string[] };
}

/** The plan alone (an empty file has nothing to sample). */
/** How the first CSV file of a run's source was read: later files try it first. */
export interface FirstReading {
  dialect: CsvDialect;
  header: string[] | null;
}

export async function planLoad(source: Source, config: Config, dataset: DatasetSpec | null, prefer?: FirstReading): Promise<Plan> {
  const preferred = prefer ? { preferDialect: prefer.dialect, ...(prefer.header ? { preferHeader: prefer.header } : {}) } : {};
  return planChunks(source, { chunkBytes: config.chunkBytes, ...(dataset ? readerOverrides(dataset) : {}), ...preferred });
}

export async function designTable(
  source: Source,
  plan: Plan,
  req: LoadRequest,
  target: { schema: string; table: string },
  dataset: DatasetSpec | null,
): Promise<LoadDesign> {
  const sample = await sampleRecords(source, plan);
  const columns = inferColumns(plan, sample);
  const inferred = buildTableSpec(req, target, plan, sample, columns);
  const table = dataset
    ? withRequestFlags(req, tableSpecFrom(dataset, target, { ...sample, format: plan.format, header: plan.header }, inferred.columns), inferred)
    : inferred;
  return { plan, sample, table, inference: { report: columns.report, notes: columns.notes } };
}
