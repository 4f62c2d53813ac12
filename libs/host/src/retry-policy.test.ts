import { PermanentChunkError } from '@copyfleet/loader';
import { describe, expect, it } from 'vitest';
import { describeError } from '@copyfleet/db';
import { SourceError } from '@copyfleet/source';
import { failureAction, sourceWaitMs } from './retry-policy.js';

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

  it('gives up at once only when retrying cannot help: the object changed, is missing, or access is denied', () => {
    expect(failureAction(new PermanentChunkError('the file changed'))).toBe('give-up');
    expect(failureAction(Object.assign(new Error('gone'), { name: 'SourceError' }))).toBe('give-up');
    expect(failureAction(new SourceError('s3://b/k changed while being read (ETag "a" → "b")'))).toBe('give-up');
    expect(failureAction(new SourceError('s3://b/k: no such object in bucket "b".'))).toBe('give-up');
  });

  it('waits for the input store when it is unreachable, slow or failing (a retryable SourceError), without spending an attempt', () => {
    expect(failureAction(new SourceError('s3://b/k: cannot reach S3 endpoint (ECONNREFUSED)', { retryable: true }))).toBe('wait-source');
    expect(failureAction(new SourceError('s3://b/k: S3 endpoint failed after retries (InternalError, HTTP 500)', { retryable: true }))).toBe('wait-source');
  });

  it('backs off between tries of the source: 1 s doubling, capped at 30 s, jittered in the upper half', () => {
    for (let i = 0; i < 50; i++) {
      expect(sourceWaitMs(1)).toBeGreaterThanOrEqual(500);
      expect(sourceWaitMs(1)).toBeLessThanOrEqual(1000);
      expect(sourceWaitMs(3)).toBeGreaterThanOrEqual(2000);
      expect(sourceWaitMs(20)).toBeGreaterThanOrEqual(15_000);
      expect(sourceWaitMs(20)).toBeLessThanOrEqual(30_000);
    }
  });
});

describe('describeError', () => {
  it('names the SQLSTATE', () => {
    expect(describeError(pgError('42501', 'permission denied for table t'))).toBe('permission denied for table t [42501]');
    expect(describeError(new Error('plain'))).toBe('plain');
  });
});
