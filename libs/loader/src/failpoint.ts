/**
 * Failpoints for fault-injection tests: COPYFLEET_FAILPOINTS="before-commit=2000"
 * makes a worker pause 2 s at that point, so a test can kill it there
 * deterministically. Unset (always, in production) it costs one Map lookup per chunk.
 */
export type FailpointName = 'before-commit' | 'after-commit';

const points = new Map<string, number>(
  (process.env.COPYFLEET_FAILPOINTS ?? '')
    .split(',')
    .map((s) => s.trim().split('='))
    .filter(([name, ms]) => name && ms && Number.isFinite(Number(ms)))
    .map(([name, ms]) => [name!, Number(ms)]),
);

export async function failpoint(name: FailpointName): Promise<void> {
  const ms = points.get(name);
  if (ms !== undefined) await new Promise((r) => setTimeout(r, ms));
}
