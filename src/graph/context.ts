// What every GraphQL operation carries: request id, verified principal, tenant, the tenant's data access and
// per-request DataLoaders. Built the same way for HTTP and WebSocket.
import type { AnswerCeiling } from './answerCeiling.js';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.js';
import type { Runtime } from '../runtime.js';
import type { Principal } from '../authz/principal.js';
import { resolveTenant } from '../authz/tenantAccess.js';
import { assertOriginAllowed } from '../crossOrigin.js';
import { InvalidTokenError } from '../authz/tokens.js';
import { logTokenRefusal } from '../authz/tokenRefusals.js';
import { AppError } from '../errors.js';
import type { TenantRecord } from '../tenancy/registry.js';
import type { TenantDb } from '../tenancy/tenantClients.js';
import { latestTenantVersion } from '../tenancy/migrations.js';
import { requestHashKeys } from '../tenancy/sealing.js';
import { createLoaders, type Loaders } from './loaders.js';
import type { Actor, CommandContext } from '../commands/runCommand.js';
import { scopeToPartner, type PartnerRef } from '../authz/partnerScope.js';

/** A partner token is honoured only while the tenant knows that partner, of that kind, as active. */
async function assertPartnerActive(db: TenantDb, partner: PartnerRef): Promise<void> {
  const record = await db.partner.findUnique({ where: { code: partner.id } });
  if (!record || record.status !== 'active' || record.kind !== partner.kind) {
    throw new AppError('FORBIDDEN', 'this partner is not active for this tenant');
  }
}

export interface GraphContext {
  requestId: string;
  log: Logger;
  runtime: Runtime;
  principal: Principal | null;
  tenant: TenantRecord | null;
  /**
   * The tenant's data access; null when the request acts for no tenant (e.g. a platform admin). Looked up on
   * each access, so a long-lived operation never keeps an evicted client (see tenantClients.ts).
   */
  readonly db: TenantDb | null;
  loaders: Loaders;
  /** Values derived once per request and shared by its resolvers (perRequest: a loan's replay, a case scope). */
  readonly memo: Map<string, Promise<unknown>>;
  /** Where the request came from, as consent records keep it; null over WebSocket. */
  client: { ip: string | null; userAgent: string | null } | null;
  /** Set only on a shared subscription's context: the cursor its live stream starts after (subscriptionFanout.ts). */
  readonly subscriptionStart?: number;
  /**
   * Aborted when a subscription over the WebSocket is over (completed by its client, ended by the server, its socket
   * closed): its stream's place in the outbox feed is freed then. Set by the gateway; a shared stream has its own.
   */
  signal?: AbortSignal;
  /** The node ceiling counted while an operation's answer is built; set by the gateway for HTTP operations. */
  answerCeiling?: AnswerCeiling;
}

export interface ContextRequest {
  authorization?: string | undefined;
  /** Already verified (the gateway verifies first, to count the request against the principal's rate limit). */
  principal?: Principal | null;
  tenantSelector: string | undefined;
  requestId: string | undefined;
  client?: { ip: string | null; userAgent: string | null };
  /** The Origin of a browser's call from another site (src/crossOrigin.ts); null or absent for any other call. */
  crossOrigin?: string | null;
}

export async function authenticate(runtime: Runtime, authorization: string | undefined): Promise<Principal | null> {
  if (!authorization) return null;
  const match = /^Bearer\s+(\S+)$/i.exec(authorization);
  if (!match) throw new AppError('UNAUTHENTICATED', 'Authorization must be "Bearer <token>"');
  try {
    return await runtime.verifier.verify(match[1]!);
  } catch (error) {
    if (error instanceof InvalidTokenError) {
      logTokenRefusal(runtime.log, error);
      throw new AppError('UNAUTHENTICATED', error.told);
    }
    throw error;
  }
}

/** A client's request id is kept when it is short and plain; otherwise the server makes one. */
export function requestIdFrom(header: string | undefined): string {
  return header && /^[\w.-]{1,100}$/.test(header) ? header : randomUUID();
}

/** What every log line of a request names: the request, its tenant, who asked and for which partner. */
export function requestLogFields(context: Pick<GraphContext, 'requestId' | 'tenant' | 'principal'>): Record<string, string | undefined> {
  return { requestId: context.requestId, tenant: context.tenant?.slug, subject: context.principal?.subject, partner: context.principal?.partner?.id };
}

export async function buildContext(runtime: Runtime, request: ContextRequest): Promise<GraphContext> {
  const principal = request.principal !== undefined ? request.principal : await authenticate(runtime, request.authorization);
  return contextFor(runtime, principal, request.tenantSelector, requestIdFrom(request.requestId), request.client ?? null, request.crossOrigin ?? null);
}

