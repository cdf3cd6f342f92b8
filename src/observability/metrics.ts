// What a gateway process counts for Prometheus, in one registry per process (docs/observability.md lists every
// series). Counters and histograms are bumped where the work happens; what is a state rather than an event (the
// pool, WebSockets, the webhook queue) is read from its owner when Prometheus scrapes, so it costs nothing between
// scrapes. No series is labelled by tenant: a replica serves thousands of them, and a label per tenant would
// multiply every series by that many. Labels are only values from closed sets (codes, steps, queues, routes) or,
// for operation names, a capped set (graphqlObservers.ts).
import type pg from 'pg';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export const registry = new Registry();
const registers = [registry];

/** Seconds, from a few milliseconds (a read by id) to half a minute (a 100,000-payment file). */
const REQUEST_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Seconds from commit to delivery: sub-second when live, hours when a receiver is down and retries back off. */
const LAG_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 21_600, 86_400];
/** Seconds for background work: a webhook turn, an end-of-day step over a million loans. */
const WORK_SECONDS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];

export const operationDuration = new Histogram({
  name: 'lendgraph_graphql_operation_duration_seconds',
  help: 'GraphQL operations over HTTP, from the request reaching Apollo to its answer, by operation name and type',
  labelNames: ['operation_name', 'operation_type'] as const,
  buckets: REQUEST_SECONDS,
  registers,
});

export const operationErrors = new Counter({
  name: 'lendgraph_graphql_errors_total',
  help: 'Errors in GraphQL answers over HTTP, by extensions.code and the operation that met them',
  labelNames: ['operation_name', 'operation_type', 'code'] as const,
  registers,
});

export const httpRequestDuration = new Histogram({
  name: 'lendgraph_http_request_duration_seconds',
  help: 'HTTP requests to the public port (GraphQL, downloads, uploads, callbacks, probes), by route and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: REQUEST_SECONDS,
  registers,
});

export const websocketRefusals = new Counter({
  name: 'lendgraph_websocket_refusals_total',
  help: 'What a WebSocket connection was refused for holding too much, by reason: a subscription past its caps (TOO_MANY_SUBSCRIPTIONS), a query or mutation past the 16 being answered (TOO_MANY_OPERATIONS), a connection closed 4429 for the answers its client left unread (SLOW_CONSUMER)',
  labelNames: ['reason'] as const,
  registers,
});

export const eventDeliveryLag = new Histogram({
  name: 'lendgraph_event_delivery_lag_seconds',
  help: 'From an event\'s occurredAt (its command\'s time, just before commit) to its delivery: handed to this process\'s subscriptions, or accepted by a webhook receiver',
  labelNames: ['to'] as const,
  buckets: LAG_SECONDS,
  registers,
});

export const webhookAttempts = new Counter({
  name: 'lendgraph_webhook_attempts_total',
  help: 'Webhook delivery attempts by outcome: delivered (2xx), rejected (another status), timed_out, unreachable, refused (destination policy)',
  labelNames: ['outcome'] as const,
  registers,
});

export const webhookDeliveriesDead = new Counter({
  name: 'lendgraph_webhook_deliveries_dead_total',
  help: 'Webhook deliveries that failed their last attempt (WEBHOOK_MAX_ATTEMPTS), or whose last attempt was interrupted, and are dead until replayed',
  registers,
});

export const jobsWorked = new Counter({
  name: 'lendgraph_jobs_total',
  help: 'Background jobs this process worked, by queue and outcome (failed: the job queue retries it, or moves it to its dead letters)',
  labelNames: ['queue', 'outcome'] as const,
  registers,
});

export const jobDuration = new Histogram({
  name: 'lendgraph_job_duration_seconds',
  help: 'How long a background job took, by queue',
  labelNames: ['queue'] as const,
  buckets: WORK_SECONDS,
  registers,
});

export const endOfDayRunsStarted = new Counter({
  name: 'lendgraph_end_of_day_runs_started_total',
  help: 'End-of-day runs (one tenant, one business date) started, or resumed after a failure',
  labelNames: ['resumed'] as const,
  registers,
});

export const endOfDayRunsFinished = new Counter({
  name: 'lendgraph_end_of_day_runs_finished_total',
  help: 'End-of-day runs finished, by outcome (completed, failed)',
  labelNames: ['outcome'] as const,
  registers,
});

export const endOfDayRunsInProgress = new Gauge({
  name: 'lendgraph_end_of_day_runs_in_progress',
  help: 'End-of-day runs this process is working now',
  registers,
});

export const endOfDaySteps = new Counter({
  name: 'lendgraph_end_of_day_steps_total',
  help: 'End-of-day steps run, by step and outcome (completed, failed); steps an earlier attempt finished are not counted',
  labelNames: ['step', 'outcome'] as const,
  registers,
});

