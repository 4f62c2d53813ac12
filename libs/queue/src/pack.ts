/**
 * Small chunks go to the workers in packs. A job costs a fixed ~10 ms whatever its size (a
 * queue round trip, the ledger's attempt, lock and settle statements, a commit): next to a
 * 64 MiB chunk that is nothing, next to a 1 MiB file it is a third of the work. So the
 * chunks of small files are packed, in planning order, into jobs of about `packBytes`
 * (loaded in one transaction: loader's loadPack), and a batch's packs are made about
 * equal so that the workers finish them together. A chunk over half of `packBytes` goes
 * alone, and a pack holds consecutive chunk numbers only (its id names the range).
 */
import type { ChunkJob } from './names.js';

export interface PackOptions {
  /** A pack's size in bytes, at most. */
  packBytes: number;
  /** Chunks in a pack, at most. */
  maxChunks: number;
}

export function packChunkJobs(jobs: ChunkJob[], opts: PackOptions): ChunkJob[] {
  const small = (j: ChunkJob): boolean => j.end - j.start <= opts.packBytes / 2;
  const out: ChunkJob[] = [];
  let i = 0;
  while (i < jobs.length) {
    if (!small(jobs[i]!)) {
      out.push(jobs[i++]!);
      continue;
    }
    // A run of consecutive small chunks, cut into packs of about equal size.
    let j = i;
    let bytes = 0;
    while (j < jobs.length && small(jobs[j]!) && (j === i || jobs[j]!.chunkNo === jobs[j - 1]!.chunkNo + 1)) {
      bytes += jobs[j]!.end - jobs[j]!.start;
      j++;
    }
    const packs = Math.max(Math.ceil(bytes / opts.packBytes), Math.ceil((j - i) / opts.maxChunks));
    // Each chunk goes to the pack its middle byte falls in, when the run is cut in `packs` equal parts.
    const target = bytes / packs || 1;
    let before = 0;
    let members: ChunkJob[] = [];
    let current = 0;
    for (; i < j; i++) {
      const size = jobs[i]!.end - jobs[i]!.start;
      const part = Math.min(packs - 1, Math.floor((before + size / 2) / target));
      if (members.length > 0 && (part !== current || members.length >= opts.maxChunks)) {
        out.push(packOf(members));
        members = [];
      }
      current = part;
      members.push(jobs[i]!);
      before += size;
    }
    out.push(packOf(members));
  }
  return out;
}

/** A pack of the members; one member is a plain chunk job. */
function packOf(members: ChunkJob[]): ChunkJob {
  const first = members[0]!;
  if (members.length === 1) return first;
  return {
    ...first,
    pack: members.map((m) => ({ ...(m.fileNo === undefined ? {} : { fileNo: m.fileNo }), chunkNo: m.chunkNo, start: m.start, end: m.end })),
  };
}

/** The chunks a job holds: its pack, or itself. */
export function chunksOf(job: ChunkJob): ChunkJob[] {
  return job.pack ? job.pack.map((c) => ({ runId: job.runId, traceParent: job.traceParent ?? null, ...c })) : [job];
}
