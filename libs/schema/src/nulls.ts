/**
 * The spellings of "no value" that exporters write into non-text columns (pandas'
 * default `na_values`, the ones that are not also numbers: `NaN` is a number PostgreSQL
 * stores, so it stays one). In a column that is not text — bigint, numeric, boolean,
 * date, timestamp, jsonb — such a field loads as NULL, in inference and when rows are
 * encoded. In a text column it is the text it says: `NA` may be Namibia.
 *
 * Compared after trimming, case as listed (pandas' list is case-sensitive too).
 */
export const NULL_SPELLINGS: readonly string[] = ['NULL', 'null', 'Null', 'N/A', 'n/a', 'NA', '#N/A', '#NA', 'None', 'none', 'nil', '-'];

const SET = new Set(NULL_SPELLINGS);

/** Whether `s` (trimmed) is one of NULL_SPELLINGS. */
export function isNullSpelling(s: string): boolean {
  return SET.has(s) || (s.length < 64 && SET.has(s.trim()));
}
