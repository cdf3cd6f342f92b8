// Sending one delivery: the event as JSON, signed, to the endpoint, with a timeout and no redirects. Every
// attempt is logged with what the endpoint answered. A non-2xx answer or no answer fails the job, so the queue
// retries it with exponential backoff; the last attempt marks the delivery dead (and the queue moves the job to
// its dead-letter queue). No database connection is held while waiting for the endpoint.
import type pg from 'pg';
import type PgBoss from 'pg-boss';
import { quoteIdent } from '../schemaNames.js';
import { openSecret, type DataKey } from '../sealing.js';
import { SIGNATURE_HEADER, signatureHeader } from './signature.js';
import type { DeliveryJob, RetryPolicy } from './dispatch.js';

export class DeliveryFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeliveryFailed';
  }
}

interface Pending {
  status: string;
  attempts: number;
  url: string;
  secret_sealed: string;
  active: boolean;
  event_id: string;
  seq: string;
  type: string;
  aggregate_type: string;
  aggregate_id: string;
  tenant: string;
  occurred_at: Date;
  schema_version: number;
  payload: unknown;
}

/** The body a partner receives: the event as the subscription shows it, its cursor included. */
export function webhookBody(row: Pick<Pending, 'event_id' | 'seq' | 'type' | 'aggregate_type' | 'aggregate_id' | 'tenant' | 'occurred_at' | 'schema_version' | 'payload'>): string {
  return JSON.stringify({
    id: row.event_id, type: row.type, aggregateType: row.aggregate_type, aggregateId: row.aggregate_id, tenant: row.tenant,
    occurredAt: row.occurred_at.toISOString(), cursor: String(row.seq), schemaVersion: row.schema_version, data: row.payload,
  });
}

/** Why an endpoint gave no answer, in words for the delivery log (fetch hides the network's reason in `cause`). */
function unreachable(failure: unknown, timeoutMs: number): string {
  if (!(failure instanceof Error)) return 'could not reach the endpoint';
  if (failure.name === 'TimeoutError') return `no answer within ${timeoutMs} ms`;
  return `could not reach the endpoint: ${failure.cause instanceof Error ? failure.cause.message : failure.message}`;
}

export async function deliver(pool: pg.Pool, key: DataKey, policy: RetryPolicy, job: PgBoss.JobWithMetadata<DeliveryJob>, now: () => Date): Promise<void> {
  const { schema, deliveryId } = job.data;
  const s = quoteIdent(schema);
  const { rows: [pending] } = await pool.query<Pending>(
    `SELECT d.status, d.attempts, e.url, e.secret_sealed, e.active, o.id AS event_id, o.seq, o.type, o.aggregate_type, o.aggregate_id,
            o.tenant, o.occurred_at, o.schema_version, o.payload
       FROM ${s}.webhook_delivery d JOIN ${s}.webhook_endpoint e ON e.id = d.endpoint_id JOIN ${s}.outbox_event o ON o.id = d.event_id
      WHERE d.id = $1`, [deliveryId]);
  // Gone (tenant offboarded) or already finished by an earlier run of this job: nothing to do.
  if (!pending || pending.status === 'succeeded' || pending.status === 'dead') return;
  const attempt = pending.attempts + 1;
  const final = job.retryCount >= job.retryLimit;
  let statusCode: number | null = null;
  let error: string | null = null;
  const started = performance.now();
  if (!pending.active) {
    error = 'endpoint deactivated';
  } else {
    const body = webhookBody(pending);
    try {
      const response = await fetch(pending.url, {
        method: 'POST',
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(policy.timeoutMs),
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Lendgraph-Webhooks/1',
          [SIGNATURE_HEADER]: signatureHeader(openSecret(key, pending.secret_sealed), body, now()),
          'lendgraph-event-id': pending.event_id,
          'lendgraph-event-type': pending.type,
          'lendgraph-delivery-id': deliveryId,
          'lendgraph-attempt': String(attempt),
        },
      });
      statusCode = response.status;
      // The answer's body is the endpoint's business, not ours to store.
      await response.body?.cancel();
      if (statusCode < 200 || statusCode > 299) error = `endpoint answered ${statusCode}`;
    } catch (failure) {
      error = unreachable(failure, policy.timeoutMs);
    }
  }
  const succeeded = error === null;
  const status = succeeded ? 'succeeded' : final || !pending.active ? 'dead' : 'retrying';
  const at = now();
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO ${s}.webhook_attempt (delivery_id, attempt, attempted_at, status_code, error, duration_ms) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT DO NOTHING`,
      [deliveryId, attempt, at, statusCode, error?.slice(0, 500) ?? null, Math.round(performance.now() - started)]);
    await client.query(
      `UPDATE ${s}.webhook_delivery SET status = $2, attempts = $3, last_status_code = $4, last_error = $5, updated_at = $6,
              delivered_at = CASE WHEN $2 = 'succeeded' THEN $6 ELSE delivered_at END
        WHERE id = $1`,
      [deliveryId, status, attempt, statusCode, error?.slice(0, 500) ?? null, at]);
    await client.query('COMMIT');
  } catch (failure) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw failure;
  } finally {
    client.release();
  }
  // Failing the job is what makes the queue retry it (or, after the last attempt, dead-letter it).
  if (status === 'retrying' || (status === 'dead' && pending.active)) throw new DeliveryFailed(error!);
}

/** A job that reached the dead-letter queue without its last attempt being recorded (e.g. it kept expiring). */
export async function markDead(pool: pg.Pool, job: DeliveryJob, now: Date): Promise<void> {
  await pool.query(
    `UPDATE ${quoteIdent(job.schema)}.webhook_delivery SET status = 'dead', last_error = COALESCE(last_error, 'out of attempts'), updated_at = $2
      WHERE id = $1 AND status IN ('pending', 'retrying')`, [job.deliveryId, now]);
}
