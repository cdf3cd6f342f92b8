// Prometheus metrics, scraped from a gateway started as every test file starts one, with METRICS_PORT set: GraphQL
// operations by name and type and their errors by code, HTTP requests by route, the pool, WebSocket subscriptions
// while they stream, event delivery to subscribers and webhooks, the webhook queue, jobs and end of day, Node's own
// process series — and none of it on the public port. Tracing is off in this file: the pool's connections are pg's own.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, USER_ERRORS, userErrors, type TestServer } from '../support/harness.js';
import { ownDatabase, type OwnDatabase } from '../support/ownDatabase.js';
import { freePort } from '../support/ports.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { subscribe, until } from '../support/ws.js';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { runEndOfDay } from '../../src/services/endOfDay/run.js';
import { observedJob } from '../../src/observability/backgroundWork.js';
import { OperationNames, OPERATION_NAMES_LIMIT, OTHER } from '../../src/observability/graphqlObservers.js';
import { samplesOf, scrape, valueOf, type Scrape } from './scrape.js';

let database: OwnDatabase;
let server: TestServer;
let tenant: TenantRecord;
let admin: string;
let metricsPort: number;
let receiver: Receiver;

const metrics = () => scrape(`http://127.0.0.1:${metricsPort}/metrics`);

/** Scrapes until `ready` holds of what was scraped (what the server does after answering, it does soon after). */
async function scrapeUntil(ready: (scraped: Scrape) => boolean, timeoutMs = 15_000): Promise<Scrape> {
  for (const deadline = Date.now() + timeoutMs; ; await new Promise((resolve) => setTimeout(resolve, 50))) {
    const scraped = await metrics();
    if (ready(scraped)) return scraped;
    if (Date.now() > deadline) throw new Error('the metrics did not reach the expected state in time');
  }
}

beforeAll(async () => {
  metricsPort = await freePort();
  receiver = await startReceiver();
  database = await ownDatabase('metrics');
  server = await startTestServer({
    DATABASE_URL: database.url,
    METRICS_PORT: String(metricsPort),
    // Webhook workers of this file's own queue (on a database of its own: test/support/ownDatabase.ts), delivering to a receiver on loopback; one attempt, so a failing
    // receiver makes a dead delivery at once.
    JOBS_ENABLED: 'true', JOBS_SCHEMA: 'pgboss_observability_metrics', WEBHOOK_MAX_ATTEMPTS: '1',
    OUTBOUND_ALLOW_PRIVATE_DESTINATIONS: 'true', OUTBOUND_ALLOWED_PORTS: '1024-65535',
  });
  tenant = await createTenant(server.runtime, uniqueSlug('metrics'), { sandbox: true });
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
});
afterAll(async () => {
  await server?.close();
  await receiver?.close();
  await database?.drop();
});

