/** Errors that tell the queue what to do next. */

/** Retrying cannot help (the source changed, the run is gone): fail the chunk now. */
export class PermanentChunkError extends Error {
  override readonly name = 'PermanentChunkError';
}
