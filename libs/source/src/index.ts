import { resolve } from 'node:path';
import { LocalFileSource } from './local-file.js';
import { S3Source, parseS3Uri, s3Client, s3Settings, type S3Settings, type S3SourceOptions } from './s3.js';
import { SourceError, type Source } from './source.js';

export { LocalFileSource, S3Source, SourceError, parseS3Uri, s3Client, s3Settings, type Source, type S3Settings, type S3SourceOptions };
export type { SourceStat } from './source.js';

const S3_URI = /^s3:\/\//i;
const ANY_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Open a source by URI: `s3://bucket/key` (keys may contain slashes and spaces) or a local path. */
export function openSource(uri: string): Source {
  if (S3_URI.test(uri)) return new S3Source(uri);
  if (ANY_SCHEME.test(uri)) {
    throw new SourceError(`${uri}: unsupported source scheme. Give a local file path or an s3://bucket/key URI.`);
  }
  return new LocalFileSource(uri);
}

/**
 * The form of a source URI to store and reopen later, from any directory: an absolute
 * path for a local file, anything with a scheme (`s3://bucket/key`) unchanged.
 */
export function normalizeSourceUri(uri: string): string {
  return ANY_SCHEME.test(uri) ? uri : resolve(uri);
}
export { compressionOf, decompressedName, stageDecompressed, removeStaged, type Compression, type Staged } from './staging.js';
