// OpenTelemetry traces, kept in memory by the SDK's own exporter: a GraphQL operation is a child of the caller's
// span named in `traceparent`, with its parse, validation, execution and SQL as its children; the log lines written
// inside it carry its trace id (the INTERNAL error's line too, with its correlation id); a webhook delivery is a
// client span under its job's; end of day is a span per run and per step. Receivers listen on 127.0.0.1 only.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { withoutLiterals } from '../../src/observability/sqlSpans.js';
import { ReadsTogether } from '../../src/tenancy/readsTogether.js';
import { InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { startTracing, type Tracing } from '../../src/observability/tracing.js';
import { runEndOfDay } from '../../src/services/endOfDay/run.js';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { codes, createTenant, devToken, gql, startLoggedServer, uniqueSlug, USER_ERRORS, userErrors, type TestServer } from '../support/harness.js';
import { ownDatabase, type OwnDatabase } from '../support/ownDatabase.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { until } from '../support/ws.js';

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let database: OwnDatabase;
let server: TestServer & { logs: Record<string, any>[] };
let receiver: Receiver;
let tenant: TenantRecord;
let admin: string;


/** A caller's trace context, as W3C `traceparent` carries it. */
function callerSpan(): { traceId: string; spanId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  const spanId = randomBytes(8).toString('hex');
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01` };
}

const spans = () => exporter.getFinishedSpans();
const inTrace = (traceId: string) => spans().filter((span) => span.spanContext().traceId === traceId);
const childrenOf = (parent: ReadableSpan) => spans().filter((span) => span.parentSpanContext?.spanId === parent.spanContext().spanId);

/** The finished span `find` picks, once it has ended (a server span ends as its response closes). */
async function finished(find: (span: ReadableSpan) => boolean): Promise<ReadableSpan> {
  await until(() => spans().some(find), 15_000);
  return spans().find(find)!;
}

beforeAll(async () => {
  // As main.ts does: tracing first, then the runtime's pool and the gateway, which make spans only if it is on.
  tracing = startTracing({ tracesUrl: null, OTEL_SERVICE_NAME: 'lendgraph-test', OTEL_TRACES_SAMPLER: 'parentbased_always_on', OTEL_TRACES_SAMPLER_ARG: 1 },
    [new SimpleSpanProcessor(exporter)])!;
  receiver = await startReceiver();
  // Webhook workers on a queue, and a database, of this file's own (test/support/ownDatabase.ts).
  database = await ownDatabase('tracing');
  server = await startLoggedServer({
    DATABASE_URL: database.url,
    JOBS_ENABLED: 'true', JOBS_SCHEMA: 'pgboss_observability_tracing',
    OUTBOUND_ALLOW_PRIVATE_DESTINATIONS: 'true', OUTBOUND_ALLOWED_PORTS: '1024-65535',
  });
  tenant = await createTenant(server.runtime, uniqueSlug('traced'), { sandbox: true });
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
});
afterAll(async () => {
  await server?.close();
  await receiver?.close();
  await tracing?.shutdown();
  await database?.drop();
});

describe('GraphQL operations', () => {
  it('an operation is a child of the caller\'s span from traceparent, with its phases and its SQL as children', async () => {
    const caller = callerSpan();
    const response = await gql(server.gateway, 'query TracedParties { parties(first: 2) { edges { node { id legalName } } } }', {
      token: admin, headers: { traceparent: caller.traceparent, 'x-request-id': 'traced-1' },
    });
    expect(response.errors).toBeUndefined();
    const operation = await finished((span) => span.name === 'query TracedParties' && span.spanContext().traceId === caller.traceId);
    expect(operation.kind).toBe(SpanKind.SERVER);
    expect(operation.parentSpanContext?.spanId).toBe(caller.spanId);
    expect(operation.parentSpanContext?.traceId).toBe(caller.traceId);
    expect(operation.attributes).toMatchObject({
      'graphql.operation.type': 'query', 'graphql.operation.name': 'TracedParties',
      'http.request.method': 'POST', 'http.route': '/graphql', 'http.response.status_code': 200,
    });
    expect(operation.resource.attributes['service.name']).toBe('lendgraph-test');

    const children = childrenOf(operation);
    expect(children.map((span) => span.name)).toEqual(expect.arrayContaining(['graphql.parse', 'graphql.validate', 'graphql.execute']));
    const sql = children.filter((span) => span.attributes['db.system.name'] === 'postgresql');
    expect(sql.length).toBeGreaterThan(0);
    for (const statement of sql) {
      expect(statement.kind).toBe(SpanKind.CLIENT);
      expect(statement.name).toMatch(/^[A-Z]+$/);
      expect(statement.attributes['db.operation.name']).toBe(statement.name);
    }
    // The parties were read: a statement naming the tenant's party table is among them.
    expect(sql.some((span) => /party/i.test(String(span.attributes['db.query.text'])))).toBe(true);
    // Every span of the request is in the caller's trace, and in that trace only.
    expect(inTrace(caller.traceId).length).toBe(1 + children.length);

    // The operation's log line carries the trace and the operation's span.
    const line = server.logs.find((entry) => entry['msg'] === 'graphql operation' && entry['requestId'] === 'traced-1');
    expect(line).toMatchObject({ trace_id: caller.traceId, span_id: operation.spanContext().spanId, trace_flags: '01', operationName: 'TracedParties' });
  });

  it('a statement\'s span never carries the values in it: literals written into the text and parameters alike', async () => {
    const caller = trace.getTracer('lendgraph-test');
    await caller.startActiveSpan('values test', async (parent) => {
      await server.runtime.pool.query("SELECT 'borrower-secret-77' AS a, 4242.17 AS b, $1::text AS c", ['param-secret-88']);
      // As the hot path sends a command: several statements with their values inlined, in one simple query.
      const client = await server.runtime.pool.connect();
      try {
        await client.query("SELECT 'key-secret-99' AS k; SELECT E'a\\\\b-secret-55' AS e, 'it''s-secret-66' AS q, 987654.32 AS amount");
      } finally {
        client.release();
      }
      parent.end();
    });
    const texts = spans().filter((span) => span.attributes['db.system.name'] === 'postgresql').map((span) => String(span.attributes['db.query.text']));
    const ours = texts.filter((text) => text.includes('AS a') || text.includes('AS k'));
    expect(ours).toHaveLength(2);
    for (const text of texts) {
      for (const secret of ['borrower-secret-77', '4242.17', 'param-secret-88', 'key-secret-99', 'secret-55', 'secret-66', '987654.32']) expect(text).not.toContain(secret);
    }
    expect(ours).toContain('SELECT ? AS a, ? AS b, $1::text AS c');
    // A statement cut short inside a literal keeps nothing after the quote.
    expect(withoutLiterals("INSERT INTO t VALUES ('a', 'half of a sec")).toBe('INSERT INTO t VALUES (?, ?');
  });

  it('reads asked together keep a span for each caller\'s wait in its own trace, saying how many shared the statement', async () => {
    const together = new ReadsTogether();
    const read = async (ids: string[]) => ids.map((id) => ({ id }));
    const rows = { idOf: (row: { id: string }) => row.id, copy: (row: { id: string }) => ({ ...row }) };
    const callers: string[] = [];
    await Promise.all(['a', 'b'].map((id) => trace.getTracer('test').startActiveSpan(`caller ${id}`, async (span) => {
      callers.push(span.spanContext().traceId);
      try {
        return await together.read('loan-row', [id], read, rows);
      } finally {
        span.end();
      }
    })));
    expect(new Set(callers).size).toBe(2);
    for (const traceId of callers) {
      const waits = inTrace(traceId).filter((span) => span.name === 'rows read together');
      expect(waits).toHaveLength(1);
      expect(waits[0]!.attributes['lendgraph.callers']).toBe(2);
      expect(waits[0]!.attributes['lendgraph.ids']).toBe(1);
    }
  });

  it('a request without traceparent starts a trace of its own; the probes make none', async () => {
    const probe = callerSpan();
    expect((await fetch(`${server.gateway.url}/healthz`, { headers: { traceparent: probe.traceparent } })).status).toBe(200);
    const response = await gql(server.gateway, 'query TracedViewer { viewer { subject } }', { token: admin });
    expect(response.errors).toBeUndefined();
    const operation = await finished((span) => span.name === 'query TracedViewer');
    expect(operation.parentSpanContext).toBeUndefined();
    expect(inTrace(probe.traceId)).toEqual([]);
  });

  it('an INTERNAL error is logged with its correlation id and the trace id, and marks the operation failed', async () => {
    const broken = await createTenant(server.runtime, uniqueSlug('traced-broken'), { sandbox: true });
    await server.runtime.pool.query(`ALTER TABLE ${broken.schemaName}.party RENAME COLUMN legal_name TO legal_name_old`);
    const caller = callerSpan();
    const response = await gql(server.gateway, 'query BrokenParties { parties(first: 2) { edges { node { legalName } } } }', {
      token: await devToken(server.runtime, 'finance', broken.slug), headers: { traceparent: caller.traceparent, 'x-request-id': 'traced-internal' },
    });
    expect(codes(response)).toEqual(['INTERNAL']);
    const correlationId = response.errors![0]!.extensions['correlationId'] as string;
    const line = server.logs.find((entry) => entry['msg'] === 'internal error' && entry['correlationId'] === correlationId);
    expect(line).toMatchObject({ level: 50, requestId: 'traced-internal', tenant: broken.slug, trace_id: caller.traceId });
    const operation = await finished((span) => span.name === 'query BrokenParties' && span.spanContext().traceId === caller.traceId);
    expect(operation.status.code).toBe(SpanStatusCode.ERROR);
    expect(operation.attributes['lendgraph.correlation_ids']).toEqual([correlationId]);
    // The failed statement is in the trace, named by its SQLSTATE (undefined column), its message left out.
    const failedSql = childrenOf(operation).find((span) => span.attributes['db.system.name'] === 'postgresql' && span.status.code === SpanStatusCode.ERROR);
    expect(failedSql?.attributes['db.response.status_code']).toBe('42703');
    expect(failedSql?.status.message).toBe('42703');
  });
});

describe('background work', () => {
  it('a webhook delivery is a client span under its job\'s span, and no trace context is sent to the receiver', async () => {
    const REGISTER = `mutation($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { webhookEndpoint { id } ${USER_ERRORS} } }`;
    const registered = await gql(server.gateway, REGISTER, { token: admin, variables: { input: { url: receiver.url('/traced'), eventTypes: ['partner.registered'] } } });
    expect(userErrors(registered, 'registerWebhookEndpoint')).toEqual([]);
    const partner = await gql(server.gateway, `mutation { registerPartner(input: { code: "traced", name: "Traced", kind: ORIGINATION }) { partner { code } ${USER_ERRORS} } }`, { token: admin });
    expect(userErrors(partner, 'registerPartner')).toEqual([]);
    await until(() => receiver.received.some((r) => r.path === '/traced'), 30_000);
    const port = Number(new URL(receiver.url('/')).port);

    const delivery = await finished((span) => span.kind === SpanKind.CLIENT && span.name === 'POST' && span.attributes['server.port'] === port);
    expect(delivery.attributes).toMatchObject({ 'http.request.method': 'POST', 'server.address': '127.0.0.1', 'url.scheme': 'http', 'http.response.status_code': 200 });
    // The job's span ends with its turn, after the delivery's.
    const job = await finished((span) => span.spanContext().spanId === delivery.parentSpanContext?.spanId);
    expect(job).toMatchObject({ name: 'job webhook-delivery', kind: SpanKind.CONSUMER });
    expect(job!.attributes['messaging.destination.name']).toBe('webhook-delivery');
    // The turn's own SQL (taking the endpoint's turn, recording the attempt) is in the job's trace.
    expect(inTrace(job!.spanContext().traceId).some((span) => span.attributes['db.system.name'] === 'postgresql')).toBe(true);
    const request = receiver.received.find((r) => r.path === '/traced')!;
    expect(request.headers['traceparent']).toBeUndefined();
  });

  it('end of day is a span per run with a child per step, and the steps\' SQL under them', async () => {
    const [outcome] = await runEndOfDay(server.runtime, tenant.slug, { startedBy: 'test' });
    const run = await finished((span) => span.name === 'end of day' && span.attributes['lendgraph.tenant'] === tenant.slug);
    expect(run.attributes['lendgraph.business_date']).toBe(outcome!.businessDate);
    expect(run.parentSpanContext).toBeUndefined();
    // Beside the steps, the run's own SQL: which steps an earlier attempt finished, the run's completion.
    const steps = childrenOf(run).filter((span) => span.attributes['lendgraph.end_of_day.step'] !== undefined);
    expect(childrenOf(run).filter((span) => !steps.includes(span)).every((span) => span.attributes['db.system.name'] === 'postgresql')).toBe(true);
    expect(steps.map((span) => span.attributes['lendgraph.end_of_day.step'])).toEqual(outcome!.steps.filter((s) => !s.skipped).map((s) => s.step));
    const advance = steps.find((span) => span.name === 'end of day advancePositions')!;
    expect(childrenOf(advance).some((span) => span.attributes['db.system.name'] === 'postgresql')).toBe(true);
  });
});
