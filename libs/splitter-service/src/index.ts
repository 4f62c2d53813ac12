export { createSplitterApp, readiness, TOKEN_HEADER, type LoadBody, type SplitterAppOptions } from './app.js';
export { Finalizer, type FinalizerOptions } from './finalizer.js';
export { desiredWorkers, WorkerScaler, type ScalerOptions } from './scaler.js';
export { serveSplitter, startSplitterService, type SplitterService } from './main.js';
export { ClusterError, SplitterClient, splitterServiceName, type ClusterTarget, type RunView } from './client.js';
