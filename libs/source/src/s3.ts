/**
 * An object in S3 or an S3-compatible store (MinIO, Ceph, R2 …), read with ranged GETs.
 *
 *   stat    HeadObject: size = ContentLength, version = the ETag (a changed object is a new input)
 *   read    GetObject with `Range: bytes=a-b`, collected
 *   stream  GetObject with `Range: bytes=a-b`, the body streamed with backpressure; a body
 *           that breaks off mid-way is resumed with a new ranged GET from where it stopped
 *
 * Once stat() has seen an ETag, every GET carries it as If-Match and the response's ETag is
 * checked too (not every S3-compatible store honours If-Match): bytes from two versions of
 * an object are never mixed, a changed object fails with a SourceError instead.
 *
 * Settings: credentials come from the AWS SDK's default chain (AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY, AWS_PROFILE and ~/.aws, web identity, ECS/EC2 roles); the region from
 * AWS_REGION (default us-east-1; a bucket in another region is followed); S3_ENDPOINT points
 * at an S3-compatible store, with path-style addressing unless S3_FORCE_PATH_STYLE=false.
 * Requests use the SDK's default retry strategy (standard mode: 3 attempts with exponential
 * backoff and jitter for throttling, 5xx and network errors). One client per endpoint and
 * region per process, so connections are reused.
 */
import { GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { SourceError, type Source, type SourceStat } from './source.js';

export interface S3Settings {
  region: string;
  /** An S3-compatible endpoint, e.g. `http://127.0.0.1:9000`; AWS itself when undefined. */
  endpoint: string | undefined;
  forcePathStyle: boolean;
}

/** S3 settings from the environment, validated: a wrong value says what to write instead. */
export function s3Settings(env: NodeJS.ProcessEnv = process.env): S3Settings {
  const region = env.AWS_REGION?.trim() || 'us-east-1';
  const rawEndpoint = env.S3_ENDPOINT?.trim() || undefined;
  let endpoint: string | undefined;
  if (rawEndpoint !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(rawEndpoint);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new SourceError(`S3_ENDPOINT=${redactUrl(rawEndpoint)}: not an http(s) URL. Write e.g. S3_ENDPOINT=http://127.0.0.1:9000, or unset it for AWS S3.`);
    }
    endpoint = rawEndpoint;
  }
  const rawPathStyle = env.S3_FORCE_PATH_STYLE?.trim().toLowerCase() || undefined;
  let forcePathStyle = endpoint !== undefined;
  if (rawPathStyle !== undefined) {
    if (['true', '1', 'yes'].includes(rawPathStyle)) forcePathStyle = true;
    else if (['false', '0', 'no'].includes(rawPathStyle)) forcePathStyle = false;
    else throw new SourceError(`S3_FORCE_PATH_STYLE=${env.S3_FORCE_PATH_STYLE}: write true or false.`);
  }
  return { region, endpoint, forcePathStyle };
}

const clients = new Map<string, S3Client>();

/** The process's client for these settings, created on first use and reused after. */
export function s3Client(settings: S3Settings): S3Client {
  const cacheKey = `${settings.endpoint ?? ''}|${settings.region}|${settings.forcePathStyle}`;
  let client = clients.get(cacheKey);
  if (!client) {
    // The SDK warns once per process that releases after January 2027 will need Node 22.
    // copyfleet supports Node 20 (the SDK's engines say >=20): the warning would only be
    // noise on every worker's stderr. Setting the variable yourself keeps your choice.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    client = new S3Client({
      region: settings.region,
      ...(settings.endpoint !== undefined ? { endpoint: settings.endpoint } : {}),
      forcePathStyle: settings.forcePathStyle,
      followRegionRedirects: true,
      // No timeouts by default in the SDK: a dead connection would hang a worker forever.
      // An idle socket (no bytes for a minute) fails, and a stream resumes where it was.
      requestHandler: { connectionTimeout: CONNECT_TIMEOUT_MS, socketTimeout: SOCKET_IDLE_MS },
    });
    clients.set(cacheKey, client);
  }
  return client;
}

const CONNECT_TIMEOUT_MS = 10_000;
const SOCKET_IDLE_MS = 60_000;
/** Stream buffer: large enough that per-chunk overhead vanishes, small enough to bound memory. */
const STREAM_HWM = 1024 * 1024;
/** A broken-off body is resumed this many times in a row without progress before the stream fails. */
const RESUMES = 5;
const RESUME_DELAY_MS = 200;

/** `s3://bucket/key` → its parts. The key is taken as written: slashes and spaces are part of it. */
export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]*)(?:\/(.*))?$/is.exec(uri);
  if (!m) throw new SourceError(`${uri}: not an S3 URI. Write s3://bucket/path/to/file.csv.`);
  const bucket = m[1] ?? '';
  const key = m[2] ?? '';
  if (bucket === '') throw new SourceError(`${uri}: no bucket. Write s3://bucket/path/to/file.csv.`);
  if (key === '') throw new SourceError(`${uri}: no object key. Write s3://${bucket}/path/to/file.csv.`);
  return { bucket, key };
}

