export { datasetSchema, type DatasetSpec, type ColumnSpec } from './schema.js';
export { readDatasetSpec, parseDatasetSpec, DatasetSpecError } from './read.js';
export { readerOverrides, tableSpecFrom, type ReaderOverrides, type SampleView } from './apply.js';
export { specToYaml } from './to-yaml.js';
