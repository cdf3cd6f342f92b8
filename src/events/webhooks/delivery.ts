// Sending deliveries, one endpoint's turn at a time. A wake-up job (dispatch.ts) gives a worker the endpoint's
// turn unless another worker has it, the endpoint is paused, or it is inactive. In its turn the worker sends the
// endpoint's due deliveries, at most WEBHOOK_ENDPOINT_CONCURRENCY at once, for at most one request timeout's worth
// of rounds, then queues the endpoint again behind every other endpoint's wake-up: workers go round the
// endpoints, and a slow or failing receiver holds one worker for one turn, never the queue.
//
// An attempt is counted and logged before its request leaves (the statement that takes the due deliveries), so a
// sender killed mid-request leaves that number used: the next attempt carries the one after it, and the log keeps
// the unfinished one, shown as interrupted once a later attempt starts or the delivery ends.
//
// A failure pauses the endpoint (growing with consecutive failures, up to WEBHOOK_MAX_PAUSE_SECONDS) on top of
// the delivery's own retry backoff; deliveries waiting out a pause use no attempt. An endpoint failing without a
// success for WEBHOOK_DISABLE_AFTER_SECONDS is disabled, with an event to its owner, until enabled again.
// No database connection is held while waiting for a receiver.
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { OutboundClient, OutboundResult } from '../../outbound/client.js';
import { describeResult } from '../../outbound/client.js';
import { inTransaction, type JobQueue } from '../jobs.js';
import type { Databases } from '../../tenancy/placement.js';
import { poolSql, withTenantSql, type PoolSql } from '../../tenancy/tenantSql.js';
import { openSecret, type DataKey } from '../../tenancy/sealing.js';
import { secretsInForce, signatureHeaders } from './signature.js';
import { turnMs, wakeEndpoints, wakeJob, type DeliveryJob, type RetryPolicy } from './dispatch.js';
import { payloadShownTo, writtenEvent } from '../catalogue.js';
import { eventReaderOf, SYSTEM_ACTORS } from '../../domain/actors.js';
import { postpone } from '../suspendedTenants.js';
import type { Logger } from '../../log.js';
import { eventDeliveryLag, webhookAttempts, webhookDeliveriesDead } from '../../observability/metrics.js';


export interface Sender {
  /** Where each tenant's schema lives: a job names only the schema. */
  databases: Databases;
  client: OutboundClient;
  key: DataKey;
  policy: RetryPolicy;
  /** The job queue on a database: a wake-up is queued in the same transaction as the rows it is about. */
  queueFor: (database: string) => JobQueue;
  now: () => Date;
  log: Logger;
  /** Settles the tenant's commits (events written here, e.g. an endpoint disabled). */
  settle: (schema: string) => void;
}

interface Due {
  id: string;
  /** This attempt's number, already recorded. */
  attempt: number;
  url: string;
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
  event_id: string;
  seq: string;
  type: string;
  aggregate_type: string;
  aggregate_id: string;
  tenant: string;
  occurred_at: Date;
  schema_version: number;
  payload: unknown;
  /** The endpoint's partner; null for the lender's own endpoint. */
  partner_code: string | null;
}

/** A row of the picking statement when no delivery was picked: every column null. */
type Nullable<T> = { [K in keyof T]: T[K] | null };

/** The body an endpoint receives: the event as its owner's subscription shows it, its cursor included. */
export function webhookBody(row: Pick<Due, 'event_id' | 'seq' | 'type' | 'aggregate_type' | 'aggregate_id' | 'tenant' | 'occurred_at' | 'schema_version' | 'payload' | 'partner_code'>): string {
  return JSON.stringify({
    id: row.event_id, type: row.type, aggregateType: row.aggregate_type, aggregateId: row.aggregate_id, tenant: row.tenant,
    occurredAt: row.occurred_at.toISOString(), cursor: String(row.seq), schemaVersion: row.schema_version, data: payloadShownTo(row.type, row.payload, eventReaderOf(row.partner_code)),
  });
}

