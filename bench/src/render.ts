/**
 * Write the Markdown report again from a results file, e.g. after changing report.ts:
 * node bench/dist/render.js [bench/results/latest.json] [BENCHMARKS.md]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { markdown, type Results } from './report.js';

const [from = 'bench/results/latest.json', to = 'BENCHMARKS.md'] = process.argv.slice(2);
writeFileSync(to, markdown(JSON.parse(readFileSync(from, 'utf8')) as Results));
process.stdout.write(`bench: ${to} written from ${from}\n`);
