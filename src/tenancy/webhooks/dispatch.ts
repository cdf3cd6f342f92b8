// Turning settled events into deliveries. Runs inside the settle pass that numbered the events, so each event
// becomes its deliveries (and their jobs) exactly once: if the pass rolls back, so do they, and the next pass
// numbers and dispatches the events again.
import type pg from 'pg';
import type PgBoss from 'pg-boss';
import type { FeedEvent } from '../outboxFeed.js';
import { inTransaction, type JobQueue } from '../jobs.js';
import { SUBSCRIBES_SQL } from './subscriptions.js';

export const WEBHOOK_QUEUE = 'webhook-delivery';
export const WEBHOOK_DEAD_LETTERS = 'webhook-dead-letter';

export interface DeliveryJob {
  schema: string;
  deliveryId: string;
}

export interface RetryPolicy {
  maxAttempts: number;
  retryDelaySeconds: number;
  timeoutMs: number;
}

/** Each job carries its retry policy, so replicas configured differently never re-interpret queued work. */
export function deliveryJob(data: DeliveryJob, policy: RetryPolicy): PgBoss.JobInsert<DeliveryJob> {
  return {
    name: WEBHOOK_QUEUE,
    data,
    retryLimit: policy.maxAttempts - 1,
    retryDelay: policy.retryDelaySeconds,
    retryBackoff: true,
    deadLetter: WEBHOOK_DEAD_LETTERS,
    // A worker that dies mid-request loses the job for this long, then another replica retries it.
    expireInSeconds: Math.ceil(policy.timeoutMs / 1000) + 30,
  };
}

export async function dispatchWebhooks(sql: pg.PoolClient, queue: JobQueue, schema: string, events: FeedEvent[], policy: RetryPolicy): Promise<number> {
  if (events.length === 0) return 0;
  const { rows } = await sql.query<{ id: string }>(
    `INSERT INTO webhook_delivery (id, endpoint_id, partner_code, event_id, event_seq, event_type, status, created_at, updated_at)
     SELECT gen_random_uuid(), endpoint.id, endpoint.partner_code, event.id, event.seq, event.type, 'pending', now(), now()
       FROM jsonb_to_recordset($1::jsonb) AS event(id uuid, seq bigint, type text, partner_scope text)
       JOIN webhook_endpoint endpoint ON endpoint.active
        AND (endpoint.partner_code IS NULL OR endpoint.partner_code = event.partner_scope)
        AND ${SUBSCRIBES_SQL('endpoint.event_types', 'event.type')}
      ORDER BY event.seq
     RETURNING id`,
    [JSON.stringify(events.map((event) => ({ id: event.id, seq: event.seq, type: event.type, partner_scope: event.partnerScope })))],
  );
  if (rows.length > 0) await queue.boss.insert(rows.map((row) => deliveryJob({ schema, deliveryId: row.id }, policy)), { db: inTransaction(sql) });
  return rows.length;
}
