/**
 * A chunk's encoded rows, held in large Buffer blocks (not one string per row) so
 * memory stays near the COPY text size and a range of rows can be replayed for
 * isolating bad rows. Per row it keeps where its bytes are and where the record
 * was in the source (byte offset and line) for reject rows.
 *
 * With a transcoder the spool holds binary COPY tuples instead (COPY_FORMAT=binary): each
 * row is written as COPY text into a scratch buffer, as always, and transcoded from there
 * into the block. A row the transcoder cannot write makes the whole spool `textOnly` (it
 * keeps no more rows): the loader then reads the chunk again as text.
 */
import type { RowBatch } from '@copyfleet/db';
import type { CopyBinaryTranscoder, RowWriter } from '@copyfleet/schema';

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
  /** Binary mode: the row being written as text, and the block position it goes to. */
  private scratch: Buffer = Buffer.allocUnsafe(0);
  private blockBuf: Buffer = this.cur;
  private blockPos = 0;
  /** Why the rows cannot go to COPY in binary (the first row the transcoder refused); null while they can. */
  textOnly: string | null = null;

  constructor(private readonly transcoder: CopyBinaryTranscoder | null = null) {}

  /** Whether the rows are binary COPY tuples (COPY … (FORMAT binary), with its header and trailer). */
  get binary(): boolean {
    return this.transcoder !== null;
  }

  get count(): number {
    return this.n;
  }

  /** Bytes of COPY text held. */
  get size(): number {
    return this.bytesTotal;
  }

  /** Add one row of COPY text (without its newline). */
  append(line: string, offset: number, lineNo: number): void {
    if (this.transcoder !== null) {
      this.begin(line.length * 3);
      this.text(line);
      return this.commit(offset, lineNo);
    }
    // Worst case 3 bytes per UTF-16 unit; measure exactly only when that might not fit.
    if (this.pos + line.length * 3 + 1 > this.cur.length) {
      const need = Buffer.byteLength(line) + 1;
      if (this.pos + need > this.cur.length) this.newBlock(need);
    }
    const s = this.pos;
    this.pos += this.cur.write(line, s);
    this.cur[this.pos++] = 0x0a;
    this.record(s, this.pos, offset, lineNo);
  }

  /** Index the row at [s, e) of the current block, with where its record was in the source. */
  private record(s: number, e: number, offset: number, lineNo: number): void {
    if (this.n === this.block.length) this.grow();
    const i = this.n++;
    this.block[i] = this.blocks.length - 1;
    this.start[i] = s;
    this.end[i] = e;
    this.srcOffset[i] = offset;
    this.srcLine[i] = lineNo;
    this.bytesTotal += e - s;
  }

  // RowWriter: a row written piece by piece, straight from source bytes.
  private rowStart = 0;

  begin(maxBytes: number): void {
    if (this.transcoder !== null) {
      // The text goes to the scratch buffer; commit transcodes it into the block.
      if (this.scratch.length < maxBytes + 1) this.scratch = Buffer.allocUnsafe(Math.max(2 * this.scratch.length, maxBytes + 1, 64 * 1024));
      this.blockBuf = this.cur;
      this.blockPos = this.pos;
      this.cur = this.scratch;
      this.pos = 0;
      this.rowStart = 0;
      return;
    }
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
    if (this.transcoder !== null) return this.commitBinary(offset, lineNo);
    this.cur[this.pos++] = 0x0a;
    this.record(this.rowStart, this.pos, offset, lineNo);
  }

  abort(): void {
    if (this.transcoder !== null) {
      this.cur = this.blockBuf;
      this.pos = this.blockPos;
      return;
    }
    this.pos = this.rowStart;
  }

  /** The text row in the scratch buffer, as a binary tuple in the block. */
  private commitBinary(offset: number, lineNo: number): void {
    const t = this.transcoder!;
    const textEnd = this.pos;
    this.cur = this.blockBuf;
    this.pos = this.blockPos;
    if (this.textOnly !== null) return;
    const max = t.maxBytes(textEnd);
    if (this.pos + max > this.cur.length) this.newBlock(max);
    const s = this.pos;
    const e = t.transcode(this.scratch, 0, textEnd, this.cur, s);
    if (e < 0) {
      this.textOnly = `line ${lineNo}: ${t.reason}`;
      return;
    }
    this.pos = e;
    this.record(s, e, offset, lineNo);
  }

  offsetOf(i: number): number {
    return this.srcOffset[i]!;
  }

  lineOf(i: number): number {
    return this.srcLine[i]!;
  }

  /** The row's COPY text, without its newline. */
  rowText(i: number): Buffer {
    if (this.transcoder !== null) throw new Error('a binary spool has no COPY text: read the chunk as text to isolate rows');
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
