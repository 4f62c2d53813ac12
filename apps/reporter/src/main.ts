/** Container entry point: the reporter (`copyfleet reporter`). */
import { loadConfig } from '@copyfleet/config';
import { serve } from '@copyfleet/run';

await serve(loadConfig(), 'reporter');
