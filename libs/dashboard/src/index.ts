export { createApp, startDashboard, type Dashboard, type DashboardOptions } from './server.js';
export { serveDashboard } from './main.js';
export { Auth, checkAuthSettings, DashboardConfigError, type DashboardRole, type AuthSettings } from '@copyfleet/http-auth';
export { formatCount, formatDuration, formatRate } from './format.js';
