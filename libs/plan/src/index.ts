export { planChunks, PlanError, type Plan, type PlanOptions, type ChunkRange } from './plan.js';
export { resolveLineEdges, resolveQuotedEdges, resolveRecordEdges, countLines, countLineFeeds } from './boundaries.js';
export { detectLayout, headerVerdict, LayoutError, type CsvLayout } from './layout.js';
export { sampleRecords, type Sample } from './sample.js';
export { scanJsonLayout, JsonLayoutError, type JsonLayout } from './json-edges.js';
