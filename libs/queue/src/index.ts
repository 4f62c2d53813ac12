export { QUEUE, chunkJobId, packJobId, runJobId, type ChunkJob, type ChunkRef, type RunJob, type QueueName } from './names.js';
export { chunksOf, packChunkJobs, type PackOptions } from './pack.js';
export { createRedis } from './connection.js';
export { Queues, type QueueOptions, type ChunkJobState } from './queues.js';
export { cappedBackoff, BACKOFF_CAP_MS, BACKOFF_TYPE } from './backoff.js';
export { createWorker, type WorkerOptions, type Job, type Worker } from './worker.js';
export { UnrecoverableError, WaitingError } from 'bullmq';
