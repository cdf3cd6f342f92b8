// Which subscriptions may share one execution per event: the key, derived from the document, its variables and
// everything about the caller that changes what they see; none at all when unsure.
import { describe, expect, it } from 'vitest';
import { buildSchema, parse, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { MessageType, stringifyMessage } from 'graphql-ws';
import { SubscriptionFanout, sharingKey, type FanoutOptions, type FrameSocket } from '../../src/graph/subscriptionFanout.js';
import { AppError } from '../../src/errors.js';
import type { GraphContext } from '../../src/graph/context.js';
import type { Principal } from '../../src/authz/principal.js';

const staff: Principal = {
  subject: 'user-1', username: 'ann', clientId: 'dashboard', roles: ['tenant-admin', 'loan-officer'] as Principal['roles'],
  tenants: ['acme'], partner: null, expiresAt: new Date('2026-12-04T00:00:00Z'),
};
const partner = (id: string): Principal => ({ ...staff, subject: `svc-${id}`, clientId: id, roles: ['colending-partner'] as Principal['roles'], partner: { id, kind: 'colending' } });

function context(principal: Principal | null, schemaName = 'tenant_acme'): GraphContext {
  return { principal, tenant: { schemaName, slug: schemaName.replace('tenant_', '') } } as unknown as GraphContext;
}

const LIVE = 'subscription($types: [String!], $after: String) { events(types: $types, after: $after) { cursor type } }';
const key = (query: string, variables: Record<string, unknown>, principal: Principal | null, schemaName?: string) =>
  sharingKey({ document: parse(query), variableValues: variables, contextValue: context(principal, schemaName) });

describe('sharingKey', () => {
  it('is the same for the same document, however it is spaced, the same variables in any order, and the same scope', () => {
    const one = key(LIVE, { types: ['loan.*'], after: null }, staff);
    const spaced = key(`subscription ($types: [String!], $after: String) {
      events(types: $types, after: $after) { cursor  type }
    }`, { after: null, types: ['loan.*'] }, { ...staff, subject: 'user-2', username: 'bob', roles: ['loan-officer', 'tenant-admin'] as Principal['roles'] });
    expect(one).toMatch(/^[0-9a-f]{64}$/);
    expect(spaced).toBe(one);
  });

  it('differs for other variables, another document, another tenant, other roles, another partner, and staff against a partner', () => {
    const base = key(LIVE, { types: ['loan.*'] }, staff)!;
    const others = [
      key(LIVE, { types: ['application.*'] }, staff),
      key('subscription($types: [String!]) { events(types: $types) { cursor type payload } }', { types: ['loan.*'] }, staff),
      key(LIVE, { types: ['loan.*'] }, staff, 'tenant_other'),
      key(LIVE, { types: ['loan.*'] }, { ...staff, roles: ['tenant-admin'] as Principal['roles'] }),
      key(LIVE, { types: ['loan.*'] }, { ...staff, tenants: ['acme', 'beta'] }),
      key(LIVE, { types: ['loan.*'] }, partner('p-1')),
      key(LIVE, { types: ['loan.*'] }, partner('p-2')),
      key(LIVE, { types: ['loan.*'] }, { ...partner('p-1'), partner: { id: 'p-1', kind: 'origination' } }),
    ];
    const all = [base, ...others];
    expect(others.every((other) => typeof other === 'string')).toBe(true);
    expect(new Set(all).size).toBe(all.length);
  });

  it('gives none (run alone) when resuming from a cursor, without a caller or tenant, or for anything but a plain events field', () => {
    expect(key(LIVE, { types: ['loan.*'], after: '12' }, staff)).toBeUndefined();
    expect(key('subscription { events(after: "12") { cursor } }', {}, staff)).toBeUndefined();
    expect(key('subscription { events(after: null) { cursor } }', {}, staff)).toMatch(/^[0-9a-f]{64}$/);
    expect(key(LIVE, {}, null)).toBeUndefined();
    expect(sharingKey({ document: parse(LIVE), variableValues: {}, contextValue: { principal: staff, tenant: null } })).toBeUndefined();
    expect(key('subscription { ... on Subscription { events { cursor } } }', {}, staff)).toBeUndefined();
    expect(key('subscription($x: Boolean!) { events @include(if: $x) { cursor } }', { x: true }, staff)).toBeUndefined();
    expect(key('query { __typename }', {}, staff)).toBeUndefined();
  });
});

describe('SubscriptionFanout', () => {
  // A stand-in for the events field: a stream the test pushes events into, counted each time it is opened.
  const schema = buildSchema('type Query { ok: Boolean } type Event { cursor: String } type Subscription { events(types: [String!], after: String): Event }');
  function harness(options: Partial<FanoutOptions> = {}) {
    const pushes: ((seq: number) => void)[] = [];
    let opened = 0;
    const subscriptionType = schema.getSubscriptionType()!;
    subscriptionType.getFields()['events']!.subscribe = () => {
      opened += 1;
      const waiting: number[] = [];
      let wake: (() => void) | undefined;
      pushes.push((seq) => { waiting.push(seq); wake?.(); });
      return (async function* () {
        while (true) {
          const seq = waiting.shift();
          if (seq !== undefined) yield { seq };
          else await new Promise<void>((resolve) => (wake = resolve));
        }
      })();
    };
    subscriptionType.getFields()['events']!.resolve = (event: { seq: number }) => ({ cursor: String(event.seq) });
    const contextValue = { ...context(staff), runtime: { feed: { currentCursor: async () => 0 } } };
    const fanout = new SubscriptionFanout({ maxQueue: 2, ...options });
    // Each subscriber its own context (as graphql-ws's onSubscribe makes one per operation), all in the same scope.
    const open = (ownContext: object = { ...contextValue }) =>
      fanout.subscribe({ schema, document: parse('subscription { events { cursor } }'), contextValue: ownContext }) as Promise<AsyncIterableIterator<ExecutionResult>>;
    return { fanout, open, push: (seq: number) => pushes.forEach((push) => push(seq)), opened: () => opened };
  }

  it('opens one stream and executes once per event for a group; a member that stops reading is ended alone, told where to resume', async () => {
    const { fanout, open, push, opened } = harness();
    const reader = await open();
    const idle = await open();
    expect(opened()).toBe(1);
    expect(fanout.stats()).toEqual([expect.objectContaining({ members: 2 })]);
    push(1);
    expect((await reader.next()).value).toEqual({ data: { events: { cursor: '1' } } });
    expect((await idle.next()).value).toEqual({ data: { events: { cursor: '1' } } });
    for (const seq of [2, 3, 4]) {
      push(seq);
      expect((await reader.next()).value).toEqual({ data: { events: { cursor: String(seq) } } });
    }
    // idle held 2 and 3 when 4 arrived: it is ended, resuming after 1, the last it received; reader carries on.
    const failure = await idle.next().then(() => undefined, (error: unknown) => error);
    expect(failure).toBeInstanceOf(AppError);
    expect((failure as AppError).details).toMatchObject({ reason: 'SLOW_CONSUMER', resumeAfter: '1' });
    expect(fanout.stats()).toEqual([expect.objectContaining({ members: 1, executions: 4 })]);
    expect(fanout.executions).toBe(4);
    await reader.return!();
    expect(fanout.stats()).toEqual([]);
  });

  it('shows a member in its group only once it has its starting point, so an event committed after that reaches it', async () => {
    const { fanout, open, push } = harness();
    // The newest event's number, read when each subscribes: held open here until the test lets it answer.
    let answer!: (cursor: number) => void;
    const slowFeed = { currentCursor: () => new Promise<number>((resolve) => (answer = resolve)) };
    const first = open({ ...context(staff), runtime: { feed: slowFeed } });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(fanout.stats()).toEqual([]);
    answer(5);
    const reader = await first;
    expect(fanout.stats()).toEqual([expect.objectContaining({ members: 1 })]);
    // A second joins the live group: not counted until its own starting point is read.
    const second = open({ ...context(staff), runtime: { feed: slowFeed } });
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(fanout.stats()).toEqual([expect.objectContaining({ members: 1 })]);
    answer(6);
    const joined = await second;
    expect(fanout.stats()).toEqual([expect.objectContaining({ members: 2 })]);
    push(7);
    expect((await reader.next()).value).toEqual({ data: { events: { cursor: '7' } } });
    expect((await joined.next()).value).toEqual({ data: { events: { cursor: '7' } } });
    await reader.return!();
    await joined.return!();
    expect(fanout.stats()).toEqual([]);
  });

  /** A stand-in for a ws WebSocket: records what is sent, with as much unsent as the test says. */
  class FakeSocket implements FrameSocket {
    readyState = 1;
    bufferedAmount = 0;
    readonly frames: string[] = [];
    constructor(private readonly onSend: (frame: string) => void = () => {}) {}
    send(data: string, options: { binary: boolean; compress: boolean; fin: boolean }): void {
      expect(options).toEqual({ binary: false, compress: false, fin: true });
      this.frames.push(data);
      this.onSend(data);
    }
  }

  /** Members written directly, each with its own socket and subscription id; the payload says what it cost. */
  function direct(ids: string[], options: Partial<FanoutOptions> = {}, onSend?: (frame: string) => void) {
    const sinks = new WeakMap<object, { socket: FakeSocket; id: string }>();
    const payloads: unknown[] = [];
    const payloadOf = (_args: ExecutionArgs, result: ExecutionResult) => {
      const payload = { ...result, extensions: { cost: { requested: 3 } } };
      payloads.push(payload);
      return payload;
    };
    const h = harness({ sinkOf: (args) => sinks.get(args.contextValue as object), payloadOf, ...options });
    const members = ids.map((id) => ({ id, socket: new FakeSocket(onSend), context: { ...context(staff), runtime: { feed: { currentCursor: async () => 0 } } } }));
    for (const member of members) sinks.set(member.context, { socket: member.socket, id: member.id });
    return { ...h, members, payloads, openAll: () => Promise.all(members.map((member) => h.open(member.context))) };
  }
  const settled = () => new Promise((resolve) => setTimeout(resolve, 20));

  it('serializes an event once for a group and writes each member the frame graphql-ws would have sent, only its id differing', async () => {
    const { fanout, members, payloads, openAll, push } = direct(['1', 'b0c6d3e2-7f1a-4c55-9d7e-2f4f3a1b9e10', 'odd "id" \\ ü']);
    const iterators = await openAll();
    // graphql-ws starts iterating each subscription it registered; the iterator yields nothing, the socket gets it.
    const pending = iterators.map((iterator) => iterator.next());
    push(1);
    push(2);
    await settled();
    expect(fanout.executions).toBe(2);
    expect(fanout.serializations).toBe(2);
    expect(payloads).toHaveLength(2);
    for (const member of members) {
      expect(member.socket.frames).toEqual(payloads.map((payload) => stringifyMessage({ id: member.id, type: MessageType.Next, payload: payload as ExecutionResult })));
    }
    expect(JSON.parse(members[2]!.socket.frames[1]!)).toEqual({ id: 'odd "id" \\ ü', type: 'next', payload: { data: { events: { cursor: '2' } }, extensions: { cost: { requested: 3 } } } });
    // Completing ends the member's iterator, as graphql-ws expects; the group goes with its last member.
    await Promise.all(iterators.map((iterator) => iterator.return!()));
    expect(await Promise.all(pending)).toEqual(iterators.map(() => ({ value: undefined, done: true })));
    expect(fanout.stats()).toEqual([]);
  });

  it('writes nothing to a member before graphql-ws iterates it, then what arrived meanwhile, in order', async () => {
    const { members, openAll, push } = direct(['early', 'late']);
    const [early, late] = await openAll();
    void early!.next();
    push(1);
    await settled();
    expect(members[0]!.socket.frames.map((frame) => JSON.parse(frame).payload.data.events.cursor)).toEqual(['1']);
    expect(members[1]!.socket.frames).toEqual([]);
    push(2);
    await settled();
    void late!.next();
    push(3);
    await settled();
    for (const member of members) expect(member.socket.frames.map((frame) => JSON.parse(frame).payload.data.events.cursor)).toEqual(['1', '2', '3']);
  });

  it('ends a member whose socket holds more than its bound unsent with SLOW_CONSUMER, resuming after the last frame written; the rest carry on', async () => {
    const { fanout, members, openAll, push } = direct(['slow', 'fast'], { maxBufferedBytes: 1_000 });
    const [slow, fast] = await openAll();
    const slowEnd = slow!.next().then(() => undefined, (error: unknown) => error);
    void fast!.next();
    push(1);
    await settled();
    members[0]!.socket.bufferedAmount = 1_001;
    push(2);
    push(3);
    await settled();
    const failure = await slowEnd;
    expect(failure).toBeInstanceOf(AppError);
    expect((failure as AppError).details).toMatchObject({ reason: 'SLOW_CONSUMER', resumeAfter: '1' });
    expect(members[0]!.socket.frames).toHaveLength(1);
    expect(members[1]!.socket.frames).toHaveLength(3);
    expect(fanout.stats()).toEqual([expect.objectContaining({ members: 1, executions: 3 })]);
  });

  it('yields to the event loop after each chunk of members written, so other work runs in between', async () => {
    const order: string[] = [];
    let scheduled = false;
    const { openAll, push } = direct(['a', 'b', 'c', 'd', 'e'], { chunk: 2 }, () => {
      order.push('frame');
      // Work that arrives during the fan-out (another socket's message, a request): it runs after the first chunk.
      if (!scheduled) setImmediate(() => order.push('other work'));
      scheduled = true;
    });
    for (const iterator of await openAll()) void iterator.next();
    push(1);
    await settled();
    expect(order).toEqual(['frame', 'frame', 'other work', 'frame', 'frame', 'frame']);
  });
});
