// What the WebSocket side holds a caller to: live subscriptions bounded per connection and per principal, each
// slot given back however its subscription ends; and an operation refused for its size answered as over HTTP,
// with what it would have cost.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Principal } from '../../src/authz/principal.js';
import { globalIdOf } from '../../src/domain/globalId.js';
import { HeldStream, SubscriptionSlots } from '../../src/graph/subscriptionSlots.js';
import { ClientSocket } from '../../src/graph/clientSocket.js';
import { websocketRefusals } from '../../src/observability/metrics.js';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from '../support/harness.js';
import { firstErrors, operate, subscribe, until, type Operation } from '../support/ws.js';

let server: TestServer;
let tenant: TenantRecord;

beforeAll(async () => {
  server = await startTestServer({ MAX_SUBSCRIPTIONS_PER_CONNECTION: '3', MAX_SUBSCRIPTIONS_PER_PRINCIPAL: '5' });
  tenant = await createTenant(server.runtime, uniqueSlug('wslimits'));
});
afterAll(async () => {
  await server.close();
});

/** What lendgraph_websocket_refusals_total has counted for `reason` in this process. */
async function refusals(reason: 'TOO_MANY_SUBSCRIPTIONS' | 'TOO_MANY_OPERATIONS' | 'SLOW_CONSUMER'): Promise<number> {
  return (await websocketRefusals.get()).values.find((sample) => sample.labels.reason === reason)?.value ?? 0;
}

