// Partner webhooks end to end, against a real HTTP receiver on loopback: deliveries are signed as
// docs/webhooks.md says, retried with exponential backoff on the job queue while the receiver fails, dead after
// the last attempt, replayable by mutation, logged, and never sent to a partner the event does not concern.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { OutboundClient } from '../../src/outbound/client.js';
import { takeTurn } from '../../src/events/webhooks/delivery.js';
import { quoteIdent } from '../../src/tenancy/schemaNames.js';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from '../support/harness.js';
import { ownDatabase, type OwnDatabase } from '../support/ownDatabase.js';
import { startReceiver, type Receiver } from '../support/receiver.js';
import { until } from '../support/ws.js';
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { secretsInForce, signatureHeaders } from '../../src/events/webhooks/signature.js';
import { webhookDeliveriesDead } from '../../src/observability/metrics.js';

const fromGlobalId = (id: string) => decodeGlobalID(id).id;

let database: OwnDatabase;
let server: TestServer;
let tenant: TenantRecord;
let receiver: Receiver;
// Accepts requests and never answers them.
let hanging: Server;
const unanswered: IncomingMessage[] = [];
// A server with the defaults (private destinations refused), for registration only: no workers.
let strict: TestServer;
let strictTenant: TenantRecord;

// The partner's side, as docs/webhooks.md shows it: the stock Standard Webhooks library from npm, nothing of ours.
function verify(secret: string, rawBody: string, headers: IncomingHttpHeaders): boolean {
  try {
    new Webhook(secret).verify(rawBody, headers as Record<string, string>);
    return true;
  } catch (error) {
    if (error instanceof WebhookVerificationError) return false;
    throw error;
  }
}

const REGISTER = `mutation($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { signingSecret webhookEndpoint { id partnerCode url eventTypes active } ${USER_ERRORS} } }`;
const LOG = `query($endpoint: ID) { webhookDeliveries(first: 20, endpointId: $endpoint) { edges { node {
  id eventId eventType status attempts lastStatusCode replayOf { id } endpoint { url } attemptLog { attempt statusCode error } } } } }`;

const partnerToken = (code: string) => devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: code, kind: 'origination' } });
const adminToken = () => devToken(server.runtime, 'tenant-admin', tenant.slug);

async function register(token: string, input: Record<string, unknown>) {
  const response = await gql(server.gateway, REGISTER, { token, variables: { input } });
  expect(response.errors).toBeUndefined();
  expect(userErrors(response, 'registerWebhookEndpoint')).toEqual([]);
  return response.data!['registerWebhookEndpoint'] as { signingSecret: string; webhookEndpoint: { id: string; partnerCode: string | null } };
}

/** lendgraph_webhook_deliveries_dead_total in this process. */
const deadCount = async () => (await webhookDeliveriesDead.get()).values[0]?.value ?? 0;

async function deliveries(token: string, endpoint: string) {
  const response = await gql(server.gateway, LOG, { token, variables: { endpoint } });
  expect(response.errors).toBeUndefined();
  return (response.data!['webhookDeliveries'].edges as { node: Record<string, any> }[]).map((edge) => edge.node);
}

/** The endpoint's log once `count` deliveries have finished (succeeded or dead). */
async function settledLog(token: string, endpoint: string, count: number) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const log = await deliveries(token, endpoint);
    const finished = log.filter((d) => d['status'] === 'SUCCEEDED' || d['status'] === 'DEAD');
    if (finished.length >= count || Date.now() > deadline) return log;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Events as commands write them (unsettled), then settled: their deliveries are created as any event's are. The
 * types are catalogued ones this file never otherwise emits, so only the endpoints registered for them receive them.
 */
async function addEvents(type: string, partnerScope: string | null, count: number) {
  await server.runtime.pool.query(
    `INSERT INTO ${quoteIdent(tenant.schemaName)}.outbox_event (id, type, aggregate_type, aggregate_id, tenant, partner_scope, occurred_at, payload)
     SELECT gen_random_uuid(), $1, 'Probe', 'probe-' || n, $2, $3, now(), jsonb_build_object('n', n) FROM generate_series(1, $4) AS n`,
    [type, tenant.slug, partnerScope, count]);
  await server.runtime.settler.settle(tenant.schemaName);
}

beforeAll(async () => {
  receiver = await startReceiver();
  hanging = createServer((request) => { unanswered.push(request); request.resume(); });
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', resolve));
  // Receivers here listen on 127.0.0.1 at ports the system picks: this server says so explicitly (off by default).
  database = await ownDatabase('webhooks');
  server = await startTestServer({
    DATABASE_URL: database.url,
    JOBS_ENABLED: 'true', WEBHOOK_MAX_ATTEMPTS: '3', WEBHOOK_RETRY_DELAY_SECONDS: '1', WEBHOOK_TIMEOUT_MS: '10000',
    OUTBOUND_ALLOW_PRIVATE_DESTINATIONS: 'true', OUTBOUND_ALLOWED_PORTS: '1024-65535',
    // Short enough to watch an endpoint being disabled (the default is 3 days, paused up to an hour).
    WEBHOOK_DISABLE_AFTER_SECONDS: '15', WEBHOOK_MAX_PAUSE_SECONDS: '3',
    // A queue (on a database) of this file's own: its workers never take (or, with the settings above, disable) the
    // endpoints other test files register, and no other file's server settles its commits onto another queue.
    JOBS_SCHEMA: 'pgboss_webhooks_test',
  });
  strict = await startTestServer();
  strictTenant = await createTenant(strict.runtime, uniqueSlug('hooks-strict'));
  const strictPartner = await gql(strict.gateway, `mutation { registerPartner(input: { code: "alpha", name: "Alpha", kind: ORIGINATION }) { partner { code } ${USER_ERRORS} } }`, {
    token: await devToken(strict.runtime, 'tenant-admin', strictTenant.slug),
  });
  expect(strictPartner.errors).toBeUndefined();
  expect(userErrors(strictPartner, 'registerPartner')).toEqual([]);
  tenant = await createTenant(server.runtime, uniqueSlug('hooks'));
  const admin = await adminToken();
  for (const code of ['alpha', 'beta']) {
    const registered = await gql(server.gateway, `mutation($input: RegisterPartnerInput!) { registerPartner(input: $input) { partner { code } ${USER_ERRORS} } }`, {
      token: admin, variables: { input: { code, name: `Partner ${code}`, kind: 'ORIGINATION' } },
    });
    expect(registered.errors).toBeUndefined();
    expect(userErrors(registered, 'registerPartner')).toEqual([]);
  }
});
afterAll(async () => {
  await strict.close();
  await server.close();
  await receiver.close();
  hanging.closeAllConnections();
  await new Promise<void>((resolve) => hanging.close(() => resolve()));
  await database?.drop();
});

