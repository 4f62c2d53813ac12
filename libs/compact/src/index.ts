export { compactTable, type CompactResult } from './compact.js';