describe('a refusal of size over the WebSocket', () => {
  it('answers as HTTP does, with what the operation would have cost in extensions.cost', async () => {
    const token = await devToken(server.runtime, 'finance', tenant.slug);
    // Past MAX_QUERY_NODES (100 loans × a loan's transactions), and past MAX_QUERY_COST (eleven trial balances).
    const large = '{ loans(first: 100) { edges { node { transactions { id } } } } }';
    const costly = `{ ${Array.from({ length: 11 }, (_, k) => `t${k}: trialBalance(asOf: "2026-01-31") { asOf }`).join(' ')} }`;
    for (const [query, reason] of [[large, 'QUERY_TOO_LARGE'], [costly, 'QUERY_TOO_COSTLY']] as const) {
      const overHttp = await gql(server.gateway, query, { token });
      expect(overHttp.errors![0]!.extensions).toMatchObject({ reason });
      expect(overHttp.extensions!['cost']).toMatchObject({ requestedQueryCost: expect.any(Number), maxQueryCost: 20_000 });
      const ws = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${token}` }, query);
      await until(() => ws.results.length > 0 || ws.errors.length > 0);
      // Each refusal has its own correlation id; everything else is the same answer.
      const sameBut = (answer: { errors?: unknown; extensions?: unknown }) => ({
        errors: (answer.errors as { extensions: Record<string, unknown> }[]).map((error) => ({ ...error, extensions: { ...error.extensions, correlationId: expect.stringMatching(/^[0-9a-f-]{36}$/) } })),
        extensions: answer.extensions,
      });
      expect(ws.errors).toEqual([]);
      expect(ws.results).toEqual([sameBut(overHttp)]);
      await ws.stop();
    }
  });
});

const principal = (subject: string, partner: Principal['partner'] = null): Principal => ({
  subject, username: null, clientId: 'dashboard', roles: ['tenant-admin'], tenants: ['acme'], partner, expiresAt: new Date('2026-12-04T00:00:00Z'),
});

describe('SubscriptionSlots', () => {
  it('holds a connection to its cap and a principal to its cap over its connections, other principals apart', () => {
    const slots = new SubscriptionSlots({ perConnection: 2, perPrincipal: 3 });
    const ann = principal('ann');
    const [one, two] = [slots.forConnection(ann), slots.forConnection(ann)];
    one.take();
    one.take();
    expect(() => one.take()).toThrow(expect.objectContaining({ code: 'RATE_LIMITED', details: { reason: 'TOO_MANY_SUBSCRIPTIONS', limit: 2, scope: 'connection' } }));
    two.take();
    expect(() => two.take()).toThrow(expect.objectContaining({ code: 'RATE_LIMITED', details: { reason: 'TOO_MANY_SUBSCRIPTIONS', limit: 3, scope: 'principal' } }));
    expect(slots.heldBy(ann)).toBe(3);
    // Another subject, or the same subject as another partner's client, counts on its own.
    slots.forConnection(principal('bob')).take();
    slots.forConnection(principal('ann', { id: 'p-1', kind: 'origination' })).take();
    expect(slots.heldBy(ann)).toBe(3);
  });

  it('gives a slot back once, however often released, and every slot of a connection when it closes; a closed one holds nothing', () => {
    const slots = new SubscriptionSlots({ perConnection: 3, perPrincipal: 3 });
    const ann = principal('ann');
    const connection = slots.forConnection(ann);
    const first = connection.take();
    connection.take();
    first.release();
    first.release();
    expect(slots.heldBy(ann)).toBe(1);
    connection.take();
    connection.take();
    expect(() => connection.take()).toThrow(expect.objectContaining({ code: 'RATE_LIMITED' }));
    connection.close();
    expect(slots.heldBy(ann)).toBe(0);
    connection.take().release();
    expect(slots.heldBy(ann)).toBe(0);
    expect(() => [1, 2, 3].map(() => slots.forConnection(ann).take())).not.toThrow();
  });

  it('aborts a slot\'s signal when it is given back, by its stream or its connection\'s close; one on a closed connection is over already', async () => {
    const slots = new SubscriptionSlots({ perConnection: 3, perPrincipal: 3 });
    const connection = slots.forConnection(principal('ann'));
    const [returned, failed, open] = [connection.take(), connection.take(), connection.take()];
    async function* never(): AsyncGenerator<number> {
      yield await new Promise<number>(() => {});
    }
    const stream = new HeldStream(never(), returned);
    void stream.next();
    void stream.return();
    void new HeldStream(never(), failed).throw(new Error('ended by the server')).catch(() => undefined);
    expect([returned.signal.aborted, failed.signal.aborted, open.signal.aborted]).toEqual([true, true, false]);
    connection.close();
    expect(open.signal.aborted).toBe(true);
    expect(connection.take().signal.aborted).toBe(true);
  });

  it('a held stream gives its slot back when it ends, fails or is returned, returned at once while it waits for a value', async () => {
    const ann = principal('ann');
    const slots = new SubscriptionSlots({ perConnection: 10, perPrincipal: 10 });
    const connection = slots.forConnection(ann);
    async function* values(fail: boolean) {
      yield 1;
      if (fail) throw new Error('the stream failed');
    }
    const ending = new HeldStream(values(false), connection.take());
    const failing = new HeldStream(values(true), connection.take());
    expect(slots.heldBy(ann)).toBe(2);
    expect(await ending.next()).toEqual({ value: 1, done: false });
    expect(await ending.next()).toEqual({ value: undefined, done: true });
    await failing.next();
    await expect(failing.next()).rejects.toThrow('the stream failed');
    expect(slots.heldBy(ann)).toBe(0);
    // A generator awaiting its next value returns only once it has one: the slot is back before that.
    let give!: (value: number) => void;
    async function* waiting() {
      yield await new Promise<number>((resolve) => (give = resolve));
    }
    const held = new HeldStream(waiting(), connection.take());
    const pending = held.next();
    const returned = held.return();
    expect(slots.heldBy(ann)).toBe(0);
    give(7);
    expect(await pending).toEqual({ value: 7, done: false });
    expect(await returned).toEqual({ value: undefined, done: true });
  });
});

const EVENTS = 'subscription($types: [String!], $after: String) { events(types: $types, after: $after) { cursor type } }';
const REGISTER = `mutation($input: RegisterPartnerInput!) { registerPartner(input: $input) { partner { id } ${USER_ERRORS} } }`;

/** Subscribers of this gateway's shared `events` streams that have their starting point: live, and counted. */
const live = () => server.gateway.subscriptions.stats().reduce((sum, group) => sum + group.members, 0);

async function registerPartner(token: string): Promise<void> {
  const code = `ws-${randomUUID().slice(0, 8)}`;
  const response = await gql(server.gateway, REGISTER, { token, variables: { input: { code, name: `Partner ${code}`, kind: 'ORIGINATION' } } });
  expect(userErrors(response, 'registerPartner')).toEqual([]);
}

/** Connects as `subject` (a tenant admin), with one `events` subscription open. */
async function connect(subject: string) {
  const token = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject });
  return { token, socket: subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${token}` }, EVENTS) };
}

describe('live subscriptions over the WebSocket', () => {
  it('holds a connection to MAX_SUBSCRIPTIONS_PER_CONNECTION: one more is refused naming it, and counted, while the socket, the others and queries go on; completing one frees its slot', async () => {
    const { token, socket } = await connect('connection-cap');
    const open: Operation[] = [socket, operate(socket.client, EVENTS), operate(socket.client, EVENTS)];
    await until(() => live() === 3);
    const counted = await refusals('TOO_MANY_SUBSCRIPTIONS');
    const beyond = operate(socket.client, EVENTS);
    await until(() => beyond.errors.length > 0);
    expect(beyond.errors[0]).toEqual([{
      message: expect.stringContaining('MAX_SUBSCRIPTIONS_PER_CONNECTION is 3'),
      extensions: { code: 'RATE_LIMITED', reason: 'TOO_MANY_SUBSCRIPTIONS', limit: 3, scope: 'connection' },
    }]);
    expect(await refusals('TOO_MANY_SUBSCRIPTIONS')).toBe(counted + 1);
    // A query over the same socket holds no slot: it is answered.
    const query = operate(socket.client, '{ viewer { subject } }');
    await until(() => query.completed);
    expect(query.results[0]!['data']).toEqual({ viewer: { subject: 'connection-cap' } });
    await registerPartner(token);
    await until(() => open.every((operation) => operation.results.length === 1));
    expect(open.flatMap((operation) => operation.results.map((result) => result['data'].events.type))).toEqual(Array(3).fill('partner.registered'));
    expect(live()).toBe(3);
    // Completed by the client, a subscription gives its slot back: another takes it on the same socket.
    open[1]!.complete();
    await until(() => live() === 2);
    const again = operate(socket.client, EVENTS);
    await until(() => live() === 3);
    await registerPartner(token);
    await until(() => again.results.length === 1 && open[0]!.results.length === 2);
    expect(again.errors).toEqual([]);
    expect(open[1]!.results).toHaveLength(1);
    await socket.stop();
    await until(() => live() === 0);
  });

  it('holds a principal to MAX_SUBSCRIPTIONS_PER_PRINCIPAL over its connections, others apart; a closed socket gives back every slot it held', async () => {
    const { token, socket: first } = await connect('principal-cap');
    const onFirst = [first, operate(first.client, EVENTS), operate(first.client, EVENTS)];
    await until(() => live() === 3);
    const second = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${token}` }, EVENTS);
    const onSecond = [second, operate(second.client, EVENTS)];
    await until(() => live() === 5);
    const counted = await refusals('TOO_MANY_SUBSCRIPTIONS');
    const beyond = operate(second.client, EVENTS);
    await until(() => beyond.errors.length > 0);
    expect(beyond.errors[0]).toEqual([{
      message: expect.stringContaining('MAX_SUBSCRIPTIONS_PER_PRINCIPAL is 5'),
      extensions: { code: 'RATE_LIMITED', reason: 'TOO_MANY_SUBSCRIPTIONS', limit: 5, scope: 'principal' },
    }]);
    expect(await refusals('TOO_MANY_SUBSCRIPTIONS')).toBe(counted + 1);
    // Someone else at the same lender is not held to this caller's count.
    const { socket: other } = await connect('someone-else');
    await until(() => live() === 6);
    await registerPartner(token);
    await until(() => [...onFirst, ...onSecond, other].every((operation) => operation.results.length === 1));
    // The first socket closes: its three slots are back, so a third socket holds three beside the second's two.
    await first.stop();
    await until(() => live() === 3);
    const third = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${token}` }, EVENTS);
    const onThird = [third, operate(third.client, EVENTS), operate(third.client, EVENTS)];
    await until(() => live() === 6);
    expect(onThird.flatMap((operation) => operation.errors)).toEqual([]);
    await Promise.all([second.stop(), third.stop(), other.stop()]);
    await until(() => live() === 0);
  });

  it('gives a slot back when the subscription is refused after taking it: by authorization, or by its arguments, shared or alone', async () => {
    // A platform admin may not follow a lender's events: one refusal after another, each FORBIDDEN, never for slots.
    const platformAdmin = await devToken(server.runtime, 'platform-admin');
    const admin = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${platformAdmin}` }, EVENTS);
    const forbidden: Operation[] = [admin];
    for (let k = 0; k < 5; k += 1) {
      if (k > 0) forbidden.push(operate(admin.client, EVENTS));
      await until(() => firstErrors(forbidden[k]!) !== undefined);
    }
    expect(forbidden.map((operation) => firstErrors(operation)![0]!.extensions['code'])).toEqual(Array(5).fill('FORBIDDEN'));
    await admin.stop();
    // A filter naming no event type (its stream shared) and a cursor this API never gave (its stream its own) fail
    // once the subscription has begun; five of each on one socket, then three live ones on it still.
    const { socket } = await connect('refused-after-slot');
    await until(() => live() === 1);
    for (const variables of [{ types: ['nothing.*'] }, { after: 'not-a-cursor' }]) {
      for (let k = 0; k < 5; k += 1) {
        const refused = operate(socket.client, EVENTS, variables);
        await until(() => refused.errors.length > 0 || refused.results.length > 0);
        expect(firstErrors(refused)![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT' });
      }
    }
    operate(socket.client, EVENTS);
    operate(socket.client, EVENTS);
    await until(() => live() === 3);
    await socket.stop();
    await until(() => live() === 0);
    // Refused by the gateway itself once the slot is taken: the lender was suspended after the socket opened.
    const lender = await createTenant(server.runtime, uniqueSlug('wslimits-suspended'));
    const staff = await devToken(server.runtime, 'tenant-admin', lender.slug);
    const opened = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${staff}` }, '{ viewer { subject } }');
    await until(() => opened.completed);
    const suspended = await gql(server.gateway, `mutation { suspendTenant(input: { slug: "${lender.slug}", reason: "unpaid invoice" }) { tenant { status } ${USER_ERRORS} } }`, { token: platformAdmin });
    expect(suspended.data!['suspendTenant'].tenant).toEqual({ status: 'SUSPENDED' });
    for (let k = 0; k < 5; k += 1) {
      const refused = operate(opened.client, EVENTS);
      await until(() => refused.errors.length > 0);
      expect(firstErrors(refused)![0]!.extensions).toMatchObject({ code: 'TENANT_SUSPENDED' });
    }
    await opened.stop();
  });
});

