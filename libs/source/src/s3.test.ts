// S3Source against a real S3-compatible server (s3rver on 127.0.0.1, see s3.fixture.ts):
// objects are uploaded with the SDK's PutObject, then read back through the Source interface.
// No mocks of S3; network faults are real (a closed port, a proxy that cuts a connection).
import { randomBytes } from 'node:crypto';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalizeSourceUri, openSource, SourceError } from './index.js';
import { parseS3Uri, S3Source, s3Client, s3Settings, type S3Settings } from './s3.js';
import { startLocalS3, type LocalS3 } from './s3.fixture.js';

let s3: LocalS3;
let settings: S3Settings;
const BUCKET = 'cf-source-test';
const savedEnv = { ...process.env };

beforeAll(async () => {
  s3 = await startLocalS3();
  settings = { endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true };
  Object.assign(process.env, s3.env);
  await s3.createBucket(BUCKET);
});
afterAll(async () => {
  process.env = savedEnv;
  await s3?.close();
});

const source = (key: string, options: { settings?: S3Settings; client?: S3Client } = {}) =>
  new S3Source(`s3://${BUCKET}/${key}`, { settings, ...options });

async function collect(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of stream as AsyncIterable<Buffer>) parts.push(chunk);
  return Buffer.concat(parts);
}

async function sourceError(p: Promise<unknown>): Promise<SourceError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SourceError);
  return err as SourceError;
}

