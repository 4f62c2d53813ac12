/**
 * What a failure says about PostgreSQL, so callers can decide how to retry:
 *
 *   unavailable  the server cannot be reached, is shutting down or starting up, or has
 *                no connection slot for us: 08xxx, 57P01–57P03, 53300, and the socket
 *                errors node-postgres reports. Nothing is wrong with the work; wait until
 *                the server answers and do it again.
 *   resources    the server is out of something: 53100 disk full, 53200 out of memory,
 *                53400 configuration limit. Retry with backoff; someone may have to act.
 *   conflict     40001 serialization failure, 40P01 deadlock: retry.
 *   other        anything else — permission denied (42501), a missing table, a bug.
 *
 * Bad rows (22xxx, 23xxx …) are not failures of the work: copy.ts turns them into rejects.
 */
export type DbFailure = 'unavailable' | 'resources' | 'conflict' | 'other';

const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '53300']);
const SOCKET_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN']);
/** node-postgres reports a lost or refused connection with these messages and no code. */
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'connection error and is not queryable',
  'timeout exceeded when trying to connect',
  'Client was closed and is not queryable',
];

export function classifyDbError(err: unknown): DbFailure {
  if (err instanceof AggregateError && err.errors.some((e) => classifyDbError(e) === 'unavailable')) return 'unavailable';
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (code.startsWith('08') || UNAVAILABLE_CODES.has(code) || SOCKET_CODES.has(code)) return 'unavailable';
    if (code.startsWith('53')) return 'resources';
    if (code === '40001' || code === '40P01') return 'conflict';
  }
  const message = (err as { message?: unknown }).message;
  if (typeof message === 'string' && CONNECTION_MESSAGES.some((m) => message.includes(m))) return 'unavailable';
  return 'other';
}

/** The SQLSTATE (or socket error code) of an error, for logs and the ledger. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** An error as it goes into logs and the ledger: its message and, when it has one, its SQLSTATE. */
export function describeError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const code = errorCode(err);
  return code && !message.includes(code) ? `${message} [${code}]` : message;
}
