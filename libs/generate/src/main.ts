#!/usr/bin/env node
// copyfleet-generate NAME BYTES [SEED] [OUT]: an example's data at any size (make example-data).
import { parseSize } from '@copyfleet/config';
import { generateExample } from './index.js';

async function main(): Promise<void> {
  const [name, size, seedText, outDir] = process.argv.slice(2);
  if (!name || !size) {
    console.error('usage: make example-data NAME=<example> BYTES=10GiB [SEED=1] [OUT=dir]');
    process.exit(2);
  }
  const seed = seedText ? Number(seedText) : 1;
  if (!Number.isInteger(seed)) throw new Error(`SEED=${seedText}: write an integer`);
  const dir = outDir || `.data/examples/${name}`;
  const t0 = performance.now();
  const m = await generateExample(name, { bytes: parseSize(size), seed, dir });
  const s = (performance.now() - t0) / 1000;
  for (const f of m.files) console.log(`${dir}/${f.path}: ${f.records} records, ${f.bytes} bytes`);
  console.log(`${name}: ${m.bytes} bytes in ${s.toFixed(1)} s (${(m.bytes / 1e6 / s).toFixed(0)} MB/s), seed ${seed}; totals in ${dir}/manifest.json`);
}

main().catch((err: Error) => { console.error(`copyfleet-generate: ${err.message}`); process.exit(1); });
