export { datasetSchema, type DatasetSpec, type ColumnSpec, type DatasetSourceSpec } from './schema.js';
export { readDatasetSpec, readLocatedSpec, parseDatasetSpec, parseLocatedSpec, DatasetSpecError, type LocatedSpec } from './read.js';
export { readerOverrides, tableSpecFrom, type ReaderOverrides, type SampleView } from './apply.js';
export { datasetSources, fillPlaceholders, placeholdersOf, type DatasetSource } from './sources.js';
export { specToYaml } from './to-yaml.js';
