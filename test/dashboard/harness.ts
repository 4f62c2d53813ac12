// The dashboard in this process, on the real PostgreSQL and Redis, with the test's own
// queue prefix and reports dir (so it sees what the CLI processes of the test do).
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '@copyfleet/config';
import { createApp, type DashboardOptions } from '@copyfleet/dashboard';
import { openContext, type Context } from '@copyfleet/run';

export interface TestDashboard {
  ctx: Context;
  url: string;
  close(): Promise<void>;
}

/**
 * `host` is what the dashboard believes it is bound to (auth depends on it); the test
 * server itself always listens on 127.0.0.1.
 */
export async function startTestDashboard(env: NodeJS.ProcessEnv, opts: Partial<Omit<DashboardOptions, 'ctx'>> = {}): Promise<TestDashboard> {
  const config = loadConfig({ queuePrefix: env.QUEUE_PREFIX, reportsDir: env.REPORTS_DIR, ...(env.CHUNK_ATTEMPTS ? { attempts: env.CHUNK_ATTEMPTS } : {}) });
  const ctx = await openContext(config, 'dashboard-test');
  const app = createApp({ ctx, host: '127.0.0.1', port: 0, ...opts });
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    ctx,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await ctx.close();
    },
  };
}

/**
 * A CSV of `rows` records `id,amount,note`, of which every `badEvery`-th has two fields
 * instead of three (a reject whatever the types), its text `<script>…</script>`.
 */
export async function writeCsvWithRejects(path: string, rows: number, badEvery: number): Promise<{ records: number; rejects: number }> {
  const lines = ['id,amount,note'];
  let rejects = 0;
  for (let i = 1; i <= rows; i++) {
    if (badEvery > 0 && i % badEvery === 0) {
      lines.push(`${i},<script>window.__xss=${i}</script>`);
      rejects++;
    } else lines.push(`${i},${(i * 37) % 1000},note number ${i} with some padding to make the rows longer`);
  }
  await writeFile(path, `${lines.join('\n')}\n`);
  return { records: rows, rejects };
}
