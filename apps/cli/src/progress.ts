/**
 * The progress line of `copyfleet load`: bytes, rows/s, rejects and ETA, redrawn in
 * place on a terminal and printed every few seconds otherwise (CI logs).
 */
import { formatBytes } from '@copyfleet/config';
import type { RunProgress, RunRow } from '@copyfleet/db';

export class ProgressLine {
  private readonly tty = process.stderr.isTTY === true;
  private lastPrint = 0;
  private shown = false;

  constructor(private readonly startedAt: number) {}

  update(run: RunRow, p: RunProgress): void {
    const now = Date.now();
    if (!this.tty && now - this.lastPrint < 5000) return;
    this.lastPrint = now;
    const secs = (now - this.startedAt) / 1000;
    const frac = p.bytesTotal > 0 ? p.bytesDone / p.bytesTotal : 0;
    const width = 24;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    const rate = secs > 0 ? p.rowsLoaded / secs : 0;
    const eta = frac > 0 && frac < 1 ? `${Math.round((secs / frac) * (1 - frac))}s` : '-';
    const text =
      `[${bar}] ${(frac * 100).toFixed(0).padStart(3)}% ${formatBytes(p.bytesDone)}/${formatBytes(p.bytesTotal)} ` +
      (p.filesTotal > 1 ? `files ${p.filesDone}/${p.filesTotal}${p.filesFailed ? ` (${p.filesFailed} failed)` : ''} ` : '') +
      `chunks ${p.chunksDone}/${p.chunksTotal} rows ${p.rowsLoaded} (${Math.round(rate)}/s) rejects ${p.rowsRejected} ` +
      `ETA ${eta} ${run.status}`;
    if (this.tty) {
      process.stderr.write(`\r\x1b[2K${text}`);
      this.shown = true;
    } else process.stderr.write(`${text}\n`);
  }

  /** Print a line above the progress line. */
  print(line: string): void {
    if (this.tty && this.shown) process.stderr.write('\r\x1b[2K');
    process.stderr.write(`${line}\n`);
  }

  done(): void {
    if (this.tty && this.shown) process.stderr.write('\n');
  }
}
