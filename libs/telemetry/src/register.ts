/**
 * The ESM preload: `node --import @copyfleet/telemetry/register app.js` (or
 * NODE_OPTIONS=--import=…/register.js, which child processes inherit). When tracing is
 * off (switch.ts) it does nothing at all. When on, it
 *
 *   1. registers the ESM loader hook with module.register(). A bare
 *      `--import @opentelemetry/instrumentation/hook.mjs` evaluates the hook file but
 *      never registers its hooks, so ESM instrumentation is silently skipped
 *      (open-telemetry/opentelemetry-js#7034). Only `pg` is wrapped (import-in-the-
 *      middle's include list): wrapping every module would slow start-up for nothing;
 *   2. starts the SDK with the instrumentations, before the program's first import is
 *      loaded. It has to be here: an ES module program loads all its static imports
 *      before any of its code runs, and instrumentation-pg patches pg when pg is loaded
 *      (tried: started from the program, pg stays unpatched). The service name comes
 *      from OTEL_SERVICE_NAME or the command (serviceFromArgv).
 *
 * tracing.e2e.test.ts proves a real pg query's span arrives with it, and not without.
 */
import { register } from 'node:module';
import { tracingEnabled } from './switch.js';

if (tracingEnabled()) {
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, { data: { include: ['pg'] } });
  const [{ startTelemetry }, { serviceFromArgv }, { readTracePg }] = await Promise.all([
    import('./tracing.js'),
    import('./attributes.js'),
    import('@copyfleet/config'),
  ]);
  await startTelemetry({ service: serviceFromArgv(process.argv), pgSpans: readTracePg(process.env) });
}
