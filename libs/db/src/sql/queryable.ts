import type pg from 'pg';

/** A pool or a checked-out client: statements that need no transaction take either. */
export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

/**
 * SQL that is true when the table named by the text parameter `param` ('schema.table', as
 * copyfleet records target tables) exists now. What the ledger remembers of a table
 * dropped since (its files, its spec) must not count.
 */
export const tableExists = (param: string): string =>
  `to_regclass(format('%I.%I', split_part(${param}, '.', 1), substr(${param}, strpos(${param}, '.') + 1))) IS NOT NULL`;
