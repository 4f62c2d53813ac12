/**
 * What a load's inputs name, as a list of files: each input is a file, a directory
 * (walked recursively), a glob (`landing/2026-*\/*.jsonl.gz`, quoted so the shell does not
 * expand it), an S3 object, an S3 prefix (`s3://bucket/events/2026/11/`, listed with
 * ListObjectsV2 a page at a time) or an S3 glob. Several inputs are listed in turn; a file
 * named twice is listed once.
 *
 * As Spark does, names starting with `.` or `_` (hidden files, `_SUCCESS`, `_temporary/`)
 * are skipped inside directories and prefixes. Symbolic links are followed, each directory
 * at most once (a link loop ends there). Files come in path order, so file numbers are
 * stable for the same inputs.
 *
 * An input that names nothing (no such path, an empty directory, a glob that matches no
 * file) is an error that says so; a directory entry that cannot be read is a problem of
 * the listing, and the load goes on without it and names it.
 */
import { opendir, realpath, stat } from 'node:fs/promises';
import { basename, join, relative, resolve } from 'node:path';
import picomatch from 'picomatch';
import { SourceError } from './source.js';

export interface ListedFile {
  /** Absolute path or s3://bucket/key: how the file is opened and recorded. */
  uri: string;
  size: number;
  /** size:mtime (local) or the ETag (S3): with the uri, the file's identity across runs. */
  version: string;
}

export interface InputListing {
  files: ListedFile[];
  /** Entries that could not be listed (an unreadable directory, say): named in the run, not loaded. */
  problems: { uri: string; reason: string }[];
}

export interface ListOptions {
  /** S3 keys per ListObjectsV2 request (at most 1000, S3's own page size). */
  s3PageSize?: number;
}

const S3_URI = /^s3:\/\//i;

/** Whether `input` names more than one file (a directory, glob or S3 prefix) rather than one file. */
export function isPattern(input: string): boolean {
  return input.endsWith('/') || picomatch.scan(input).isGlob;
}

export async function listInputs(inputs: string[], opts: ListOptions = {}): Promise<InputListing> {
  if (inputs.length === 0) throw new SourceError('no input given: name a file, a directory, a glob or an s3:// URI');
  const out: InputListing = { files: [], problems: [] };
  const seen = new Set<string>();
  for (const input of inputs) {
    let matched = 0;
    const add = (f: ListedFile): void => {
      matched++;
      if (seen.has(f.uri)) return;
      seen.add(f.uri);
      out.files.push(f);
    };
    if (S3_URI.test(input)) await listS3(input, add, opts);
    else await listLocal(input, add, out.problems);
    if (matched === 0 && !out.problems.some((p) => p.uri.startsWith(resolveLocal(input)))) {
      throw new SourceError(nothingMessage(input));
    }
  }
  return out;
}

function resolveLocal(input: string): string {
  return S3_URI.test(input) ? input : resolve(input);
}

function nothingMessage(input: string): string {
  if (S3_URI.test(input)) return `${input}: no objects match (hidden keys, starting with . or _, are skipped). Check the bucket and prefix.`;
  if (picomatch.scan(input).isGlob) return `${input}: the pattern matches no file (hidden files, starting with . or _, are skipped). Check it, and quote it so the shell does not expand it.`;
  return `${input}: the directory holds no files to load (hidden files, starting with . or _, are skipped).`;
}

const hidden = (name: string): boolean => name.startsWith('.') || name.startsWith('_');

async function listLocal(input: string, add: (f: ListedFile) => void, problems: InputListing['problems']): Promise<void> {
  const scan = picomatch.scan(input);
  if (scan.isGlob) {
    const base = resolve(scan.base || '.');
    const match = picomatch(scan.glob, { dot: false });
    await walk(base, new Set(), problems, async (path, st) => {
      if (match(relative(base, path))) add(fileOf(path, st));
    });
    return;
  }
  const path = resolve(input);
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SourceError(`${input}: no such file or directory. Check the path (relative paths are resolved from the current directory); quote a glob so the shell does not expand it.`);
    if (code === 'EACCES') throw new SourceError(`${input}: permission denied. Make it readable by the user running copyfleet.`);
    throw new SourceError(`${input}: cannot stat (${code ?? (err as Error).message})`);
  }
  if (st.isDirectory()) await walk(path, new Set(), problems, async (p, s) => add(fileOf(p, s)));
  else if (st.isFile()) add(fileOf(path, st));
  else throw new SourceError(`${input} is not a regular file or a directory.`);
}

