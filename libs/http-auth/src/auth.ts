/**
 * Who may see and do what — the dashboard's rule, which the splitter service's API shares
 * (libs/splitter-service: one operator token, SPLITTER_TOKEN).
 *
 *   bound to 127.0.0.1/::1/localhost, no token set  → open: every request is an operator
 *                                                       (only this machine's users reach it)
 *   any other address, or a token set               → a credential is required:
 *       DASHBOARD_TOKEN           → viewer   (pages, JSON API, bull-board read-only)
 *       DASHBOARD_OPERATOR_TOKEN  → operator (also retry, resume, cancel, bull-board actions)
 *
 * A credential is `Authorization: Bearer TOKEN`, basic auth with the token as password
 * (what a browser's login prompt sends), or the session cookie POST /login sets
 * (HttpOnly, SameSite=Lax; its value is an HMAC of the role keyed by the token, never the
 * token). Off localhost the dashboard refuses to start without a token.
 *
 * State changes are POSTs, refused when cross-site (Sec-Fetch-Site other than
 * same-origin/none, or an Origin that is not this host: CVE-2022-51020 was Flower's
 * missing check) and refused for viewers.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

export type DashboardRole = 'viewer' | 'operator';

export interface AuthSettings {
  host: string;
  token: string;
  operatorToken: string;
  /** Who refuses to start open to a network, and what to set: the dashboard's words by default. */
  service?: { name: string; fix: string };
  /**
   * A header that may carry the token besides Authorization (lower case). For requests that
   * come through the Kubernetes API server's service proxy, which consumes Authorization.
   */
  tokenHeader?: string;
}

const DASHBOARD_SERVICE = {
  name: 'the dashboard',
  fix: 'set DASHBOARD_TOKEN (viewers) and DASHBOARD_OPERATOR_TOKEN (operators), or DASHBOARD_HOST=127.0.0.1',
};

export class DashboardConfigError extends Error {
  override readonly name = 'DashboardConfigError';
}

export const SESSION_COOKIE = 'copyfleet_session';

export const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Throws when the settings would open the dashboard to a network without credentials. */
export function checkAuthSettings(s: AuthSettings): void {
  if (!LOOPBACK.has(s.host) && !s.token && !s.operatorToken) {
    const service = s.service ?? DASHBOARD_SERVICE;
    throw new DashboardConfigError(`${service.name} would listen on ${s.host} with no credentials: ${service.fix}`);
  }
}

export class Auth {
  private readonly open: boolean;
  private readonly tokens: [DashboardRole, string][];
  private readonly tokenHeader: string | undefined;

  constructor(s: AuthSettings) {
    checkAuthSettings(s);
    this.tokenHeader = s.tokenHeader;
    this.open = LOOPBACK.has(s.host) && !s.token && !s.operatorToken;
    this.tokens = [];
    if (s.operatorToken) this.tokens.push(['operator', s.operatorToken]);
    if (s.token) this.tokens.push(['viewer', s.token]);
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** The role a token grants, or null. */
  roleOfToken(token: string): DashboardRole | null {
    for (const [role, t] of this.tokens) if (same(token, t)) return role;
    return null;
  }

  /** The cookie value for a role (keyed by that role's token, so changing a token ends its sessions). */
  sessionValue(role: DashboardRole): string {
    const token = this.tokens.find(([r]) => r === role)?.[1] ?? '';
    return `${role}.${createHmac('sha256', token).update(`copyfleet-dashboard:${role}`).digest('hex')}`;
  }

  roleOf(req: Request): DashboardRole | null {
    if (this.open) return 'operator';
    const own = this.tokenHeader ? req.get(this.tokenHeader) : undefined;
    if (own) return this.roleOfToken(own.trim());
    const header = req.get('authorization') ?? '';
    const bearer = /^Bearer\s+(.+)$/i.exec(header);
    if (bearer) return this.roleOfToken(bearer[1]!.trim());
    const basic = /^Basic\s+(.+)$/i.exec(header);
    if (basic) {
      const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
      return this.roleOfToken(decoded.slice(decoded.indexOf(':') + 1));
    }
    const cookie = readCookie(req.get('cookie') ?? '', SESSION_COOKIE);
    if (cookie) {
      for (const [role] of this.tokens) if (same(cookie, this.sessionValue(role))) return role;
    }
    return null;
  }
}

/** Why a state-changing request looks cross-site, or null when it does not. */
export function crossSiteReason(req: Request): string | null {
  const site = req.get('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return `Sec-Fetch-Site is ${site}`;
  const origin = req.get('origin');
  if (origin === undefined) return null;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return `Origin ${origin} is not a URL`;
  }
  return host === req.get('host') ? null : `Origin ${origin} is not this dashboard`;
}

/** Requests that change state: POST and friends (bull-board's actions are PUTs). */
export const changesState = (req: Request): boolean => !['GET', 'HEAD', 'OPTIONS'].includes(req.method);

/** Express middleware: sets res.locals.role, answers 401 and 403. `loginPage` renders the 401 body for browsers. */
export function authMiddleware(auth: Auth, loginPage: (req: Request) => string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (changesState(req)) {
      const why = crossSiteReason(req);
      if (why) return void refuse(req, res, 403, `cross-site request refused (${why})`);
    }
    if (req.path === '/login' || req.path === '/healthz' || req.path === '/readyz' || req.path.startsWith('/assets/')) return next();
    const role = auth.roleOf(req);
    if (!role) {
      res.set('WWW-Authenticate', 'Basic realm="copyfleet dashboard", charset="UTF-8"');
      if (wantsHtml(req)) return void res.status(401).type('html').send(loginPage(req));
      return void refuse(req, res, 401, 'authentication required: send Authorization: Bearer <DASHBOARD_TOKEN>, or log in at /login');
    }
    if (changesState(req) && role !== 'operator') {
      return void refuse(req, res, 403, 'this needs the operator role (DASHBOARD_OPERATOR_TOKEN); you are a viewer');
    }
    res.locals.role = role;
    next();
  };
}

export function wantsHtml(req: Request): boolean {
  return !req.path.startsWith('/api/') && (req.get('accept') ?? '').includes('text/html');
}

function refuse(req: Request, res: Response, status: number, error: string): void {
  if (wantsHtml(req)) res.status(status).type('text').send(error);
  else res.status(status).json({ error });
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function readCookie(header: string, name: string): string | null {
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodeURIComponent(part.slice(eq + 1).trim());
  }
  return null;
}