describe('partner webhooks', () => {
  it('signs each delivery, retries with growing delays until the receiver accepts, and logs every attempt; other partners get nothing', async () => {
    receiver.script('/alpha', [500, 502, 200]);
    const alpha = await register(await partnerToken('alpha'), { url: receiver.url('/alpha'), eventTypes: ['partner.*'] });
    expect(alpha.webhookEndpoint).toMatchObject({ partnerCode: 'alpha', active: true });
    expect(alpha.signingSecret).toMatch(/^whsec_/);
    // Beta listens to everything it may see; alpha's events are not among them.
    await register(await partnerToken('beta'), { url: receiver.url('/beta'), eventTypes: ['*'] });

    // An event that concerns alpha: its client secret is rotated.
    const rotated = await gql(server.gateway, `mutation { rotatePartnerSecret(input: { code: "alpha" }) { partner { code } ${USER_ERRORS} } }`, { token: await adminToken() });
    expect(rotated.errors).toBeUndefined();
    expect(rotated.data!['rotatePartnerSecret']).toEqual({ partner: { code: 'alpha' }, userErrors: [] });

    await until(() => receiver.received.filter((r) => r.path === '/alpha').length >= 3, 30_000);
    const attempts = receiver.received.filter((r) => r.path === '/alpha');
    // One message id on every retry: the receiver's de-duplication key.
    const messageIds = new Set(attempts.map((a) => a.headers['webhook-id']));
    expect(messageIds.size).toBe(1);
    for (const attempt of attempts) {
      expect(attempt.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
      expect(verify(alpha.signingSecret, attempt.body, attempt.headers)).toBe(true);
      // A forged body does not verify.
      expect(verify(alpha.signingSecret, attempt.body.replace('alpha', 'gamma'), attempt.headers)).toBe(false);
      expect(JSON.parse(attempt.body)).toMatchObject({ type: 'partner.secretRotated', aggregateType: 'Partner', tenant: tenant.slug, data: { code: 'alpha' } });
    }
    expect(attempts.map((a) => a.headers['lendgraph-attempt'])).toEqual(['1', '2', '3']);
    // Exponential backoff with a 1 s base: the first retry waits 1–2 s, the second 2–4 s.
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(900);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(1_900);

    const log = await settledLog(await partnerToken('alpha'), alpha.webhookEndpoint.id, 1);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ eventType: 'partner.secretRotated', status: 'SUCCEEDED', attempts: 3, lastStatusCode: 200, replayOf: null });
    expect([...messageIds]).toEqual([log[0]!['eventId']]);
    expect(log[0]!['attemptLog'].map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 502, 200]);
    // Beta heard only of its own doings (its endpoint's registration), nothing of alpha's.
    const toBeta = receiver.received.filter((r) => r.path === '/beta').map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> });
    expect(toBeta.map((event) => event.type)).toEqual(['webhookEndpoint.registered']);
    expect(JSON.stringify(toBeta)).not.toContain('alpha');
  });

  it('after the last attempt a delivery is dead; a replay by mutation sends the same event again and is logged as a replay', async () => {
    receiver.script('/lender', [503]);
    const lender = await register(await adminToken(), { url: receiver.url('/lender'), eventTypes: ['partner.registered'] });
    expect(lender.webhookEndpoint.partnerCode).toBeNull();
    const admin = await adminToken();
    const gamma = await gql(server.gateway, `mutation { registerPartner(input: { code: "gamma", name: "Gamma", kind: COLENDING }) { partner { code } ${USER_ERRORS} } }`, { token: admin });
    expect(gamma.errors).toBeUndefined();
    expect(gamma.data!['registerPartner']).toEqual({ partner: { code: 'gamma' }, userErrors: [] });

    const [dead] = await settledLog(admin, lender.webhookEndpoint.id, 1);
    expect(dead).toMatchObject({ eventType: 'partner.registered', status: 'DEAD', attempts: 3, lastStatusCode: 503 });
    expect(dead!['attemptLog']).toEqual([1, 2, 3].map((attempt) => ({ attempt, statusCode: 503, error: 'answered 503' })));
    await until(() => receiver.received.filter((r) => r.path === '/lender').length === 3);

    // Another partner cannot replay it (it does not exist for them); staff can, once the receiver is back.
    const replay = `mutation($input: ReplayWebhookDeliveryInput!) { replayWebhookDelivery(input: $input) { webhookDelivery { id status replayOf { id } } ${USER_ERRORS} } }`;
    const stranger = await gql(server.gateway, replay, { token: await partnerToken('beta'), variables: { input: { deliveryId: dead!['id'] } } });
    expect(userErrors(stranger, 'replayWebhookDelivery')).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: 'input.deliveryId' })]);
    expect(stranger.data!['replayWebhookDelivery'].webhookDelivery).toBeNull();
    receiver.script('/lender', [200]);
    const replayed = await gql(server.gateway, replay, { token: admin, variables: { input: { deliveryId: dead!['id'], idempotencyKey: `replay-${dead!['id']}` } } });
    expect(replayed.errors).toBeUndefined();
    expect(userErrors(replayed, 'replayWebhookDelivery')).toEqual([]);
    expect(replayed.data!['replayWebhookDelivery'].webhookDelivery).toMatchObject({ replayOf: { id: dead!['id'] } });
    // The same key again is the same replay, not a second one.
    const twice = await gql(server.gateway, replay, { token: admin, variables: { input: { deliveryId: dead!['id'], idempotencyKey: `replay-${dead!['id']}` } } });
    expect(twice.data!['replayWebhookDelivery'].webhookDelivery.id).toBe(replayed.data!['replayWebhookDelivery'].webhookDelivery.id);

    const log = await settledLog(admin, lender.webhookEndpoint.id, 2);
    expect(log).toHaveLength(2);
    const again = log.find((d) => d['replayOf']?.['id'] === dead!['id']);
    expect(again).toMatchObject({ status: 'SUCCEEDED', attempts: 1, eventId: dead!['eventId'] });
    const sent = receiver.received.filter((r) => r.path === '/lender');
    expect(sent).toHaveLength(4);
    expect(sent[3]!.headers['webhook-id']).toBe(dead!['eventId']);
    expect(verify(lender.signingSecret, sent[3]!.body, sent[3]!.headers)).toBe(true);
    // A delivery that succeeded can be replayed too; one still being attempted cannot.
    const pendingRow = await server.runtime.tenantClients.forSchema(tenant.schemaName).webhookDelivery.update({ where: { id: fromGlobalId(again!['id']) }, data: { status: 'retrying' } });
    const deliveriesBefore = await server.runtime.tenantClients.forSchema(tenant.schemaName).webhookDelivery.count({ where: { endpointId: fromGlobalId(lender.webhookEndpoint.id) } });
    const busy = await gql(server.gateway, replay, { token: admin, variables: { input: { deliveryId: again!['id'] } } });
    expect(userErrors(busy, 'replayWebhookDelivery')).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.deliveryId' })]);
    expect(busy.data!['replayWebhookDelivery'].webhookDelivery).toBeNull();
    expect(pendingRow.status).toBe('retrying');
    expect(await server.runtime.tenantClients.forSchema(tenant.schemaName).webhookDelivery.count({ where: { endpointId: fromGlobalId(lender.webhookEndpoint.id) } })).toBe(deliveriesBefore);
  });

  it('refuses bad endpoints naming the field, and a partner registering for another partner', async () => {
    const token = await partnerToken('alpha');
    const cases: [Record<string, unknown>, string][] = [
      [{ url: 'not a url', eventTypes: ['*'] }, 'input.url'],
      [{ url: 'ftp://127.0.0.1/x', eventTypes: ['*'] }, 'input.url'],
      [{ url: 'https://user:pw@example.test/x', eventTypes: ['*'] }, 'input.url'],
      [{ url: 'https://example.test/x', eventTypes: [] }, 'input.eventTypes'],
      [{ url: 'https://example.test/x', eventTypes: ['partner.*.x y'] }, 'input.eventTypes'],
      // Well formed, but no such type: it would receive nothing.
      [{ url: 'https://example.test/x', eventTypes: ['loan.disburse'] }, 'input.eventTypes'],
      [{ url: 'https://example.test/x', eventTypes: ['probe.*'] }, 'input.eventTypes'],
      [{ url: 'https://example.test/x', eventTypes: ['*'], partnerCode: 'beta' }, 'input.partnerCode'],
    ];
    for (const [input, field] of cases) {
      const response = await gql(server.gateway, REGISTER, { token, variables: { input } });
      expect(userErrors(response, 'registerWebhookEndpoint').map((e) => e.code), JSON.stringify(input)).toEqual(['BAD_USER_INPUT']);
      expect(userErrors(response, 'registerWebhookEndpoint')[0]!.field).toBe(field);
      expect(response.data!['registerWebhookEndpoint']).toMatchObject({ signingSecret: null, webhookEndpoint: null });
    }
    expect(await server.runtime.tenantClients.forSchema(tenant.schemaName).webhookEndpoint.count({ where: { url: 'https://example.test/x' } })).toBe(0);
  });

  it('keeps signing secrets sealed at rest', async () => {
    const { signingSecret, webhookEndpoint: endpoint } = await register(await adminToken(), { url: receiver.url('/sealed'), eventTypes: ['creditPolicy.activationRejected'] });
    const row = await server.runtime.tenantClients.forSchema(tenant.schemaName).webhookEndpoint.findUniqueOrThrow({ where: { id: fromGlobalId(endpoint.id) } });
    expect(row.secretSealed).not.toContain(signingSecret);
    expect(row.secretSealed.startsWith(`v2.${server.runtime.dataKey.current.id}.`)).toBe(true);
  });
  it('refuses internal destinations at registration, as a partner and as staff, naming the field and the setting', async () => {
    const postgresPort = new URL(inject('databaseUrl')).port;
    const tokens = {
      partner: await devToken(strict.runtime, 'origination-partner', strictTenant.slug, { partner: { id: 'alpha', kind: 'origination' } }),
      staff: await devToken(strict.runtime, 'tenant-admin', strictTenant.slug),
    };
    const refused = [
      'http://10.0.0.1:6379/', `http://127.0.0.1:${postgresPort}/`, 'http://169.254.169.254/latest/meta-data/', 'https://[::1]:22/',
      'https://0x7f000001/', 'https://2130706433/', 'https://0177.0.0.1/', 'https://127.1/', 'https://10.1.2.3/', 'https://[::ffff:10.1.2.3]/',
      'https://100.64.0.1/', 'https://[fd00::1]/', 'https://localhost/', 'https://metadata.google.internal/', 'https://redis/',
    ];
    for (const [who, token] of Object.entries(tokens)) {
      for (const url of refused) {
        const response = await gql(strict.gateway, REGISTER, { token, variables: { input: { url, eventTypes: ['*'] } } });
        expect(userErrors(response, 'registerWebhookEndpoint').map((e) => e.code), `${who} ${url}`).toEqual(['BAD_USER_INPUT']);
        expect(userErrors(response, 'registerWebhookEndpoint')[0]!.field, url).toBe('input.url');
      }
      const privateOne = await gql(strict.gateway, REGISTER, { token, variables: { input: { url: 'https://10.1.2.3/', eventTypes: ['*'] } } });
      expect(userErrors(privateOne, 'registerWebhookEndpoint')[0]!.message).toMatch(/private.*OUTBOUND_ALLOW_PRIVATE_DESTINATIONS=true/);
    }
    expect(await strict.runtime.tenantClients.forSchema(strictTenant.schemaName).webhookEndpoint.count()).toBe(0);
  });

  it('refuses at delivery a name that has come to resolve inside (DNS rebinding), and says only "destination refused by policy"', async () => {
    const alphaToken = await partnerToken('alpha');
    // Accepted as written: a name is resolved only when a request is made. No event type of this name exists, so
    // only the turn below ever sends to it.
    const { webhookEndpoint: endpoint } = await register(alphaToken, { url: 'https://hooks.rebinding.example/lendgraph', eventTypes: ['creditPolicy.retired'] });
    const endpointId = fromGlobalId(endpoint.id);
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const event = await db.outboxEvent.findFirstOrThrow({ where: { seq: { not: null } }, orderBy: { seq: 'desc' } });
    // Its last attempt, so nothing is left to retry (and no worker of this server resolves the name for real).
    const delivery = await db.webhookDelivery.create({ data: {
      id: crypto.randomUUID(), endpointId, partnerCode: 'alpha', eventId: event.id, eventSeq: event.seq!, eventType: event.type,
      status: 'retrying', attempts: 2, createdAt: new Date(), updatedAt: new Date(),
    } });
    const asked: string[] = [];
    const client = new OutboundClient({
      policy: { allowPrivate: false, allowPlainHttp: true, extraPorts: [] }, connectTimeoutMs: 1_000, totalTimeoutMs: 2_000, maxResponseBytes: 1_024,
      resolve: (hostname, _options, callback) => { asked.push(hostname); callback(null, [{ address: '127.0.0.1', family: 4 }]); },
    });
    const { webhooks } = server.runtime;
    await takeTurn({ databases: server.runtime.databases, client, key: webhooks.key, policy: webhooks.policy, queueFor: (database) => webhooks.queueFor(database), now: () => new Date(), log: server.runtime.log, settle: () => undefined },
      { schema: tenant.schemaName, endpointId });
    await client.close();
    expect(asked).toEqual(['hooks.rebinding.example']);
    const [logged] = await deliveries(alphaToken, endpoint.id);
    expect(logged).toMatchObject({ id: expect.any(String), status: 'DEAD', attempts: 3, lastStatusCode: null });
    expect(fromGlobalId(logged!['id'])).toBe(delivery.id);
    expect(logged!['attemptLog']).toEqual([{ attempt: 3, statusCode: null, error: 'destination refused by policy' }]);
  });

  it('leaves a suspended tenant untouched: its wake-up sends nothing, changes no row, and waits on the queue for later', async () => {
    const frozen = await createTenant(server.runtime, uniqueSlug('hooks-frozen'));
    const token = await devToken(server.runtime, 'tenant-admin', frozen.slug);
    const response = await gql(server.gateway, REGISTER, { token, variables: { input: { url: receiver.url('/frozen'), eventTypes: ['creditPolicy.retired'] } } });
    expect(userErrors(response, 'registerWebhookEndpoint')).toEqual([]);
    const endpointId = fromGlobalId(response.data!['registerWebhookEndpoint'].webhookEndpoint.id);
    const db = server.runtime.tenantClients.forSchema(frozen.schemaName);
    await server.runtime.pool.query(
      `INSERT INTO ${quoteIdent(frozen.schemaName)}.outbox_event (id, type, aggregate_type, aggregate_id, tenant, partner_scope, occurred_at, payload)
       VALUES (gen_random_uuid(), 'application.submitted', 'Probe', 'probe-frozen', $1, NULL, now(), '{}')`, [frozen.slug]);
    await server.runtime.settler.settle(frozen.schemaName);
    // An event the endpoint does not subscribe to, so no worker of this server takes a turn of its own meanwhile;
    // the delivery below is made by hand.
    const event = await db.outboxEvent.findFirstOrThrow({ where: { seq: { not: null } }, orderBy: { seq: 'desc' } });
    const delivery = await db.webhookDelivery.create({ data: {
      id: crypto.randomUUID(), endpointId, partnerCode: null, eventId: event.id, eventSeq: event.seq!, eventType: event.type,
      status: 'pending', attempts: 0, createdAt: new Date(), updatedAt: new Date(),
    } });
    await server.runtime.registry.setStatus(frozen.slug, 'suspended', 'moving', ['active']);
    const before = await db.webhookEndpoint.findUniqueOrThrow({ where: { id: endpointId } });
    const { webhooks } = server.runtime;
    const at = new Date();
    await takeTurn({ databases: server.runtime.databases, client: webhooks.client, key: webhooks.key, policy: webhooks.policy, queueFor: (database) => webhooks.queueFor(database), now: () => at, log: server.runtime.log, settle: () => undefined },
      { schema: frozen.schemaName, endpointId });
    expect(receiver.received.filter((r) => r.path === '/frozen')).toEqual([]);
    expect(await db.webhookDelivery.findUniqueOrThrow({ where: { id: delivery.id } })).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await db.webhookEndpoint.findUniqueOrThrow({ where: { id: endpointId } })).toEqual(before);
    const { rows: queued } = await server.runtime.pool.query<{ start_after: Date }>(
      `SELECT start_after FROM pgboss_webhooks_test.job WHERE name = 'webhook-delivery' AND data->>'endpointId' = $1 AND state = 'created'`, [endpointId]);
    expect(queued.some((job) => job.start_after.getTime() >= at.getTime() + 50_000)).toBe(true);
  });

  it('after a sender died mid-attempt: the next attempt carries the next number, and one whose interrupted attempt was its last ends dead, nothing sent, and is counted dead', async () => {
    const lender = await createTenant(server.runtime, uniqueSlug('hooks-cut'));
    const token = await devToken(server.runtime, 'tenant-admin', lender.slug);
    const response = await gql(server.gateway, REGISTER, { token, variables: { input: { url: receiver.url('/cut'), eventTypes: ['creditPolicy.retired'] } } });
    expect(userErrors(response, 'registerWebhookEndpoint')).toEqual([]);
    const endpoint = response.data!['registerWebhookEndpoint'].webhookEndpoint.id as string;
    const endpointId = fromGlobalId(endpoint);
    const db = server.runtime.tenantClients.forSchema(lender.schemaName);
    await server.runtime.pool.query(
      `INSERT INTO ${quoteIdent(lender.schemaName)}.outbox_event (id, type, aggregate_type, aggregate_id, tenant, partner_scope, occurred_at, payload)
       SELECT gen_random_uuid(), 'application.submitted', 'Probe', 'probe-cut-' || n, $1, NULL, now(), '{}' FROM generate_series(1, 2) AS n`, [lender.slug]);
    await server.runtime.settler.settle(lender.schemaName);
    // Events the endpoint does not subscribe to, so no worker takes a turn of its own; the deliveries are made by
    // hand as a sender killed mid-request leaves them: the attempt counted and logged, with no outcome.
    const events = await db.outboxEvent.findMany({ where: { type: 'application.submitted' }, orderBy: { seq: 'asc' } });
    const { maxAttempts } = server.runtime.webhooks.policy;
    const leftAt = [1, maxAttempts];
    const made = await Promise.all(events.map(async (event, index) => {
      const attempts = leftAt[index]!;
      const delivery = await db.webhookDelivery.create({ data: {
        id: crypto.randomUUID(), endpointId, partnerCode: null, eventId: event.id, eventSeq: event.seq!, eventType: event.type,
        status: attempts > 1 ? 'retrying' : 'pending', attempts, lastStatusCode: attempts > 1 ? 503 : null, lastError: attempts > 1 ? 'answered 503' : null,
        createdAt: new Date(), updatedAt: new Date(),
      } });
      for (let attempt = 1; attempt <= attempts; attempt += 1) {
        const last = attempt === attempts;
        await db.webhookAttempt.create({ data: { deliveryId: delivery.id, attempt, attemptedAt: new Date(), statusCode: last ? null : 503, error: last ? null : 'answered 503', durationMs: last ? null : 5 } });
      }
      return delivery;
    }));
    const { webhooks } = server.runtime;
    const deadBefore = await deadCount();
    await takeTurn({ databases: server.runtime.databases, client: webhooks.client, key: webhooks.key, policy: webhooks.policy, queueFor: (database) => webhooks.queueFor(database), now: () => new Date(), log: server.runtime.log, settle: () => undefined },
      { schema: lender.schemaName, endpointId });
    // Ended dead in the statement that picks the due deliveries, it is counted as one whose last attempt failed is.
    expect(await deadCount() - deadBefore).toBe(1);

    const sent = receiver.received.filter((r) => r.path === '/cut');
    expect(sent.map((r) => [JSON.parse(r.body).id, r.headers['lendgraph-attempt']])).toEqual([[events[0]!.id, '2']]);
    const log = await deliveries(token, endpoint);
    const byEvent = new Map(log.map((d) => [d['eventId'] as string, d]));
    expect(byEvent.get(made[0]!.eventId)).toMatchObject({ status: 'SUCCEEDED', attempts: 2 });
    expect(byEvent.get(made[0]!.eventId)!['attemptLog']).toEqual([{ attempt: 1, statusCode: null, error: null }, { attempt: 2, statusCode: 200, error: null }]);
    expect(byEvent.get(made[1]!.eventId)).toMatchObject({ status: 'DEAD', attempts: maxAttempts, lastStatusCode: null });
    const outcomes = await gql(server.gateway, `query($id: ID!) { node(id: $id) { ... on WebhookDelivery { lastError attemptLog { outcome } } } }`, {
      token, variables: { id: encodeGlobalID('WebhookDelivery', made[1]!.id) },
    });
    expect(outcomes.errors).toBeUndefined();
    expect(outcomes.data!['node']).toEqual({ lastError: 'interrupted', attemptLog: [...Array.from({ length: maxAttempts - 1 }, () => ({ outcome: 'FAILED' })), { outcome: 'INTERRUPTED' }] });
  });

  it('logs a refused and a closed connection with the same words, and no internal error text', async () => {
    const admin = await adminToken();
    const closer = createTcpServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => closer.listen(0, '127.0.0.1', resolve));
    const probe = createTcpServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const unused = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const closed = await register(admin, { url: `http://127.0.0.1:${(closer.address() as AddressInfo).port}/`, eventTypes: ['ledgerAccount.opened'] });
    const nothing = await register(admin, { url: `http://127.0.0.1:${unused}/`, eventTypes: ['ledgerAccount.opened'] });
    await addEvents('ledgerAccount.opened', null, 1);
    try {
      const logs = await Promise.all([closed, nothing].map((e) => settledLog(admin, e.webhookEndpoint.id, 1)));
      for (const [log] of logs) {
        expect(log).toMatchObject({ status: 'DEAD', attempts: 3, lastStatusCode: null });
        expect(log!['attemptLog'].map((a: { error: string }) => a.error)).toEqual(['could not connect', 'could not connect', 'could not connect']);
      }
      const stored = await server.runtime.pool.query(`SELECT last_error FROM ${quoteIdent(tenant.schemaName)}.webhook_delivery WHERE last_error ~ '[A-Z]{4,}|ECONN|socket|other side'`);
      expect(stored.rows).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => closer.close(() => resolve()));
    }
  });

  it('one failing receiver cannot stall another; an endpoint failing too long is disabled with an event to its owner and enabled again', async () => {
    const alphaToken = await partnerToken('alpha');
    const admin = await adminToken();
    receiver.script('/flood', [503]);
    const flood = await register(alphaToken, { url: receiver.url('/flood'), eventTypes: ['loanProduct.accountMapped'] });
    const hangPort = (hanging.address() as AddressInfo).port;
    const hang = await register(admin, { url: `http://127.0.0.1:${hangPort}/hang`, eventTypes: ['creditPolicy.drafted'] });
    await register(alphaToken, { url: receiver.url('/alpha-notices'), eventTypes: ['webhookEndpoint.disabled'] });
    const floodId = fromGlobalId(flood.webhookEndpoint.id);

    // 1,000 deliveries for a receiver that answers 503, and 100 for one that never answers.
    await addEvents('loanProduct.accountMapped', 'alpha', 1_000);
    await addEvents('creditPolicy.drafted', null, 100);
    const s = quoteIdent(tenant.schemaName);
    const { rows: [queued] } = await server.runtime.pool.query(`SELECT count(*)::int AS n FROM ${s}.webhook_delivery WHERE endpoint_id = $1`, [floodId]);
    expect(queued.n).toBe(1_000);
    await until(() => receiver.received.some((r) => r.path === '/flood') && unanswered.length > 0, 30_000);

    // Another partner's next delivery arrives within 5 s all the same.
    const steady = await register(await partnerToken('beta'), { url: receiver.url('/steady'), eventTypes: ['partner.secretRotated'] });
    expect(steady.webhookEndpoint.partnerCode).toBe('beta');
    const started = Date.now();
    const rotatedBeta = await gql(server.gateway, `mutation { rotatePartnerSecret(input: { code: "beta" }) { partner { code } ${USER_ERRORS} } }`, { token: admin });
    expect(rotatedBeta.errors).toBeUndefined();
    expect(userErrors(rotatedBeta, 'rotatePartnerSecret')).toEqual([]);
    await until(() => receiver.received.some((r) => r.path === '/steady'), 5_000);
    const waited = Date.now() - started;
    expect(waited).toBeLessThan(5_000);
    console.log(`another endpoint's delivery with 1,000 failing and 100 hanging deliveries queued: ${waited} ms`);

    // Deliveries waiting out the failing endpoint's pause use no attempt: far fewer attempts than deliveries.
    const { rows: [used] } = await server.runtime.pool.query(
      `SELECT sum(attempts)::int AS attempts, count(*) FILTER (WHERE status = 'dead')::int AS dead FROM ${s}.webhook_delivery WHERE endpoint_id = $1`, [floodId]);
    expect(used.attempts).toBeLessThan(100);
    expect(used.dead).toBe(0);

    // Failing without a success for WEBHOOK_DISABLE_AFTER_SECONDS (15 s here): disabled, with an event to alpha only.
    await until(() => receiver.received.some((r) => r.path === '/alpha-notices'), 60_000);
    const notice = JSON.parse(receiver.received.find((r) => r.path === '/alpha-notices')!.body);
    expect(notice).toMatchObject({ type: 'webhookEndpoint.disabled', aggregateType: 'WebhookEndpoint', aggregateId: flood.webhookEndpoint.id, data: { id: flood.webhookEndpoint.id } });
    expect(receiver.received.filter((r) => r.path === '/beta').map((r) => JSON.parse(r.body).type)).not.toContain('webhookEndpoint.disabled');
    const listed = await gql(server.gateway, '{ webhookEndpoints(first: 100) { edges { node { id active disabledAt failingSince } } } }', { token: alphaToken });
    const floodNow = listed.data!['webhookEndpoints'].edges.map((e: { node: Record<string, unknown> }) => e.node).find((n: { id: string }) => n.id === flood.webhookEndpoint.id);
    expect(floodNow).toMatchObject({ active: false, disabledAt: expect.any(String), failingSince: expect.any(String) });
    const { rows: [ended] } = await server.runtime.pool.query(
      `SELECT count(*) FILTER (WHERE last_error = 'endpoint disabled')::int AS disabled, count(*) FILTER (WHERE status <> 'dead')::int AS open
         FROM ${s}.webhook_delivery WHERE endpoint_id = $1`, [floodId]);
    expect(ended.open).toBe(0);
    expect(ended.disabled).toBeGreaterThan(900);

    // A receiver that never answers held a worker no longer than the timeout (10 s here) on any attempt that has
    // ended (one may still be in flight: it is logged as its request leaves).
    const { rows: [slowest] } = await server.runtime.pool.query(
      `SELECT max(a.duration_ms)::int AS ms, array_agg(DISTINCT a.error) AS errors FROM ${s}.webhook_attempt a JOIN ${s}.webhook_delivery d ON d.id = a.delivery_id
        WHERE d.endpoint_id = $1 AND a.duration_ms IS NOT NULL`,
      [fromGlobalId(hang.webhookEndpoint.id)]);
    expect(slowest.errors).toEqual(['timed out']);
    expect(slowest.ms).toBeLessThan(10_000 + 2_000);
    console.log(`longest attempt at a receiver that never answers, WEBHOOK_TIMEOUT_MS=10000: ${slowest.ms} ms`);

    // Enabled again by its owner; another partner cannot; staff can enable the lender's own.
    const enable = `mutation($id: ID!) { enableWebhookEndpoint(input: { id: $id }) { webhookEndpoint { id active disabledAt failingSince } ${USER_ERRORS} } }`;
    const stranger = await gql(server.gateway, enable, { token: await partnerToken('beta'), variables: { id: flood.webhookEndpoint.id } });
    expect(userErrors(stranger, 'enableWebhookEndpoint')).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: 'input.id' })]);
    expect(stranger.data!['enableWebhookEndpoint'].webhookEndpoint).toBeNull();
    const enabled = await gql(server.gateway, enable, { token: alphaToken, variables: { id: flood.webhookEndpoint.id } });
    expect(enabled.errors).toBeUndefined();
    expect(enabled.data!['enableWebhookEndpoint']).toMatchObject({ webhookEndpoint: { active: true, disabledAt: null, failingSince: null }, userErrors: [] });
    const deactivated = await gql(server.gateway, `mutation($id: ID!) { deactivateWebhookEndpoint(input: { id: $id }) { webhookEndpoint { active } ${USER_ERRORS} } }`, { token: admin, variables: { id: hang.webhookEndpoint.id } });
    expect(deactivated.data!['deactivateWebhookEndpoint']).toEqual({ webhookEndpoint: { active: false }, userErrors: [] });
    const { rows: [hangLeft] } = await server.runtime.pool.query(
      `SELECT count(*)::int AS n FROM ${s}.webhook_delivery WHERE endpoint_id = $1 AND status IN ('pending', 'retrying')`, [fromGlobalId(hang.webhookEndpoint.id)]);
    expect(hangLeft.n).toBe(0);
    const staffEnabled = await gql(server.gateway, enable, { token: admin, variables: { id: hang.webhookEndpoint.id } });
    expect(staffEnabled.data!['enableWebhookEndpoint']).toMatchObject({ webhookEndpoint: { active: true }, userErrors: [] });
    // New events flow to the enabled endpoint again.
    receiver.script('/flood', [200]);
    const floodRequests = receiver.received.filter((r) => r.path === '/flood').length;
    await addEvents('loanProduct.accountMapped', 'alpha', 1);
    await until(() => receiver.received.filter((r) => r.path === '/flood').length === floodRequests + 1, 15_000);
    await expect.poll(async () => (await deliveries(alphaToken, flood.webhookEndpoint.id))[0], { timeout: 10_000 }).toMatchObject({ status: 'SUCCEEDED', attempts: 1 });
    const deactivatedAgain = await gql(server.gateway, `mutation($id: ID!) { deactivateWebhookEndpoint(input: { id: $id }) { webhookEndpoint { active } ${USER_ERRORS} } }`, { token: admin, variables: { id: hang.webhookEndpoint.id } });
    expect(deactivatedAgain.data!['deactivateWebhookEndpoint']).toEqual({ webhookEndpoint: { active: false }, userErrors: [] });
  }, 150_000);
});

