// A client that goes away while a subscription is catching up: a real gateway process (the one `npm start` runs,
// writing each stored event to the socket while the client's side is already gone) replays thousands of events to
// a subscriber that drops its TCP connection without a close frame. The frames it could no longer write are not an
// internal error: nothing is logged as one and nothing is printed to stderr.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { Runtime } from '../../src/runtime.js';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { quoteIdent } from '../../src/tenancy/schemaNames.js';
import { createTenant, devToken, openTestRuntime, testEnv, uniqueSlug } from '../support/harness.js';
import { startServer, type RunningServer } from '../support/process.js';

const STORED_EVENTS = 3_000;
const DROPS = 5;
const EVENTS = 'subscription($after: String) { events(after: $after) { cursor id type aggregateType aggregateId occurredAt payload } }';

let runtime: Runtime;
let gateway: RunningServer;
let port: string;
let tenant: TenantRecord;

beforeAll(async () => {
  // Two live subscriptions per caller: a dropped subscriber that kept its slot would have the third refused.
  const env = await testEnv({ LOG_LEVEL: 'info', MAX_SUBSCRIPTIONS_PER_PRINCIPAL: '2' });
  port = env['PORT']!;
  // The test's own runtime signs tokens with the gateway's issuer (its port) and writes the stored events.
  runtime = await openTestRuntime({ PORT: port });
  tenant = await createTenant(runtime, uniqueSlug('ws-gone'));
  await runtime.pool.query(
    `INSERT INTO ${quoteIdent(tenant.schemaName)}.outbox_event (id, type, aggregate_type, aggregate_id, tenant, partner_scope, occurred_at, payload)
     SELECT gen_random_uuid(), 'ledgerAccount.opened', 'LedgerAccount', 'stored-' || n, $1, NULL, now(), jsonb_build_object('n', n, 'note', repeat('x', 200)) FROM generate_series(1, $2) AS n`,
    [tenant.slug, STORED_EVENTS]);
  await runtime.settler.settle(tenant.schemaName);
  gateway = await startServer(env);
});

afterAll(async () => {
  if (gateway && gateway.child.exitCode === null) {
    gateway.child.kill('SIGTERM');
    await gateway.exited;
  }
  await runtime?.close();
});

/** Subscribes from the first event and destroys the TCP connection once `after` frames have arrived. */
function dropWhileCatchingUp(token: string, after: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/graphql`, 'graphql-transport-ws');
    let received = 0;
    socket.on('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } })));
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { type: string };
      if (message.type === 'connection_ack') {
        socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: EVENTS, variables: { after: '0' } } }));
      } else if (message.type === 'next' && ++received === after) {
        // No close frame (ws's terminate destroys the TCP connection): the client is simply gone.
        socket.terminate();
        resolve(received);
      } else if (message.type !== 'next') {
        reject(new Error(`unexpected ${String(data).slice(0, 300)}`));
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(received));
  });
}

describe('a client that drops its connection while its subscription catches up', () => {
  it('is no internal error: nothing logged as one, nothing printed to stderr; the slot of each is back and the next subscriber is caught up in full', async () => {
    const token = await devToken(runtime, 'tenant-admin', tenant.slug);
    const linesBefore = gateway.lines.length;
    for (let i = 0; i < DROPS; i += 1) expect(await dropWhileCatchingUp(token, 200)).toBe(200);
    // A subscriber that stays to the end is caught up in full after the others went.
    expect(await dropWhileCatchingUp(token, STORED_EVENTS)).toBe(STORED_EVENTS);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(gateway.logs.filter((entry) => entry['level'] >= 50).map((entry) => `${entry['msg']}: ${entry['err']?.message}`)).toEqual([]);
    expect(gateway.lines.slice(linesBefore).filter((line) => !line.startsWith('{'))).toEqual([]);
  });
});
