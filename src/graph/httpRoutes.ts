// What the API's plain-HTTP routes share (statement and document downloads, document uploads, provider
// callbacks): the caller's context and capability from its own bearer token, as GraphQL builds it, and errors in
// one JSON shape with a code — never a stack trace, SQL or another tenant's identifiers.
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import { decodeGlobalID } from '@pothos/plugin-relay';
import { isUuid } from '../domain/globalId.js';
import { AppError, HTTP_STATUS, InvalidField, WWW_AUTHENTICATE } from '../errors.js';
import { allows, type Capability } from '../authz/capabilities.js';
import type { Runtime } from '../runtime.js';
import { buildContext, type GraphContext } from './context.js';
import { letPageRead } from '../crossOrigin.js';
import type { RequestRateLimits } from '../rateLimits.js';

/** A header's or query parameter's value: the first when repeated, undefined when absent. */
export const firstValue = (value: unknown): string | undefined =>
  typeof value === 'string' ? value : Array.isArray(value) && typeof value[0] === 'string' ? value[0] : undefined;

/**
 * A query parameter a route reads, given once as plain text; undefined when absent. Given twice, or as a list or
 * an object (`asOf[]=…`), it is refused naming it: taking the first, or missing it and falling back to a default,
 * would answer a question the caller did not ask.
 */
export function queryParameter(req: Request, name: string): string | undefined {
  const value = req.query[name];
  const bracketed = Object.keys(req.query).some((key) => key.startsWith(`${name}[`));
  if (value === undefined && !bracketed) return undefined;
  if (typeof value !== 'string' || bracketed) throw new InvalidField(name, `${name} must be given once, as plain text`);
  return value;
}

/**
 * The request budgets a route spends from, as GraphQL's requests do (src/rateLimits.ts): a file rendered or sent
 * costs the same request as an operation, so downloads are no way around a principal's or a tenant's budget.
 */
export type RouteLimits = Pick<RequestRateLimits, 'forPrincipal' | 'forTenant' | 'forAddress'>;

/** The caller's context, refused unless it is a tenant's principal holding `capability`; counted against its budgets. */
export async function routeContext(runtime: Runtime, tenantHeader: string, req: Request, res: Response, capability: Capability, limits: RouteLimits): Promise<GraphContext> {
  const address = req.ip ?? req.socket.remoteAddress;
  const authorization = firstValue(req.headers.authorization);
  if (!authorization) await limits.forAddress(address);
  const context = await buildContext(runtime, {
    authorization, tenantSelector: firstValue(req.headers[tenantHeader]), requestId: firstValue(req.headers['x-request-id']),
    crossOrigin: (res.locals['crossOrigin'] as string | undefined) ?? null,
  }).catch(async (error: unknown) => {
    // A bad token counts against its address, so guessing tokens here is limited like calling without one (a
    // request without one was counted above).
    if (authorization && error instanceof AppError && error.code === 'UNAUTHENTICATED') await limits.forAddress(address);
    throw error;
  });
  res.setHeader('x-request-id', context.requestId);
  // Its tenant admitted the page's origin (buildContext): from here the page may read the answer, a 429 included.
  letPageRead(res, res.locals['crossOrigin'] as string | undefined);
  if (context.principal) await limits.forPrincipal(context.principal);
  if (context.tenant) await limits.forTenant(context.tenant.id);
  if (!context.principal) throw new AppError('UNAUTHENTICATED', 'send "Authorization: Bearer <token>"');
  if (!context.tenant || !allows(capability, context.principal.roles, true)) throw new AppError('FORBIDDEN', 'not allowed for this principal');
  return context;
}

/** The raw id of a global id of `typename` in a path, or null for anything else (a UUID-less id too: it names nothing). */
export function rawIdOf(globalId: string | undefined, typename: string): string | null {
  if (!globalId) return null;
  try {
    let text = globalId;
    try {
      text = decodeURIComponent(globalId);
    } catch {
      // Express has decoded it already.
    }
    const decoded = decodeGlobalID(text);
    return decoded.typename === typename && isUuid(decoded.id) ? decoded.id : null;
  } catch {
    return null;
  }
}

/** Answers a failed route: known errors with their code and field, anything else masked and logged. */
export function replyWithError(runtime: Runtime, res: Response, error: unknown, what: string, status?: number): void {
  const known = error instanceof AppError ? error : error instanceof InvalidField ? new AppError('BAD_USER_INPUT', error.message, { field: error.field }) : null;
  // Masked errors are logged with the correlation id the caller is given and the request id, as GraphQL's are.
  const correlationId = known ? undefined : randomUUID();
  if (!known) runtime.log.error({ err: error, correlationId, requestId: firstValue(res.getHeader('x-request-id')) }, `${what} failed`);
  const code = known?.code ?? 'INTERNAL';
  if (res.headersSent) return;
  if (code === 'UNAUTHENTICATED') res.setHeader('www-authenticate', WWW_AUTHENTICATE);
  const retryAfter = known?.details['retryAfter'];
  if (typeof retryAfter === 'number') res.setHeader('retry-after', String(retryAfter));
  res.status(status ?? HTTP_STATUS[code]).json(routeErrorBody(known, correlationId));
}

/** A plain route's refusal body (docs/errors.md): the error the caller may know, or an internal one by its correlation id. */
export function routeErrorBody(known: AppError | null, correlationId?: string): { error: Record<string, unknown> } {
  const retryAfter = known?.details['retryAfter'];
  return {
    error: {
      code: known?.code ?? 'INTERNAL',
      message: known?.message ?? `internal error; quote correlation id ${correlationId} to support`,
      ...(known?.details.field ? { field: known.details.field } : {}),
      ...(typeof known?.details['reason'] === 'string' ? { reason: known.details['reason'] } : {}),
      ...(typeof retryAfter === 'number' ? { retryAfter } : {}),
      ...(typeof known?.details['limit'] === 'number' ? { limit: known.details['limit'] } : {}),
      ...(correlationId ? { correlationId } : {}),
    },
  };
}
