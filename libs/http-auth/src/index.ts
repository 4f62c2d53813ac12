export {
  Auth, authMiddleware, changesState, checkAuthSettings, crossSiteReason, DashboardConfigError, LOOPBACK, SESSION_COOKIE, wantsHtml,
  type AuthSettings, type DashboardRole,
} from './auth.js';