export interface S3SourceOptions {
  settings?: S3Settings;
  /** A client of your own (tests, other credentials); by default the process's shared one. */
  client?: S3Client;
}

export class S3Source implements Source {
  readonly name: string;
  readonly bucket: string;
  readonly key: string;
  private readonly settings: S3Settings;
  readonly client: S3Client;
  /** What stat() saw: every later GET must return this version, and ranges past `size` need no request. */
  private etag: string | undefined;
  private size: number | undefined;

  constructor(
    readonly uri: string,
    options: S3SourceOptions = {},
  ) {
    ({ bucket: this.bucket, key: this.key } = parseS3Uri(uri));
    this.name = this.key.split('/').filter((p) => p !== '').at(-1) ?? this.key;
    this.settings = options.settings ?? s3Settings();
    this.client = options.client ?? s3Client(this.settings);
  }

  async stat(): Promise<SourceStat> {
    let head;
    try {
      head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key }));
    } catch (err) {
      throw await this.explainHeadError(err);
    }
    const etag = head.ETag === undefined ? undefined : unquote(head.ETag);
    if (head.ContentLength === undefined || !etag) {
      throw new SourceError(`${this.uri}: the S3 endpoint ${this.where()} answered HeadObject without Content-Length or ETag; it is not S3-compatible enough to read from.`);
    }
    this.etag = etag;
    this.size = head.ContentLength;
    return { size: head.ContentLength, version: etag };
  }

  async read(start: number, length: number): Promise<Buffer> {
    if (length <= 0) return Buffer.alloc(0);
    const parts: Buffer[] = [];
    for await (const chunk of this.stream(start, start + length) as AsyncIterable<Buffer>) parts.push(chunk);
    return parts.length === 1 ? parts[0]! : Buffer.concat(parts);
  }

  stream(start: number, end: number): Readable {
    if (this.size !== undefined) end = Math.min(end, this.size);
    if (end <= start) return Readable.from([]);
    return new RangeStream(this, start, end, this.etag);
  }

  /**
   * One ranged GET of [start, end). Returns null when the range starts at or past the end of
   * the object (S3 answers 416); `total` is the object's size from Content-Range.
   */
  async getRange(
    start: number,
    end: number,
    etag: string | undefined,
    signal: AbortSignal,
  ): Promise<{ body: Readable; total: number; etag: string } | null> {
    let res;
    try {
      res = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: this.key,
          Range: `bytes=${start}-${end - 1}`,
          ...(etag !== undefined ? { IfMatch: `"${etag}"` } : {}),
        }),
        { abortSignal: signal },
      );
    } catch (err) {
      if (errorInfo(err).code === 'InvalidRange') return null;
      throw this.explain(err, etag);
    }
    const body = res.Body;
    if (!(body instanceof Readable)) throw new SourceError(`${this.uri}: GetObject returned no body stream`);
    const got = res.ETag === undefined ? undefined : unquote(res.ETag);
    if (etag !== undefined && got !== undefined && got !== etag) {
      body.destroy();
      throw this.changed(etag, got);
    }
    // "bytes a-b/total"; without it (a 200 for the whole object) the length is the size.
    const total = Number(/\/(\d+)\s*$/.exec(res.ContentRange ?? '')?.[1] ?? (start === 0 ? res.ContentLength : NaN));
    if (!Number.isFinite(total)) {
      body.destroy();
      throw new SourceError(`${this.uri}: the S3 endpoint ${this.where()} ignored the Range header; it is not S3-compatible enough to read from.`);
    }
    return { body, total, etag: got ?? etag ?? '' };
  }

  /** Whether the object exists (false for a missing key in an existing bucket; other failures throw, explained). */
  async exists(): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key }));
      return true;
    } catch (err) {
      if (errorInfo(err).status !== 404) throw await this.explainHeadError(err);
      if (await this.bucketMissing()) throw this.noSuchBucket();
      return false;
    }
  }

  /** HEAD errors have no body, so no error code: ask again with a one-byte GET, which has one. */
  private async explainHeadError(err: unknown): Promise<SourceError> {
    const { status } = errorInfo(err);
    if (status !== undefined && status >= 400 && status < 500) {
      try {
        const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.key, Range: 'bytes=0-0' }));
        (res.Body as Readable | undefined)?.destroy();
      } catch (probe) {
        const info = errorInfo(probe);
        if (info.code !== 'InvalidRange' && info.status !== undefined && info.status >= 400 && info.status < 500) return this.explain(probe);
      }
      if (status === 404) return (await this.bucketMissing()) ? this.noSuchBucket() : this.noSuchObject();
    }
    return this.explain(err);
  }

  private async bucketMissing(): Promise<boolean> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return false;
    } catch (err) {
      return errorInfo(err).status === 404;
    }
  }

  /** An SDK error as a SourceError that says what to do. Never includes credentials. */
  explain(err: unknown, etag?: string): SourceError {
    if (err instanceof SourceError) return err;
    const { code, status, sysCode, message } = errorInfo(err);
    const bucket = `bucket "${this.bucket}"`;
    switch (code) {
      case 'NoSuchKey':
      case 'NotFound':
        return this.noSuchObject();
      case 'NoSuchBucket':
        return this.noSuchBucket();
      case 'CredentialsProviderError':
        return new SourceError(
          `${this.uri}: no AWS credentials found. Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE, or run with an instance or task role.`,
        );
      case 'InvalidAccessKeyId':
        return this.denied(`the access key is not known to ${this.where()}`);
      case 'SignatureDoesNotMatch':
        return this.denied('the secret key does not match the access key');
      case 'ExpiredToken':
      case 'TokenRefreshRequired':
        return this.denied('the session token has expired');
      case 'AccessDenied':
      case 'Forbidden':
      case 'AllAccessDisabled':
        return this.denied(code);
      case 'PreconditionFailed':
        return this.changed(etag ?? '?', 'another version');
      case 'PermanentRedirect':
      case 'AuthorizationHeaderMalformed':
        return new SourceError(`${this.uri}: ${bucket} is not in region ${this.settings.region} (${code}). Set AWS_REGION to the bucket's region.`);
      case 'InvalidBucketName':
        return new SourceError(`${this.uri}: "${this.bucket}" is not a valid bucket name. Check the URI: s3://bucket/path/to/file.csv.`);
    }
    if (status === 403) return this.denied(code ?? 'HTTP 403');
    if (status === 404) return this.noSuchObject();
    if ((status === undefined && sysCode !== undefined) || code === 'TimeoutError' || code === 'RequestTimeout' || code === 'AbortError') {
      return new SourceError(
        `${this.uri}: cannot reach S3 endpoint ${this.where()} (${sysCode ?? code ?? message}). Check S3_ENDPOINT / network.`,
        { retryable: true },
      );
    }
    if ((status !== undefined && status >= 500) || code === 'SlowDown' || code === 'RequestTimeTooSkewed') {
      return new SourceError(`${this.uri}: S3 endpoint ${this.where()} failed after retries (${code ?? 'error'}, HTTP ${status}); try again later.`, {
        retryable: true,
      });
    }
    const http = status !== undefined ? ` (HTTP ${status})` : '';
    return new SourceError(`${this.uri}: S3 request failed: ${code ?? 'error'}${http}${message ? `: ${message}` : ''}`);
  }

  private noSuchObject(): SourceError {
    const hint = this.key.endsWith('/')
      ? ' The key ends with "/": that is a prefix (a "folder"), not an object. Give one object.'
      : ' Check the key: it is case-sensitive and is the full path inside the bucket.';
    return new SourceError(`${this.uri}: no such object in bucket "${this.bucket}".${hint}`);
  }

  private noSuchBucket(): SourceError {
    const where = this.settings.endpoint !== undefined ? ` at ${this.where()} (S3_ENDPOINT)` : '';
    return new SourceError(`${this.uri}: no such bucket "${this.bucket}"${where}. Check the bucket name${where ? ' and S3_ENDPOINT' : ''}.`);
  }

  private denied(why: string): SourceError {
    return new SourceError(
      `${this.uri}: permission denied for bucket "${this.bucket}" (${why}). Check the credentials ` +
        '(AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or the instance role): they must allow s3:GetObject on the object ' +
        '(and s3:ListBucket on the bucket, or a missing object looks like this too).',
    );
  }

  changed(was: string, now: string): SourceError {
    return new SourceError(
      `${this.uri} changed while being read (ETag ${was} → ${now}): loaded chunks stay in the table; load the new object as a new run.`,
    );
  }

  /** The endpoint for messages, without any user:password in it. */
  where(): string {
    return this.settings.endpoint !== undefined ? redactUrl(this.settings.endpoint) : `https://s3.${this.settings.region}.amazonaws.com`;
  }
}