/** Seconds before the n-th retry: between d·2^(n-1) and d·2^n (exponential, with jitter). */
export function retryDelaySeconds(policy: RetryPolicy, attempt: number): number {
  return policy.retryDelaySeconds * 2 ** Math.min(attempt - 1, 20) * (1 + Math.random());
}

/** Seconds an endpoint rests after `failures` consecutive failures: the same growth, capped. */
export function pauseSeconds(policy: RetryPolicy, failures: number): number {
  return Math.min(policy.maxPauseSeconds, retryDelaySeconds(policy, failures));
}

/** Serves one wake-up: takes the endpoint's turn if it may, sends what is due, and queues the next turn. */
export async function takeTurn(sender: Sender, job: DeliveryJob): Promise<void> {
  const { policy } = sender;
  // A suspended tenant (a move freezes it so) is not written to: its wake-up waits on the queue, untouched, and
  // one of a tenant gone ends here.
  // The registry's row, read once: whether the tenant is served, and on which database.
  const { rows: [registered] } = await sender.databases.main.pool.query<{ status: string; database: string }>('SELECT status, database FROM platform.tenant WHERE schema_name = $1', [job.schema]);
  if (registered?.status !== 'active') {
    if (registered?.status === 'suspended' && 'endpointId' in job) {
      const queue = sender.queueFor(registered.database);
      // Past the last, the endpoint's next event (or enabling it) wakes it again: its wake_at is long past by then.
      await postpone(job, sender.now(), (next, at) => queue.boss.insert([wakeJob(next, at, policy)]),
        () => sender.log.warn({ schema: job.schema, endpoint: job.endpointId }, 'webhook wake-up dropped: its tenant stayed suspended; the endpoint\'s next event wakes it'));
    }
    return;
  }
  const pool = sender.databases.pool(registered.database);
  const queue = sender.queueFor(registered.database);
  let endpointId: string;
  if ('endpointId' in job) {
    endpointId = job.endpointId;
  } else {
    const { rows: [legacy] } = await poolSql(pool, job.schema).query<{ endpoint_id: string }>((s) => `SELECT endpoint_id FROM ${s}.webhook_delivery WHERE id = $1`, [job.deliveryId]);
    if (!legacy) return;
    endpointId = legacy.endpoint_id;
  }
  const turn = await withTenantSql(pool, job.schema, async (client, sql) => {
    const { rows: [endpoint] } = await sql.query<{ active: boolean; paused_until: Date | null; paused: boolean; busy_until: Date | null; busy: boolean }>(
      (s) => `SELECT active, paused_until, paused_until > now() AS paused, busy_until, busy_until > now() AS busy
         FROM ${s}.webhook_endpoint WHERE id = $1 FOR UPDATE`, [endpointId]);
    if (!endpoint) return false;
    // This wake-up is being served; the next one is queued below or when the turn ends.
    await sql.query((s) => `UPDATE ${s}.webhook_endpoint SET wake_at = NULL WHERE id = $1 AND wake_at <= now()`, [endpointId]);
    if (!endpoint.active) return false;
    // Paused: wait it out without touching a delivery. Busy: the worker in its turn queues the next one; this
    // wake-up at the turn's expiry covers a worker that died.
    if (endpoint.paused || endpoint.busy) {
      await wakeEndpoints(inTransaction(client), queue, job.schema, [endpointId], endpoint.busy ? endpoint.busy_until : endpoint.paused_until, policy);
      return false;
    }
    await sql.query((s) => `UPDATE ${s}.webhook_endpoint SET busy_until = now() + $2 * interval '1 millisecond' WHERE id = $1`, [endpointId, turnMs(policy)]);
    return true;
  });
  if (!turn) return;
  try {
    const started = performance.now();
    for (let round = 0; round < 5 && performance.now() - started < policy.timeoutMs; round += 1) {
      const { rows: picking } = await poolSql(pool, job.schema).query<Nullable<Due> & { ended: number }>(
        (s) => `WITH due AS (
             SELECT d.id FROM ${s}.webhook_delivery d JOIN ${s}.webhook_endpoint e ON e.id = d.endpoint_id
              WHERE d.endpoint_id = $1 AND e.active AND d.status IN ('pending', 'retrying') AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= now())
                AND d.attempts < $4
              ORDER BY d.next_attempt_at NULLS FIRST, d.event_seq
              LIMIT $2
           ), exhausted AS (
             -- Out of attempts yet still waiting: its last attempt never recorded an outcome (its sender died
             -- mid-request), or the limit was lowered since.
             UPDATE ${s}.webhook_delivery d SET status = 'dead', next_attempt_at = NULL, updated_at = $3, last_status_code = NULL,
                    last_error = CASE WHEN EXISTS (SELECT 1 FROM ${s}.webhook_attempt a WHERE a.delivery_id = d.id AND a.attempt = d.attempts AND a.duration_ms IS NULL)
                                      THEN 'interrupted' ELSE COALESCE(d.last_error, 'out of attempts') END
              WHERE d.endpoint_id = $1 AND d.status IN ('pending', 'retrying') AND d.attempts >= $4
             RETURNING 1
           ), started AS (
             -- A delivery ended meanwhile (its endpoint deactivated) is not sent.
             UPDATE ${s}.webhook_delivery d SET attempts = d.attempts + 1, updated_at = $3
               FROM due WHERE d.id = due.id AND d.status IN ('pending', 'retrying')
             RETURNING d.id, d.attempts, d.event_id
           ), logged AS (
             INSERT INTO ${s}.webhook_attempt (delivery_id, attempt, attempted_at) SELECT id, attempts, $3 FROM started
           ), picked AS (
             SELECT started.id, started.attempts AS attempt, e.url, e.secret_sealed, e.previous_secret_sealed, e.previous_secret_expires_at, e.partner_code, o.id AS event_id, o.seq, o.type,
                    o.aggregate_type, o.aggregate_id, o.tenant, o.occurred_at, o.schema_version, o.payload
               FROM started JOIN ${s}.webhook_endpoint e ON e.id = $1 JOIN ${s}.outbox_event o ON o.id = started.event_id
           )
           -- At least one row, so that the deliveries ended here are counted when none is sent.
           SELECT picked.*, (SELECT count(*) FROM exhausted)::int AS ended FROM (VALUES (1)) AS one (n) LEFT JOIN picked ON true`,
        [endpointId, policy.endpointConcurrency, sender.now(), policy.maxAttempts]);
      // Ended dead here (an interrupted last attempt): counted as a delivery that failed its last attempt is.
      const ended = picking[0]?.ended ?? 0;
      if (ended > 0) webhookDeliveriesDead.inc(ended);
      const due = picking.filter((row): row is Due & { ended: number } => row.id !== null);
      if (due.length === 0) break;
      const results = await Promise.all(due.map((row) => send(sender, row)));
      const keepGoing = await record(sender, pool, job.schema, endpointId, due, results);
      if (!keepGoing) break;
    }
  } finally {
    await withTenantSql(pool, job.schema, async (client, sql) => {
      await sql.query((s) => `SELECT 1 FROM ${s}.webhook_endpoint WHERE id = $1 FOR UPDATE`, [endpointId]);
      await sql.query((s) => `UPDATE ${s}.webhook_endpoint SET busy_until = NULL WHERE id = $1`, [endpointId]);
      const { rows: [next] } = await sql.query<{ due_now: boolean | null; earliest: Date | null }>(
        (s) => `SELECT bool_or(next_attempt_at IS NULL OR next_attempt_at <= now()) AS due_now, min(next_attempt_at) AS earliest
           FROM ${s}.webhook_delivery WHERE endpoint_id = $1 AND status IN ('pending', 'retrying')`, [endpointId]);
      // Due now: queued behind every other endpoint's wake-up, which is what makes the turns fair.
      if (next?.due_now) await wakeEndpoints(inTransaction(client), queue, job.schema, [endpointId], null, policy);
      else if (next?.earliest) await wakeEndpoints(inTransaction(client), queue, job.schema, [endpointId], next.earliest, policy);
    });
  }
}

