// The quote-parity pass over a quoted field that never closes: with no field count (no
// stray-quote recovery) it must not keep the field's bytes — kept, every piece read made it
// copy the whole tail again, and a GiB took minutes (a hang, to the user).
import { Readable } from 'node:stream';
import type { Source } from '@copyfleet/source';
import { expect, it } from 'vitest';
import { resolveRecordEdges } from './boundaries.js';

/** `size` bytes: a header-less record opening a quote at byte 0, then plain text, streamed in `piece`-byte buffers. */
function unclosedQuote(size: number, piece: number): Source {
  const filler = Buffer.alloc(piece, 'a\n'.repeat(piece / 2));
  const at = (start: number, end: number): Buffer[] => {
    const out: Buffer[] = [];
    for (let pos = start; pos < end; pos += piece) {
      const b = Buffer.from(filler.subarray(0, Math.min(piece, end - pos)));
      if (pos === 0) b[0] = 0x22; // the quote that never closes
      out.push(b);
    }
    return out;
  };
  return {
    uri: 'mem:unclosed.csv',
    name: 'unclosed.csv',
    stat: async () => ({ size, version: '1' }),
    read: async (start, length) => Buffer.concat(at(start, Math.min(size, start + length))),
    stream: (start, end) => Readable.from(at(start, end)),
  };
}

it('reads a GiB-class quoted field in linear time: no edge inside it, nothing held', async () => {
  // 64 MiB in 4 KiB pieces: keeping the field's bytes would copy ~0.5 TB; linear is ~0.1 s.
  const size = 64 * 1024 * 1024;
  const { starts, stray } = await resolveRecordEdges(unclosedQuote(size, 4096), 0, size, 1024 * 1024, {
    delimiter: 0x2c, quote: 0x22, escape: 0x22, encoding: 'utf8',
  });
  expect(starts).toEqual([]); // every line break is inside the one quoted field
  expect(stray).toBe(0);
}, 20_000);
