export { loadChunk, type ChunkTask, type ChunkRun, type ChunkResult, type LoadDeps } from './load-chunk.js';
export { RowSpool } from './row-spool.js';
export { PermanentChunkError } from './errors.js';
export type { LoadSpec } from './load-spec.js';
