/**
 * A real S3-compatible server on 127.0.0.1 for tests: s3rver, in a child process, data in a temp dir.
 *
 * Why s3rver: of the S3 servers installable from npm that run offline on Node 20 it is the
 * most used (about 900k downloads a week) and long established (jamhall/s3rver, a Koa
 * implementation of the S3 REST API, files on disk). It serves what a Source needs with
 * S3's wire format: HeadObject (Content-Length, ETag), ranged GetObject (206 with
 * Content-Range, 416 InvalidRange past the end) and S3's error codes (NoSuchKey,
 * NoSuchBucket, InvalidAccessKeyId). Its limits, which the tests respect: it checks that the
 * access key exists but does not verify SigV4 signatures (a wrong secret is accepted), and
 * it ignores If-Match (S3Source also compares the response's ETag itself). MinIO is not on
 * npm; @20minutes/s3rver (a fork) needs Node 24 and fauxqs Node 22.5.
 * It runs in a process of its own started with --openssl-legacy-provider: s3rver encrypts
 * ListObjectsV2 continuation tokens with DES, which Node 20's OpenSSL 3 refuses otherwise
 * (every listing longer than one page answered 500).
 * Excluded from the build: test code only.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** s3rver's built-in account. */
export const LOCAL_S3_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface LocalS3 {
  endpoint: string;
  /** A client with valid credentials, for setting objects up. */
  client: S3Client;
  /** Environment for a process that should read from this server. */
  env: NodeJS.ProcessEnv;
  createBucket(name: string): Promise<void>;
  put(bucket: string, key: string, body: Buffer | string): Promise<void>;
  close(): Promise<void>;
}

/**
 * `address`: where it listens (127.0.0.1); `prefix`: a command the server runs under, e.g.
 * `['ip', 'netns', 'exec', NS]` to put it on a test host of its own (test/chaos/network).
 */
export async function startLocalS3(opts: { address?: string; prefix?: string[] } = {}): Promise<LocalS3> {
  const directory = mkdtempSync(join(tmpdir(), 'cf-s3-'));
  const address = opts.address ?? '127.0.0.1';
  const script =
    "const S3rver = require('s3rver');" +
    "new S3rver({ address: process.argv[2], port: 0, silent: true, directory: process.argv[1] }).run()" +
    '.then(({ port }) => process.stdout.write(port + "\\n"), (e) => { console.error(e); process.exit(1); });';
  const [cmd, ...args] = [...(opts.prefix ?? []), process.execPath, '--openssl-legacy-provider', '-e', script, directory, address];
  const server = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  server.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  await Promise.race([
    new Promise<void>((resolve) => server.stdout!.on('data', () => out.includes('\n') && resolve())),
    once(server, 'exit').then(() => {
      throw new Error('s3rver did not start');
    }),
  ]);
  const port = Number(out.trim());
  const endpoint = `http://${address}:${port}`;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'; // as s3Client() does
  const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials: LOCAL_S3_CREDENTIALS });
  return {
    endpoint,
    client,
    env: {
      S3_ENDPOINT: endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: LOCAL_S3_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: LOCAL_S3_CREDENTIALS.secretAccessKey,
    },
    async createBucket(name) {
      await client.send(new CreateBucketCommand({ Bucket: name }));
    },
    async put(bucket, key, body) {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: typeof body === 'string' ? Buffer.from(body) : body }));
    },
    async close() {
      client.destroy();
      if (server.exitCode === null) {
        server.kill('SIGTERM');
        await once(server, 'exit');
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