/**
 * [start, end) of an object as a Readable. Bytes flow from the GET's body with backpressure
 * (the body is paused while this stream's buffer is full); a body that breaks off mid-way
 * (connection reset, idle timeout, S3 closing a slow reader) is resumed with a new ranged
 * GET from the next byte, for the same ETag.
 */
class RangeStream extends Readable {
  private pos: number;
  private body: Readable | null = null;
  private opening = false;
  private abort: AbortController | null = null;
  private failures = 0;

  constructor(
    private readonly source: S3Source,
    start: number,
    private end: number,
    private etag: string | undefined,
  ) {
    super({ highWaterMark: STREAM_HWM });
    this.pos = start;
  }

  override _read(): void {
    if (this.body) this.body.resume();
    else if (!this.opening) void this.open();
  }

  private async open(): Promise<void> {
    this.opening = true;
    const abort = new AbortController();
    this.abort = abort;
    try {
      const got = await this.source.getRange(this.pos, this.end, this.etag, abort.signal);
      if (this.destroyed) {
        got?.body.destroy();
        return;
      }
      if (got === null) {
        this.push(null); // the range starts at or past the end of the object
        return;
      }
      this.etag = got.etag || this.etag;
      this.end = Math.min(this.end, got.total);
      this.attach(got.body);
    } catch (err) {
      if (!this.destroyed) this.destroy(this.source.explain(err, this.etag));
    } finally {
      this.opening = false;
    }
  }

