/**
 * The many-files case (issue 10, "Speed"): the same input as N files in one directory
 * (1,000 of ~1 MiB and 10 of ~100 MiB per GiB), loaded by
 *
 *   copyfleet load DIR/                               (copyfleetSpec with the directory)
 *   CSV    S psql \copy streams, each a shell loop over its share of the files (one psql per
 *          stream, fed one \copy per file by the loop)
 *   JSONL  the same loops into a jsonb staging table per stream + INSERT … SELECT at its end;
 *          DuckDB read_json over the directory's glob → CSV → one psql \copy
 *
 * into a table shaped like the one copyfleet made from the single file, and what the issue
 * asks of copyfleet: ≤ 1.25 × the \copy loops, ≤ 1.1 × its own time on the single file.
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from './datasets.js';
import { quoteIdent, type TableShape } from './db.js';
import { partWidth, type FilesInput, type Input } from './generate.js';
import type { Ratio } from './report.js';
import { shq } from './shell.js';
import { copyfleetSpec, duckCommand, JSONB_LINES, psql, rel, stagingInsert, tables, type Bench, type Spec, type SystemResult } from './systems.js';

/** `files-<n>/` in a system id: the many-files case with n files. */
export const filesOf = (id: string): number | null => {
  const m = /^[a-z]+\/files-(\d+)\//.exec(id);
  return m ? Number(m[1]) : null;
};

/** The ids of the many-files systems of one format and file count, in run order. */
export const manyFilesIds = (format: string, n: number): string[] =>
  format === 'csv' ? [`csv/files-${n}/copyfleet`, `csv/files-${n}/psql-copy-loop`] : [`jsonl/files-${n}/copyfleet`, `jsonl/files-${n}/staging-loop`, `jsonl/files-${n}/duckdb-glob`];

/** Stream k's share of the files, as a bash brace range over their names: `DIR/part-{0000..0499}.csv`. */
function share(b: Bench, many: FilesInput, ext: string, k: number, streams: number): string {
  const n = many.files.length;
  const [from, to] = [Math.floor((k * n) / streams), Math.floor(((k + 1) * n) / streams) - 1];
  const w = partWidth(n);
  const num = (i: number): string => String(i).padStart(w, '0');
  return `${shq(rel(b, many.dir))}/part-{${num(from)}..${num(to)}}.${ext}`;
}

/** copyfleet on the directory, then the baselines over the same files (shape: copyfleet's single-file table). */
export function manyFilesSpecs(b: Bench, ds: Dataset, input: Input, many: FilesInput, duckdb: boolean): { copyfleet: Spec; baselines: (shape: TableShape) => Spec[] } {
  const n = many.files.length;
  const streams = Math.min(b.cfg.streams, n);
  const t = tables(b.cfg, ds);
  const common = { table: t.copy, reads: many.files, bytes: many.bytes, files: n };
  const baselines = (shape: TableShape): Spec[] => {
    const prepare = (): Promise<void> => b.db.createLike(t.copy, shape);
    if (ds.format === 'csv') {
      const loop = (k: number): string =>
        `for f in ${share(b, many, 'csv', k, streams)}; do echo "\\\\copy ${t.copy} from '$f' with (format csv, header true)"; done | ${psql}`;
      return [
        {
          id: `csv/files-${n}/psql-copy-loop`,
          system: `psql \\copy, a shell loop per stream`,
          streams,
          commands: Array.from({ length: streams }, (_, k) => loop(k)),
          prepare,
          ...common,
        },
      ];
    }
    const sqlDir = join(b.cfg.workDir, 'sql');
    mkdirSync(sqlDir, { recursive: true });
    const loop = (k: number): string => {
      const stage = t.stage(k + 1);
      const after = join(sqlDir, `files${n}-insert-${k + 1}.sql`);
      writeFileSync(after, `${stagingInsert(ds, shape, t.copy, stage)}\nDROP TABLE ${quoteIdent(stage)};\n`);
      return (
        `{ echo 'CREATE UNLOGGED TABLE ${stage} (doc jsonb);'; ` +
        `for f in ${share(b, many, 'jsonl', k, streams)}; do echo "\\\\copy ${stage} (doc) from '$f' with (${JSONB_LINES.replace(/\\/g, '\\\\')})"; done; ` +
        `cat ${shq(rel(b, after))}; } | ${psql}`
      );
    };
    const specs: Spec[] = [
      {
        id: `jsonl/files-${n}/staging-loop`,
        system: 'COPY → jsonb staging + INSERT … SELECT, a shell loop per stream',
        streams,
        commands: Array.from({ length: streams }, (_, k) => loop(k)),
        prepare,
        sql: `${stagingInsert(ds, shape, t.copy, t.stage(1))}\nDROP TABLE ${quoteIdent(t.stage(1))};`,
        ...common,
      },
    ];
    if (duckdb) {
      specs.push({
        id: `jsonl/files-${n}/duckdb-glob`,
        system: 'DuckDB read_json over the glob → CSV → psql \\copy',
        streams: 1,
        commands: [duckCommand(b, ds, t.copy, `${rel(b, many.dir)}/*.jsonl`, '')],
        prepare,
        ...common,
      });
    }
    return specs;
  };
  return { copyfleet: copyfleetSpec(b, ds, input, many), baselines };
}

/** A many-files ratio: ours / theirs, medians of the rounds, against the target. */
export interface FilesRatio extends Ratio {
  files: number;
  /** The ratio must be at most this; null: shown, no target. */
  target: number | null;
  /** The same ratio in each round (round k's runs of both systems). */
  rounds: number[];
}

/** copyfleet on n files against the \copy loops (≤ 1.25), its own single-file time (≤ 1.1) and DuckDB's glob. */
export function manyFilesRatios(systems: SystemResult[]): FilesRatio[] {
  const byId = new Map(systems.map((s) => [s.id, s]));
  const out: FilesRatio[] = [];
  const counts = [...new Set(systems.map((s) => filesOf(s.id)).filter((n): n is number => n !== null))].sort((a, b) => b - a);
  for (const format of ['csv', 'jsonl']) {
    for (const n of counts) {
      const cf = byId.get(`${format}/files-${n}/copyfleet`);
      if (!cf) continue;
      const vs = (id: string, label: string, target: number | null): void => {
        const other = byId.get(id);
        if (!other) return;
        const rounds = cf.wallSecondsAll.map((w, i) => w / (other.wallSecondsAll[i] ?? NaN)).filter(Number.isFinite);
        out.push({ format, files: n, label: `copyfleet, ${n} files / ${label}`, value: cf.wallSecondsMedian / other.wallSecondsMedian, target, rounds });
      };
      const loop = byId.get(`${format}/files-${n}/${format === 'csv' ? 'psql-copy-loop' : 'staging-loop'}`);
      if (loop) vs(loop.id, `${loop.system} (${loop.streams} streams)`, 1.25);
      vs(`${format}/copyfleet`, 'copyfleet, the single file', 1.1);
      vs(`${format}/files-${n}/duckdb-glob`, 'DuckDB glob (1 process)', null);
    }
  }
  return out;
}
