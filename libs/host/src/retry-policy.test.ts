import { PermanentChunkError } from '@copyfleet/loader';
import { describe, expect, it } from 'vitest';
import { describeError } from '@copyfleet/db';
import { failureAction } from './retry-policy.js';

const pgError = (code: string, message: string) => Object.assign(new Error(message), { code });

describe('failureAction', () => {
  it('waits for PostgreSQL when it is down, restarting or out of connection slots', () => {
    expect(failureAction(pgError('57P01', 'terminating connection due to administrator command'))).toBe('wait');
    expect(failureAction(pgError('53300', 'too many connections for role "w"'))).toBe('wait');
    expect(failureAction(pgError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:5432'))).toBe('wait');
    expect(failureAction(new Error('Connection terminated unexpectedly'))).toBe('wait');
  });

  it('retries disk full and other failures with backoff: retryable, not fatal', () => {
    expect(failureAction(pgError('53100', 'could not extend file "base/1/2": No space left on device'))).toBe('retry');
    expect(failureAction(pgError('42501', 'permission denied for table trips'))).toBe('retry');
    expect(failureAction(pgError('40P01', 'deadlock detected'))).toBe('retry');
    expect(failureAction(new Error('something else'))).toBe('retry');
  });

  it('gives up at once only when retrying cannot help', () => {
    expect(failureAction(new PermanentChunkError('the file changed'))).toBe('give-up');
    expect(failureAction(Object.assign(new Error('gone'), { name: 'SourceError' }))).toBe('give-up');
  });
});

describe('describeError', () => {
  it('names the SQLSTATE', () => {
    expect(describeError(pgError('42501', 'permission denied for table t'))).toBe('permission denied for table t [42501]');
    expect(describeError(new Error('plain'))).toBe('plain');
  });
});
