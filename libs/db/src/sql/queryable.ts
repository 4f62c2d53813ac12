import type pg from 'pg';

/** A pool or a checked-out client: statements that need no transaction take either. */
export type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;
