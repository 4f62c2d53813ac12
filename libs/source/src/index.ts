import { LocalFileSource } from './local-file.js';
import { SourceError, type Source } from './source.js';

export { LocalFileSource, SourceError, type Source };
export type { SourceStat } from './source.js';

/** Open a source by URI. Local paths today; `s3://` gets its own Source later. */
export function openSource(uri: string): Source {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(uri)) {
    throw new SourceError(`${uri}: unsupported source scheme. Give a local file path.`);
  }
  return new LocalFileSource(uri);
}
