// A webhook attempt survives its sender: a real gateway process (the one `npm start` runs) is killed with SIGKILL
// while its request is held open by a receiver on loopback. The attempt was logged before the request left, so
// after a restart the redelivery carries the next attempt number (same webhook-id), and the delivery log shows the
// interrupted attempt beside the one that succeeded.
import { createServer, type IncomingHttpHeaders, type ServerResponse, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../src/tenancy/database.js';
import { loadMigrations } from '../../src/tenancy/migrations.js';
import { provisionTenant } from '../../src/tenancy/provisioning.js';
import { loadOrCreateDevKey, signDevToken } from '../../src/authz/devIssuer.js';
import { ownDatabase, type OwnDatabase } from '../support/ownDatabase.js';
import { freePort } from '../support/ports.js';
import { startServer, tempDataDir, type RunningServer } from '../support/process.js';
import { until } from '../support/ws.js';
import { USER_ERRORS } from '../support/harness.js';

// The request timeout and the turn a worker holds an endpoint for (2 × timeout + 60 s, dispatch.ts's turnMs): a
// turn whose worker was killed is taken again once it has run out.
const TIMEOUT_MS = 3_000;

interface Request { headers: IncomingHttpHeaders; body: string; at: number }

let database: OwnDatabase;
let dataDir: string;
let env: Record<string, string>;
let base: string;
let gateway: RunningServer | undefined;
let receiver: Server;
const requests: Request[] = [];
// The first request is held open, never answered: its sender is killed meanwhile.
const held: ServerResponse[] = [];
let token: string;

async function gql(query: string, variables: Record<string, unknown> = {}) {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
    signal: AbortSignal.timeout(20_000),
  });
  const body = (await response.json()) as { data?: Record<string, any> | null; errors?: unknown[] };
  expect(body.errors).toBeUndefined();
  return body.data!;
}

const LOG = `query($endpoint: ID) { webhookDeliveries(first: 10, endpointId: $endpoint) { edges { node {
  eventId eventType status attempts attemptLog { attempt outcome statusCode error durationMs } } } } }`;

async function log(endpoint: string): Promise<Record<string, any>[]> {
  const data = await gql(LOG, { endpoint });
  return (data['webhookDeliveries'].edges as { node: Record<string, any> }[]).map((edge) => edge.node);
}

beforeAll(async () => {
  receiver = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
      if (requests.length === 1) held.push(response);
      else response.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  database = await ownDatabase('webhook_crash');
  dataDir = tempDataDir();
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  env = {
    DATABASE_URL: database.url, DATA_DIR: dataDir, PORT: String(port), NODE_ENV: 'test', LOG_LEVEL: 'info', TENANT_REGISTRY_TTL_MS: '0',
    // This file's own database, so its workers take only its own endpoint; the receiver is on 127.0.0.1.
    JOBS_ENABLED: 'true', OUTBOUND_ALLOW_PRIVATE_DESTINATIONS: 'true', OUTBOUND_ALLOWED_PORTS: '1024-65535',
    WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
  };
  gateway = await startServer(env);
  const slug = `crash-${randomBytes(4).toString('hex')}`;
  const pool = createPool(database.url, 2);
  try {
    await provisionTenant(pool, loadMigrations(), { slug, displayName: 'Crash Lender', currency: 'USD', timeZone: 'UTC', sandbox: false }, new Date());
  } finally {
    await pool.end();
  }
  const key = await loadOrCreateDevKey(dataDir, 'test');
  token = await signDevToken(key, { issuer: `${base}/dev-issuer`, audience: 'lendgraph-api', role: 'tenant-admin', tenant: slug, subject: 'tenant-admin-1', now: new Date(), ttlSeconds: 3600 });
});

afterAll(async () => {
  if (gateway && gateway.child.exitCode === null && gateway.child.signalCode === null) {
    gateway.child.kill('SIGTERM');
    await gateway.exited;
  }
  for (const response of held) response.destroy();
  receiver?.closeAllConnections();
  await new Promise<void>((resolve) => (receiver ? receiver.close(() => resolve()) : resolve()));
  await database?.drop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

describe('a webhook attempt whose sender is killed', () => {
  it('is logged before its request leaves; after a restart the redelivery carries attempt 2 with the same webhook-id, and the log shows attempt 1 interrupted', async () => {
    // Its own registration is its first event.
    const registered = await gql(`mutation($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { webhookEndpoint { id } ${USER_ERRORS} } }`, {
      input: { url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`, eventTypes: ['webhookEndpoint.*'] },
    });
    expect(registered['registerWebhookEndpoint'].userErrors).toEqual([]);
    const endpoint = registered['registerWebhookEndpoint'].webhookEndpoint.id as string;

    await until(() => requests.length === 1, 30_000);
    expect(requests[0]!.headers['lendgraph-attempt']).toBe('1');
    // While the request is out, the attempt is already in the log, counted.
    const [during] = await log(endpoint);
    expect(during).toMatchObject({ eventType: 'webhookEndpoint.registered', status: 'PENDING', attempts: 1 });
    expect(during!['attemptLog']).toEqual([{ attempt: 1, outcome: 'IN_FLIGHT', statusCode: null, error: null, durationMs: null }]);

    gateway!.child.kill('SIGKILL');
    expect((await gateway!.exited).signal).toBe('SIGKILL');
    gateway = await startServer(env);

    // The endpoint's next event wakes it; its turn, held by the killed worker, is taken again once it runs out.
    const tested = await gql(`mutation($input: SendTestWebhookInput!) { sendTestWebhook(input: $input) { webhookDelivery { id } ${USER_ERRORS} } }`, { input: { endpointId: endpoint } });
    expect(tested['sendTestWebhook'].userErrors).toEqual([]);
    await until(() => requests.length >= 3, 2 * TIMEOUT_MS + 90_000);

    const registration = requests.filter((r) => JSON.parse(r.body).type === 'webhookEndpoint.registered');
    expect(registration.map((r) => r.headers['lendgraph-attempt'])).toEqual(['1', '2']);
    expect(new Set(registration.map((r) => r.headers['webhook-id'])).size).toBe(1);
    const test = requests.filter((r) => JSON.parse(r.body).type === 'webhookEndpoint.tested');
    expect(test.map((r) => r.headers['lendgraph-attempt'])).toEqual(['1']);

    let after: Record<string, any> | undefined;
    const deadline = Date.now() + 10_000;
    do {
      after = (await log(endpoint)).find((d) => d['eventType'] === 'webhookEndpoint.registered');
      if (after?.['status'] === 'SUCCEEDED') break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    } while (Date.now() < deadline);
    expect(after).toMatchObject({ status: 'SUCCEEDED', attempts: 2, eventId: registration[0]!.headers['webhook-id'] });
    expect(after!['attemptLog']).toEqual([
      { attempt: 1, outcome: 'INTERRUPTED', statusCode: null, error: null, durationMs: null },
      { attempt: 2, outcome: 'SUCCEEDED', statusCode: 200, error: null, durationMs: expect.any(Number) },
    ]);
  }, 3 * 60_000);
});
