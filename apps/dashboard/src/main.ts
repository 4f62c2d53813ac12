/** Container entry point: the dashboard (`copyfleet dashboard`). */
import { loadConfig } from '@copyfleet/config';
import { serveDashboard } from '@copyfleet/dashboard';

await serveDashboard(loadConfig());