const QUIET = 'subscription($after: String, $aggregateId: String) { events(after: $after, aggregateId: $aggregateId) { cursor type } }';

describe('a client that subscribes and completes quickly', () => {
  it('has each place back at its complete, also for subscriptions still being set up: none refused TOO_MANY_SUBSCRIPTIONS, and one more is live', async () => {
    const token = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'quick-complete' });
    const { socket, frames } = await rawSocket();
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
    await until(() => frames.some((frame) => frame['type'] === 'connection_ack'));
    const counted = await refusals('TOO_MANY_SUBSCRIPTIONS');
    // A dashboard mounting and unmounting a view: ten times the connection's cap of 3, each completed at once.
    for (let k = 0; k < 30; k += 1) {
      socket.send(JSON.stringify({ id: `x${k}`, type: 'subscribe', payload: { query: EVENTS } }));
      socket.send(JSON.stringify({ id: `x${k}`, type: 'complete' }));
    }
    socket.send(JSON.stringify({ id: 'live', type: 'subscribe', payload: { query: EVENTS } }));
    await until(() => live() >= 1 && frames.filter((frame) => frame['type'] === 'error').length === 0);
    await registerPartner(token);
    await until(() => frames.some((frame) => frame['id'] === 'live' && frame['type'] === 'next'), 15_000);
    expect(frames.filter((frame) => frame['type'] === 'error')).toEqual([]);
    expect(await refusals('TOO_MANY_SUBSCRIPTIONS')).toBe(counted);
    // The completed ones hold nothing and get nothing.
    expect(frames.filter((frame) => frame['type'] === 'next' && frame['id'] !== 'live')).toEqual([]);
    expect(live()).toBe(1);
    socket.close();
    await until(() => live() === 0);
  });
});

