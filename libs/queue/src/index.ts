export { QUEUE, chunkJobId, runJobId, type ChunkJob, type RunJob, type QueueName } from './names.js';
export { createRedis } from './connection.js';
export { Queues, type QueueOptions } from './queues.js';
export { createWorker, type WorkerOptions, type Job, type Worker } from './worker.js';
export { UnrecoverableError } from 'bullmq';
