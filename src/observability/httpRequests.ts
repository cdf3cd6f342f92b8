// Every request to the public port, seen once at the front of the Express app: timed for
// lendgraph_http_request_duration_seconds when metrics are on, and given a server span when tracing is on — a child
// of the caller's span when the request carries W3C `traceparent`. For GraphQL the span becomes the operation's
// (graphqlObservers.ts names it `query LoanById`); the probes and the explorer make none.
//
// Body parsing ends on a stream event, outside the request's async context, so the span is kept with the request
// and the GraphQL handler is re-entered into it (inRequestSpan): everything Apollo then runs — the context, parse,
// validation, execution, every SQL statement — is inside the span.
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context } from '@opentelemetry/api';
import { ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE, ATTR_URL_PATH } from '@opentelemetry/semantic-conventions';
import { httpRequestDuration } from './metrics.js';
import { tracer } from './tracing.js';

/** Paths that make no span: probes every few seconds and static files would bury the traces worth reading. */
const UNTRACED = ['/healthz', '/readyz', '/explorer', '/dev-issuer'];

const requestSpans = new WeakMap<Request, Context>();

/** The route's pattern as the app declared it, so a label never holds an id; `other` for anything unrouted. */
function routeOf(req: Request, path: string, graphqlPath: string): string {
  const route = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof route === 'string') return route;
  return path === graphqlPath ? graphqlPath : 'other';
}

/**
 * The middleware that times and traces requests, or undefined when neither metrics nor tracing is on (then nothing
 * is added in front of any request).
 */
export function requestObserver(options: { metrics: boolean; graphqlPath: string }): RequestHandler | undefined {
  const spans = tracer();
  if (!options.metrics && !spans) return undefined;
  const { graphqlPath } = options;
  return (req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    // Express rewrites req.url under a mounted path; the path as it arrived is kept for the end.
    const path = req.path;
    const traced = spans && !UNTRACED.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
    const parent = traced ? propagation.extract(ROOT_CONTEXT, req.headers) : undefined;
    const span = traced ? spans.startSpan(path === graphqlPath ? `${req.method} ${graphqlPath}` : req.method, {
      kind: SpanKind.SERVER,
      attributes: { [ATTR_HTTP_REQUEST_METHOD]: req.method, [ATTR_URL_PATH]: path },
    }, parent) : undefined;
    res.once('close', () => {
      const route = routeOf(req, path, graphqlPath);
      if (options.metrics) httpRequestDuration.observe({ method: req.method, route, status: String(res.statusCode) }, (performance.now() - started) / 1000);
      if (span) {
        // GraphQL's span is named by its operation; any other by its route.
        if (path !== graphqlPath) span.updateName(`${req.method} ${route}`);
        span.setAttribute(ATTR_HTTP_ROUTE, route);
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
        if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
        span.end();
      }
    });
    if (!span) return next();
    const active = trace.setSpan(parent!, span);
    requestSpans.set(req, active);
    context.with(active, next);
  };
}

/** Runs `handler` inside the request's span (see above); `handler` itself when tracing is off. */
export function inRequestSpan(handler: RequestHandler): RequestHandler {
  if (!tracer()) return handler;
  return (req, res, next) => {
    const active = requestSpans.get(req);
    return active ? context.with(active, () => handler(req, res, next)) : handler(req, res, next);
  };
}
