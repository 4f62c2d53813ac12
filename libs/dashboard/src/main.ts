/**
 * The dashboard process: opens the connections from the validated config, listens on
 * DASHBOARD_HOST:DASHBOARD_PORT until SIGINT/SIGTERM. Refuses to start off localhost
 * without DASHBOARD_TOKEN / DASHBOARD_OPERATOR_TOKEN, saying so.
 */
import type { Config } from '@copyfleet/config';
import { maskUrl } from '@copyfleet/config';
import { createLogger, openContext } from '@copyfleet/run';
import { checkAuthSettings } from '@copyfleet/http-auth';
import { startDashboard } from './server.js';

export async function serveDashboard(config: Config): Promise<void> {
  const settings = { host: config.dashboardHost, token: config.dashboardToken, operatorToken: config.dashboardOperatorToken };
  checkAuthSettings(settings);
  const log = createLogger('dashboard');
  const ctx = await openContext(config, 'dashboard', log);
  let dashboard;
  try {
    dashboard = await startDashboard({ ctx, host: config.dashboardHost, port: config.dashboardPort, token: settings.token, operatorToken: settings.operatorToken, log: (m, f) => log.info(m, f) });
  } catch (err) {
    await ctx.close();
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new Error(`port ${config.dashboardPort} is in use: set DASHBOARD_PORT to a free port`, { cause: err });
    throw err;
  }
  const access = settings.token || settings.operatorToken ? 'token required' : 'open to this machine (no token set)';
  process.stdout.write(`copyfleet: dashboard on ${dashboard.url} (${access}); bull-board at ${dashboard.url}/queues; data from ${maskUrl(config.databaseUrl)}\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await dashboard.close();
  await ctx.close();
}