/** The context of one operation for an already-verified principal (a WebSocket reuses its connection's). */
export async function contextFor(
  runtime: Runtime,
  principal: Principal | null,
  tenantSelector: string | undefined,
  requestId: string,
  client: GraphContext['client'] = null,
  crossOrigin: string | null = null,
): Promise<GraphContext> {
  const tenant = await resolveTenant(principal, tenantSelector, runtime.registry, latestTenantVersion(runtime.migrations));
  assertOriginAllowed(crossOrigin, tenant, runtime.config.NODE_ENV !== 'production');
  const partner = principal?.partner ?? null;
  if (tenant && partner) await assertPartnerActive(runtime.tenantClients.forTenant(tenant), partner);
  return new OperationContext(requestId, runtime, principal, tenant, client);
}

/**
 * One operation's context. A class, not an object literal with getters: V8 gives every such literal a hidden class
 * of its own, made in the old generation and holding the getters' closures, so every request's context (its
 * loaders and what they had read) outlived the young generation and was copied by collections until a full one.
 * Its getters read `this` only through plain properties: a shared subscription's context is made from it with
 * `Object.create` (subscriptionFanout.ts).
 */
class OperationContext implements GraphContext {
  readonly memo = new Map<string, Promise<unknown>>();
  answerCeiling?: AnswerCeiling;
  readonly loaders: Loaders;
  // Made when something is first logged: most requests log nothing of their own, and a subscription's context lives
  // as long as its socket.
  private logger: Logger | undefined;
  // The partner's view of the tenant's client, kept while the tenant's client is the same one: scoping makes a new
  // extended client, and a request reads `db` many times.
  private scopedFrom: TenantDb | undefined;
  private scoped: TenantDb | undefined;

  constructor(
    readonly requestId: string, readonly runtime: Runtime, readonly principal: Principal | null, readonly tenant: TenantRecord | null,
    readonly client: GraphContext['client'],
  ) {
    this.loaders = createLoaders(runtime, {
      db: () => this.db,
      tenantDb: () => (tenant ? runtime.tenantClients.forTenant(tenant) : null),
      command: () => commandOf(this),
      sql: () => (tenant ? { schemaName: tenant.schemaName, pool: runtime.tenantPool(tenant), partner: principal?.partner ?? null } : null),
    });
  }

  get log(): Logger {
    return (this.logger ??= this.runtime.log.child(requestLogFields(this)));
  }

  get db(): TenantDb | null {
    if (!this.tenant) return null;
    const db = this.runtime.tenantClients.forTenant(this.tenant);
    const partner = this.principal?.partner ?? null;
    if (!partner) return db;
    if (this.scopedFrom !== db || !this.scoped) {
      this.scoped = scopeToPartner(db, partner);
      this.scopedFrom = db;
    }
    return this.scoped;
  }
}

/** A value worked out once per request and shared by its resolvers (kept in `memo` under `key`). */
export function perRequest<T>(context: GraphContext, key: string, make: () => Promise<T>): Promise<T> {
  if (!context.memo.has(key)) context.memo.set(key, make());
  return context.memo.get(key) as Promise<T>;
}

/** A command on the caller's tenant, now, by the caller; settled by this process as soon as it commits. */
export function commandOf(context: GraphContext): CommandContext {
  return {
    tenant: context.tenant!.slug, actor: actorOf(context), now: context.runtime.now(), settle: (schema) => context.runtime.settler.wake(schema),
    requestHashKeys: requestHashKeys(context.runtime.dataKey),
  };
}

/**
 * A command the caller's key makes safe to repeat: the same key with the same input answers what the first
 * answered and writes nothing more; with another input it is a CONFLICT naming `input.idempotencyKey`
 * (docs/partners.md, "Errors and retries"). `input` is what the key is held to: the mutation's input as given.
 */
export function keyedCommandOf(context: GraphContext, key: string | null | undefined, input: unknown): CommandContext {
  const command = commandOf(context);
  return key == null ? command : { ...command, idempotency: { key, input } };
}

/**
 * The tenant's own client, for commands: their bookkeeping (outbox, audit, idempotency) is not the caller's to
 * read, so a partner's command runs here and the command checks ownership itself (src/authz/partnerScope.ts).
 */
export function commandDbOf(context: GraphContext): TenantDb {
  return context.runtime.tenantClients.forTenant(context.tenant!);
}

/** Who did it, as the audit trail records it. */
export function actorOf(context: GraphContext): Actor {
  const principal = context.principal!;
  return { subject: principal.subject, roles: principal.roles, partner: principal.partner?.id ?? null, clientId: principal.clientId, requestId: context.requestId };
}
