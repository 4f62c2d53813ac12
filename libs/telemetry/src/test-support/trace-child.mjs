// A process as copyfleet's are: started with `node --import <register.js>`, ESM, importing
// pg statically (so only the preload's loader hook can instrument it). Two roles:
//   producer <databaseUrl>            a "run" span with a pg query and a COPY inside;
//                                     prints the job payload {traceParent} as JSON
//   consumer <databaseUrl> <payload>  a "chunk" span joined through the payload, with a
//                                     successful COPY and a failing one; then reports which
//                                     OpenTelemetry SDK modules got loaded
import { createRequire } from 'node:module';
import pg from 'pg';
import copyStreams from 'pg-copy-streams';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { Attr, SpanName, injectContext, startTelemetry, withParentContext, withSpan, setSpanAttributes } from '@copyfleet/telemetry';

const [role, databaseUrl, payload] = process.argv.slice(2);
const telemetry = await startTelemetry({ service: role === 'producer' ? 'splitter' : 'worker' });
const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
const SECRET_ROW = process.env.SECRET_ROW ?? 'no-secret';

async function copyRows(client, table, text) {
  const copy = client.query(copyStreams.from(`COPY ${table} (v) FROM STDIN`));
  await pipeline(Readable.from([text]), copy);
  return copy.rowCount;
}

if (role === 'producer') {
  await withSpan(SpanName.Run, { [Attr.RunId]: '42', [Attr.File]: 'input.csv' }, async () => {
    await withSpan(SpanName.PlanEnqueue, { [Attr.RunId]: '42' }, async () => {
      await pool.query('SELECT 1');
    });
    const job = { runId: '42', chunkNo: 7, traceParent: injectContext() };
    process.stdout.write(`PAYLOAD=${JSON.stringify(job)}\n`);
  });
} else {
  const job = JSON.parse(payload);
  const client = await pool.connect();
  try {
    await client.query('CREATE TEMP TABLE t (v bigint)');
    await withParentContext(job.traceParent, () =>
      withSpan(SpanName.Chunk, { [Attr.RunId]: job.runId, [Attr.ChunkNo]: job.chunkNo, [Attr.Attempt]: 1 }, async () => {
        const rows = await withSpan(SpanName.ChunkCopy, { [Attr.RunId]: job.runId, [Attr.ChunkNo]: job.chunkNo }, () => copyRows(client, 't', '1\n2\n3\n'));
        setSpanAttributes({ [Attr.Rows]: rows });
        // A COPY that PostgreSQL refuses on a row value: the span must say ERROR, without the value.
        await withSpan(SpanName.ChunkCommit, { [Attr.RunId]: job.runId, [Attr.ChunkNo]: job.chunkNo }, () => copyRows(client, 't', `${SECRET_ROW}\n`)).catch(() => undefined);
        // A failed ordinary query quoting a row value: its pg span is kept (failed) and redacted.
        await client.query('SELECT $1::bigint', [SECRET_ROW]).catch(() => undefined);
        // An error whose message carries the connection string: masked in the span.
        await withSpan(SpanName.ChunkRead, { [Attr.RunId]: job.runId }, async () => {
          throw new Error(`cannot reach ${databaseUrl}`);
        }).catch(() => undefined);
      }),
    );
  } finally {
    client.release();
  }
  const req = createRequire(import.meta.url);
  const otelLoaded = Object.keys(req.cache).some((k) => k.includes('@opentelemetry/'));
  process.stdout.write(`OTEL_LOADED=${otelLoaded} TRACING=${telemetry.tracing}\n`);
}
await pool.end();
await telemetry.shutdown();
