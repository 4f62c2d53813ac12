export { planChunks, PlanError, type Plan, type PlanOptions, type ChunkRange } from './plan.js';
export { resolveLineEdges, resolveQuotedEdges, countLines, countLineFeeds } from './boundaries.js';
export { sampleRecords, type Sample } from './sample.js';
export { scanJsonLayout, JsonLayoutError, type JsonLayout } from './json-edges.js';
