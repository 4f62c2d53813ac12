// `make chaos` (scripts/chaos.sh): the fault matrix of RELIABILITY.md. The fast fault cases
// that `make test` runs too (test/chaos/*.test.ts), then the long ones (*.chaos.test.ts),
// which kill processes and restart PostgreSQL and Redis — the private instances chaos.sh
// starts for them, never the ones other test runs share.
import { configDefaults, defineConfig } from 'vitest/config';
import base from './vitest.config.ts';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/chaos/**/*.test.ts'],
    exclude: configDefaults.exclude,
    // Each case loads a file while faults are injected; a stuck one fails at its own deadline first.
    testTimeout: 300_000,
    hookTimeout: 120_000,
  },
});