describe('the metrics listener', () => {
  it('serves /metrics in Prometheus\'s text format on METRICS_PORT, and nothing else there', async () => {
    expect(server.gateway.metricsUrl).toBe(`http://127.0.0.1:${metricsPort}/metrics`);
    const scraped = await metrics();
    expect(scraped.status).toBe(200);
    expect(scraped.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(scraped.types.get('lendgraph_graphql_operation_duration_seconds')).toBe('histogram');
    expect(scraped.types.get('lendgraph_graphql_errors_total')).toBe('counter');
    expect(scraped.types.get('lendgraph_db_pool_connections')).toBe('gauge');
    expect(scraped.types.get('lendgraph_websocket_refusals_total')).toBe('counter');
    // prom-client's process series.
    expect(samplesOf(scraped, 'process_cpu_user_seconds_total')).toHaveLength(1);
    expect(samplesOf(scraped, 'nodejs_eventloop_lag_seconds')).toHaveLength(1);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/graphql`)).status).toBe(404);
  });

  it('is not served on the public port', async () => {
    const response = await fetch(`${server.gateway.url}/metrics`);
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('lendgraph_');
  });

  it('is off with METRICS_PORT=0, the test servers\' default', async () => {
    const quiet = await startTestServer();
    try {
      expect(quiet.runtime.config.METRICS_PORT).toBe(0);
      expect(quiet.gateway.metricsUrl).toBeNull();
    } finally {
      await quiet.close();
    }
  });
});

describe('GraphQL operations and HTTP requests', () => {
  it('times each operation by name and type and counts its errors by code', async () => {
    const before = await metrics();
    const parties = await gql(server.gateway, 'query ObservedParties { parties(first: 2) { edges { node { id } } } }', { token: admin });
    expect(parties.errors).toBeUndefined();
    const tooMany = await gql(server.gateway, 'query ObservedTooMany { parties(first: 100000) { edges { node { id } } } }', { token: admin });
    expect(codes(tooMany)).toEqual(['BAD_USER_INPUT']);
    const unparsable = await gql(server.gateway, 'query { parties(', { token: admin });
    expect(codes(unparsable)).toEqual(['BAD_USER_INPUT']);
    const badToken = await gql(server.gateway, 'query ObservedNobody { viewer { subject } }', { token: 'not-a-token' });
    expect(codes(badToken)).toEqual(['UNAUTHENTICATED']);
    expect((await fetch(`${server.gateway.url}/healthz`)).status).toBe(200);
    const after = await metrics();

    const increase = (name: string, labels: Record<string, string>) => valueOf(after, name, labels) - valueOf(before, name, labels);
    const parties_ = { operation_name: 'ObservedParties', operation_type: 'query' };
    expect(increase('lendgraph_graphql_operation_duration_seconds_count', parties_)).toBe(1);
    expect(increase('lendgraph_graphql_operation_duration_seconds_bucket', { ...parties_, le: '+Inf' })).toBe(1);
    expect(valueOf(after, 'lendgraph_graphql_operation_duration_seconds_sum', parties_)).toBeGreaterThan(0);
    expect(increase('lendgraph_graphql_errors_total', parties_)).toBe(0);
    expect(increase('lendgraph_graphql_errors_total', { operation_name: 'ObservedTooMany', operation_type: 'query', code: 'BAD_USER_INPUT' })).toBe(1);
    // A request that never became an operation is counted under (none), its type unknown.
    expect(increase('lendgraph_graphql_errors_total', { operation_name: '(none)', operation_type: 'unknown', code: 'BAD_USER_INPUT' })).toBe(1);
    expect(increase('lendgraph_graphql_errors_total', { operation_name: '(none)', operation_type: 'unknown', code: 'UNAUTHENTICATED' })).toBe(1);

    const graphql = { method: 'POST', route: '/graphql' };
    expect(increase('lendgraph_http_request_duration_seconds_count', { ...graphql, status: '200' })).toBe(1);
    expect(increase('lendgraph_http_request_duration_seconds_count', { ...graphql, status: '400' })).toBe(2);
    expect(increase('lendgraph_http_request_duration_seconds_count', { ...graphql, status: '401' })).toBe(1);
    expect(increase('lendgraph_http_request_duration_seconds_count', { method: 'GET', route: '/healthz', status: '200' })).toBe(1);
    // No series is labelled by tenant, request or caller.
    for (const sample of after.samples.filter((s) => s.name.startsWith('lendgraph_'))) {
      expect(Object.keys(sample.labels)).not.toContain('tenant');
      expect(JSON.stringify(sample.labels)).not.toContain(tenant.slug);
    }
  });

  it('labels a download by its route, never by the file asked for', async () => {
    const before = await metrics();
    const response = await fetch(`${server.gateway.url}/statements/loans/no-such-statement.pdf`, { headers: { authorization: `Bearer ${admin}` } });
    expect(response.status).toBeGreaterThanOrEqual(400);
    const after = await metrics();
    const labels = { method: 'GET', route: '/statements/loans/:file', status: String(response.status) };
    expect(valueOf(after, 'lendgraph_http_request_duration_seconds_count', labels) - valueOf(before, 'lendgraph_http_request_duration_seconds_count', labels)).toBe(1);
    expect(JSON.stringify(after.samples.map((s) => s.labels))).not.toContain('no-such-statement');
  });

  it('keeps the set of operation names bounded: past the limit new names are counted as (other)', () => {
    const names = new OperationNames();
    for (let i = 0; i < OPERATION_NAMES_LIMIT; i += 1) expect(names.label(true, `Op${i}`)).toBe(`Op${i}`);
    expect(names.label(true, 'OneTooMany')).toBe(OTHER);
    // Names already seen keep their own label.
    expect(names.label(true, 'Op7')).toBe('Op7');
    expect(names.label(true, null)).toBe('(anonymous)');
    expect(names.label(false, 'Unresolved')).toBe('(none)');
  });
});

describe('the pool', () => {
  it('reports its connections by state, the requests waiting for one, and its size', async () => {
    const held = await server.runtime.pool.connect();
    try {
      const scraped = await metrics();
      expect(valueOf(scraped, 'lendgraph_db_pool_connections', { state: 'in_use' })).toBeGreaterThanOrEqual(1);
      expect(samplesOf(scraped, 'lendgraph_db_pool_connections', { state: 'idle' })).toHaveLength(1);
      expect(samplesOf(scraped, 'lendgraph_db_pool_waiting_requests')).toHaveLength(1);
      expect(valueOf(scraped, 'lendgraph_db_pool_max_connections')).toBe(server.runtime.config.PG_POOL_MAX);
      // With tracing off nothing is wrapped: the connection's query and the pool's connect are pg's own.
      expect(held.query).toBe(pg.Client.prototype.query);
      expect(Object.hasOwn(server.runtime.pool, 'connect')).toBe(false);
    } finally {
      held.release();
    }
  });
});

describe('subscriptions and events', () => {
  it('counts WebSocket connections and live subscriptions up while they stream and down when they end', async () => {
    const before = await metrics();
    expect(valueOf(before, 'lendgraph_graphql_subscriptions_active')).toBe(0);
    const subscriber = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${admin}` }, 'subscription { heartbeat(everySeconds: 5) { at } }');
    await until(() => subscriber.results.length > 0);
    const during = await metrics();
    expect(valueOf(during, 'lendgraph_graphql_subscriptions_active')).toBe(1);
    expect(valueOf(during, 'lendgraph_websocket_connections')).toBe(1);
    await subscriber.stop();
    // The socket closes after the client says so: the gauges fall when the server has seen it.
    const after = await scrapeUntil((scraped) => valueOf(scraped, 'lendgraph_websocket_connections') === 0);
    expect(valueOf(after, 'lendgraph_graphql_subscriptions_active')).toBe(0);
  });

  it('measures an event\'s lag to subscribers and to webhooks, counts webhook attempts by outcome, dead deliveries and jobs', async () => {
    receiver.script('/down', [500]);
    const REGISTER = `mutation($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { webhookEndpoint { id } ${USER_ERRORS} } }`;
    for (const path of ['/up', '/down']) {
      const registered = await gql(server.gateway, REGISTER, { token: admin, variables: { input: { url: receiver.url(path), eventTypes: ['partner.registered'] } } });
      expect(userErrors(registered, 'registerWebhookEndpoint')).toEqual([]);
    }
    const subscriber = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${admin}` }, 'subscription { events(types: ["partner.registered"]) { type } }');
    // The subscription is live once the server counts it.
    await scrapeUntil((scraped) => valueOf(scraped, 'lendgraph_graphql_subscriptions_active') === 1);
    const before = await metrics();
    const partner = await gql(server.gateway, `mutation { registerPartner(input: { code: "observed", name: "Observed", kind: ORIGINATION }) { partner { code } ${USER_ERRORS} } }`, { token: admin });
    expect(userErrors(partner, 'registerPartner')).toEqual([]);
    await until(() => subscriber.results.length > 0);
    await until(() => receiver.received.some((r) => r.path === '/up') && receiver.received.some((r) => r.path === '/down'), 30_000);
    await subscriber.stop();

    // The attempts are counted as the worker records them, just after the receiver has answered, and the job when
    // the worker has ended its turn.
    const increase = (after: Scrape, name: string, labels: Record<string, string> = {}) => valueOf(after, name, labels) - valueOf(before, name, labels);
    const after = await scrapeUntil((scraped) => increase(scraped, 'lendgraph_webhook_attempts_total') >= 2
      && increase(scraped, 'lendgraph_jobs_total', { queue: 'webhook-delivery', outcome: 'completed' }) >= 1);
    expect(increase(after, 'lendgraph_webhook_attempts_total', { outcome: 'delivered' })).toBe(1);
    expect(increase(after, 'lendgraph_webhook_attempts_total', { outcome: 'rejected' })).toBe(1);
    expect(increase(after, 'lendgraph_webhook_deliveries_dead_total')).toBe(1);
    expect(increase(after, 'lendgraph_event_delivery_lag_seconds_count', { to: 'subscribers' })).toBe(1);
    expect(increase(after, 'lendgraph_event_delivery_lag_seconds_count', { to: 'webhooks' })).toBe(1);
    expect(increase(after, 'lendgraph_job_duration_seconds_count', { queue: 'webhook-delivery' })).toBeGreaterThanOrEqual(1);
    expect(samplesOf(after, 'lendgraph_webhook_queue_jobs')).toHaveLength(1);
    expect(valueOf(after, 'lendgraph_webhook_queue_jobs')).toBeGreaterThanOrEqual(0);
  });

  it('counts a job that fails as failed, and lets its failure through to the queue', async () => {
    const before = await metrics();
    const failing = observedJob('observability-probe', async () => {
      throw new Error('the receiver is gone');
    });
    await expect(failing()).rejects.toThrow('the receiver is gone');
    const after = await metrics();
    const labels = { queue: 'observability-probe', outcome: 'failed' };
    expect(valueOf(after, 'lendgraph_jobs_total', labels) - valueOf(before, 'lendgraph_jobs_total', labels)).toBe(1);
  });
});

describe('end of day', () => {
  it('counts runs started and finished, each step by outcome with its duration and rows', async () => {
    const before = await metrics();
    const [outcome] = await runEndOfDay(server.runtime, tenant.slug, { startedBy: 'test' });
    expect(outcome).toBeDefined();
    const after = await metrics();
    const increase = (name: string, labels: Record<string, string> = {}) => valueOf(after, name, labels) - valueOf(before, name, labels);
    expect(increase('lendgraph_end_of_day_runs_started_total', { resumed: 'false' })).toBe(1);
    expect(increase('lendgraph_end_of_day_runs_finished_total', { outcome: 'completed' })).toBe(1);
    expect(valueOf(after, 'lendgraph_end_of_day_runs_in_progress')).toBe(0);
    const ran = outcome!.steps.filter((step) => !step.skipped);
    expect(ran.length).toBeGreaterThan(5);
    for (const step of ran) {
      expect(increase('lendgraph_end_of_day_steps_total', { step: step.step, outcome: 'completed' })).toBe(1);
      expect(increase('lendgraph_end_of_day_step_duration_seconds_count', { step: step.step })).toBe(1);
      expect(increase('lendgraph_end_of_day_step_rows_total', { step: step.step })).toBe(step.rows);
    }
  });
});
