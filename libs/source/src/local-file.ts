/** A file on a local or mounted filesystem. */
import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { SourceError, type Source, type SourceStat } from './source.js';

/** Read size for streams: large enough that per-read overhead vanishes, small enough to bound memory. */
const READ_BYTES = 1024 * 1024;

export class LocalFileSource implements Source {
  readonly name: string;
  private readonly path: string;

  constructor(readonly uri: string) {
    this.path = resolve(uri);
    this.name = basename(uri);
  }

  async stat(): Promise<SourceStat> {
    let st;
    try {
      st = await stat(this.path);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new SourceError(`${this.uri}: no such file. Check the path (relative paths are resolved from the current directory).`);
      if (code === 'EACCES') throw new SourceError(`${this.uri}: permission denied. Make the file readable by the user running copyfleet.`);
      throw new SourceError(`${this.uri}: cannot stat (${code ?? (err as Error).message})`);
    }
    if (st.isDirectory()) throw new SourceError(`${this.uri} is a directory: give one file (FILE=path/to/file.csv).`);
    if (!st.isFile()) throw new SourceError(`${this.uri} is not a regular file.`);
    return { size: st.size, version: `${st.size}:${Math.trunc(st.mtimeMs)}` };
  }

  async read(start: number, length: number): Promise<Buffer> {
    let fh;
    try {
      fh = await open(this.path, 'r');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EACCES') throw new SourceError(`${this.uri}: permission denied. Make the file readable by the user running copyfleet.`);
      throw new SourceError(`${this.uri}: cannot open (${code ?? (err as Error).message})`);
    }
    try {
      const buf = Buffer.allocUnsafe(length);
      const { bytesRead } = await fh.read(buf, 0, length, start);
      return buf.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  }

  stream(start: number, end: number): Readable {
    // createReadStream's `end` is inclusive; an empty range still needs a stream.
    if (end <= start) return Readable.from([]);
    return createReadStream(this.path, { start, end: end - 1, highWaterMark: READ_BYTES });
  }
}
