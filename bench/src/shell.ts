/**
 * Running a system's command as a user would type it: `bash -o pipefail -c CMD` from the
 * repo root, with DATABASE_URL in the environment (commands say "$DATABASE_URL", so the
 * printed command is the one that ran and holds no password). Output goes to a log file;
 * a failure throws with the log's tail.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface ShellOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** stdout and stderr of the command are appended here. */
  log: string;
}

/** Runs `cmd`; resolves with its stdout when it exits 0, rejects otherwise. */
export function sh(cmd: string, opts: ShellOptions): Promise<string> {
  mkdirSync(dirname(opts.log), { recursive: true });
  appendFileSync(opts.log, `$ ${cmd}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-o', 'pipefail', '-c', cmd], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      appendFileSync(opts.log, d);
    });
    child.stderr.on('data', (d: Buffer) => appendFileSync(opts.log, d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) return resolve(stdout);
      const tail = readFileSync(opts.log, 'utf8').split('\n').slice(-25).join('\n');
      reject(new Error(`command failed (${signal ?? `exit ${code}`}): ${cmd}\n--- ${opts.log} (tail) ---\n${tail}`));
    });
  });
}

/** Runs the commands at the same time; all must succeed. */
export async function shAll(cmds: string[], opts: ShellOptions): Promise<string[]> {
  return Promise.all(cmds.map((c) => sh(c, opts)));
}

export function resetLog(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, '');
}

/** A psql meta-command such as `\copy t from 'f' with (…)` as one bash word: in double quotes when that is safe (easier to read). */
export const shMeta = (s: string): string => (/[$`"\\!]/.test(s.replace(/^\\/, '')) ? shq(s) : `"${s}"`);

/** Single-quote for bash. */
export const shq = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);
