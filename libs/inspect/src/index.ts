export { describeRun, formatRunStatus, type RunStatusReport, type Stores } from './status.js';
export { exportRejects, type RejectsExportOptions, type RejectsExportResult, type RejectsFormat } from './rejects.js';