function fileOf(path: string, st: { size: number; mtimeMs: number }): ListedFile {
  return { uri: path, size: st.size, version: `${st.size}:${Math.trunc(st.mtimeMs)}` };
}

/** Depth-first, in name order, following links to directories once each (`visited` holds real paths). */
async function walk(
  dir: string,
  visited: Set<string>,
  problems: InputListing['problems'],
  onFile: (path: string, st: { size: number; mtimeMs: number }) => Promise<void>,
): Promise<void> {
  let real: string;
  try {
    real = await realpath(dir);
  } catch (err) {
    problems.push({ uri: dir, reason: `cannot resolve (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` });
    return;
  }
  if (visited.has(real)) return; // a symbolic link loop, or the same directory by two links
  visited.add(real);
  const names: string[] = [];
  try {
    for await (const entry of await opendir(dir)) if (!hidden(entry.name)) names.push(entry.name);
  } catch (err) {
    problems.push({ uri: dir, reason: `cannot list the directory (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})` });
    return;
  }
  names.sort();
  for (const name of names) {
    const path = join(dir, name);
    let st;
    try {
      st = await stat(path); // follows links
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push({ uri: path, reason: code === 'ENOENT' ? 'a broken symbolic link' : `cannot stat (${code ?? (err as Error).message})` });
      continue;
    }
    if (st.isDirectory()) await walk(path, visited, problems, onFile);
    else if (st.isFile()) await onFile(path, st);
  }
}

async function listS3(input: string, add: (f: ListedFile) => void, opts: ListOptions): Promise<void> {
  const { listS3Objects, parseS3Uri, S3Source } = await import('./s3.js');
  const m = /^s3:\/\/([^/]*)\/?(.*)$/is.exec(input);
  const bucket = m?.[1] ?? '';
  const rest = m?.[2] ?? '';
  if (bucket === '') parseS3Uri(input); // throws its own message
  const scan = picomatch.scan(rest);
  const page = opts.s3PageSize ? { pageSize: opts.s3PageSize } : {};
  if (scan.isGlob) {
    const prefix = rest.slice(0, rest.length - scan.glob.length);
    const match = picomatch(rest, { dot: false });
    for await (const o of listS3Objects(bucket, prefix, page)) {
      const key = o.uri.slice(`s3://${bucket}/`.length);
      if (match(key) && !key.slice(prefix.length).split('/').some(hidden)) add(o);
    }
    return;
  }
  const one = rest !== '' && !rest.endsWith('/') ? new S3Source(input) : null;
  if (one && (await one.exists())) {
    const st = await one.stat();
    add({ uri: input, size: st.size, version: st.version });
    return;
  }
  // A prefix — or, for a name that is no object, the "folder" of that name.
  const prefix = rest === '' || rest.endsWith('/') ? rest : `${rest}/`;
  let found = 0;
  for await (const o of listS3Objects(bucket, prefix, page)) {
    found++;
    if (!o.uri.slice(`s3://${bucket}/${prefix}`.length).split('/').some(hidden)) add(o);
  }
  if (one && found === 0) await one.stat(); // neither an object nor a folder: says "no such object"
}

/** A name for the table when none is given: the file's, the directory's, the glob's or prefix's last fixed part. */
export function inputBaseName(input: string): string {
  const path = S3_URI.test(input) ? input.replace(/^s3:\/\/[^/]*\/?/i, '') : input;
  const scan = picomatch.scan(path);
  const fixed = scan.isGlob ? scan.base : path;
  const parts = fixed.split('/').filter((p) => p !== '' && p !== '.');
  return parts.at(-1) ?? basename(resolve(fixed || '.'));
}
