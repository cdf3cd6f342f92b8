// Browsers calling the API from a lender's embedded dashboard (CORS). Each tenant lists the web origins its
// dashboards are served from; a cross-origin call is answered only for a tenant that lists the caller's origin.
// A preflight carries no token, so it is allowed for an origin some active tenant lists; the request that follows
// is then held to its own tenant's list once the token has named the tenant (graph/context.ts). WebSocket
// upgrades are not covered by CORS, so the same tenant check refuses a foreign page's socket at connection_init.
import type express from 'express';
import { AppError, badInput } from './errors.js';

/** The request headers a dashboard may send: the token, the tenant, the request id, a trace context. */
const ALLOWED_HEADERS = 'authorization, content-type, idempotency-key, x-lendgraph-tenant, x-request-id, traceparent, tracestate';
/** What a dashboard may read besides the CORS-safelisted headers. */
const EXPOSED_HEADERS = 'x-request-id, retry-after, www-authenticate';
/** How long a browser may keep a preflight's answer: ten minutes, so a removed origin stops working soon. */
const PREFLIGHT_MAX_AGE_SECONDS = 600;
/** A tenant's dashboards are a handful of sites; more is a mistake or an attempt to allow everyone. */
export const MAX_DASHBOARD_ORIGINS = 20;

export interface DashboardOriginLookup {
  /** Whether any active tenant lists this origin (a preflight's question: it names no tenant). */
  isDashboardOrigin(origin: string): Promise<boolean>;
}

/**
 * An origin as browsers send it: `https://host[:port]`, lower case, no path. Null for anything else (`null`,
 * a wildcard, a path, credentials), which can never be allowed.
 */
export function originOf(text: string): string | null {
  if (!/^https?:\/\/[^/?#@*\s]+\/?$/i.test(text)) return null;
  try {
    const url = new URL(text);
    return url.origin === 'null' ? null : url.origin;
  } catch {
    return null;
  }
}

/**
 * A lender's list as entered: each must be an origin; duplicates are dropped; refusals name the entry. Without
 * `plainHttp` (production) an origin must be https, or the machine's own (a dashboard developed beside the API): a
 * page served over plain http can be changed by anyone on its network, and it holds a token for the lender's data.
 */
export function dashboardOriginsOf(entries: readonly string[], field: (index: number) => string, listField: string, plainHttp: boolean): string[] {
  if (entries.length > MAX_DASHBOARD_ORIGINS) throw badInput(listField, `at most ${MAX_DASHBOARD_ORIGINS} origins`);
  const origins = entries.map((entry, index) => {
    const origin = originOf(entry.trim());
    if (!origin) throw badInput(field(index), 'must be a web origin such as https://dashboard.example.com (scheme, host and port only)');
    if (!plainHttp && !secureEnough(origin)) {
      throw badInput(field(index), 'must be an https origin: a dashboard served over plain http could be changed on its way to the browser');
    }
    return origin;
  });
  return [...new Set(origins)];
}

/** The machine's own origins, where plain http carries nothing over a network. */
const LOOPBACK_ORIGIN = /^http:\/\/(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/;

/** https, or plain http on the machine's own addresses. */
function secureEnough(origin: string): boolean {
  return origin.startsWith('https:') || LOOPBACK_ORIGIN.test(origin);
}

/**
 * The Origin header of a request that came from another site, or null: none was sent, or it is this API's own
 * (the explorer, a page served from PUBLIC_URL, or the Host the request was addressed to).
 */
export function crossOriginOf(origin: string | undefined, host: string | undefined, publicUrl: string): string | null {
  if (!origin) return null;
  const own = new URL(publicUrl).origin;
  if (origin === own) return null;
  if (host && originOf(origin) !== null && new URL(origin).host === host.toLowerCase()) return null;
  return origin;
}

/** Refuses a cross-origin call for a tenant that does not list the origin (or for no tenant at all). */
export function assertOriginAllowed(crossOrigin: string | null | undefined, tenant: { dashboardOrigins: string[] } | null, plainHttp: boolean): void {
  if (!crossOrigin) return;
  // In production a plain-http origin listed before that was refused is not honoured either.
  if (tenant && tenant.dashboardOrigins.includes(crossOrigin) && (plainHttp || secureEnough(crossOrigin))) return;
  throw new AppError('FORBIDDEN', 'this origin is not one of the lender\'s dashboard origins', { reason: 'ORIGIN_NOT_ALLOWED' });
}

/** Lets the page at `crossOrigin` read this response: called once its tenant's list has admitted it. */
export function letPageRead(res: express.Response, crossOrigin: string | null | undefined): void {
  if (!crossOrigin) return;
  res.setHeader('Access-Control-Allow-Origin', crossOrigin);
  res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
}

/**
 * Answers preflights and marks cross-origin requests. A preflight is answered for an origin some active tenant
 * lists (it names no tenant) and counted like a call without a token; any other request only carries its origin
 * in `res.locals.crossOrigin` to the tenant check, which alone lets its page read the answer (`letPageRead`), so
 * no request costs a lookup of its own.
 */
export function crossOriginRequests(
  lookup: DashboardOriginLookup,
  publicUrl: string,
  /** Preflights carry no token: they take from the caller's address budget, as calls without a token do. */
  countPreflight: (req: express.Request) => Promise<void>,
  /** Outside production: plain-http dashboards on other machines are allowed. */
  plainHttp: boolean,
): express.RequestHandler {
  return (req, res, next) => {
    const crossOrigin = crossOriginOf(req.headers.origin, req.headers.host, publicUrl);
    if (!crossOrigin) return next();
    res.vary('Origin');
    res.locals['crossOrigin'] = crossOrigin;
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (!preflight) return next();
    const allowed = countPreflight(req).then(() => (originOf(crossOrigin) === crossOrigin && (plainHttp || secureEnough(crossOrigin)) ? lookup.isDashboardOrigin(crossOrigin) : false));
    allowed.then((ok) => {
      if (!ok) return res.status(403).end();
      letPageRead(res, crossOrigin);
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', String(PREFLIGHT_MAX_AGE_SECONDS));
      return res.status(204).end();
    }, (error: unknown) => {
      if (!(error instanceof AppError && error.code === 'RATE_LIMITED')) return next(error);
      res.setHeader('Retry-After', String(error.details['retryAfter']));
      return res.status(429).end();
    });
  };
}
