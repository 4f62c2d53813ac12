// How small chunks are packed into jobs: consecutive small chunks only, packs of about equal
// size up to packBytes, big chunks alone, and every chunk in exactly one job.
import { describe, expect, it } from 'vitest';
import { chunksOfJobId, packJobId, type ChunkJob } from './names.js';
import { chunksOf, packChunkJobs } from './pack.js';

const MiB = 1024 * 1024;
/** Chunks of the given sizes, numbered from `from`, one file each. */
function chunks(sizes: number[], from = 0): ChunkJob[] {
  let at = 0;
  return sizes.map((size, i) => {
    const job = { runId: '7', fileNo: i, chunkNo: from + i, start: at, end: at + size, traceParent: null };
    at += size;
    return job;
  });
}
const members = (jobs: ChunkJob[]) => jobs.map((j) => chunksOf(j).map((c) => c.chunkNo));

describe('packChunkJobs', () => {
  it('packs 40 files of 1 MiB into three packs of about equal size, every chunk once', () => {
    const jobs = packChunkJobs(chunks(Array(40).fill(MiB)), { packBytes: 16 * MiB, maxChunks: 1000 });
    expect(jobs.map((j) => j.pack?.length)).toEqual([13, 14, 13]);
    expect(members(jobs).flat()).toEqual([...Array(40).keys()]);
    // The job's own fields are its first chunk's; a pack's members keep their files and ranges.
    expect(jobs[1]).toMatchObject({ runId: '7', chunkNo: 13, fileNo: 13, start: 13 * MiB, end: 14 * MiB });
    expect(jobs[1]!.pack![13]).toEqual({ fileNo: 26, chunkNo: 26, start: 26 * MiB, end: 27 * MiB });
  });

  it('leaves chunks over half a pack alone, and never packs across them', () => {
    const jobs = packChunkJobs(chunks([MiB, MiB, 64 * MiB, MiB, 9 * MiB, MiB]), { packBytes: 16 * MiB, maxChunks: 1000 });
    expect(members(jobs)).toEqual([[0, 1], [2], [3], [4], [5]]);
    expect(jobs[1]!.pack).toBeUndefined();
    expect(jobs[2]!.pack).toBeUndefined(); // a pack of one is a plain chunk job
  });

  it('packs consecutive chunk numbers only (a pack id names a range)', () => {
    const jobs = packChunkJobs([...chunks([MiB, MiB], 0), ...chunks([MiB, MiB], 5)], { packBytes: 16 * MiB, maxChunks: 1000 });
    expect(members(jobs)).toEqual([[0, 1], [5, 6]]);
  });

  it('holds at most maxChunks chunks a pack, and packs nothing when packBytes is 0', () => {
    expect(packChunkJobs(chunks(Array(10).fill(100)), { packBytes: 16 * MiB, maxChunks: 4 }).map((j) => j.pack?.length)).toEqual([3, 4, 3]);
    expect(packChunkJobs(chunks(Array(3).fill(100)), { packBytes: 0, maxChunks: 1000 }).every((j) => j.pack === undefined)).toBe(true);
  });
});

describe('job ids', () => {
  it("name a chunk or a pack's range, and are read back", () => {
    const prefix = 'run-7-chunk-';
    expect(chunksOfJobId('run-7-chunk-12', prefix)).toEqual({ first: 12, last: 12 });
    expect(chunksOfJobId(packJobId('7', 10, 41), prefix)).toEqual({ first: 10, last: 41 });
    expect(chunksOfJobId('run-71-chunk-3', prefix)).toBeNull();
    expect(chunksOfJobId('run-7-chunk-x', prefix)).toBeNull();
  });
});
