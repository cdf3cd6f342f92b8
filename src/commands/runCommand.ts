// Every command is one database transaction that also writes its outbox events and its audit record
// (DESIGN.md): nothing is announced that did not happen, nothing that happened goes unrecorded. Commands with an
// idempotency key claim the key first, in the same transaction: concurrent twins wait on that row and then
// replay the stored result; a twin with another input is a CONFLICT; an attempt that fails leaves no key.
import { createHash, randomUUID } from 'node:crypto';
import { AppError, inputPath } from '../errors.js';
import type { TenantDb } from '../tenancy/tenantClients.js';
import type { Tx } from '../tenancy/tenantClients.js';
import { COMMIT_CHANNEL } from '../events/outboxFeed.js';
import { writtenEvent } from '../events/catalogue.js';
import { schemaForSlug } from '../tenancy/schemaNames.js';
import { tenantSql } from '../tenancy/tenantSql.js';
import { checkIdempotencyKey } from './idempotencyKey.js';

export interface Actor {
  subject: string;
  roles: string[];
  partner: string | null;
  clientId: string | null;
  requestId: string;
}

export interface EventDraft {
  /** Given when the caller must find what the event leads to after commit (a test webhook's delivery). */
  id?: string;
  /** A type of the event catalogue (src/events/catalogue.ts), which also says what its payload holds. */
  type: string;
  aggregateType: string;
  /** The aggregate's database id; written as its global id. */
  aggregateId: string;
  /** The partner (code) the event concerns; partner streams see only their own. */
  partnerScope?: string | null;
  payload: Record<string, unknown>;
}

export interface AuditDraft {
  entityType: string;
  entityId: string;
  before?: unknown;
  after?: unknown;
}

export interface Outcome<T> {
  result: T;
  /** What the audit trail records: one entry, or one per entity touched (e.g. each party whose data was read). */
  audit: AuditDraft | AuditDraft[];
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
  /**
   * Settles the tenant's commits once this one has committed (the gateway's CommitSettler). Without it the
   * command sends a wake-up on COMMIT_CHANNEL for whichever process listens — at a cost: a NOTIFY holds a
   * database-wide lock through the commit's disk flush, which halved the commit rate in bench:events.
   */
  settle?: (schema: string) => void;
}

/** A command before its action is named: who acts, for which tenant, when, with which key. Services name the action. */
export type CommandContext = Omit<Command, 'action'>;

/**
 * Whose key it is. Keys live in the tenant's own schema (so never shared across tenants) and belong to one
 * principal of one partner (or of the lender's staff) through one client: two partners, or two clients of one
 * partner, repeating the same key and body each get their own result, even if their tokens carried the same
 * subject.
 */
export function idempotencyOwner(actor: Pick<Actor, 'subject' | 'partner' | 'clientId'>): string {
  return JSON.stringify([actor.partner === null ? 'staff' : `partner:${actor.partner}`, actor.clientId ?? '', actor.subject]);
}