describe('what a subscription holds once it ends', () => {
  it('frees its place in the outbox feed at once, alone or shared, when completed or its socket closes while it waits for an event that never comes; others still receive theirs', async () => {
    const lender = await createTenant(server.runtime, uniqueSlug('wslimits-freed'));
    const { feed } = server.runtime;
    const following = () => feed.liveSubscribers(lender.schemaName);
    const token = await devToken(server.runtime, 'tenant-admin', lender.slug, { subject: 'completes-often' });
    const socket = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${token}` }, '{ viewer { subject } }');
    await until(() => socket.completed);
    // A loan nothing happens to: no event passes the filter, so a stream waiting on it is never woken by one.
    const aggregateId = globalIdOf('Loan', randomUUID());
    const newest = String(await feed.currentCursor(lender.schemaName));
    // With a cursor a subscription runs alone; without one it shares a stream (here a group of one).
    const [alone, shared] = [{ aggregateId, after: newest }, { aggregateId }];
    for (const variables of [alone, shared, alone, shared, alone, shared]) {
      const quiet = operate(socket.client, QUIET, variables);
      await until(() => following() === 1);
      quiet.complete();
      await until(() => following() === 0);
    }
    // A socket closing ends every subscription it held, however each was waiting.
    const closing = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${token}` }, QUIET, alone);
    operate(closing.client, QUIET, alone);
    operate(closing.client, QUIET, shared);
    await until(() => following() === 3);
    await closing.stop();
    await until(() => following() === 0);
    // Subscribers that receive events still do, alone and shared; a shared stream lives on when the member that
    // opened it completes, and ends with its last.
    const opener = operate(socket.client, EVENTS);
    await until(() => following() === 1);
    const receiving = [operate(socket.client, EVENTS, { after: newest }), operate(socket.client, EVENTS)];
    await until(() => following() === 2 && live() === 2);
    opener.complete();
    await until(() => live() === 1);
    await registerPartner(token);
    await until(() => receiving.every((operation) => operation.results.length === 1));
    expect(receiving.map((operation) => operation.results[0]!['data'].events.type)).toEqual(['partner.registered', 'partner.registered']);
    expect(opener.results).toEqual([]);
    for (const operation of receiving) operation.complete();
    await until(() => following() === 0);
    await socket.stop();
  });
});

