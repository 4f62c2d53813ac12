import type { FileTotals } from './output.js';

export interface ScenarioOptions {
  /** Total bytes of all the scenario's files: each ends with the last whole record that fits. */
  bytes: number;
  seed: number;
  /** Folder the files are written into (created). */
  dir: string;
}

/** What was written: manifest.json beside the files. Tests check loads and reports against it. */
export interface Manifest {
  scenario: string;
  seed: number;
  bytesLimit: number;
  bytes: number;
  files: FileTotals[];
  /** Scenario-specific totals (sums a report must reproduce). */
  totals: Record<string, unknown>;
}

export type Scenario = (opts: ScenarioOptions) => Promise<Omit<Manifest, 'scenario' | 'seed' | 'bytesLimit' | 'bytes'>>;
