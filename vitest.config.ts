// One config for the whole repo. Tests live beside the code they prove (libs/*/src/*.test.ts)
// and end-to-end suites under test/. They talk to the real PostgreSQL and Redis that
// `make setup` provides (URLs from the environment or .env), never to mocks.
import { fileURLToPath } from 'node:url';
import { configDefaults, defineConfig } from 'vitest/config';

const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  resolve: {
    // Import workspace libs from source so tests need no rebuild of the lib under test.
    alias: [{ find: /^@copyfleet\/([a-z-]+)$/, replacement: `${root}libs/$1/src/index.ts` }],
  },
  test: {
    include: ['libs/*/src/**/*.test.ts', 'apps/*/src/**/*.test.ts', 'test/**/*.test.ts'],
    // The long fault matrix restarts PostgreSQL and Redis: `make chaos` only (vitest.chaos.config.ts).
    // The fast fault cases (test/chaos/*.test.ts without .chaos) run here too.
    exclude: [...configDefaults.exclude, 'test/chaos/**/*.chaos.test.ts'],
    // End-to-end tests start real processes and share one PostgreSQL/Redis: keep files sequential
    // so timings stay honest on a 2-core machine.
    fileParallelism: false,
    // The CLI the tests start is the bundle: rebuilt first when tsc's output is newer.
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
