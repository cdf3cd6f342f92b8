// Which subscriptions may share one execution per event: the key, derived from the document, its variables and
// everything about the caller that changes what they see; none at all when unsure.
import { describe, expect, it } from 'vitest';
import { parse } from 'graphql';
import { sharingKey } from '../../src/graph/subscriptionFanout.js';
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
