/**
 * The dataset spec file, as users write it (YAML), and its validation. Every field is
 * documented here; unknown fields are errors (a typo must not be silently ignored).
 */
import { COLUMN_TYPES } from '@copyfleet/schema';
import { z } from 'zod';

const char = z.string().length(1, 'must be exactly one character');
const ident = z.string().min(1).max(63);
const dotted = z.string().min(1).regex(/^[^.]+(\.[^.]+)*$/, 'a dotted path such as sentiment.score');

export const transformSchema = z.union([
  z.literal('trim'),
  z.strictObject({ wkt_point: z.enum(['x', 'y']) }),
  z.strictObject({ date_format: z.string().min(2) }),
]);

export const columnSchema = z
  .strictObject({
    /** Column name in the table. */
    name: ident,
    /** PostgreSQL type; inferred from the data when omitted. */
    type: z.enum(COLUMN_TYPES as [string, ...string[]]).optional(),
    /**
     * JSON: a dotted path into the record (or into the exploded element), or the list of
     * its keys when a key holds a dot itself (`[weather_data.city]`: the one key "weather_data.city").
     */
    path: z.union([dotted, z.array(z.string().min(1)).min(1)]).optional(),
    /** CSV: the header name of the field. */
    column: z.string().optional(),
    /** CSV: the field's position, 1-based. */
    position: z.number().int().min(1).optional(),
    /** The same value in every row. */
    const: z.union([z.string(), z.number(), z.boolean(), z.null()]).optional(),
    /** key: the member name (objects keyed by id); index: the element's position in the exploded array; record: the whole record as jsonb. */
    from: z.enum(['key', 'index', 'record']).optional(),
    /** With explode: read `path` from the record instead of the element. */
    scope: z.enum(['element', 'record']).optional(),
    transform: z.array(transformSchema).optional(),
  })
  .refine((c) => [c.path, c.column, c.position, c.const, c.from].filter((v) => v !== undefined).length === 1, {
    message: 'give exactly one of path, column, position, const or from',
  });

const partitionSchema = z.union([
  z.literal('none'),
  z.strictObject({ range: ident, interval: z.enum(['day', 'week', 'month', 'year']).default('month') }),
  z.strictObject({ list: ident }),
  z.strictObject({ hash: ident, partitions: z.number().int().min(2).max(1024) }),
]);

/** How to read the files (the top-level `source:`, or a source's own). */
export const sourceOptionsSchema = z
  .strictObject({
    format: z.enum(['csv', 'tsv', 'jsonl', 'json']).optional(),
    delimiter: char.optional(),
    /** null: no quoting. */
    quote: char.nullable().optional(),
    escape: char.optional(),
    header: z.boolean().optional(),
    encoding: z.enum(['utf-8', 'utf8', 'latin1', 'iso-8859-1']).optional(),
    /** CSV field values that mean NULL, besides an empty unquoted field. (Not `null:` — YAML reads that key as null.) */
    nulls: z.array(z.string()).optional(),
    /** JSON documents: the records are the array under this top-level key. */
    records: z.string().min(1).optional(),
    /** Time zone of timestamps written without one, for timestamptz columns: an IANA name (Europe/Prague) or an offset (+02:00). @defaultValue UTC */
    timezone: z.string().regex(/^([A-Za-z_]+(\/[A-Za-z0-9_+-]+)*|[+-]\d{2}:?\d{2})$/, 'an IANA zone such as Europe/Prague, or an offset such as +02:00').optional(),
  })
  .superRefine((s, ctx) => {
    // The reader matches these as single bytes of the file.
    const latin1 = s.encoding === 'latin1' || s.encoding === 'iso-8859-1';
    for (const key of ['delimiter', 'quote', 'escape'] as const) {
      const c = s[key];
      if (typeof c === 'string' && c.charCodeAt(0) > (latin1 ? 0xff : 0x7f)) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: latin1 ? 'must be a single Latin-1 character' : 'must be an ASCII character in a UTF-8 file (set encoding: latin1 for a Latin-1 file)',
        });
      }
    }
  })
  .default({});

/** The target table (the top-level `table:`, or a source's own). */
export const tableSchema = z
  .strictObject({
    name: ident.optional(),
    schema: ident.optional(),
    partition: partitionSchema.optional(),
    /** Dedupe key ("silver"): the newest record per key wins. */
    key: z.array(ident).min(1).optional(),
    /** Which record is newest: the greatest value of this column (then file order). Default: file order. */
    winner: ident.optional(),
    /** Append-only raw copy ("bronze"): every record as jsonb with its run and source offset. */
    bronze: ident.optional(),
  })
  .default({});

/** A source name: an identifier, so that `{{name}}` in a report's SQL is unambiguous. */
export const sourceName = z
  .string()
  .regex(/^[a-z_][a-z0-9_]{0,62}$/i, 'letters, digits and _, not starting with a digit (reports name it as {{name}})')
  .refine((n) => n !== 'run_id', '"run_id" is {{run_id}} in reports: name the source otherwise');

/** One source of a dataset: its files, how to read them, its table and columns. */
export const datasetSourceSchema = z.strictObject({
  name: sourceName,
  /** A file, directory, glob or s3:// URI; relative paths are resolved from the data directory (DATA=, --data; default: the spec's folder). */
  path: z.string().min(1),
  source: sourceOptionsSchema,
  /** The table; its name defaults to the source's name. */
  table: tableSchema,
  /** A dotted path to an array in each record: one row per element. */
  explode: dotted.optional(),
  columns: z.array(columnSchema).min(1).optional(),
});

export const datasetSchema = z.strictObject({
  /** A dataset of several tables: each source its own files, reading, table and columns (then no top-level source/table/explode/columns). */
  sources: z.array(datasetSourceSchema).min(1).optional(),
  source: sourceOptionsSchema,
  table: tableSchema,
  /** A dotted path to an array in each record: one row per element. */
  explode: dotted.optional(),
  columns: z.array(columnSchema).min(1).optional(),
  reports: z
    .array(
      z.strictObject({
        name: z.string().regex(/^[a-z0-9][a-z0-9_-]{0,62}$/i, 'letters, digits, _ and - (a file name)'),
        /** SQL; {{table}} is the target table, {{bronze}} the bronze table, {{run_id}} the run. */
        sql: z.string().min(1),
        formats: z.array(z.enum(['csv', 'json', 'arrow'])).min(1).optional(),
        /** table: CSV / JSON / Arrow files of the result; documents: one JSON document per row, as <name>/<key>.json and <name>.jsonl. @defaultValue table */
        output: z.enum(['table', 'documents']).optional(),
        /** output documents: the result column whose value names each document (one row per key). */
        key: z.string().min(1).optional(),
      })
        .refine((r) => r.output !== 'documents' || r.key !== undefined, { message: 'output: documents needs key: <column> (the column that names each document)', path: ['key'] })
        .refine((r) => r.key === undefined || r.output === 'documents', { message: 'key names documents: add output: documents, or remove key', path: ['key'] })
        .refine((r) => r.output !== 'documents' || r.formats === undefined, { message: 'formats apply to output: table; documents are always JSON', path: ['formats'] }),
    )
    .optional(),
});

export type DatasetSpec = z.infer<typeof datasetSchema>;
export type ColumnSpec = z.infer<typeof columnSchema>;
export type DatasetSourceSpec = z.infer<typeof datasetSourceSchema>;
