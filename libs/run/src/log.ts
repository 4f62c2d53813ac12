/**
 * One-line logs on stderr: `time level role message key=value…`. LOG_LEVEL picks
 * the threshold. Callers pass counts and ids, never connection strings or rows.
 */
const LEVELS = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LEVELS;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** `out` takes each line (without its newline): stderr, or the progress line of `copyfleet load` for the roles it hosts. */
export function createLogger(role: string, level: string = process.env.LOG_LEVEL ?? 'info', out: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Logger {
  const threshold = LEVELS[(level as LogLevel) in LEVELS ? (level as LogLevel) : 'info'];
  const write = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (LEVELS[lvl] < threshold) return;
    const extra = fields
      ? Object.entries(fields)
          .map(([k, v]) => `${k}=${typeof v === 'string' && /\s/.test(v) ? JSON.stringify(v) : String(v)}`)
          .join(' ')
      : '';
    out(`${new Date().toISOString()} ${lvl.padEnd(5)} ${role} ${msg}${extra ? ` ${extra}` : ''}`);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
  };
}

/**
 * A log function that says the same message at most once per `ms`, with how many it
 * held back: connection errors repeat on every reconnect attempt.
 */
export function throttled(write: Logger['warn'], ms: number): Logger['warn'] {
  const last = new Map<string, { at: number; held: number }>();
  return (msg, fields) => {
    const now = Date.now();
    const seen = last.get(msg);
    if (seen && now - seen.at < ms) {
      seen.held++;
      return;
    }
    write(msg, seen?.held ? { ...fields, repeated: seen.held } : fields);
    last.set(msg, { at: now, held: 0 });
  };
}