async function send(sender: Sender, row: Due): Promise<{ result: OutboundResult; ms: number }> {
  const body = webhookBody(row);
  const at = sender.now();
  const sealed = secretsInForce({ current: row.secret_sealed, previous: row.previous_secret_sealed, previousExpiresAt: row.previous_secret_expires_at }, at);
  const started = performance.now();
  const result = await sender.client.post(row.url, {
    'content-type': 'application/json',
    'user-agent': 'Lendgraph-Webhooks/1',
    // The event's id is the message id: the same on every retry and replay of it, which is what receivers
    // de-duplicate on (Standard Webhooks' webhook-id).
    ...signatureHeaders(sealed.map((secret) => openSecret(sender.key, secret)), row.event_id, body, at),
    'lendgraph-event-type': row.type,
    'lendgraph-delivery-id': row.id,
    'lendgraph-attempt': String(row.attempt),
  }, body);
  return { result, ms: Math.round(performance.now() - started) };
}

/** What an attempt adds to the webhook series: its outcome, a dead delivery, and a delivery's lag from commit. */
function countAttempt(result: OutboundResult, status: 'succeeded' | 'dead' | 'retrying', occurredAt: Date, at: Date): void {
  const outcome = result.outcome === 'answered' ? (status === 'succeeded' ? 'delivered' : 'rejected')
    : result.outcome === 'timedOut' ? 'timed_out' : result.outcome;
  webhookAttempts.inc({ outcome });
  if (status === 'dead') webhookDeliveriesDead.inc();
  if (status === 'succeeded') eventDeliveryLag.observe({ to: 'webhooks' }, Math.max(0, at.getTime() - occurredAt.getTime()) / 1000);
}

