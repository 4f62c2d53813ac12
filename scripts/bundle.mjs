// The copyfleet command as one bundle: apps/cli/dist/bundle/copyfleet.js, from tsc's output
// (run after `tsc -b`; `make build` and scripts/setup.sh do both).
//
// Why: a Node process spends ~0.3 s of CPU resolving, reading and compiling the ~600 module
// files the load path imports (bullmq alone is ~170 ms); one file cuts that in half, for the
// command and for every worker process it starts. A 2 KiB load end to end: 0.67 -> ~0.5 s.
//
// What stays outside (imported from node_modules at run time):
//   - pg: OpenTelemetry's instrumentation patches it when it is imported (the telemetry
//     preload's hook); a bundled copy would be invisible to it;
//   - @copyfleet/telemetry: the preload starts the SDK in that module; the command must see
//     the same module (currentTelemetry, its shutdown) and not a copy;
//   - what only some commands load lazily and that resolves files beside itself at run time:
//     the dashboard's Express and bull-board, @kubernetes/client-node, the AWS SDK,
//     apache-arrow — bundling them gains no start-up and risks their file lookups.
// Our own files that locate things by import.meta.url (libs/db's migrations, the dashboard's
// static files) get their original location, relative to the bundle, so the bundle works
// wherever the repository (or the image's /app) is.
import { readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = join(root, 'apps/cli/dist/bundle');

const external = [
  'pg', 'pg-native', '@copyfleet/telemetry', '@opentelemetry/*',
  'express', '@bull-board/*', '@kubernetes/client-node', '@aws-sdk/*', '@smithy/*', 'apache-arrow',
];

/** import.meta.url in our libs' output means the file's own place, not the bundle's. */
const ownLocation = {
  name: 'own-location',
  setup(b) {
    b.onLoad({ filter: /[\\/]libs[\\/][^\\/]+[\\/]dist[\\/].+\.js$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const rel = relative(outdir, args.path).split('\\').join('/');
      return { contents: text.replaceAll('import.meta.url', `new URL(${JSON.stringify(rel)}, import.meta.url).href`), loader: 'js' };
    });
  },
};

await build({
  entryPoints: { copyfleet: join(root, 'apps/cli/dist/main.js') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external,
  plugins: [ownLocation],
  // CommonJS dependencies call require() and read __dirname; ES modules have neither.
  banner: {
    js: [
      "import { createRequire as __cfRequire } from 'node:module';",
      "import { fileURLToPath as __cfPath } from 'node:url';",
      'const require = __cfRequire(import.meta.url);',
      'const __filename = __cfPath(import.meta.url);',
      "const __dirname = __filename.slice(0, __filename.lastIndexOf('/'));",
    ].join(' '),
  },
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});