export const endOfDayStepDuration = new Histogram({
  name: 'lendgraph_end_of_day_step_duration_seconds',
  help: 'How long each completed end-of-day step took',
  labelNames: ['step'] as const,
  buckets: WORK_SECONDS,
  registers,
});

export const endOfDayStepRows = new Counter({
  name: 'lendgraph_end_of_day_step_rows_total',
  help: 'What completed end-of-day steps recorded as done (replayLoans: loans replayed; advancePositions: loans moved to the new date)',
  labelNames: ['step'] as const,
  registers,
});

export const endOfDayProgress = new Counter({
  name: 'lendgraph_end_of_day_loans_processed_total',
  help: 'Loans the batched end-of-day steps have worked through, counted as each batch commits (presentments: debits)',
  labelNames: ['step'] as const,
  registers,
});

// States read at scrape time from whoever holds them. Several runtimes share one process only in tests; their
// pools and sockets add up, as they would in a process that had them all.

const pools = new Set<pg.Pool>();

/** Counts the pool's connections at every scrape, until the returned function is called. */
export function observePool(pool: pg.Pool): () => void {
  pools.add(pool);
  return () => void pools.delete(pool);
}

new Gauge({
  name: 'lendgraph_db_pool_connections',
  help: 'PostgreSQL connections the pool holds, by state (idle, in_use)',
  labelNames: ['state'] as const,
  registers,
  collect() {
    let total = 0;
    let idle = 0;
    for (const pool of pools) {
      total += pool.totalCount;
      idle += pool.idleCount;
    }
    this.set({ state: 'idle' }, idle);
    this.set({ state: 'in_use' }, total - idle);
  },
});

new Gauge({
  name: 'lendgraph_db_pool_waiting_requests',
  help: 'Requests for a connection waiting because every connection of the pool is in use',
  registers,
  collect() {
    let waiting = 0;
    for (const pool of pools) waiting += pool.waitingCount;
    this.set(waiting);
  },
});

new Gauge({
  name: 'lendgraph_db_pool_max_connections',
  help: 'The most connections the pool may hold (PG_POOL_MAX)',
  registers,
  collect() {
    let max = 0;
    for (const pool of pools) max += pool.options.max ?? 0;
    this.set(max);
  },
});

export interface HeldSockets {
  connections(): number;
  subscriptions(): number;
}

const socketHolders = new Set<HeldSockets>();

/** Counts a WebSocket server's connections and live subscriptions at every scrape, until the returned function is called. */
export function observeSockets(holder: HeldSockets): () => void {
  socketHolders.add(holder);
  return () => void socketHolders.delete(holder);
}

new Gauge({
  name: 'lendgraph_websocket_connections',
  help: 'GraphQL WebSocket connections this process holds',
  registers,
  collect() {
    let n = 0;
    for (const holder of socketHolders) n += holder.connections();
    this.set(n);
  },
});

new Gauge({
  name: 'lendgraph_graphql_subscriptions_active',
  help: 'GraphQL subscriptions streaming over this process\'s WebSockets',
  registers,
  collect() {
    let n = 0;
    for (const holder of socketHolders) n += holder.subscriptions();
    this.set(n);
  },
});

/** How long a scrape waits for the queue's size before reporting the last one it had. */
const QUEUE_READ_TIMEOUT_MS = 2_000;
let webhookQueueSize: (() => Promise<number>) | undefined;

/** Reads the webhook queue's size at every scrape (one count on the job table), until the returned function is called. */
export function observeWebhookQueue(size: () => Promise<number>): () => void {
  webhookQueueSize = size;
  return () => {
    if (webhookQueueSize === size) webhookQueueSize = undefined;
  };
}

new Gauge({
  name: 'lendgraph_webhook_queue_jobs',
  help: 'Webhook wake-ups queued and not yet taken (one per endpoint with deliveries waiting, including those waiting out a retry delay or pause)',
  registers,
  async collect() {
    const size = webhookQueueSize;
    if (!size) return;
    // A database that does not answer must not hang the scrape: the last size read stays.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), QUEUE_READ_TIMEOUT_MS);
    });
    const read = await Promise.race([size().catch(() => undefined), timeout]);
    clearTimeout(timer);
    if (read !== undefined) this.set(read);
  },
});

let processMetrics = false;

/** prom-client's own process and Node.js series (CPU, memory, event loop lag, GC), once the listener serves. */
export function collectProcessMetrics(): void {
  if (processMetrics) return;
  processMetrics = true;
  collectDefaultMetrics({ register: registry });
}
