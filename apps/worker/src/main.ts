/** Container entry point: one chunk worker (`copyfleet worker`). Scale by replicas. */
import { loadConfig } from '@copyfleet/config';
import { serve } from '@copyfleet/run';

await serve(loadConfig(), 'worker');
