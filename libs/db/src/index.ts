export { createPool, type PoolOptions } from './pool.js';
export { migrate, listMigrations } from './migrate.js';
export { copyWithIsolation, isRowError, type RowBatch, type CopyOutcome } from './copy.js';
export { PartitionCache } from './partitions.js';
export type { Queryable } from './sql/queryable.js';
export * from './sql/runs.js';
export * from './sql/chunks.js';
export * from './sql/rejects.js';
