// Loan products read with plain SQL (src/graph/productRows.ts) are the rows Prisma reads, field for field; every
// partner reads the catalogue, as its scoped client does; and another tenant's product is not there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { registerPartner } from '../../src/services/partners.js';
import { scopeToPartner } from '../../src/authz/partnerScope.js';
import { loanProductRowsById } from '../../src/graph/productRows.js';
import { globalIdOf } from '../../src/domain/globalId.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, type TestServer } from '../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;
let other: TenantRecord;
let admin: string;
let fintech: string;
let otherAdmin: string;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('productrows'), { sandbox: true });
  other = await createTenant(server.runtime, uniqueSlug('productrows-other'), { sandbox: true });
  const actor = { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' };
  const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
  await registerPartner(db, server.runtime.identity, { tenant: tenant.slug, actor, now: new Date() }, { code: 'fintech', name: 'fintech', kind: 'origination' });
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
  fintech = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'fintech', kind: 'origination' } });
  otherAdmin = await devToken(server.runtime, 'tenant-admin', other.slug);
  // A product with every column set: its own delinquency buckets and account mapping, retired, amounts with places.
  const [first] = await db.loanProduct.findMany({ orderBy: { code: 'asc' }, take: 1 });
  await db.loanProduct.create({
    data: {
      code: 'PR-FULL', name: 'Every column', currency: 'USD', minAmount: '100.5', maxAmount: '25000.1234', minTenor: 3, maxTenor: 48,
      annualRate: '0.129875', currentVersion: 1, accountMapping: { principalReceivable: '1105' },
      delinquencyBuckets: [{ name: 'late', fromDays: 1, toDays: 30 }], retiredAt: new Date('2026-11-30T12:34:56.789Z'),
      versions: { create: { version: 1, terms: {}, allocation: {}, createdBy: 'test-setup', createdAt: new Date() } },
    },
  });
  expect(first).toBeDefined();
}, 120_000);

afterAll(async () => {
  await server?.close();
});

describe('a loan product read with plain SQL', () => {
  it('is the row Prisma reads, every field equal, one id or many', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const products = await db.loanProduct.findMany({ orderBy: { code: 'asc' } });
    expect(products.length).toBeGreaterThan(1);
    const ids = products.map((p) => p.id);
    const many = await loanProductRowsById(server.runtime.pool, tenant.schemaName, ids);
    expect(many).toHaveLength(products.length);
    for (const viaPrisma of products) {
      const viaSql = many.find((row) => row.id === viaPrisma.id)!;
      expect(Object.keys(viaSql).sort()).toEqual(Object.keys(viaPrisma).sort());
      expect(viaSql).toEqual(viaPrisma);
      expect(JSON.parse(JSON.stringify(viaSql))).toEqual(JSON.parse(JSON.stringify(viaPrisma)));
      // Decimals as text too: the text is what the API prints.
      for (const field of ['minAmount', 'maxAmount', 'annualRate'] as const) expect(viaSql[field].toString()).toBe(viaPrisma[field].toString());
      expect(await loanProductRowsById(server.runtime.pool, tenant.schemaName, [viaPrisma.id])).toEqual([viaSql]);
    }
    const full = many.find((row) => row.code === 'PR-FULL')!;
    expect(full.retiredAt).toEqual(new Date('2026-11-30T12:34:56.789Z'));
    expect(full.delinquencyBuckets).toEqual([{ name: 'late', fromDays: 1, toDays: 30 }]);
    // A partner's scoped client reads the same catalogue.
    expect(await scopeToPartner(db, { id: 'fintech', kind: 'origination' }).loanProduct.findMany({ orderBy: { code: 'asc' } })).toEqual(products);
  });

  it('is read by id through the API by staff and partners of its tenant, and not at all from another tenant', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const product = await db.loanProduct.findUniqueOrThrow({ where: { code: 'PR-FULL' } });
    const query = 'query($id: ID!) { node(id: $id) { ... on LoanProduct { id code name } } }';
    const id = globalIdOf('LoanProduct', product.id);
    for (const token of [admin, fintech]) {
      const read = await gql(server.gateway, query, { token, variables: { id } });
      expect(read.errors, JSON.stringify(read.errors)).toBeUndefined();
      expect(read.data!['node']).toEqual({ id, code: 'PR-FULL', name: 'Every column' });
    }
    const elsewhere = await gql(server.gateway, query, { token: otherAdmin, variables: { id } });
    expect(elsewhere.errors, JSON.stringify(elsewhere.errors)).toBeUndefined();
    expect(elsewhere.data!['node']).toBeNull();
    expect(await loanProductRowsById(server.runtime.pool, other.schemaName, [product.id])).toEqual([]);
  });
});
