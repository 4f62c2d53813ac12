/**
 * The two benchmark datasets and what a correct load of each looks like: the columns
 * copyfleet must infer (the baselines load into a table with the same columns and types)
 * and the two sums checked after every load besides the row count.
 */

export type Format = 'csv' | 'jsonl';

/** A JSONL field as a flat column: copyfleet flattens {"sentiment":{"label"}} to sentiment_label. */
export interface JsonField {
  column: string;
  path: string[];
}

export interface Dataset {
  format: Format;
  /** Base name of the tables: <prefix>_cf_<name> (copyfleet), <prefix>_copy_<name> (baselines). */
  name: string;
  /** The columns copyfleet is expected to create, in order. */
  columns: string[];
  /** Integer column whose sum must equal the generator's intSum. */
  intColumn: string;
  /** Decimal column whose sum × 1000 must equal the generator's decimalSumMilli. */
  decimalColumn: string;
  /** JSONL only: where each column comes from. */
  fields?: JsonField[];
}

export const TRIPS: Dataset = {
  format: 'csv',
  name: 'trips',
  columns: ['region', 'origin_coord', 'destination_coord', 'datetime', 'datasource', 'passengers', 'fare', 'note'],
  intColumn: 'passengers',
  decimalColumn: 'fare',
};

const CHAT_FIELDS: JsonField[] = [
  { column: 'conversation_id', path: ['conversation_id'] },
  { column: 'turn', path: ['turn'] },
  { column: 'agent', path: ['agent'] },
  { column: 'message', path: ['message'] },
  { column: 'sent_at', path: ['sent_at'] },
  { column: 'sentiment_label', path: ['sentiment', 'label'] },
  { column: 'sentiment_score', path: ['sentiment', 'score'] },
  { column: 'knowledge', path: ['knowledge'] },
];

export const CHAT: Dataset = {
  format: 'jsonl',
  name: 'chat',
  columns: CHAT_FIELDS.map((f) => f.column),
  intColumn: 'turn',
  decimalColumn: 'sentiment_score',
  fields: CHAT_FIELDS,
};

/**
 * The chat records as DuckDB's read_json should type them: text stays text (PostgreSQL
 * parses the timestamps, as in every other system), the array stays JSON.
 */
export const CHAT_DUCKDB_COLUMNS =
  "{conversation_id: 'VARCHAR', turn: 'BIGINT', agent: 'VARCHAR', message: 'VARCHAR', sent_at: 'VARCHAR', " +
  "sentiment: 'STRUCT(label VARCHAR, score DOUBLE)', knowledge: 'JSON'}";

/** DuckDB's select list for the flat columns, in CHAT.columns order. */
export const CHAT_DUCKDB_SELECT = CHAT_FIELDS.map((f) => `${f.path.map((p) => `"${p}"`).join('.')} AS "${f.column}"`).join(', ');
