export { rng, pick } from './random.js';
export { writeTripsCsv, writeChatJsonl, type Totals, type CsvOptions, type JsonlOptions } from './generate.js';
export { testServices, uniqueName, REPO_ROOT } from './env.js';
export { runCli, startCli, CLI, type CliResult } from './cli.js';
export { writeTripsCsvSized, writeChatJsonlSized, type SizedOptions, type SizedCsvOptions, type SizedTotals } from './fast-generate.js';
export { fieldTable } from './tables.js';
