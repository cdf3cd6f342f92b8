// Idempotency keys belong to whoever made the request (src/commands/runCommand.ts, idempotencyOwner): the tenant
// (each tenant's keys live in its own schema), the partner (or the lender's staff), the client and the subject.
// Another partner, another tenant's partner of the same code, another member of staff — repeating the same key
// and the same body — each gets a result of its own, never someone else's; the development issuer gives each
// partner's token a subject of its own, and even tokens forced to share a subject stay apart.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { registerPartner } from '../../src/services/partners.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from '../support/harness.js';

let server: TestServer;
let first: TenantRecord;
let second: TenantRecord;

const CREATE = `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application { id reference originationPartnerCode externalReference } ${USER_ERRORS} } }`;
const KEY = 'shared-key-0001';
const BODY = {
  idempotencyKey: KEY, productCode: 'PL-STD', amount: '5000', numberOfRepayments: 12, purpose: 'same body everywhere', externalReference: 'same-ref',
  applicant: { kind: 'PERSON', legalName: 'Same Body', email: 'same.body@example.test', phone: '+14155558001', dateOfBirth: '1980-01-01' },
};

async function create(token: string, tenant: string, input: Record<string, unknown> = BODY) {
  const response = await gql(server.gateway, CREATE, { token, tenant, variables: { input } });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  expect(response.data!['createApplication'].userErrors).toEqual([]);
  return response.data!['createApplication'].application as { id: string; reference: string; originationPartnerCode: string | null };
}

beforeAll(async () => {
  server = await startTestServer();
  first = await createTenant(server.runtime, uniqueSlug('idem-a'), { sandbox: true, businessDate: '2026-12-01' });
  second = await createTenant(server.runtime, uniqueSlug('idem-b'), { sandbox: true, businessDate: '2026-12-01' });
  const actor = { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' };
  for (const [tenant, codes] of [[first, ['alpha', 'beta']], [second, ['alpha']]] as const) {
    for (const code of codes) {
      await registerPartner(server.runtime.tenantClients.forSchema(tenant.schemaName), server.runtime.identity, { tenant: tenant.slug, actor, now: new Date() }, { code, name: code, kind: 'origination' });
    }
  }
});
afterAll(async () => {
  await server.close();
});

describe('idempotency keys are scoped to tenant, partner and principal', () => {
  it('the development issuer gives each partner\'s token a subject of its own', async () => {
    const alpha = await devToken(server.runtime, 'origination-partner', first.slug, { partner: { id: 'alpha', kind: 'origination' } });
    const beta = await devToken(server.runtime, 'origination-partner', first.slug, { partner: { id: 'beta', kind: 'origination' } });
    const elsewhere = await devToken(server.runtime, 'origination-partner', second.slug, { partner: { id: 'alpha', kind: 'origination' } });
    const subjects = [alpha, beta, elsewhere].map((token) => decodeJwt(token).sub);
    expect(new Set(subjects).size).toBe(3);
    expect(subjects[0]).toBe(`dev-partner:${first.slug}:alpha`);
  });

  it('two partners of one tenant, the same key and body: each gets its own application, and its own again on repeat', async () => {
    const alpha = await devToken(server.runtime, 'origination-partner', first.slug, { partner: { id: 'alpha', kind: 'origination' } });
    const beta = await devToken(server.runtime, 'origination-partner', first.slug, { partner: { id: 'beta', kind: 'origination' } });
    const a = await create(alpha, first.slug);
    const b = await create(beta, first.slug);
    expect(b.id).not.toBe(a.id);
    expect([a.originationPartnerCode, b.originationPartnerCode]).toEqual(['alpha', 'beta']);
    expect((await create(alpha, first.slug)).id).toBe(a.id);
    expect((await create(beta, first.slug)).id).toBe(b.id);
    const db = server.runtime.tenantClients.forSchema(first.schemaName);
    expect(await db.idempotencyKey.count({ where: { key: KEY } })).toBe(2);
  });

  it('even when two partners\' tokens carry the same subject, neither gets the other\'s result', async () => {
    const key = 'forced-same-subject-1';
    const alpha = await devToken(server.runtime, 'origination-partner', first.slug, { partner: { id: 'alpha', kind: 'origination' }, subject: 'one-subject-for-all' });
    const beta = await devToken(server.runtime, 'origination-partner', first.slug, { partner: { id: 'beta', kind: 'origination' }, subject: 'one-subject-for-all' });
    const a = await create(alpha, first.slug, { ...BODY, idempotencyKey: key });
    const b = await create(beta, first.slug, { ...BODY, idempotencyKey: key });
    expect(b.id).not.toBe(a.id);
    expect(b.originationPartnerCode).toBe('beta');
    // A partner's token and a member of staff with that same subject are apart too.
    const staff = await devToken(server.runtime, 'loan-officer', first.slug, { subject: 'one-subject-for-all' });
    const s = await create(staff, first.slug, { ...BODY, idempotencyKey: key });
    expect([a.id, b.id]).not.toContain(s.id);
    expect(s.originationPartnerCode).toBeNull();
  });

  it('a partner of the same code in another tenant, and two members of staff, each get their own', async () => {
    const key = 'cross-tenant-key-1';
    const here = await devToken(server.runtime, 'origination-partner', first.slug, { partner: { id: 'alpha', kind: 'origination' } });
    const there = await devToken(server.runtime, 'origination-partner', second.slug, { partner: { id: 'alpha', kind: 'origination' } });
    const a = await create(here, first.slug, { ...BODY, idempotencyKey: key });
    const c = await create(there, second.slug, { ...BODY, idempotencyKey: key });
    expect(c.id).not.toBe(a.id);
    const one = await devToken(server.runtime, 'loan-officer', first.slug, { subject: 'officer-one' });
    const two = await devToken(server.runtime, 'loan-officer', first.slug, { subject: 'officer-two' });
    const o1 = await create(one, first.slug, { ...BODY, idempotencyKey: key });
    const o2 = await create(two, first.slug, { ...BODY, idempotencyKey: key });
    expect(o2.id).not.toBe(o1.id);
    expect((await create(one, first.slug, { ...BODY, idempotencyKey: key })).id).toBe(o1.id);
  });

  it('the same caller with the same key and another body is a CONFLICT, and only for that caller', async () => {
    const key = 'conflict-key-00001';
    const alpha = await devToken(server.runtime, 'origination-partner', first.slug, { partner: { id: 'alpha', kind: 'origination' } });
    const beta = await devToken(server.runtime, 'origination-partner', first.slug, { partner: { id: 'beta', kind: 'origination' } });
    await create(alpha, first.slug, { ...BODY, idempotencyKey: key });
    const conflicting = await gql(server.gateway, CREATE, { token: alpha, variables: { input: { ...BODY, idempotencyKey: key, amount: '6000' } } });
    expect(conflicting.status).toBe(200);
    expect(userErrors(conflicting, 'createApplication').map((e) => e.code)).toEqual(['CONFLICT']);
    expect(conflicting.data!['createApplication'].application).toBeNull();
    // Beta never learns that alpha used the key: another body under it is simply beta's own first request.
    const fresh = await create(beta, first.slug, { ...BODY, idempotencyKey: key, amount: '6000' });
    expect(fresh.originationPartnerCode).toBe('beta');
  });
});
