/**
 * Holds the bytes of records that cross the edge of a read. A reader parses the
 * incoming Buffer in place when nothing is pending (the common case, zero copies)
 * and only appends to this growable buffer when a record is cut in two. Capacity
 * doubles (amortised O(n) copying, as pg-protocol's mergeBuffer does), so even a
 * single 100 MB record costs linear time.
 */
export class Accumulator {
  private buf: Buffer = Buffer.alloc(0);
  private len = 0;

  get length(): number {
    return this.len;
  }

  append(chunk: Buffer): void {
    const need = this.len + chunk.length;
    if (need > this.buf.length) {
      const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2, 64 * 1024));
      this.buf.copy(next, 0, 0, this.len);
      this.buf = next;
    }
    chunk.copy(this.buf, this.len);
    this.len = need;
  }

  /** The pending bytes as a view (valid until the next append/keepFrom). */
  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  /** Drop everything before `from`, keeping the tail at the front. */
  keepFrom(from: number): void {
    if (from >= this.len) {
      this.len = 0;
      if (this.buf.length > 4 * 1024 * 1024) this.buf = Buffer.alloc(0);
      return;
    }
    this.buf.copy(this.buf, 0, from, this.len);
    this.len -= from;
  }

  clear(): void {
    this.keepFrom(this.len);
  }
}
