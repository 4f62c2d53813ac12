export { loadChunk, loadPack, UnpackError, type ChunkTask, type ChunkRun, type ChunkResult, type LoadDeps, type PackedChunk } from './load-chunk.js';
export { RowSpool } from './row-spool.js';
export { PermanentChunkError } from './errors.js';
export { fileLoadSpec, isDatasetRun, runSpecFor, runTables, type DatasetRunSpec, type FileSpec, type LoadSpec, type ReportSpec, type RunSpec } from './load-spec.js';