/** A raw graphql-ws socket, open, its frames collected and how it closed; nothing sent yet. */
async function rawSocket() {
  const socket = new WebSocket(server.gateway.websocketUrl, 'graphql-transport-ws');
  const frames: Record<string, any>[] = [];
  socket.on('message', (data) => frames.push(JSON.parse(String(data))));
  const closed = new Promise<{ code: number; reason: string }>((resolve) => socket.on('close', (code, reason) => resolve({ code, reason: String(reason) })));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  // A write the server refused by closing (a message past its bound) is seen in `closed`.
  socket.on('error', () => {});
  return { socket, frames, closed };
}

/** A raw graphql-ws connection, acknowledged. */
async function connection() {
  const token = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'raw-connection' });
  const raw = await rawSocket();
  raw.socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }));
  await until(() => raw.frames.some((frame) => frame['type'] === 'connection_ack'));
  return raw;
}

describe('the size of a message over the WebSocket', () => {
  it('is bounded as a request without a token is until connection_init is accepted (1009, refused by its declared length, nothing printed), and as one with a token after', async () => {
    const token = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    // The client's doing, not an internal error: nothing printed to stderr (graphql-ws would, with a stack).
    const printed = vi.spyOn(console, 'error');
    // 200 KB: past MAX_ANONYMOUS_REQUEST_BYTES (100 KB), far within MAX_REQUEST_BYTES (16 MB).
    const padding = 'x'.repeat(200_000);
    const early = await rawSocket();
    early.socket.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}`, padding } }));
    await until(() => early.frames.length > 0 || early.socket.readyState === WebSocket.CLOSED);
    expect(early.frames).toEqual([]);
    expect(await early.closed).toEqual({ code: 1009, reason: '' });
    // The same 200 KB once the connection is accepted is served.
    const { socket, frames, closed } = await connection();
    socket.send(JSON.stringify({ id: 'large', type: 'subscribe', payload: { query: '{ viewer { subject } }', variables: { padding } } }));
    await until(() => frames.some((frame) => frame['id'] === 'large' && frame['type'] === 'complete'));
    expect(frames.filter((frame) => frame['id'] === 'large')).toEqual([
      { id: 'large', type: 'next', payload: { data: { viewer: { subject: 'raw-connection' } }, extensions: { cost: expect.any(Object) } } },
      { id: 'large', type: 'complete' },
    ]);
    // Past MAX_REQUEST_BYTES it is refused as before, by its length.
    socket.send('x'.repeat(16_000_001));
    expect(await closed).toEqual({ code: 1009, reason: '' });
    expect(printed).not.toHaveBeenCalled();
    printed.mockRestore();
  });

  it('is raised for one socket where ws keeps it (a ws that keeps it elsewhere fails here by name)', async () => {
    // A server of ws's own with the gateway's socket class: 100 bytes for every socket, 1,000 for one raised.
    const plain = new WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload: 100, WebSocket: ClientSocket });
    try {
      await new Promise((resolve) => plain.once('listening', resolve));
      const accepted: ClientSocket[] = [];
      plain.on('connection', (socket: ClientSocket) => {
        accepted.push(socket);
        // ws reports a message past the bound as an error of its socket (and closes it 1009).
        socket.on('error', () => {});
        socket.on('message', (data) => socket.send(`took ${String(data).length}`));
      });
      const connectTo = async () => {
        const client = new WebSocket(`ws://127.0.0.1:${(plain.address() as AddressInfo).port}`);
        const said: string[] = [];
        client.on('message', (data) => said.push(String(data)));
        client.on('error', () => {});
        const closed = new Promise<number>((resolve) => client.on('close', (code) => resolve(code)));
        await new Promise((resolve) => client.once('open', resolve));
        return { client, said, closed };
      };
      const bound = await connectTo();
      const raised = await connectTo();
      await until(() => accepted.length === 2);
      accepted[1]!.allowMessagesUpTo(1_000);
      raised.client.send('x'.repeat(500));
      await until(() => raised.said.length > 0);
      expect(raised.said).toEqual(['took 500']);
      bound.client.send('x'.repeat(500));
      expect(await bound.closed).toBe(1009);
      raised.client.close();
      // Where ws no longer keeps it, raising it says so rather than leaving the bound as it was.
      const elsewhere = Object.assign(Object.create(ClientSocket.prototype) as ClientSocket, { _receiver: {} });
      expect(() => elsewhere.allowMessagesUpTo(1_000)).toThrow(/_maxPayload/);
    } finally {
      await new Promise((resolve) => plain.close(resolve));
    }
  });
});

