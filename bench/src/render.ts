/**
 * Write the Markdown report again from a results file, e.g. after changing report.ts:
 * node bench/dist/render.js [bench/results/latest.json] [BENCHMARKS.md]
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { composeMarkdown } from './many-files-report.js';
import type { Results } from './report.js';

const [from = 'bench/results/latest.json', to = 'BENCHMARKS.md'] = process.argv.slice(2);
// The section the results do not hold stays as it is in `to` (see composeMarkdown).
writeFileSync(to, composeMarkdown(existsSync(to) ? readFileSync(to, 'utf8') : null, JSON.parse(readFileSync(from, 'utf8')) as Results));
process.stdout.write(`bench: ${to} written from ${from}\n`);
