// Every command is one database transaction that also writes its outbox events and its audit record
// (DESIGN.md): nothing is announced that did not happen, nothing that happened goes unrecorded. Commands with an
// idempotency key claim the key first, in the same transaction: concurrent twins wait on that row and then
// replay the stored result; a twin with another input is a CONFLICT; an attempt that fails leaves no key.
import { createHash, randomUUID } from 'node:crypto';
import { AppError } from '../errors.js';
import type { TenantDb } from './tenantClients.js';
import { OUTBOX_CHANNEL } from './outboxFeed.js';
import { schemaForSlug } from './schemaNames.js';

export interface Actor {
  subject: string;
  roles: string[];
  partner: string | null;
  clientId: string | null;
  requestId: string;
}

export interface EventDraft {
  type: string;
  aggregateType: string;
  aggregateId: string;
  /** The partner (code) the event concerns; partner streams see only their own. */
  partnerScope?: string | null;
  payload: Record<string, unknown>;
}

export interface Outcome<T> {
  result: T;
  audit: { entityType: string; entityId: string; before?: unknown; after?: unknown };
  events: EventDraft[];
  /** What an idempotent replay needs to rebuild the result (never secrets). */
  replay?: Record<string, unknown>;
}

export interface Command {
  tenant: string;
  action: string;
  actor: Actor;
  now: Date;
  idempotency?: { key: string; input: unknown };
}

type Tx = Parameters<Parameters<TenantDb['$transaction']>[0]>[0];

/** Stable JSON: object keys sorted, so the same input always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const asJson = (value: unknown) => (value === undefined ? undefined : JSON.parse(JSON.stringify(value)));

export async function runCommand<T>(
  db: TenantDb,
  command: Command,
  work: (tx: Tx) => Promise<Outcome<T>>,
  replay?: (stored: Record<string, unknown>, tx: Tx) => Promise<T>,
): Promise<T> {
  return db.$transaction(async (tx) => {
    const idempotency = command.idempotency;
    if (idempotency) {
      if (idempotency.key.length < 8 || idempotency.key.length > 200) {
        throw new AppError('BAD_USER_INPUT', 'idempotencyKey must be 8–200 characters', { field: 'input.idempotencyKey' });
      }
      const requestHash = createHash('sha256').update(canonical({ action: command.action, input: idempotency.input })).digest('hex');
      const claimed = await tx.idempotencyKey.createMany({
        data: [{ principal: command.actor.subject, key: idempotency.key, operation: command.action, requestHash, response: {} }],
        skipDuplicates: true,
      });
      if (claimed.count === 0) {
        const stored = await tx.idempotencyKey.findUniqueOrThrow({ where: { principal_key: { principal: command.actor.subject, key: idempotency.key } } });
        if (stored.operation !== command.action || stored.requestHash !== requestHash) {
          throw new AppError('CONFLICT', 'this idempotency key was used with a different request', { field: 'input.idempotencyKey' });
        }
        if (!replay) throw new AppError('CONFLICT', 'this request was already made', { field: 'input.idempotencyKey' });
        return replay(stored.response as Record<string, unknown>, tx);
      }
    }
    const outcome = await work(tx);
    // Events are numbered under the tenant's commit lock (the audit chain's, held until commit), so their seq
    // order is their commit order: a reader that has seen seq N can never later find an N-1 committing. Without
    // it, concurrent commands committed out of order and subscribers silently missed events.
    await tx.$queryRawUnsafe('SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtext($1))', `lendgraph:audit:${schemaForSlug(command.tenant)}`);
    for (const event of outcome.events) {
      await tx.outboxEvent.create({
        data: {
          id: randomUUID(), type: event.type, aggregateType: event.aggregateType, aggregateId: event.aggregateId,
          tenant: command.tenant, partnerScope: event.partnerScope ?? null, occurredAt: command.now, payload: asJson(event.payload),
        },
      });
    }
    if (outcome.events.length > 0) {
      // A wake-up, not the event: delivered to every process's listener only if this transaction commits.
      await tx.$queryRawUnsafe('SELECT 1 AS notified FROM pg_notify($1, $2)', OUTBOX_CHANNEL, schemaForSlug(command.tenant));
    }
    const { actor } = command;
    await tx.auditRecord.create({
      data: {
        // seq, prev_hash and hash are set by the database's chain trigger.
        seq: 0n, prevHash: '', hash: '',
        occurredAt: command.now, actor: actor.subject, roles: actor.roles, partner: actor.partner, clientId: actor.clientId,
        action: command.action, entityType: outcome.audit.entityType, entityId: outcome.audit.entityId,
        before: asJson(outcome.audit.before) ?? undefined, after: asJson(outcome.audit.after) ?? undefined, requestId: actor.requestId,
      },
    });
    if (idempotency) {
      await tx.idempotencyKey.update({
        where: { principal_key: { principal: actor.subject, key: idempotency.key } },
        data: { response: asJson(outcome.replay ?? {}) },
      });
    }
    return outcome.result;
  }, { timeout: 30_000, maxWait: 30_000 });
}