describe('S3Source', () => {
  const text = 'id,name\n1,alpha\n2,beta\n3,gamma\n';

  it('stats size and ETag; a changed object has a new version', async () => {
    await s3.put(BUCKET, 'stat.csv', text);
    const src = source('stat.csv');
    const first = await src.stat();
    expect(first.size).toBe(Buffer.byteLength(text));
    expect(first.version).toMatch(/^[0-9a-f]{32}$/); // the ETag, without its quotes
    expect(await src.stat()).toEqual(first);

    await s3.put(BUCKET, 'stat.csv', `${text}4,delta\n`);
    const second = await src.stat();
    expect(second.size).toBe(Buffer.byteLength(text) + 8);
    expect(second.version).not.toBe(first.version);
  });

  it('reads ranges: inside, across the end, past the end, empty', async () => {
    await s3.put(BUCKET, 'read.csv', text);
    const src = source('read.csv');
    const { size } = await src.stat();
    expect((await src.read(0, 8)).toString()).toBe('id,name\n');
    expect((await src.read(8, 8)).toString()).toBe('1,alpha\n');
    expect((await src.read(size - 8, 8)).toString()).toBe('3,gamma\n');
    expect((await src.read(size - 8, 100)).toString()).toBe('3,gamma\n'); // fewer at the end
    expect((await src.read(0, size + 1)).toString()).toBe(text);
    expect((await src.read(size, 10)).length).toBe(0);
    expect((await src.read(size + 100, 10)).length).toBe(0);
    expect((await src.read(3, 0)).length).toBe(0);
  });

  it('reads without stat() first, and an empty object', async () => {
    await s3.put(BUCKET, 'nostat.csv', text);
    expect((await source('nostat.csv').read(3, 4)).toString()).toBe('name');
    await s3.put(BUCKET, 'empty.csv', '');
    const empty = source('empty.csv');
    expect(await empty.stat()).toMatchObject({ size: 0 });
    expect((await empty.read(0, 100)).length).toBe(0);
    expect((await collect(empty.stream(0, 100))).length).toBe(0);
  });

  it('a zero-length read makes no request', async () => {
    // A client for a closed port: any request would fail.
    const dead = new S3Client({ endpoint: 'http://127.0.0.1:9', forcePathStyle: true, region: 'us-east-1', maxAttempts: 1 });
    const src = source('whatever.csv', { client: dead });
    expect((await src.read(0, 0)).length).toBe(0);
    expect((await collect(src.stream(5, 5))).length).toBe(0);
    dead.destroy();
  });

  it('streams a range exactly, and ranges that reach past the end', async () => {
    const data = randomBytes(300_000);
    await s3.put(BUCKET, 'bin/range.dat', data);
    const src = source('bin/range.dat');
    await src.stat();
    expect((await collect(src.stream(12_345, 200_001))).equals(data.subarray(12_345, 200_001))).toBe(true);
    expect((await collect(src.stream(299_990, 400_000))).equals(data.subarray(299_990))).toBe(true);
    expect((await collect(src.stream(300_000, 400_000))).length).toBe(0);
  });

  it('streams a 5 MB object in full, with backpressure', async () => {
    const data = randomBytes(5 * 1024 * 1024);
    await s3.put(BUCKET, 'big/five-mb.bin', data);
    const src = source('big/five-mb.bin');
    const { size } = await src.stat();
    expect(size).toBe(data.length);

    // Nobody reads: the stream buffers about its high-water mark, not the object.
    const paused = src.stream(0, size);
    paused.pause();
    paused.read(0); // start the request
    await new Promise((r) => setTimeout(r, 700));
    expect(paused.readableLength).toBeGreaterThan(0);
    expect(paused.readableLength).toBeLessThan(2.5 * 1024 * 1024);
    paused.destroy();

    expect((await collect(src.stream(0, size))).equals(data)).toBe(true);
  });

  it('never mixes versions: an object replaced after stat() fails the read', async () => {
    await s3.put(BUCKET, 'moving.csv', text);
    const src = source('moving.csv');
    const { version } = await src.stat();
    await s3.put(BUCKET, 'moving.csv', text.toUpperCase());
    const err = await sourceError(src.read(0, 10));
    expect(err.message).toContain(`s3://${BUCKET}/moving.csv changed while being read (ETag ${version} → `);
    expect(err.retryable).toBe(false);
    await sourceError(collect(src.stream(0, 10)));
    // A new stat() sees the new version and reads it.
    await src.stat();
    expect((await src.read(0, 7)).toString()).toBe('ID,NAME');
  });

  it('resumes a body that breaks off mid-way, from the next byte', async () => {
    const data = randomBytes(4 * 1024 * 1024);
    await s3.put(BUCKET, 'cut.bin', data);
    const proxy = await cuttingProxy(new URL(s3.endpoint).port, 1024 * 1024);
    try {
      const client = new S3Client({ endpoint: proxy.endpoint, forcePathStyle: true, region: 'us-east-1' });
      const src = source('cut.bin', { client });
      const { size } = await src.stat();
      expect((await collect(src.stream(100, size))).equals(data.subarray(100))).toBe(true);
      expect(proxy.cuts()).toBe(1);
      client.destroy();
    } finally {
      await proxy.close();
    }
  });

  describe('errors say what to do', () => {
    it('no such object', async () => {
      const src = source('missing/nope.csv');
      const expected = `s3://${BUCKET}/missing/nope.csv: no such object in bucket "${BUCKET}". Check the key`;
      expect((await sourceError(src.stat())).message).toContain(expected);
      expect((await sourceError(src.read(0, 10))).message).toContain(expected);
      expect((await sourceError(collect(src.stream(0, 10)))).message).toContain(expected);
      expect((await sourceError(source('missing/').stat())).message).toContain('that is a prefix');
    });

    it('no such bucket', async () => {
      const src = new S3Source('s3://cf-no-such-bucket/a.csv', { settings });
      const expected = `s3://cf-no-such-bucket/a.csv: no such bucket "cf-no-such-bucket" at ${s3.endpoint} (S3_ENDPOINT). Check the bucket name and S3_ENDPOINT.`;
      expect((await sourceError(src.stat())).message).toBe(expected);
      expect((await sourceError(src.read(0, 10))).message).toBe(expected);
    });

    it('credentials the server does not know, without printing them', async () => {
      await s3.put(BUCKET, 'secret.csv', text);
      const wrong = { accessKeyId: 'AKIAWRONGKEY0000', secretAccessKey: 'wrong-secret-value' };
      const client = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: wrong });
      const src = source('secret.csv', { client });
      for (const err of [await sourceError(src.stat()), await sourceError(src.read(0, 4))]) {
        expect(err.message).toContain(`permission denied for bucket "${BUCKET}" (the access key is not known to ${s3.endpoint}). Check the credentials`);
        expect(err.message).not.toContain(wrong.accessKeyId);
        expect(err.message).not.toContain(wrong.secretAccessKey);
        expect(err.retryable).toBe(false);
      }
      client.destroy();
    });

    it('an endpoint nobody answers on: cannot reach it, retryable', async () => {
      const closed = await closedPort();
      const src = new S3Source(`s3://${BUCKET}/a.csv`, { settings: { ...settings, endpoint: `http://127.0.0.1:${closed}` } });
      for (const err of [await sourceError(src.stat()), await sourceError(src.read(0, 4))]) {
        expect(err.message).toBe(`s3://${BUCKET}/a.csv: cannot reach S3 endpoint http://127.0.0.1:${closed} (ECONNREFUSED). Check S3_ENDPOINT / network.`);
        expect(err.retryable).toBe(true);
      }
    });
  });
});

