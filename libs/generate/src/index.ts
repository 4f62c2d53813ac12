// Public API of @copyfleet/generate: the example generators, each scaling a real sample's shape.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { books } from './scenarios/books.js';
import { chat } from './scenarios/chat.js';
import { mobility } from './scenarios/mobility.js';
import { sales } from './scenarios/sales.js';
import { trips } from './scenarios/trips.js';
import type { Manifest, Scenario, ScenarioOptions } from './scenario.js';

export type { Manifest, ScenarioOptions } from './scenario.js';
export { CITIES } from './scenarios/mobility.js';
export { NEGATIVE, POSITIVE, SENTIMENTS } from './scenarios/chat.js';

/** Example name (the folder under examples/) → its generator. */
export const SCENARIOS: Readonly<Record<string, Scenario>> = {
  'topical-chat': chat, openlibrary: books, trips, 'nike-sales': sales, mobility,
};

/** Generates `name`'s files into opts.dir and writes manifest.json beside them. */
export async function generateExample(name: string, opts: ScenarioOptions): Promise<Manifest> {
  const scenario = SCENARIOS[name];
  if (!scenario) throw new Error(`no generator for ${JSON.stringify(name)}: choose one of ${Object.keys(SCENARIOS).join(', ')}`);
  const { files, totals } = await scenario(opts);
  const manifest: Manifest = {
    scenario: name, seed: opts.seed, bytesLimit: opts.bytes, bytes: files.reduce((s, f) => s + f.bytes, 0), files, totals,
  };
  await writeFile(join(opts.dir, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}
