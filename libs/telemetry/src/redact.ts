/**
 * What may leave the process in a span, span event, metric or log line: ids, counts,
 * SQLSTATEs and error messages with secrets and row values taken out. Never row data,
 * passwords in connection strings, S3 credentials, tokens in webhook URLs.
 *
 *   redactText       masks URL passwords (scheme://user:***@host), `password=…`,
 *                    AWS access keys (AKIA…/ASIA…) and long secret-looking tokens after
 *                    `secret`/`token`/`key`=.
 *   redactError      an Error reduced to what a trace may show: its class name, the
 *                    SQLSTATE when PostgreSQL sent one, and a redacted message — a
 *                    PostgreSQL message quoting a value ("invalid input syntax for type
 *                    bigint: "4111…"") keeps the words, not the value; `detail`, `where`
 *                    and the stack's message line are dropped (they repeat the row).
 */

// Up to the last @ of the URL: a password may itself hold @ or :.
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]*):\S*@/gi;
const PASSWORD_PAIR = /\b(password|passwd|pwd)\s*[=:]\s*("[^"]*"|'[^']*'|[^\s&;,]+)/gi;
const AWS_KEY_ID = /\b(AKIA|ASIA)[A-Z0-9]{16}\b/g;
const SECRET_PAIR = /\b([a-z_]*(?:secret|token|api[_-]?key|access[_-]?key)[a-z_]*)\s*[=:]\s*("[^"]*"|'[^']*'|[^\s&;,]+)/gi;

export function redactText(text: string): string {
  return text
    .replace(URL_PASSWORD, '$1:***@')
    .replace(PASSWORD_PAIR, '$1=***')
    .replace(SECRET_PAIR, '$1=***')
    .replace(AWS_KEY_ID, '$1****************');
}

/** A URL as it may be shown: query string (tokens live there) cut; the path too unless keepPath (then the password masked). */
export function redactUrl(url: string, opts: { keepPath?: boolean } = {}): string {
  try {
    const u = new URL(url);
    // Without the path: scheme and host only (user names of webhook URLs can be tokens too).
    if (!opts.keepPath) return `${u.protocol}//${u.host}${u.pathname.length > 1 ? '/…' : '/'}`;
    if (u.password) u.password = '***';
    u.search = '';
    u.hash = '';
    return u.toString();
  } catch {
    return redactText(url);
  }
}

export interface RedactedError {
  name: string;
  message: string;
  /** PostgreSQL's SQLSTATE, when the error came from the server. */
  code?: string;
  /** The stack without its first line (which repeats the message). */
  stack?: string;
}

const SQLSTATE = /^[0-9A-Z]{5}$/;

export function redactError(err: unknown): RedactedError {
  if (!(err instanceof Error)) return { name: 'Error', message: redactText(typeof err === 'string' ? err : 'non-Error thrown') };
  const code = (err as { code?: unknown }).code;
  const pgCode = typeof code === 'string' && SQLSTATE.test(code) ? code : undefined;
  // PostgreSQL quotes the offending value after a colon: keep the words before it.
  const message = pgCode ? redactText(err.message.replace(/:\s*".*$/s, ': "…"')) : redactText(err.message);
  const frames = err.stack?.split('\n').filter((l) => /^\s+at /.test(l)).join('\n');
  return { name: err.name, message, ...(pgCode ? { code: pgCode } : {}), ...(frames ? { stack: frames } : {}) };
}