/** Stable JSON: object keys sorted, so the same input always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  // Amounts arrive as decimal.js values: hashed as the text JSON stores them, as when they arrived as strings.
  if (value && typeof (value as { toJSON?: unknown }).toJSON === 'function') return canonical((value as { toJSON(): unknown }).toJSON());
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
  const owner = idempotencyOwner(command.actor);
  const result = await db.$transaction(async (tx) => {
    const idempotency = command.idempotency;
    if (idempotency) {
      // The graph refuses a bad key before anything runs (the IdempotencyKey scalar); this guards every other caller.
      checkIdempotencyKey(idempotency.key, inputPath('idempotencyKey'));
      const requestHash = createHash('sha256').update(canonical({ action: command.action, input: idempotency.input })).digest('hex');
      // Claim the key; a twin in flight waits here on the row, then finds it claimed (and, once committed, answered).
      const claimed = await tenantSql(tx, schemaForSlug(command.tenant)).query<unknown[]>((schema) => `INSERT INTO ${schema}.idempotency_key (principal, key, operation, request_hash, response)
         VALUES ($1, $2, $3, $4, '{}') ON CONFLICT (principal, key) DO NOTHING RETURNING 1`,
        owner, idempotency.key, command.action, requestHash);
      if (claimed.length === 0) {
        const stored = await tx.idempotencyKey.findUniqueOrThrow({ where: { principal_key: { principal: owner, key: idempotency.key } } });
        if (stored.operation !== command.action || stored.requestHash !== requestHash) {
          throw new AppError('CONFLICT', 'this idempotency key was used with a different request', { field: inputPath('idempotencyKey') });
        }
        if (!replay) throw new AppError('CONFLICT', 'this request was already made', { field: inputPath('idempotencyKey') });
        return replay(stored.response as Record<string, unknown>, tx);
      }
    }
    const outcome = await work(tx);
    const { actor } = command;
    // Recorded unnumbered and unlinked: settle_commits() gives events their cursor and the audit record its
    // place in the chain just after commit (commitSettler.ts), so a tenant's commands never queue on one lock.
    // One statement, because a command's bookkeeping is on every write path and each ORM round trip costs CPU.
    // Written in the API's form (global ids, Money text) with its type's schema version: what is stored is
    // what every reader is sent, so the outbox feed, the events query and webhooks cannot disagree.
    const events = outcome.events.map((event) => {
      const written = writtenEvent(event.type, event.aggregateType, event.aggregateId, event.payload);
      return {
        id: event.id ?? randomUUID(), type: event.type, aggregateType: event.aggregateType, aggregateId: written.aggregateId,
        partnerScope: event.partnerScope ?? null, schemaVersion: written.schemaVersion, payload: asJson(written.payload),
      };
    });
    const audits = (Array.isArray(outcome.audit) ? outcome.audit : [outcome.audit]).map((entry) => ({
      entityType: entry.entityType, entityId: entry.entityId,
      ...(entry.before === undefined || entry.before === null ? {} : { before: asJson(entry.before) }),
      ...(entry.after === undefined || entry.after === null ? {} : { after: asJson(entry.after) }),
    }));
    await tenantSql(tx, schemaForSlug(command.tenant)).query((schema) => `WITH events AS (
         INSERT INTO ${schema}.outbox_event (id, type, aggregate_type, aggregate_id, tenant, partner_scope, occurred_at, schema_version, payload)
         SELECT (e->>'id')::uuid, e->>'type', e->>'aggregateType', e->>'aggregateId', $1, e->>'partnerScope', $2::timestamptz, (e->>'schemaVersion')::int, e->'payload'
           FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS drafts(e, n) ORDER BY n
         RETURNING 1
       ), replay AS (
         -- With an idempotency key: what a repeat of this request gets back.
         UPDATE ${schema}.idempotency_key SET response = $15::jsonb WHERE principal = $16 AND key = $14 AND $14 IS NOT NULL
         RETURNING 1
       ), audit AS (
         INSERT INTO ${schema}.audit_record (occurred_at, actor, roles, partner, client_id, action, entity_type, entity_id, before, after, request_id)
         SELECT $2::timestamptz, $4, $5::text[], $6, $7, $8, a->>'entityType', a->>'entityId', a->'before', a->'after', $10
           FROM jsonb_array_elements($9::jsonb) WITH ORDINALITY AS drafts(a, n) ORDER BY n
         RETURNING 1
       )
       -- A wake-up, not the event: delivered to every process's listener only if this transaction commits.
       SELECT 1 AS recorded FROM (SELECT count(*) FROM audit) AS recorded, (SELECT count(*) FROM replay) AS replayed,
              LATERAL (SELECT pg_notify($11, $12) WHERE $13::boolean) AS wake`,
      command.tenant, command.now.toISOString(), JSON.stringify(events),
      actor.subject, actor.roles, actor.partner, actor.clientId, command.action, JSON.stringify(audits), actor.requestId,
      COMMIT_CHANNEL, schemaForSlug(command.tenant), !command.settle,
      idempotency?.key ?? null, JSON.stringify(asJson(outcome.replay ?? {})), owner,
    );
    return outcome.result;
  }, { timeout: 30_000, maxWait: 30_000 });
  command.settle?.(schemaForSlug(command.tenant));
  return result;
}
