import { resolve } from 'node:path';
import { LocalFileSource } from './local-file.js';
import { SourceError, type Source } from './source.js';

// The S3 module (and the AWS SDK, ~0.3 s to import) loads only when an s3:// source is opened.
export { LocalFileSource, SourceError, type Source };
export type { S3Settings, S3SourceOptions } from './s3.js';
export type { SourceStat } from './source.js';

const S3_URI = /^s3:\/\//i;
const ANY_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Open a source by URI: `s3://bucket/key` (keys may contain slashes and spaces) or a local path. */
export async function openSource(uri: string): Promise<Source> {
  if (S3_URI.test(uri)) {
    const { S3Source } = await import('./s3.js');
    return new S3Source(uri);
  }
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
export { inputBaseName, isPattern, listInputs, type InputListing, type ListedFile, type ListOptions } from './inputs.js';
