// Which subscriptions may share one execution per event: the key, derived from the document, its variables and
// everything about the caller that changes what they see; none at all when unsure.
import { describe, expect, it } from 'vitest';
import { buildSchema, parse, type ExecutionResult } from 'graphql';
import { SubscriptionFanout, sharingKey } from '../../src/graph/subscriptionFanout.js';
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
  function harness() {
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
    const fanout = new SubscriptionFanout({ maxQueue: 2 });
    const open = () => fanout.subscribe({ schema, document: parse('subscription { events { cursor } }'), contextValue }) as Promise<AsyncIterableIterator<ExecutionResult>>;
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
});