/** Records a round's attempts and what they mean for the endpoint; false when the turn should end. */
async function record(sender: Sender, pool: pg.Pool, schema: string, endpointId: string, due: Due[], results: { result: OutboundResult; ms: number }[]): Promise<boolean> {
  const { policy } = sender;
  const at = sender.now();
  let failures = 0;
  const disabled = await withTenantSql(pool, schema, async (_client, sql) => {
    await sql.query((s) => `SELECT 1 FROM ${s}.webhook_endpoint WHERE id = $1 FOR UPDATE`, [endpointId]);
    for (const [index, row] of due.entries()) {
      const { result, ms } = results[index]!;
      const { attempt } = row;
      const error = describeResult(result);
      const statusCode = result.outcome === 'answered' ? result.status : null;
      const status = error === null ? 'succeeded' : attempt >= policy.maxAttempts ? 'dead' : 'retrying';
      if (error !== null) failures += 1;
      countAttempt(result, status, row.occurred_at, at);
      // The attempt was logged when it started; its outcome is recorded even if the delivery has ended since.
      await sql.query(
        (s) => `UPDATE ${s}.webhook_attempt SET status_code = $3, error = $4, duration_ms = $5 WHERE delivery_id = $1 AND attempt = $2`,
        [row.id, attempt, statusCode, error, ms]);
      // A delivery ended meanwhile (its endpoint deactivated) stays as it is.
      await sql.query(
        (s) => `UPDATE ${s}.webhook_delivery SET status = $2, last_status_code = $3, last_error = $4, updated_at = $5,
                delivered_at = CASE WHEN $2 = 'succeeded' THEN $5 ELSE delivered_at END,
                next_attempt_at = CASE WHEN $2 = 'retrying' THEN now() + $6 * interval '1 second' END
          WHERE id = $1 AND status IN ('pending', 'retrying')`,
        [row.id, status, statusCode, error, at, status === 'retrying' ? retryDelaySeconds(policy, attempt) : null]);
    }
    const succeeded = due.length - failures;
    if (failures === 0) {
      await sql.query((s) => `UPDATE ${s}.webhook_endpoint SET consecutive_failures = 0, failing_since = NULL, paused_until = NULL WHERE id = $1`, [endpointId]);
      return false;
    }
    const { rows: [endpoint] } = await sql.query<{ consecutive_failures: number }>(
      (s) => `UPDATE ${s}.webhook_endpoint SET consecutive_failures = consecutive_failures + 1,
              failing_since = CASE WHEN $2 THEN now() ELSE COALESCE(failing_since, now()) END
        WHERE id = $1 RETURNING consecutive_failures`, [endpointId, succeeded > 0]);
    await sql.query((s) => `UPDATE ${s}.webhook_endpoint SET paused_until = now() + $2 * interval '1 second' WHERE id = $1`,
      [endpointId, pauseSeconds(policy, endpoint!.consecutive_failures)]);
    return disableIfFailingTooLong(sql, schema, endpointId, policy, at);
  });
  if (disabled) sender.settle(schema);
  return failures === 0;
}