  private attach(body: Readable): void {
    this.body = body;
    body.on('data', (chunk: Buffer) => {
      if (this.body !== body) return;
      this.failures = 0;
      if (this.pos + chunk.length > this.end) {
        // More than was asked for (a store that ignored Range): take our part, drop the rest.
        this.body = null;
        body.destroy();
        this.push(chunk.subarray(0, this.end - this.pos));
        this.pos = this.end;
        this.push(null);
        return;
      }
      this.pos += chunk.length;
      if (!this.push(chunk)) body.pause();
    });
    body.on('end', () => {
      if (this.body !== body) return;
      this.body = null;
      if (this.pos >= this.end) this.push(null);
      else {
        const { uri } = this.source;
        const where = this.source.where();
        void this.resume_(
          new SourceError(`${uri}: S3 endpoint ${where} ended the download at byte ${this.pos} of ${this.end}. Check S3_ENDPOINT / network.`, {
            retryable: true,
          }),
        );
      }
    });
    body.on('error', (err) => {
      if (this.body !== body) return;
      this.body = null;
      void this.resume_(err);
    });
  }

  /** The body broke off: GET the rest, unless that keeps failing without progress. */
  private async resume_(err: unknown): Promise<void> {
    if (this.destroyed) return;
    if (++this.failures > RESUMES) {
      this.destroy(this.source.explain(err, this.etag));
      return;
    }
    await sleep(RESUME_DELAY_MS * this.failures);
    if (!this.destroyed) await this.open();
  }

  override _destroy(err: Error | null, callback: (error?: Error | null) => void): void {
    this.abort?.abort();
    const body = this.body;
    this.body = null;
    body?.destroy();
    callback(err);
  }
}

interface ErrorInfo {
  code: string | undefined;
  status: number | undefined;
  sysCode: string | undefined;
  message: string | undefined;
}

function errorInfo(err: unknown): ErrorInfo {
  const e = (err ?? {}) as { name?: string; Code?: string; code?: unknown; message?: string; $metadata?: { httpStatusCode?: number } };
  const code = e.Code ?? (e.name && e.name !== 'Error' ? e.name : undefined);
  const sysCode = typeof e.code === 'string' ? e.code : undefined;
  // "UnknownError" is what the SDK says for a body-less error response; it tells nothing.
  const message = e.message && e.message !== 'UnknownError' ? e.message : undefined;
  return { code, status: e.$metadata?.httpStatusCode, sysCode, message };
}

function unquote(etag: string): string {
  return etag.replace(/^(W\/)?"(.*)"$/, '$2');
}

function redactUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (!url.username && !url.password) return raw;
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return raw.replace(/\/\/[^/@]*@/, '//');
  }
}

/** One object of a listing: its key, size and ETag (the version a run records). */
export interface S3Listed {
  uri: string;
  size: number;
  version: string;
}

/**
 * Every object under `prefix` in `bucket`, in key order, a ListObjectsV2 page at a time
 * (`pageSize` keys per request, at most 1000). Errors are explained like a read's.
 */
export async function* listS3Objects(bucket: string, prefix: string, opts: { pageSize?: number; settings?: S3Settings } = {}): AsyncGenerator<S3Listed> {
  const source = new S3Source(`s3://${bucket}/${prefix || '*'}`, opts.settings ? { settings: opts.settings } : {});
  let token: string | undefined;
  do {
    let page;
    try {
      page = await source.client.send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ...(token ? { ContinuationToken: token } : {}), ...(opts.pageSize ? { MaxKeys: opts.pageSize } : {}) }),
      );
    } catch (err) {
      throw source.explain(err);
    }
    for (const o of page.Contents ?? []) {
      if (o.Key === undefined || o.Key.endsWith('/')) continue; // "folder" markers hold no data
      yield { uri: `s3://${bucket}/${o.Key}`, size: o.Size ?? 0, version: o.ETag === undefined ? '' : unquote(o.ETag) };
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}