describe('openSource and S3 settings', () => {
  it('opens s3:// URIs as S3 objects: keys keep slashes and spaces', async () => {
    const src = await openSource(`s3://${BUCKET}/a/b c.csv`);
    expect(src).toBeInstanceOf(S3Source);
    expect(src.name).toBe('b c.csv');
    expect(src.uri).toBe(`s3://${BUCKET}/a/b c.csv`);
    await s3.put(BUCKET, 'a/b c.csv', 'x,y\n1,2\n');
    expect(await src.stat()).toMatchObject({ size: 8 });
    expect((await src.read(4, 4)).toString()).toBe('1,2\n');
    expect(parseS3Uri('s3://b/k/with%20percent and space/')).toEqual({ bucket: 'b', key: 'k/with%20percent and space/' });
  });

  it('keeps local paths and refuses other schemes', async () => {
    expect((await openSource('data/trips.csv')).constructor.name).toBe('LocalFileSource');
    await expect(openSource('https://example.com/a.csv')).rejects.toThrow(/unsupported source scheme.*s3:\/\/bucket\/key/);
    await expect(openSource('s3://only-bucket')).rejects.toThrow('s3://only-bucket: no object key. Write s3://only-bucket/path/to/file.csv.');
    await expect(openSource('s3:///key.csv')).rejects.toThrow('no bucket');
  });

  it('normalizes: absolute paths for local files, URIs unchanged', () => {
    expect(normalizeSourceUri('s3://bucket/a/b c.csv')).toBe('s3://bucket/a/b c.csv');
    expect(normalizeSourceUri('/data/x.csv')).toBe('/data/x.csv');
    expect(normalizeSourceUri('x.csv')).toBe(`${process.cwd()}/x.csv`);
  });

  it('reads settings from the environment and validates them', () => {
    expect(s3Settings({})).toEqual({ region: 'us-east-1', endpoint: undefined, forcePathStyle: false });
    expect(s3Settings({ AWS_REGION: 'eu-west-1', S3_ENDPOINT: 'http://minio:9000' })).toEqual({
      region: 'eu-west-1',
      endpoint: 'http://minio:9000',
      forcePathStyle: true,
    });
    expect(s3Settings({ S3_ENDPOINT: 'https://x.r2.dev', S3_FORCE_PATH_STYLE: 'false' }).forcePathStyle).toBe(false);
    expect(() => s3Settings({ S3_ENDPOINT: 'minio:9000' })).toThrow('S3_ENDPOINT=minio:9000: not an http(s) URL');
    expect(() => s3Settings({ S3_ENDPOINT: 'ftp://user:pw@host' })).toThrow('S3_ENDPOINT=ftp://host');
    expect(() => s3Settings({ S3_FORCE_PATH_STYLE: 'maybe' })).toThrow('S3_FORCE_PATH_STYLE=maybe: write true or false.');
  });

  it('one client per endpoint and region per process', () => {
    expect(s3Client(settings)).toBe(s3Client({ ...settings }));
    expect(s3Client(settings)).not.toBe(s3Client({ ...settings, region: 'eu-west-1' }));
  });
});

/** A port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as { port: number };
  await new Promise((r) => server.close(r));
  return port;
}

/**
 * A TCP proxy to the S3 server that, once, cuts a connection after it has carried
 * `afterBytes` from the server: a download that breaks off half-way.
 */
async function cuttingProxy(upstreamPort: string, afterBytes: number) {
  let cut = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((down) => {
    const up = connect(Number(upstreamPort), '127.0.0.1');
    sockets.add(down).add(up);
    let carried = 0;
    down.pipe(up);
    up.on('data', (d: Buffer) => {
      carried += d.length;
      if (cut === 0 && carried > afterBytes) {
        cut++;
        down.destroy();
        up.destroy();
      } else down.write(d);
    });
    up.on('end', () => down.end());
    for (const s of [up, down]) s.on('error', () => undefined).on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    cuts: () => cut,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}
