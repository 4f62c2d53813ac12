/**
 * Compressed input cannot be range-split: a byte offset in a .gz or .zst file is not a
 * place a reader can start from. So the splitter decompresses it once, streaming, into
 * a plain file in a staging directory, and the run then reads that file like any
 * other: exact chunk edges, parallel workers. Locally the staging directory is
 * .data/staging; on a cluster it must be storage every worker mounts (a ReadWriteMany
 * volume). The cost is one sequential decompression and the uncompressed size on disk;
 * the staged file is removed when the run is done. A file already staged for the same
 * input (same URI and version) is reused, so a resumed run does not decompress again.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Decompress } from 'fzstd';
import { SourceError, type Source } from './source.js';

export type Compression = 'gzip' | 'zstd';

/** Compression by magic bytes (the extension is not trusted). */
export function compressionOf(head: Buffer): Compression | null {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  return null;
}

/** The name of the decompressed file: the source's name without .gz / .zst / .zstd. */
export function decompressedName(name: string): string {
  return name.replace(/\.(gz|gzip|zst|zstd)$/i, '') || 'data';
}

export interface Staged {
  path: string;
  size: number;
}

export async function stageDecompressed(source: Source, version: string, size: number, compression: Compression, dir: string): Promise<Staged> {
  const id = createHash('sha1').update(`${source.uri}\n${version}`).digest('hex').slice(0, 16);
  const path = join(dir, `${id}-${decompressedName(source.name)}`);
  const existing = await stat(path).catch(() => null);
  if (existing?.isFile()) return { path, size: existing.size };
  await mkdir(dir, { recursive: true });
  const tmp = `${path}.partial-${process.pid}`;
  try {
    await pipeline(source.stream(0, size), compression === 'gzip' ? createGunzip() : zstdStream(), createWriteStream(tmp));
  } catch (err) {
    await rm(tmp, { force: true });
    const what = (err as NodeJS.ErrnoException).code === 'ENOSPC' ? 'the staging directory is full' : (err as Error).message;
    throw new SourceError(`${source.uri}: cannot decompress (${compression}): ${what}. The staging directory is ${dir} (STAGING_DIR).`);
  }
  await rename(tmp, path);
  return { path, size: (await stat(path)).size };
}

/** A streaming zstd decompressor (fzstd, pure JavaScript) as a Node Transform. */
function zstdStream(): Transform {
  let out: Transform;
  const z = new Decompress((chunk) => void out.push(Buffer.from(chunk))); // a copy: fzstd may reuse its window
  out = new Transform({
    transform(chunk: Buffer, _enc, done: TransformCallback) {
      try {
        z.push(chunk);
        done();
      } catch (err) {
        done(err as Error);
      }
    },
    flush(done: TransformCallback) {
      try {
        z.push(new Uint8Array(0), true);
        done();
      } catch (err) {
        done(err as Error);
      }
    },
  });
  return out;
}

export async function removeStaged(path: string): Promise<void> {
  await rm(path, { force: true });
}
