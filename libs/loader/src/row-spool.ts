/**
 * A chunk's encoded rows, held in large Buffer blocks (not one string per row) so
 * memory stays near the COPY text size and a range of rows can be replayed for
 * isolating bad rows. Per row it keeps where its bytes are and where the record
 * was in the source (byte offset and line) for reject rows.
 */
import type { RowBatch } from '@copyfleet/db';
import type { RowWriter } from '@copyfleet/schema';

const BLOCK_BYTES = 4 * 1024 * 1024;

export class RowSpool implements RowBatch, RowWriter {
  private readonly blocks: Buffer[] = [];
  private cur: Buffer = Buffer.allocUnsafe(0);
  private pos = 0;
  private n = 0;
  private block = new Int32Array(1024);
  private start = new Int32Array(1024);
  private end = new Int32Array(1024);
  private srcOffset = new Float64Array(1024);
  private srcLine = new Float64Array(1024);
  private bytesTotal = 0;

  get count(): number {
    return this.n;
  }

  /** Bytes of COPY text held. */
  get size(): number {
    return this.bytesTotal;
  }

  /** Add one row of COPY text (without its newline). */
  append(line: string, offset: number, lineNo: number): void {
    // Worst case 3 bytes per UTF-16 unit; measure exactly only when that might not fit.
    if (this.pos + line.length * 3 + 1 > this.cur.length) {
      const need = Buffer.byteLength(line) + 1;
      if (this.pos + need > this.cur.length) this.newBlock(need);
    }
    if (this.n === this.block.length) this.grow();
    const s = this.pos;
    this.pos += this.cur.write(line, s);
    this.cur[this.pos++] = 0x0a;
    const i = this.n++;
    this.block[i] = this.blocks.length - 1;
    this.start[i] = s;
    this.end[i] = this.pos;
    this.srcOffset[i] = offset;
    this.srcLine[i] = lineNo;
    this.bytesTotal += this.pos - s;
  }

  // RowWriter: a row written piece by piece, straight from source bytes.
  private rowStart = 0;

  begin(maxBytes: number): void {
    if (this.pos + maxBytes + 1 > this.cur.length) this.newBlock(maxBytes + 1);
    this.rowStart = this.pos;
  }

  bytes(buf: Buffer, start: number, end: number): void {
    // Most values are short: a JS loop beats the native call overhead of Buffer.copy.
    if (end - start < 48) {
      const cur = this.cur;
      let p = this.pos;
      for (let i = start; i < end; i++) cur[p++] = buf[i]!;
      this.pos = p;
    } else this.pos += buf.copy(this.cur, this.pos, start, end);
  }

  text(s: string): void {
    this.pos += this.cur.write(s, this.pos);
  }

  byte(b: number): void {
    this.cur[this.pos++] = b;
  }

  commit(offset: number, lineNo: number): void {
    this.cur[this.pos++] = 0x0a;
    if (this.n === this.block.length) this.grow();
    const i = this.n++;
    this.block[i] = this.blocks.length - 1;
    this.start[i] = this.rowStart;
    this.end[i] = this.pos;
    this.srcOffset[i] = offset;
    this.srcLine[i] = lineNo;
    this.bytesTotal += this.pos - this.rowStart;
  }

  abort(): void {
    this.pos = this.rowStart;
  }

  offsetOf(i: number): number {
    return this.srcOffset[i]!;
  }

  lineOf(i: number): number {
    return this.srcLine[i]!;
  }

  /** The row's COPY text, without its newline. */
  rowText(i: number): Buffer {
    return this.blocks[this.block[i]!]!.subarray(this.start[i]!, this.end[i]! - 1);
  }

  *buffers(a: number, b: number): Iterable<Buffer> {
    let i = a;
    while (i < b) {
      const blk = this.block[i]!;
      let j = i;
      while (j + 1 < b && this.block[j + 1] === blk) j++;
      yield this.blocks[blk]!.subarray(this.start[i]!, this.end[j]!);
      i = j + 1;
    }
  }

  private newBlock(need: number): void {
    if (this.blocks.length > 0) this.blocks[this.blocks.length - 1] = this.cur.subarray(0, this.pos);
    this.cur = Buffer.allocUnsafe(Math.max(BLOCK_BYTES, need));
    this.blocks.push(this.cur);
    this.pos = 0;
  }

  private grow(): void {
    const size = this.block.length * 2;
    const g32 = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => {
      const b = new Int32Array(size);
      b.set(a);
      return b;
    };
    const g64 = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => {
      const b = new Float64Array(size);
      b.set(a);
      return b;
    };
    this.block = g32(this.block);
    this.start = g32(this.start);
    this.end = g32(this.end);
    this.srcOffset = g64(this.srcOffset);
    this.srcLine = g64(this.srcLine);
  }
}