describe('a client that stops reading its answers', () => {
  // An answer of some 220 KB (the schema's types with their descriptions).
  const LARGE = '{ __schema { types { name description fields { name description } } } }';
  const reasonOf = (frame: Record<string, any>) => (frame['type'] === 'error' ? frame['payload'] : frame['payload']['errors'])?.[0]?.extensions?.reason;

  it('is answered 16 operations at a time; the rest of a burst is refused TOO_MANY_OPERATIONS, not held in memory, and each refusal counted', async () => {
    const { socket, frames } = await connection();
    const counted = await refusals('TOO_MANY_OPERATIONS');
    // The client stops reading: what the server writes waits in the kernel's buffers, then in the gateway's.
    socket.pause();
    // 500 at once: graphql-ws takes them all, and each answer waited in memory for the socket (106 MB).
    for (let k = 0; k < 500; k += 1) socket.send(JSON.stringify({ id: `q${k}`, type: 'subscribe', payload: { query: LARGE } }));
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    socket.resume();
    await until(() => frames.filter((frame) => frame['type'] === 'complete' || frame['type'] === 'error').length >= 500, 60_000);
    const answers = frames.filter((frame) => frame['type'] === 'next' || frame['type'] === 'error');
    const served = answers.filter((frame) => frame['type'] === 'next' && frame['payload']['data']?.['__schema']);
    const refused = answers.filter((frame) => reasonOf(frame) === 'TOO_MANY_OPERATIONS');
    // 16 at once; each answered and handed to the kernel frees its place, so a few more may be served.
    expect(served.length).toBeGreaterThanOrEqual(16);
    expect(served.length).toBeLessThan(500);
    expect(served.length + refused.length).toBe(500);
    const [error] = refused[0]!['payload'];
    expect(error).toMatchObject({ message: expect.stringContaining('being answered'), extensions: { code: 'RATE_LIMITED', reason: 'TOO_MANY_OPERATIONS', limit: 16 } });
    expect(await refusals('TOO_MANY_OPERATIONS')).toBe(counted + refused.length);
    // Once read, the connection goes on.
    const after = frames.length;
    socket.send(JSON.stringify({ id: 'again', type: 'subscribe', payload: { query: '{ __typename }' } }));
    await until(() => frames.slice(after).some((frame) => frame['id'] === 'again' && frame['type'] === 'next'));
    socket.close();
  });

  it('is closed 4429 SLOW_CONSUMER when it pings while a megabyte of pongs waits unread, with a token or without, counted', async () => {
    for (const initialised of [false, true]) {
      const { socket, closed } = initialised ? await connection() : await rawSocket();
      const counted = await refusals('SLOW_CONSUMER');
      socket.pause();
      // graphql-ws answers each ping with a pong carrying the ping's payload: 90 KB each, under the anonymous bound.
      const ping = JSON.stringify({ type: 'ping', payload: { x: 'y'.repeat(90_000) } });
      const ended = { value: false };
      void closed.then(() => (ended.value = true));
      let sent = 0;
      while (!ended.value && sent < 3_000) {
        for (let k = 0; k < 20; k += 1, sent += 1) socket.send(ping);
        await new Promise((resolve) => setTimeout(resolve, 20));
        if (sent >= 800 && !initialised) break;
      }
      socket.resume();
      expect(await closed, `initialised: ${initialised}`).toEqual({ code: 4429, reason: 'SLOW_CONSUMER' });
      expect(await refusals('SLOW_CONSUMER')).toBe(counted + 1);
    }
  });

  it('is closed 4429 SLOW_CONSUMER when it asks again while a megabyte of answers waits unread, counted once', async () => {
    const { socket, closed } = await connection();
    const counted = await refusals('SLOW_CONSUMER');
    socket.pause();
    // Bursts of 16 fill the kernel's buffers on loopback (some 36 MB), then the gateway's: asking again then closes it.
    let sent = 0;
    const ended = { value: false };
    void closed.then(() => (ended.value = true));
    while (!ended.value && sent < 4_000) {
      for (let k = 0; k < 16; k += 1) socket.send(JSON.stringify({ id: `b${sent++}`, type: 'subscribe', payload: { query: LARGE } }));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    socket.resume();
    expect(await closed).toEqual({ code: 4429, reason: 'SLOW_CONSUMER' });
    // Once for the connection, however many of the operations it sent arrived while it closed.
    expect(await refusals('SLOW_CONSUMER')).toBe(counted + 1);
  });
});
