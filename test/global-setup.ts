// Once before the suite: the CLI the tests run is the bundle (scripts/bundle.mjs), built from
// tsc's output. After a `tsc -b` alone it would be stale, and the tests would prove old code:
// rebuild it when any compiled file is newer (~1 s).
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** The newest .js under `dir` (the bundle's own folder aside); 0 when there is none. */
function newest(dir: string): number {
  let latest = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) latest = e.name === 'bundle' ? latest : Math.max(latest, newest(p));
    else if (e.name.endsWith('.js')) latest = Math.max(latest, statSync(p).mtimeMs);
  }
  return latest;
}

export default function setup(): void {
  const bundle = join(root, 'apps/cli/dist/bundle/copyfleet.js');
  let built = 0;
  try {
    built = statSync(bundle).mtimeMs;
  } catch {
    // not built yet
  }
  const compiled = Math.max(newest(join(root, 'apps/cli/dist')), ...readdirSync(join(root, 'libs')).map((l) => newest(join(root, 'libs', l, 'dist'))));
  if (compiled > built) execFileSync(process.execPath, [join(root, 'scripts/bundle.mjs')], { stdio: 'inherit' });
}
