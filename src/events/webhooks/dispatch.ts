// Turning settled events into deliveries. Runs inside the settle pass that numbered the events, so each event
// becomes its deliveries exactly once: if the pass rolls back, so do they, and the next pass numbers and
// dispatches the events again.
//
// Jobs are wake-ups per endpoint, not one per delivery: a wake-up gives one worker the endpoint's turn, in which
// it sends that endpoint's due deliveries a few at a time, then queues the endpoint again behind every other
// endpoint's wake-up (delivery.ts). A burst of events queues one wake-up per endpoint, and a failing endpoint's
// backlog is rows in its own table, never jobs in front of other endpoints'.
import type pg from 'pg';
import type PgBoss from 'pg-boss';
import type { FeedEvent } from '../outboxFeed.js';
import { inTransaction, type JobExecutor, type JobQueue } from '../jobs.js';
import { tenantStatement } from '../../tenancy/tenantSql.js';
import { statementOn } from '../../tenancy/preparedStatements.js';
import { SUBSCRIBES_SQL } from './subscriptions.js';
import { databaseIdOf } from '../../domain/globalId.js';
import { EVERY_PARTNER } from '../catalogue.js';

export const WEBHOOK_QUEUE = 'webhook-delivery';
export const WEBHOOK_DEAD_LETTERS = 'webhook-dead-letter';
/** What sendTestWebhook records; its aggregate is the endpoint under test. */
export const TEST_EVENT_TYPE = 'webhookEndpoint.tested';

/** An endpoint's turn. */
export interface WakeJob {
  schema: string;
  endpointId: string;
  /** How many times it was put off while its tenant was suspended. */
  postponed?: number;
}

/** Jobs queued before endpoints took turns named one delivery; they still wake its endpoint. */
export interface LegacyDeliveryJob {
  schema: string;
  deliveryId: string;
}

export type DeliveryJob = WakeJob | LegacyDeliveryJob;

export interface RetryPolicy {
  maxAttempts: number;
  retryDelaySeconds: number;
  /** The total timeout of one request. */
  timeoutMs: number;
  /** Requests in flight to one endpoint at a time. */
  endpointConcurrency: number;
  /** The longest pause after consecutive failures. */
  maxPauseSeconds: number;
  /** Failing without a success this long disables an endpoint. */
  disableAfterSeconds: number;
}

/** How long a turn may hold an endpoint: rounds start only within one timeout, each lasts at most another. */
export function turnMs(policy: RetryPolicy): number {
  return 2 * policy.timeoutMs + 60_000;
}

export function wakeJob(data: WakeJob, startAfter: Date, policy: RetryPolicy): PgBoss.JobInsert<WakeJob> {
  return {
    name: WEBHOOK_QUEUE,
    data,
    startAfter,
    // Retries here are for a worker that died or a database error mid-turn; attempts at the endpoint are the
    // deliveries' own (webhook_delivery.attempts).
    retryLimit: 5,
    retryDelay: 5,
    retryBackoff: true,
    deadLetter: WEBHOOK_DEAD_LETTERS,
    expireInSeconds: Math.ceil(turnMs(policy) / 1000),
  };
}

/**
 * Queues a wake-up for each endpoint at `at` (now when null), or when its pause ends if later, unless one is
 * already queued no later than that. A wake-up recorded long ago and never served (its job lost) is replaced.
 */
export async function wakeEndpoints(sql: JobExecutor, queue: JobQueue, schema: string, endpointIds: string[], at: Date | null, policy: RetryPolicy): Promise<void> {
  if (endpointIds.length === 0) return;
  const { rows } = await sql.executeSql(tenantStatement(schema, (s) =>
    `WITH target AS (
       SELECT id, GREATEST(COALESCE($2::timestamptz, now()), COALESCE(paused_until, '-infinity')) AS at
         FROM ${s}.webhook_endpoint WHERE id = ANY($1::uuid[]) AND active
     )
     UPDATE ${s}.webhook_endpoint e SET wake_at = target.at FROM target
      WHERE e.id = target.id AND (e.wake_at IS NULL OR e.wake_at > target.at OR e.wake_at < now() - interval '5 minutes')
     RETURNING e.id, target.at`),
    [endpointIds, at]) as { rows: { id: string; at: Date | string }[] };
  if (rows.length === 0) return;
  await queue.boss.insert(rows.map((row) => wakeJob({ schema, endpointId: row.id }, new Date(row.at), policy)), { db: sql });
}

export async function dispatchWebhooks(sql: pg.PoolClient, queue: JobQueue, schema: string, events: FeedEvent[], policy: RetryPolicy): Promise<number> {
  if (events.length === 0) return 0;
  // Without an active endpoint nothing can be delivered: the pass's events are then not written out and sent back
  // to the server to be joined with nothing (a payment file's pass is 5,000 events, a megabyte of JSON).
  const { rows: [listening] } = await sql.query<{ any: boolean }>({ name: statementOn(sql, `webhook-listening:${schema}`), text: tenantStatement(schema, (s) =>
    `SELECT EXISTS (SELECT 1 FROM ${s}.webhook_endpoint WHERE active) AS any`) });
  if (!listening?.any) return 0;
  // Named per tenant schema, like every prepared read, so a connection parses and plans it once for that tenant
  // rather than on every pass (it took the server 0.2 ms a pass); the settle pass's transaction retires a connection
  // past its bound on named statements, or whose copy a migration left returning something else (tenantSql.ts).
  const { rows } = await sql.query<{ endpoint_id: string; created: number }>({ name: statementOn(sql, `webhook-deliveries:${schema}`), text: tenantStatement(schema, (s) =>
    `WITH created AS (
       INSERT INTO ${s}.webhook_delivery (id, endpoint_id, partner_code, event_id, event_seq, event_type, status, created_at, updated_at)
       SELECT gen_random_uuid(), endpoint.id, endpoint.partner_code, event.id, event.seq, event.type, 'pending', now(), now()
         FROM jsonb_to_recordset($1::jsonb) AS event(id uuid, seq bigint, type text, partner_scope text, tested_endpoint text, occurred_at timestamptz)
         -- An endpoint hears what happens from its registration on: an event that committed before it, but is settled
         -- only after it (settling runs just after commits), is not sent to it.
         JOIN ${s}.webhook_endpoint endpoint ON endpoint.active AND endpoint.created_at <= event.occurred_at
          AND (endpoint.partner_code IS NULL OR endpoint.partner_code = event.partner_scope OR event.partner_scope = '${EVERY_PARTNER}')
          -- A test webhook goes to the one endpoint it tests, whatever that endpoint subscribes to, and to no other.
          AND CASE WHEN event.type = '${TEST_EVENT_TYPE}' THEN endpoint.id::text = event.tested_endpoint
                   ELSE ${SUBSCRIBES_SQL('endpoint.event_types', 'event.type')} END
        ORDER BY event.seq
       RETURNING endpoint_id
     )
     SELECT endpoint_id, count(*)::int AS created FROM created GROUP BY endpoint_id`),
    values: [JSON.stringify(events.map((event) => ({ id: event.id, seq: event.seq, type: event.type, partner_scope: event.partnerScope, occurred_at: event.occurredAt,
      tested_endpoint: event.type === TEST_EVENT_TYPE ? databaseIdOf(event.aggregateId, 'WebhookEndpoint') : null })))] });
  await wakeEndpoints(inTransaction(sql), queue, schema, rows.map((row) => row.endpoint_id), null, policy);
  return rows.reduce((sum, row) => sum + row.created, 0);
}
