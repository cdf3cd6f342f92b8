// Versioned product terms through the API: a product's current terms, a schedule preview from them, and a
// revision that adds a version while the earlier one stays exactly as it was (the database refuses changes).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { withTenantSql } from '../../../src/tenancy/tenantSql.js';
import { registerPartner } from '../../../src/services/partners.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from '../../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;

const TERMS = 'version annualRatePercent interestType amortization repaymentEvery repaymentUnit numberOfRepayments roundingMode allocationOrder allocationStrategy';
// The sandbox has three products; a preview counts as its most instalments (1,200), so ten would pass the node limit.
const PREVIEW = `query($principal: Decimal!, $n: Int) { loanProducts(first: 3) { edges { node { code
  schedulePreview(principal: $principal, numberOfRepayments: $n, disbursementDate: "2026-01-15") {
    productVersion netDisbursement totalInterest totalRepayable instalments { number dueDate principal interest total outstandingPrincipal } } } } } }`;

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('products'), { sandbox: true });
  const actor = { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' };
  await registerPartner(server.runtime.tenantClients.forSchema(tenant.schemaName), server.runtime.identity, { tenant: tenant.slug, actor, now: new Date() }, { code: 'fintech', name: 'Fintech', kind: 'origination' });
});
afterAll(async () => {
  await server.close();
});

const product = (response: { data: Record<string, any> | null | undefined }, code: string) =>
  (response.data!['loanProducts'].edges as { node: Record<string, any> }[]).map((e) => e.node).find((n) => n['code'] === code)!;

