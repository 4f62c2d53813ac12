export { analyzeTable, compactTable, type CompactResult } from './compact.js';
export { relocateDefaultRows } from './relocate.js';
