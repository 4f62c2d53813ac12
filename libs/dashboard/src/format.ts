/** Numbers for people: 1.2 GiB, 3.4 M rows, 1 m 12 s, 12.3 MB/s. */
import { formatBytes } from '@copyfleet/config';

export { formatBytes };

/** 2980, 12 k, 3.4 M, 1.2 G (exact below ten thousand). */
export function formatCount(n: number): string {
  const abs = Math.abs(n);
  if (abs < 10_000) return String(Math.round(n));
  const [div, unit] = abs < 1e6 ? [1e3, 'k'] : abs < 1e9 ? [1e6, 'M'] : [1e9, 'G'];
  const v = n / div;
  return `${Math.abs(v) < 10 ? v.toFixed(1) : Math.round(v)} ${unit}`;
}

/** 850 ms, 4.2 s, 42 s, 1 m 12 s, 3 h 04 m, 2 d 5 h. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '–';
  if (seconds < 1) return `${Math.round(seconds * 1000)} ms`;
  if (seconds < 10) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} m ${s % 60} s`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} m`;
  return `${Math.floor(s / 86400)} d ${Math.floor((s % 86400) / 3600)} h`;
}

/** Decimal megabytes per second, as the CLI prints throughput (2.6 MB/s). */
export function formatRate(bytesPerSecond: number): string {
  const mb = bytesPerSecond / 1e6;
  return `${mb < 10 ? mb.toFixed(1) : Math.round(mb)} MB/s`;
}

/** 2026-12-01 13:21:46 UTC */
export function formatTime(d: Date | string | null): string {
  if (!d) return '–';
  return `${new Date(d).toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** Whole percent, never 100 before the last byte is in. */
export function percent(done: number, total: number): number {
  return total > 0 ? Math.floor((100 * done) / total) : 0;
}
