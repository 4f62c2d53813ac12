export { designTable, planLoad, type FirstReading, type LoadDesign } from './design.js';
export { buildTableSpec, inferColumns, LoadRequestError, reconcileWithExisting, targetName, withRequestFlags } from './table-spec.js';
export { inferSpec } from './infer.js';
export type { LoadRequest } from './request.js';