describe('Standard Webhooks signatures, test sends and secret rotation', () => {
  const SEND_TEST = `mutation($input: SendTestWebhookInput!) { sendTestWebhook(input: $input) { webhookDelivery { id eventId eventType status endpoint { id } } ${USER_ERRORS} } }`;
  const ROTATE = `mutation($input: RotateWebhookSigningSecretInput!) { rotateWebhookSigningSecret(input: $input) {
    signingSecret previousSecretExpiresAt webhookEndpoint { id secretRotatedAt previousSecretExpiresAt } ${USER_ERRORS} } }`;

  async function sendTest(token: string, endpointId: string) {
    const response = await gql(server.gateway, SEND_TEST, { token, variables: { input: { endpointId } } });
    expect(response.errors).toBeUndefined();
    expect(userErrors(response, 'sendTestWebhook')).toEqual([]);
    return response.data!['sendTestWebhook'].webhookDelivery as { id: string; eventId: string; eventType: string; status: string; endpoint: { id: string } };
  }

  async function rotate(token: string, input: Record<string, unknown>) {
    const response = await gql(server.gateway, ROTATE, { token, variables: { input } });
    expect(response.errors).toBeUndefined();
    expect(userErrors(response, 'rotateWebhookSigningSecret')).toEqual([]);
    return response.data!['rotateWebhookSigningSecret'] as { signingSecret: string; previousSecretExpiresAt: string | null; webhookEndpoint: { secretRotatedAt: string; previousSecretExpiresAt: string | null } };
  }

  /** The requests a path received once there are `count` of them. */
  async function arrived(path: string, count: number) {
    await until(() => receiver.received.filter((r) => r.path === path).length >= count, 30_000);
    return receiver.received.filter((r) => r.path === path);
  }

  it('signs as the spec does: the stock library accepts each of several signatures and nothing else', () => {
    const [oldSecret, newSecret, stranger] = [0, 1, 2].map(() => `whsec_${Buffer.from(randomUUID() + randomUUID()).toString('base64')}`) as [string, string, string];
    const body = JSON.stringify({ type: 'probe', data: { n: 1 } });
    const headers = signatureHeaders([newSecret, oldSecret], 'msg-1', body, new Date());
    expect(headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(new Webhook(newSecret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(oldSecret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(stranger).verify(body, headers)).toThrow(WebhookVerificationError);
    // The library's own signing and ours agree byte for byte.
    const at = new Date('2026-12-03T08:00:00Z');
    expect(signatureHeaders([newSecret], 'msg-2', body, at)['webhook-signature']).toBe(new Webhook(newSecret).sign('msg-2', at, body));
  });

  it('signs with the replaced secret only until its overlap ends (the time is an argument)', () => {
    const until = new Date('2026-12-04T10:00:00Z');
    const endpoint = { current: 'new', previous: 'old', previousExpiresAt: until };
    const cases: [string, string[]][] = [
      ['2026-12-03T10:00:00Z', ['new', 'old']],
      ['2026-12-04T09:59:59.999Z', ['new', 'old']],
      ['2026-12-04T10:00:00Z', ['new']],
      ['2026-12-05T00:00:00Z', ['new']],
    ];
    for (const [at, expected] of cases) expect(secretsInForce(endpoint, new Date(at)), at).toEqual(expected);
    expect(secretsInForce({ current: 'new', previous: null, previousExpiresAt: null }, new Date(until.getTime() - 1))).toEqual(['new']);
  });

  it('sendTestWebhook delivers a signed test event to that one endpoint through the normal path, retries keeping its webhook-id, and returns the delivery', async () => {
    const alphaToken = await partnerToken('alpha');
    receiver.script('/test-send', [503, 200]);
    // Subscribed to nothing the test sends: a test goes to the endpoint it names regardless of its event types.
    const target = await register(alphaToken, { url: receiver.url('/test-send'), eventTypes: ['loan.disbursed'] });
    // Another endpoint of the same partner that listens to everything must not get it.
    await register(alphaToken, { url: receiver.url('/test-bystander'), eventTypes: ['*'] });

    const delivery = await sendTest(alphaToken, target.webhookEndpoint.id);
    expect(delivery).toMatchObject({ eventType: 'webhookEndpoint.tested', endpoint: { id: target.webhookEndpoint.id } });
    expect(['PENDING', 'RETRYING', 'SUCCEEDED']).toContain(delivery.status);

    const requests = await arrived('/test-send', 2);
    expect(requests).toHaveLength(2);
    for (const request of requests) {
      expect(request.headers['webhook-id']).toBe(delivery.eventId);
      expect(verify(target.signingSecret, request.body, request.headers)).toBe(true);
      expect(JSON.parse(request.body)).toMatchObject({ id: delivery.eventId, type: 'webhookEndpoint.tested', aggregateType: 'WebhookEndpoint', aggregateId: target.webhookEndpoint.id, data: { id: target.webhookEndpoint.id } });
    }
    expect(requests.map((r) => r.headers['lendgraph-attempt'])).toEqual(['1', '2']);
    await expect.poll(async () => (await deliveries(alphaToken, target.webhookEndpoint.id)).find((d) => d['id'] === delivery.id), { timeout: 15_000 })
      .toMatchObject({ status: 'SUCCEEDED', attempts: 2, attemptLog: [{ attempt: 1, statusCode: 503 }, { attempt: 2, statusCode: 200 }] });
    const bystander = receiver.received.filter((r) => r.path === '/test-bystander').map((r) => JSON.parse(r.body).type);
    expect(bystander).not.toContain('webhookEndpoint.tested');
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    expect(await db.webhookDelivery.count({ where: { eventId: delivery.eventId } })).toBe(1);
    expect(await db.auditRecord.count({ where: { action: 'webhookEndpoint.test', entityId: fromGlobalId(target.webhookEndpoint.id), partner: 'alpha' } })).toBe(1);

    // The same idempotency key twice is one more test delivery, not two.
    const keyed = { endpointId: target.webhookEndpoint.id, idempotencyKey: `test-send-${delivery.id}` };
    const once = await gql(server.gateway, SEND_TEST, { token: alphaToken, variables: { input: keyed } });
    const twice = await gql(server.gateway, SEND_TEST, { token: alphaToken, variables: { input: keyed } });
    expect(once.errors).toBeUndefined();
    expect(userErrors(once, 'sendTestWebhook')).toEqual([]);
    expect(twice.data!['sendTestWebhook'].webhookDelivery.id).toBe(once.data!['sendTestWebhook'].webhookDelivery.id);
    expect(await db.webhookDelivery.count({ where: { endpointId: fromGlobalId(target.webhookEndpoint.id), eventType: 'webhookEndpoint.tested' } })).toBe(2);
  });

  it('rotation: inside the overlap a delivery verifies with the old and the new secret, after it only with the new', async () => {
    const admin = await adminToken();
    const endpoint = await register(admin, { url: receiver.url('/rotate'), eventTypes: ['creditPolicy.activationRejected'] });
    const id = fromGlobalId(endpoint.webhookEndpoint.id);
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);

    const before = Date.now();
    const first = await rotate(admin, { endpointId: endpoint.webhookEndpoint.id, overlapHours: 24 });
    expect(first.signingSecret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(first.signingSecret).not.toBe(endpoint.signingSecret);
    const expires = Date.parse(first.previousSecretExpiresAt!);
    expect(expires).toBeGreaterThanOrEqual(before + 24 * 3_600_000 - 1_000);
    expect(expires).toBeLessThanOrEqual(Date.now() + 24 * 3_600_000 + 1_000);
    expect(first.webhookEndpoint.previousSecretExpiresAt).toBe(first.previousSecretExpiresAt);
    // Both secrets sealed at rest, like the first one.
    const row = await db.webhookEndpoint.findUniqueOrThrow({ where: { id } });
    for (const sealed of [row.secretSealed, row.previousSecretSealed!]) expect(sealed.startsWith(`v2.${server.runtime.dataKey.current.id}.`)).toBe(true);
    expect(JSON.stringify(row)).not.toContain(first.signingSecret.slice(6));
    expect(JSON.stringify(row)).not.toContain(endpoint.signingSecret.slice(6));

    await sendTest(admin, endpoint.webhookEndpoint.id);
    const [during] = await arrived('/rotate', 1);
    expect(String(during!.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(verify(first.signingSecret, during!.body, during!.headers)).toBe(true);
    expect(verify(endpoint.signingSecret, during!.body, during!.headers)).toBe(true);

    // Once the overlap has run out (moved into the past here, not waited for), only the new secret signs.
    await db.webhookEndpoint.update({ where: { id }, data: { previousSecretExpiresAt: new Date(Date.now() - 1_000) } });
    await sendTest(admin, endpoint.webhookEndpoint.id);
    const ended = (await arrived('/rotate', 2))[1]!;
    expect(String(ended.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verify(first.signingSecret, ended.body, ended.headers)).toBe(true);
    expect(verify(endpoint.signingSecret, ended.body, ended.headers)).toBe(false);

    // Overlap 0: the replaced secret stops at once.
    const second = await rotate(admin, { endpointId: endpoint.webhookEndpoint.id, overlapHours: 0 });
    expect(second.previousSecretExpiresAt).toBeNull();
    await sendTest(admin, endpoint.webhookEndpoint.id);
    const after = (await arrived('/rotate', 3))[2]!;
    expect(String(after.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verify(second.signingSecret, after.body, after.headers)).toBe(true);
    expect(verify(first.signingSecret, after.body, after.headers)).toBe(false);
    expect(verify(endpoint.signingSecret, after.body, after.headers)).toBe(false);

    // Audited like other endpoint changes, and no secret in the trail.
    const audits = await db.auditRecord.findMany({ where: { action: 'webhookEndpoint.rotateSecret', entityId: id }, orderBy: { recorded: 'asc' } });
    expect(audits.map((a) => (a.after as { previousSecretExpiresAt: string | null }).previousSecretExpiresAt)).toEqual([first.previousSecretExpiresAt, null]);
    for (const secret of [first.signingSecret, second.signingSecret]) expect(JSON.stringify(audits.map((a) => [a.before, a.after]))).not.toContain(secret.slice(6));
    const events = await db.outboxEvent.findMany({ where: { type: 'webhookEndpoint.secretRotated', aggregateId: endpoint.webhookEndpoint.id } });
    expect(events).toHaveLength(2);
  });

  it('refuses an unknown or another partner\'s endpoint and an overlap out of range, naming the field; nothing is written', async () => {
    const alphaToken = await partnerToken('alpha');
    const betaToken = await partnerToken('beta');
    const alphas = await register(alphaToken, { url: receiver.url('/refusals'), eventTypes: ['creditPolicy.activationRejected'] });
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const id = fromGlobalId(alphas.webhookEndpoint.id);
    const rowBefore = await db.webhookEndpoint.findUniqueOrThrow({ where: { id } });
    const counts = async () => [await db.outboxEvent.count({ where: { aggregateId: alphas.webhookEndpoint.id } }), await db.auditRecord.count({ where: { entityId: id } }),
      await db.webhookDelivery.count({ where: { endpointId: id } })];
    const countsBefore = await counts();

    const unknown = encodeGlobalID('WebhookEndpoint', randomUUID());
    const malformed = encodeGlobalID('WebhookEndpoint', 'not-a-uuid');
    // An endpoint that does not exist, or that the caller cannot see, is NOT_FOUND (the same answer either way); what
    // is not an endpoint's id at all, or out of range, is BAD_USER_INPUT.
    const cases: [string, string, Record<string, unknown>, string, string][] = [
      [alphaToken, ROTATE, { endpointId: alphas.webhookEndpoint.id, overlapHours: -1 }, 'BAD_USER_INPUT', 'input.overlapHours'],
      [alphaToken, ROTATE, { endpointId: alphas.webhookEndpoint.id, overlapHours: 169 }, 'BAD_USER_INPUT', 'input.overlapHours'],
      [alphaToken, ROTATE, { endpointId: unknown, overlapHours: 1 }, 'NOT_FOUND', 'input.endpointId'],
      [alphaToken, ROTATE, { endpointId: malformed }, 'BAD_USER_INPUT', 'input.endpointId'],
      [betaToken, ROTATE, { endpointId: alphas.webhookEndpoint.id }, 'NOT_FOUND', 'input.endpointId'],
      [alphaToken, SEND_TEST, { endpointId: unknown }, 'NOT_FOUND', 'input.endpointId'],
      [alphaToken, SEND_TEST, { endpointId: malformed }, 'BAD_USER_INPUT', 'input.endpointId'],
      [betaToken, SEND_TEST, { endpointId: alphas.webhookEndpoint.id }, 'NOT_FOUND', 'input.endpointId'],
    ];
    for (const [token, document, input, code, field] of cases) {
      const response = await gql(server.gateway, document, { token, variables: { input } });
      const mutation = document === ROTATE ? 'rotateWebhookSigningSecret' : 'sendTestWebhook';
      const refusals = userErrors(response, mutation);
      expect(refusals, JSON.stringify(input)).toEqual([expect.objectContaining({ code, field })]);
      // Nothing but the refusal: no endpoint, no secret, no delivery.
      const { userErrors: _refusals, ...result } = response.data![mutation] as Record<string, unknown>;
      expect(Object.values(result).every((value) => value === null), JSON.stringify(input)).toBe(true);
      expect(JSON.stringify(response)).not.toContain(id);
    }
    expect(await db.webhookEndpoint.findUniqueOrThrow({ where: { id } })).toEqual(rowBefore);
    expect(await counts()).toEqual(countsBefore);
    expect(receiver.received.filter((r) => r.path === '/refusals')).toHaveLength(0);
  });
});

describe('the endpoint a mutation acts on', () => {
  const DEACTIVATE = `mutation($input: DeactivateWebhookEndpointInput!) { deactivateWebhookEndpoint(input: $input) { webhookEndpoint { id active } ${USER_ERRORS} } }`;
  const ENABLE = `mutation($input: EnableWebhookEndpointInput!) { enableWebhookEndpoint(input: $input) { webhookEndpoint { id active } ${USER_ERRORS} } }`;
  const run = async (token: string, document: string, input: Record<string, unknown>) => {
    const response = await gql(server.gateway, document, { token, variables: { input } });
    expect(response.errors).toBeUndefined();
    return response.data![document === DEACTIVATE ? 'deactivateWebhookEndpoint' : 'enableWebhookEndpoint'] as { webhookEndpoint: { id: string; active: boolean } | null; userErrors: unknown[] };
  };

  it('is named endpointId, as by sendTestWebhook and rotateWebhookSigningSecret; the deprecated id still names it', async () => {
    const alphaToken = await partnerToken('alpha');
    const { webhookEndpoint: { id } } = await register(alphaToken, { url: receiver.url('/named'), eventTypes: ['creditPolicy.activationRejected'] });
    expect(await run(alphaToken, DEACTIVATE, { endpointId: id })).toEqual({ webhookEndpoint: { id, active: false }, userErrors: [] });
    expect(await run(alphaToken, ENABLE, { endpointId: id })).toEqual({ webhookEndpoint: { id, active: true }, userErrors: [] });
    expect(await run(alphaToken, DEACTIVATE, { id })).toEqual({ webhookEndpoint: { id, active: false }, userErrors: [] });
    expect(await run(alphaToken, ENABLE, { id })).toEqual({ webhookEndpoint: { id, active: true }, userErrors: [] });
    // The schema says which name to use.
    const schema = (await gql(server.gateway, '{ __type(name: "DeactivateWebhookEndpointInput") { inputFields(includeDeprecated: true) { name isDeprecated deprecationReason } } }', { token: await adminToken() })).data!;
    expect(schema['__type'].inputFields).toEqual([
      { name: 'endpointId', isDeprecated: false, deprecationReason: null },
      { name: 'id', isDeprecated: true, deprecationReason: expect.stringContaining('`endpointId`') },
    ]);
  });

  it('refuses neither name or both, naming the field, and another partner\'s endpoint by either name; nothing is written', async () => {
    const alphaToken = await partnerToken('alpha');
    const { webhookEndpoint: { id } } = await register(alphaToken, { url: receiver.url('/named-refusals'), eventTypes: ['creditPolicy.activationRejected'] });
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const rowBefore = await db.webhookEndpoint.findUniqueOrThrow({ where: { id: fromGlobalId(id) } });
    const written = async () => [await db.outboxEvent.count({ where: { aggregateId: id } }), await db.auditRecord.count({ where: { entityId: fromGlobalId(id) } })];
    const writtenBefore = await written();
    const betaToken = await partnerToken('beta');
    const cases: [string, Record<string, unknown>, string, string][] = [
      [alphaToken, {}, 'BAD_USER_INPUT', 'input.endpointId'],
      [alphaToken, { endpointId: id, id }, 'BAD_USER_INPUT', 'input.id'],
      [alphaToken, { endpointId: null, id: null }, 'BAD_USER_INPUT', 'input.endpointId'],
      [betaToken, { endpointId: id }, 'NOT_FOUND', 'input.endpointId'],
      [betaToken, { id }, 'NOT_FOUND', 'input.id'],
      [alphaToken, { endpointId: encodeGlobalID('WebhookEndpoint', randomUUID()) }, 'NOT_FOUND', 'input.endpointId'],
    ];
    for (const document of [DEACTIVATE, ENABLE]) {
      for (const [token, input, code, field] of cases) {
        const answer = await run(token, document, input);
        expect(answer, JSON.stringify(input)).toEqual({ webhookEndpoint: null, userErrors: [expect.objectContaining({ code, field })] });
      }
    }
    expect(await db.webhookEndpoint.findUniqueOrThrow({ where: { id: fromGlobalId(id) } })).toEqual(rowBefore);
    expect(await written()).toEqual(writtenBefore);
  });
});
