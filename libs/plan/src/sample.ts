/**
 * Records for schema inference: the start of the data and the start of evenly
 * spaced chunks (their edges are record starts, so a short read there parses
 * cleanly). A few MiB in all, whatever the file size.
 */
import { CsvReader, JsonlReader, JsonSequenceReader, type CsvFields } from '@copyfleet/parse';
import type { Source } from '@copyfleet/source';
import type { Plan } from './plan.js';

export interface Sample {
  csv: CsvFields[];
  json: unknown[];
}

const HEAD_SAMPLE_BYTES = 1024 * 1024;
const EDGE_SAMPLE_BYTES = 64 * 1024;
const MAX_EDGE_SAMPLES = 32;

/**
 * `headBytes`: how much of the first chunk to read (1 MiB: what type inference needs; the
 * splitter reads less of the later files of a run, whose sample only finds the partitions
 * to create before their chunks stream to COPY).
 */
export async function sampleRecords(source: Source, plan: Plan, opts: { headBytes?: number } = {}): Promise<Sample> {
  const headBytes = opts.headBytes ?? HEAD_SAMPLE_BYTES;
  const sample: Sample = { csv: [], json: [] };
  if (plan.format === 'arrow') return sample; // the schema is in the file
  const chunks = plan.chunks;
  const step = Math.max(1, Math.ceil(chunks.length / MAX_EDGE_SAMPLES));
  const windows: { start: number; end: number }[] = [];
  for (let k = 0; k < chunks.length; k += step) {
    const c = chunks[k]!;
    windows.push({ start: c.start, end: Math.min(c.end, c.start + (k === 0 ? headBytes : EDGE_SAMPLE_BYTES)) });
  }
  for (const w of windows) {
    const buf = await source.read(w.start, w.end - w.start);
    const ignore = (): void => undefined;
    const opts = { startOffset: w.start, maxRecordBytes: buf.length + 1 };
    // Feed only up to the last complete line: a record cut by the window is not sampled.
    const cut = w.end === plan.size ? buf.length : buf.lastIndexOf(plan.format === 'csv' && plan.dialect.lineEnd === 'cr' ? 0x0d : 0x0a) + 1;
    if (plan.format === 'csv') {
      const r = new CsvReader(plan.dialect, { record: (fields) => void sample.csv.push(fields), bad: ignore }, opts);
      r.push(buf.subarray(0, cut));
      if (cut === buf.length) r.end();
    } else if (plan.format === 'json') {
      // Items end at a comma, so an item cut by the window is never emitted.
      const r = new JsonSequenceReader(
        {
          item: (b, s, e) => {
            try {
              sample.json.push(JSON.parse(b.toString('utf8', s, e)));
            } catch {
              /* a malformed record tells nothing */
            }
          },
          bad: ignore,
        },
        { ...opts, members: plan.json?.kind === 'object' },
      );
      r.push(buf);
      if (w.end === plan.chunks.at(-1)?.end) r.end();
    } else {
      const r = new JsonlReader({ record: (value) => void sample.json.push(value), bad: ignore }, opts);
      r.push(buf.subarray(0, cut));
      if (cut === buf.length) r.end();
    }
  }
  return sample;
}
