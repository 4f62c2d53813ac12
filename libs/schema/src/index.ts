export * from './types.js';
export { quoteIdent, qualified, toIdentifier, fitIdentifier, uniqueNames, tableNameFor } from './ident.js';
export { encoderFor, escapeCopyText, NULL_TOKEN, REASONS, type Encoder } from './encode.js';
export { parseTemporal, type Temporal } from './temporal.js';
export { partitionKey, partitionBounds, partitionKeysBetween, partitionTableName, defaultPartitionName, type PartitionBounds } from './partition.js';
export { createTableSql, createPartitionSql, copyColumnsSql, passThroughCopySql, canPassThrough } from './ddl.js';
export { inferCsvColumns, inferJsonColumns, isPlainObject } from './infer.js';
export { RowEncoder, type EncodedRow } from './row-encoder.js';
