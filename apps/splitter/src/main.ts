/**
 * Container entry point: plan one file and queue its chunks, then watch the run to
 * the end (the same as `copyfleet split FILE --wait`). Arguments: FILE [TABLE].
 */
import { loadConfig } from '@copyfleet/config';
import { split } from '@copyfleet/run';

const [file, table] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: splitter FILE [TABLE]\n');
  process.exit(2);
}
process.exitCode = await split(loadConfig(), { file, ...(table ? { table } : {}) }, { wait: true });
