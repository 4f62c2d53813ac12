export * from './types.js';
export { quoteIdent, qualified, toIdentifier, fitIdentifier, uniqueNames, tableNameFor } from './ident.js';
export { encoderFor, escapeCopyText, NULL_TOKEN, REASONS, type Encoder } from './encode.js';
export { parseTemporal, type Temporal } from './temporal.js';
export { partitionKey, partitionBounds, partitionKeysBetween, rowPartitionKey, listPartitionName, partitionTableName, defaultPartitionName, type PartitionBounds } from './partition.js';
export { createTableSql, createPartitionSql, createBronzeSql, copyColumnsSql, passThroughCopySql, canPassThrough } from './ddl.js';
export {
  inferCsvColumns, inferCsvSchema, inferJsonColumns, inferJsonSchema, inferValueType, isPlainObject, allowedOutliers, MAX_OUTLIERS, MAX_OUTLIER_FRACTION,
  type Inference, type ColumnInference, type Outlier, type SampleLocation,
} from './infer.js';
export { NULL_SPELLINGS, isNullSpelling } from './nulls.js';
export { RowEncoder, type EncodedRow } from './row-encoder.js';
export { JsonLineEncoder } from './json-line-encoder.js';
export type { RowWriter } from './row-writer.js';
export { applyTransform, parseWithFormat, FAILED } from './transform.js';
export { CopyBinaryTranscoder, copyFieldTypes, binaryFits } from './copy-binary.js';