describe('loan product versions', () => {
  it('a product has current terms; a partner previews a schedule from them', async () => {
    const partner = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'fintech', kind: 'origination' } });
    const terms = await gql(server.gateway, `{ loanProducts(first: 10) { edges { node { code currentTerms { ${TERMS} } } } } }`, { token: partner });
    expect(terms.errors).toBeUndefined();
    expect(product(terms, 'PL-STD')['currentTerms']).toEqual({
      version: 1, annualRatePercent: '14.9', interestType: 'DECLINING_BALANCE', amortization: 'EQUAL_INSTALMENTS', repaymentEvery: 1, repaymentUnit: 'MONTHS',
      numberOfRepayments: 60, roundingMode: 'HALF_EVEN', allocationOrder: ['PENALTY', 'FEE', 'INTEREST', 'PRINCIPAL'], allocationStrategy: 'DUE_DATE_FIRST',
    });
    const preview = await gql(server.gateway, PREVIEW, { token: partner, variables: { principal: '10000', n: 12 } });
    expect(preview.errors).toBeUndefined();
    const plan = product(preview, 'PL-STD')['schedulePreview'];
    expect(plan.productVersion).toBe(1);
    expect(plan.instalments).toHaveLength(12);
    expect(plan.instalments[0]).toMatchObject({ number: 1, dueDate: '2026-02-15' });
    expect(plan.instalments.at(-1).outstandingPrincipal).toBe('0.00 USD');
    // Principal sums exactly to what was lent.
    const principal = plan.instalments.reduce((sum: number, i: { principal: string }) => sum + Math.round(Number(i.principal.split(' ')[0]) * 100), 0);
    expect(principal).toBe(1_000_000);
  });

  it('revising adds a version; the earlier version, and what it previews, never change', async () => {
    const admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    const before = product(await gql(server.gateway, PREVIEW, { token: admin, variables: { principal: '10000', n: 12 } }), 'PL-STD')['schedulePreview'];
    const revised = await gql(server.gateway, `mutation { reviseLoanProductTerms(input: { code: "PL-STD", annualRatePercent: "12.5", feePerInstalment: "2.50" }) { loanProduct {
      code annualRatePercent currentTerms { version annualRatePercent feePerInstalment } v1: termsVersion(version: 1) { version annualRatePercent feePerInstalment } } ${USER_ERRORS} } }`, { token: admin });
    expect(userErrors(revised, 'reviseLoanProductTerms')).toEqual([]);
    expect(revised.data!['reviseLoanProductTerms'].loanProduct).toEqual({
      code: 'PL-STD', annualRatePercent: '12.5',
      currentTerms: { version: 2, annualRatePercent: '12.5', feePerInstalment: '2.50 USD' },
      v1: { version: 1, annualRatePercent: '14.9', feePerInstalment: '0.00 USD' },
    });
    const after = product(await gql(server.gateway, PREVIEW, { token: admin, variables: { principal: '10000', n: 12 } }), 'PL-STD')['schedulePreview'];
    expect(after.productVersion).toBe(2);
    expect(after.totalInterest).not.toBe(before.totalInterest);
    expect(after.instalments[0].total).not.toBe(before.instalments[0].total);
    await expect(withTenantSql(server.runtime.pool, tenant.schemaName, (sql) => sql.query(`UPDATE loan_product_version SET terms = '{}' WHERE version = 1`))).rejects.toThrow(/never changed/);
    const audit = await server.runtime.tenantClients.forSchema(tenant.schemaName).auditRecord.findFirst({ where: { action: 'loanProduct.revise' } });
    expect(audit).toMatchObject({ entityType: 'LoanProduct', before: { version: 1 }, after: { version: 2 } });
  });

  it('a late fee\'s grace days revised on their own change the product\'s late fee, nothing else of it', async () => {
    const admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    const REVISE = (fields: string) => `mutation { reviseLoanProductTerms(input: { code: "AUTO-NEW", ${fields} }) { loanProduct { currentTerms { version lateFee { kind amount graceDays } } } ${USER_ERRORS} } }`;
    const withFee = await gql(server.gateway, REVISE('lateFeeAmount: "15", lateFeeGraceDays: 5'), { token: admin });
    expect(userErrors(withFee, 'reviseLoanProductTerms')).toEqual([]);
    const version = withFee.data!['reviseLoanProductTerms'].loanProduct.currentTerms.version as number;
    expect(withFee.data!['reviseLoanProductTerms'].loanProduct.currentTerms.lateFee).toEqual({ kind: 'FIXED', amount: '15.00 USD', graceDays: 5 });
    const longer = await gql(server.gateway, REVISE('lateFeeGraceDays: 10'), { token: admin });
    expect(userErrors(longer, 'reviseLoanProductTerms')).toEqual([]);
    expect(longer.data!['reviseLoanProductTerms'].loanProduct.currentTerms).toEqual({ version: version + 1, lateFee: { kind: 'FIXED', amount: '15.00 USD', graceDays: 10 } });
    expect(userErrors(await gql(server.gateway, REVISE('lateFeeGraceDays: 367'), { token: admin }), 'reviseLoanProductTerms'))
      .toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.lateFeeGraceDays' })]);
  });

  it('refuses bad terms and previews outside the product, naming the field; only a tenant admin revises', async () => {
    const admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    // A refusal answers 200 with the reason in the payload and no product; nothing is revised.
    const versionsBefore = await server.runtime.tenantClients.forSchema(tenant.schemaName).loanProductVersion.count();
    const bad = await gql(server.gateway, `mutation { reviseLoanProductTerms(input: { code: "PL-STD", instalmentMultiple: "0.001" }) { loanProduct { code } ${USER_ERRORS} } }`, { token: admin });
    expect(bad.status).toBe(200);
    expect(userErrors(bad, 'reviseLoanProductTerms')).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.instalmentMultiple' })]);
    // The closed sets are enums: a value outside one never reaches the service.
    const compound = await gql(server.gateway, `mutation { reviseLoanProductTerms(input: { code: "PL-STD", interestType: COMPOUND }) { loanProduct { code } ${USER_ERRORS} } }`, { token: admin });
    expect(compound.data?.['reviseLoanProductTerms']).toBeUndefined();
    expect(compound.errors![0]!.message).toContain('COMPOUND');
    expect(bad.data!['reviseLoanProductTerms'].loanProduct).toBeNull();
    const grace = await gql(server.gateway, `mutation { reviseLoanProductTerms(input: { code: "PL-STD", graceOnPrincipalPeriods: 500 }) { loanProduct { code } ${USER_ERRORS} } }`, { token: admin });
    expect(userErrors(grace, 'reviseLoanProductTerms')).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.graceOnPrincipalPeriods' })]);
    // A late fee's grace days are held to their range whatever else is given; on a product with no late fee there
    // is none to give them to.
    for (const [days, message] of [[-5, /whole number from 0 to 366/], [2147483647, /whole number from 0 to 366/], [5, /no late fee/]] as const) {
      const lateGrace = await gql(server.gateway, `mutation { reviseLoanProductTerms(input: { code: "PL-STD", lateFeeGraceDays: ${days} }) { loanProduct { code } ${USER_ERRORS} } }`, { token: admin });
      expect(userErrors(lateGrace, 'reviseLoanProductTerms'), String(days)).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.lateFeeGraceDays', message: expect.stringMatching(message) })]);
    }
    expect(await server.runtime.tenantClients.forSchema(tenant.schemaName).loanProductVersion.count()).toBe(versionsBefore);
    const tooMuch = await gql(server.gateway, PREVIEW, { token: admin, variables: { principal: '999999999', n: 12 } });
    expect(tooMuch.errors![0]!.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'principal' });
    const underwriter = await devToken(server.runtime, 'underwriter', tenant.slug);
    expect(codes(await gql(server.gateway, 'mutation { reviseLoanProductTerms(input: { code: "PL-STD", annualRatePercent: "1" }) { loanProduct { code } } }', { token: underwriter }))).toEqual(['FORBIDDEN']);
    // A product code naming nothing is the caller's input at fault: a user error naming the field.
    const missing = await gql(server.gateway, `mutation { reviseLoanProductTerms(input: { code: "NOPE", annualRatePercent: "1" }) { loanProduct { code } ${USER_ERRORS} } }`, { token: admin });
    expect(userErrors(missing, 'reviseLoanProductTerms')).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: 'input.code' })]);
    expect(missing.data!['reviseLoanProductTerms'].loanProduct).toBeNull();
  });
});
