import { describe, expect, it } from 'vitest';
import { classifyDbError } from './errors.js';

const pgError = (code: string, message = 'x') => Object.assign(new Error(message), { code });

describe('classifyDbError', () => {
  it('calls a server that cannot take us "unavailable": shutdown, start-up, connection slots, sockets', () => {
    for (const code of ['57P01', '57P02', '57P03', '53300', '08006', '08001', 'ECONNREFUSED', 'ECONNRESET']) {
      expect(classifyDbError(pgError(code)), code).toBe('unavailable');
    }
    expect(classifyDbError(new Error('Connection terminated unexpectedly'))).toBe('unavailable');
    expect(classifyDbError(new Error('timeout exceeded when trying to connect'))).toBe('unavailable');
    expect(classifyDbError(new AggregateError([pgError('ECONNREFUSED')], 'connect'))).toBe('unavailable');
  });

  it('calls disk full and out of memory "resources"', () => {
    expect(classifyDbError(pgError('53100', 'could not extend file: No space left on device'))).toBe('resources');
    expect(classifyDbError(pgError('53200'))).toBe('resources');
  });

  it('calls serialization failures and deadlocks "conflict"', () => {
    expect(classifyDbError(pgError('40001'))).toBe('conflict');
    expect(classifyDbError(pgError('40P01'))).toBe('conflict');
  });

  it('leaves permission denied, missing tables and plain errors to the caller ("other")', () => {
    expect(classifyDbError(pgError('42501', 'permission denied for table t'))).toBe('other');
    expect(classifyDbError(pgError('42P01'))).toBe('other');
    expect(classifyDbError(new Error('boom'))).toBe('other');
    expect(classifyDbError('a string')).toBe('other');
  });
});
