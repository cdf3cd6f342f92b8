// Partner webhooks end to end, against a real HTTP receiver on loopback: deliveries are signed as
// docs/webhooks.md says, retried with exponential backoff on the job queue while the receiver fails, dead after
// the last attempt, replayable by mutation, logged, and never sent to a partner the event does not concern.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantRecord } from '../src/tenancy/registry.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, type TestServer } from './support/harness.js';
import { startReceiver, type Receiver } from './support/receiver.js';
import { until } from './support/ws.js';
import { decodeGlobalID } from '@pothos/plugin-relay';

const fromGlobalId = (id: string) => decodeGlobalID(id).id;

let server: TestServer;
let tenant: TenantRecord;
let receiver: Receiver;

// The partner's side, exactly as docs/webhooks.md shows it.
function verify(secret: string, rawBody: string, header: string, toleranceSeconds = 300): boolean {
  const { t, v1 } = Object.fromEntries(header.split(',').map((part) => part.split('=')));
  if (Math.abs(Date.now() / 1000 - Number(t)) > toleranceSeconds) return false;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`).digest();
  const given = Buffer.from(v1 ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

const REGISTER = `mutation($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) { signingSecret endpoint { id partnerCode url eventTypes active } } }`;
const LOG = `query($endpoint: ID) { webhookDeliveries(first: 20, endpointId: $endpoint) { edges { node {
  id eventId eventType status attempts lastStatusCode replayOf { id } endpoint { url } attemptLog { attempt statusCode error } } } } }`;

const partnerToken = (code: string) => devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: code, kind: 'origination' } });
const adminToken = () => devToken(server.runtime, 'tenant-admin', tenant.slug);

async function register(token: string, input: Record<string, unknown>) {
  const response = await gql(server.gateway, REGISTER, { token, variables: { input } });
  expect(response.errors).toBeUndefined();
  return response.data!['registerWebhookEndpoint'] as { signingSecret: string; endpoint: { id: string; partnerCode: string | null } };
}

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

beforeAll(async () => {
  receiver = await startReceiver();
  // Receivers here listen on 127.0.0.1 at ports the system picks: this server says so explicitly (off by default).
  server = await startTestServer({
    JOBS_ENABLED: 'true', WEBHOOK_MAX_ATTEMPTS: '3', WEBHOOK_RETRY_DELAY_SECONDS: '1', WEBHOOK_TIMEOUT_MS: '10000',
    OUTBOUND_ALLOW_PRIVATE_DESTINATIONS: 'true', OUTBOUND_ALLOWED_PORTS: '1024-65535',
  });
  tenant = await createTenant(server.runtime, uniqueSlug('hooks'));
  const admin = await adminToken();
  for (const code of ['alpha', 'beta']) {
    const registered = await gql(server.gateway, 'mutation($input: RegisterPartnerInput!) { registerPartner(input: $input) { partner { code } } }', {
      token: admin, variables: { input: { code, name: `Partner ${code}`, kind: 'ORIGINATION' } },
    });
    expect(registered.errors).toBeUndefined();
  }
});
afterAll(async () => {
  await server.close();
  await receiver.close();
});

describe('partner webhooks', () => {
  it('signs each delivery, retries with growing delays until the receiver accepts, and logs every attempt; other partners get nothing', async () => {
    receiver.script('/alpha', [500, 502, 200]);
    const alpha = await register(await partnerToken('alpha'), { url: receiver.url('/alpha'), eventTypes: ['partner.*'] });
    expect(alpha.endpoint).toMatchObject({ partnerCode: 'alpha', active: true });
    expect(alpha.signingSecret).toMatch(/^whsec_/);
    // Beta listens to everything it may see; alpha's events are not among them.
    await register(await partnerToken('beta'), { url: receiver.url('/beta'), eventTypes: ['*'] });

    // An event that concerns alpha: its client secret is rotated.
    const rotated = await gql(server.gateway, 'mutation { rotatePartnerSecret(input: { code: "alpha" }) { partner { code } } }', { token: await adminToken() });
    expect(rotated.errors).toBeUndefined();

    await until(() => receiver.received.filter((r) => r.path === '/alpha').length >= 3, 30_000);
    const attempts = receiver.received.filter((r) => r.path === '/alpha');
    const eventIds = new Set(attempts.map((a) => a.headers['lendgraph-event-id']));
    expect(eventIds.size).toBe(1);
    for (const attempt of attempts) {
      expect(verify(alpha.signingSecret, attempt.body, String(attempt.headers['lendgraph-signature']))).toBe(true);
      // A forged body does not verify.
      expect(verify(alpha.signingSecret, attempt.body.replace('alpha', 'gamma'), String(attempt.headers['lendgraph-signature']))).toBe(false);
      expect(JSON.parse(attempt.body)).toMatchObject({ type: 'partner.secretRotated', aggregateType: 'Partner', tenant: tenant.slug, data: { code: 'alpha' } });
    }
    expect(attempts.map((a) => a.headers['lendgraph-attempt'])).toEqual(['1', '2', '3']);
    // Exponential backoff with a 1 s base: the first retry waits 1–2 s, the second 2–4 s.
    expect(attempts[1]!.at - attempts[0]!.at).toBeGreaterThanOrEqual(900);
    expect(attempts[2]!.at - attempts[1]!.at).toBeGreaterThanOrEqual(1_900);

    const log = await settledLog(await partnerToken('alpha'), alpha.endpoint.id, 1);
    expect(log).toHaveLength(1);
    expect(log[0]).toMatchObject({ eventType: 'partner.secretRotated', status: 'SUCCEEDED', attempts: 3, lastStatusCode: 200, replayOf: null });
    expect(log[0]!['attemptLog'].map((a: { statusCode: number }) => a.statusCode)).toEqual([500, 502, 200]);
    // Beta heard only of its own doings (its endpoint's registration), nothing of alpha's.
    const toBeta = receiver.received.filter((r) => r.path === '/beta').map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> });
    expect(toBeta.map((event) => event.type)).toEqual(['webhookEndpoint.registered']);
    expect(JSON.stringify(toBeta)).not.toContain('alpha');
  });

  it('after the last attempt a delivery is dead; a replay by mutation sends the same event again and is logged as a replay', async () => {
    receiver.script('/lender', [503]);
    const lender = await register(await adminToken(), { url: receiver.url('/lender'), eventTypes: ['partner.registered'] });
    expect(lender.endpoint.partnerCode).toBeNull();
    const admin = await adminToken();
    expect((await gql(server.gateway, 'mutation { registerPartner(input: { code: "gamma", name: "Gamma", kind: COLENDING }) { partner { code } } }', { token: admin })).errors).toBeUndefined();

    const [dead] = await settledLog(admin, lender.endpoint.id, 1);
    expect(dead).toMatchObject({ eventType: 'partner.registered', status: 'DEAD', attempts: 3, lastStatusCode: 503 });
    expect(dead!['attemptLog']).toEqual([1, 2, 3].map((attempt) => ({ attempt, statusCode: 503, error: 'answered 503' })));
    await until(() => receiver.received.filter((r) => r.path === '/lender').length === 3);

    // Another partner cannot replay it (it does not exist for them); staff can, once the receiver is back.
    const replay = 'mutation($input: ReplayWebhookDeliveryInput!) { replayWebhookDelivery(input: $input) { id status replayOf { id } } }';
    const stranger = await gql(server.gateway, replay, { token: await partnerToken('beta'), variables: { input: { deliveryId: dead!['id'] } } });
    expect(stranger.errors![0]!.extensions).toMatchObject({ code: 'NOT_FOUND', field: 'input.deliveryId' });
    receiver.script('/lender', [200]);
    const replayed = await gql(server.gateway, replay, { token: admin, variables: { input: { deliveryId: dead!['id'], idempotencyKey: `replay-${dead!['id']}` } } });
    expect(replayed.errors).toBeUndefined();
    expect(replayed.data!['replayWebhookDelivery']).toMatchObject({ replayOf: { id: dead!['id'] } });
    // The same key again is the same replay, not a second one.
    const twice = await gql(server.gateway, replay, { token: admin, variables: { input: { deliveryId: dead!['id'], idempotencyKey: `replay-${dead!['id']}` } } });
    expect(twice.data!['replayWebhookDelivery'].id).toBe(replayed.data!['replayWebhookDelivery'].id);

    const log = await settledLog(admin, lender.endpoint.id, 2);
    expect(log).toHaveLength(2);
    const again = log.find((d) => d['replayOf']?.['id'] === dead!['id']);
    expect(again).toMatchObject({ status: 'SUCCEEDED', attempts: 1, eventId: dead!['eventId'] });
    const sent = receiver.received.filter((r) => r.path === '/lender');
    expect(sent).toHaveLength(4);
    expect(sent[3]!.headers['lendgraph-event-id']).toBe(dead!['eventId']);
    expect(verify(lender.signingSecret, sent[3]!.body, String(sent[3]!.headers['lendgraph-signature']))).toBe(true);
    // A delivery that succeeded can be replayed too; one still being attempted cannot.
    const pendingRow = await server.runtime.tenantClients.forSchema(tenant.schemaName).webhookDelivery.update({ where: { id: fromGlobalId(again!['id']) }, data: { status: 'retrying' } });
    const busy = await gql(server.gateway, replay, { token: admin, variables: { input: { deliveryId: again!['id'] } } });
    expect(busy.errors![0]!.extensions).toMatchObject({ code: 'CONFLICT', field: 'input.deliveryId' });
    expect(pendingRow.status).toBe('retrying');
  });

  it('refuses bad endpoints naming the field, and a partner registering for another partner', async () => {
    const token = await partnerToken('alpha');
    const cases: [Record<string, unknown>, string][] = [
      [{ url: 'not a url', eventTypes: ['*'] }, 'input.url'],
      [{ url: 'ftp://127.0.0.1/x', eventTypes: ['*'] }, 'input.url'],
      [{ url: 'https://user:pw@example.test/x', eventTypes: ['*'] }, 'input.url'],
      [{ url: 'https://example.test/x', eventTypes: [] }, 'input.eventTypes'],
      [{ url: 'https://example.test/x', eventTypes: ['partner.*.x y'] }, 'input.eventTypes'],
      [{ url: 'https://example.test/x', eventTypes: ['*'], partnerCode: 'beta' }, 'input.partnerCode'],
    ];
    for (const [input, field] of cases) {
      const response = await gql(server.gateway, REGISTER, { token, variables: { input } });
      expect(codes(response), JSON.stringify(input)).toEqual(['BAD_USER_INPUT']);
      expect(response.errors![0]!.extensions['field']).toBe(field);
    }
    expect(await server.runtime.tenantClients.forSchema(tenant.schemaName).webhookEndpoint.count({ where: { url: 'https://example.test/x' } })).toBe(0);
  });

  it('keeps signing secrets sealed at rest', async () => {
    const { signingSecret, endpoint } = await register(await adminToken(), { url: receiver.url('/sealed'), eventTypes: ['none.*'] });
    const row = await server.runtime.tenantClients.forSchema(tenant.schemaName).webhookEndpoint.findUniqueOrThrow({ where: { id: fromGlobalId(endpoint.id) } });
    expect(row.secretSealed).not.toContain(signingSecret);
    expect(row.secretSealed.startsWith('v1.')).toBe(true);
  });
});