/** Disables an endpoint that has failed without a success for the configured period; true when it did. */
async function disableIfFailingTooLong(sql: PoolSql, schema: string, endpointId: string, policy: RetryPolicy, at: Date): Promise<boolean> {
  const { rows: [endpoint] } = await sql.query<{ partner_code: string | null; failing_since: Date }>(
    (s) => `UPDATE ${s}.webhook_endpoint SET active = false, disabled_at = $3, updated_at = $3, paused_until = NULL
      WHERE id = $1 AND active AND failing_since <= now() - $2 * interval '1 second'
      RETURNING partner_code, failing_since`, [endpointId, policy.disableAfterSeconds, at]);
  if (!endpoint) return false;
  await sql.query(
    (s) => `UPDATE ${s}.webhook_delivery SET status = 'dead', last_error = 'endpoint disabled', updated_at = $2, next_attempt_at = NULL
      WHERE endpoint_id = $1 AND status IN ('pending', 'retrying')`, [endpointId, at]);
  const payload = { id: endpointId, failingSince: endpoint.failing_since.toISOString(), reason: `no successful delivery for ${policy.disableAfterSeconds} seconds` };
  const event = writtenEvent('webhookEndpoint.disabled', 'WebhookEndpoint', endpointId, payload);
  // The same bookkeeping as a command (commands.ts): an outbox event for the owner and an audit record.
  const tenant = schema.replace(/^tenant_/, '').replaceAll('_', '-');
  await sql.query(
    (s) => `INSERT INTO ${s}.outbox_event (id, type, aggregate_type, aggregate_id, tenant, partner_scope, occurred_at, payload, schema_version)
     VALUES ($1, 'webhookEndpoint.disabled', 'WebhookEndpoint', $2, $3, $4, $5, $6::jsonb, $7)`,
    [randomUUID(), event.aggregateId, tenant, endpoint.partner_code, at, JSON.stringify(event.payload), event.schemaVersion]);
  await sql.query(
    (s) => `INSERT INTO ${s}.audit_record (occurred_at, actor, roles, partner, client_id, action, entity_type, entity_id, before, after, request_id)
     VALUES ($1, $5, '{}', NULL, NULL, 'webhookEndpoint.disable', 'WebhookEndpoint', $2, '{"active":true}', $3::jsonb, $4)`,
    [at, endpointId, JSON.stringify({ active: false, ...payload }), `webhooks-${randomUUID()}`, SYSTEM_ACTORS.webhooks]);
  return true;
}

/** A job out of retries (its worker kept dying): a delivery it named ends as dead. */
export async function markDead(pool: pg.Pool, job: DeliveryJob, now: Date): Promise<void> {
  if (!('deliveryId' in job)) return;
  await poolSql(pool, job.schema).query(
    (s) => `UPDATE ${s}.webhook_delivery SET status = 'dead', last_error = COALESCE(last_error, 'out of attempts'), updated_at = $2
      WHERE id = $1 AND status IN ('pending', 'retrying')`, [job.deliveryId, now]);
}
