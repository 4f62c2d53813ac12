/** Container entry point: the compactor (`copyfleet compactor`). */
import { loadConfig } from '@copyfleet/config';
import { serve } from '@copyfleet/run';

await serve(loadConfig(), 'compactor');
