export { openContext, type Context } from './context.js';
export { startRun, startOrResumeRun, enqueueMissing, type StartedRun } from './start-run.js';
export { compactRun, reportRun } from './finalize.js';
export { superviseRun, type SuperviseOptions } from './supervise.js';
export { serve, type Role } from './serve.js';
export { createLogger, type Logger } from './log.js';
export { LoadRequestError } from './table-spec.js';
export type { LoadRequest } from './request.js';
