// The lender's delinquency policy through the API: the default by the lender's currency, a full change (a new
// version, audited and announced), bad buckets, parameters and provisions each refused naming the field with
// nothing written, a product's own buckets, and who may read and change it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from '../../support/harness.js';
import { DEFAULT_BUCKETS } from '../../../src/domain/servicing/delinquencyBuckets.js';
import { delinquencyPolicyOf } from '../../../src/services/servicing/delinquencyPolicy.js';
import { poolSql } from '../../../src/tenancy/tenantSql.js';

let server: TestServer;
let dollars: TenantRecord;
let rupees: TenantRecord;

beforeAll(async () => {
  server = await startTestServer();
  dollars = await createTenant(server.runtime, uniqueSlug('dpd-usd'), { sandbox: true });
  rupees = await createTenant(server.runtime, uniqueSlug('dpd-inr'), { currency: 'INR' });
});
afterAll(async () => {
  await server.close();
});

const POLICY = `version regime buckets { name fromDays toDays } changedBy changedAt
  parameters { sma1AfterDays sma2AfterDays npaAfterDays doubtfulAfterMonths doubtful2AfterMonths doubtful3AfterMonths lossAfterMonths substandardAfterDays chargeOffAfterDays nonAccrualAfterDays borrowerLevel }
  provisions { assetClass percent }`;
const READ = `{ delinquencyPolicy { ${POLICY} } }`;
const SET = `mutation($input: SetDelinquencyPolicyInput!) { setDelinquencyPolicy(input: $input) { delinquencyPolicy { ${POLICY} } ${USER_ERRORS} } }`;
const SET_PRODUCT = `mutation($input: SetLoanProductDelinquencyBucketsInput!) { setLoanProductDelinquencyBuckets(input: $input) { loanProduct { code delinquencyBuckets { name fromDays toDays } } ${USER_ERRORS} } }`;

const admin = (tenant: TenantRecord) => devToken(server.runtime, 'tenant-admin', tenant.slug);
const NO_RBI = { sma1AfterDays: null, sma2AfterDays: null, npaAfterDays: null, doubtfulAfterMonths: null, doubtful2AfterMonths: null, doubtful3AfterMonths: null, lossAfterMonths: null };
const NO_US = { substandardAfterDays: null, chargeOffAfterDays: null, nonAccrualAfterDays: null };

async function read(tenant: TenantRecord): Promise<Record<string, any>> {
  const response = await gql(server.gateway, READ, { token: await admin(tenant) });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return response.data!['delinquencyPolicy'];
}

async function set(tenant: TenantRecord, input: Record<string, unknown>) {
  return gql(server.gateway, SET, { token: await admin(tenant), variables: { input } });
}

describe('the default policy', () => {
  it('a lender lending in dollars starts on the US charge-off policy, version 0', async () => {
    expect(await read(dollars)).toEqual({
      version: 0, regime: 'US_CHARGE_OFF', buckets: DEFAULT_BUCKETS, changedBy: null, changedAt: null,
      parameters: { ...NO_RBI, substandardAfterDays: 90, chargeOffAfterDays: 120, nonAccrualAfterDays: 90, borrowerLevel: false },
      provisions: [{ assetClass: 'STANDARD', percent: '1' }, { assetClass: 'SUBSTANDARD', percent: '15' }, { assetClass: 'LOSS', percent: '100' }],
    });
  });

  it('a lender lending in rupees starts on RBI\'s IRAC norms', async () => {
    expect(await read(rupees)).toEqual({
      version: 0, regime: 'RBI_IRAC', buckets: DEFAULT_BUCKETS, changedBy: null, changedAt: null,
      parameters: { ...NO_US, sma1AfterDays: 30, sma2AfterDays: 60, npaAfterDays: 90, doubtfulAfterMonths: 12, doubtful2AfterMonths: 24, doubtful3AfterMonths: 48, lossAfterMonths: null, borrowerLevel: true },
      provisions: [['STANDARD', '0.40'], ['SMA_0', '0.40'], ['SMA_1', '0.40'], ['SMA_2', '0.40'], ['SUBSTANDARD', '15'], ['DOUBTFUL_1', '25'], ['DOUBTFUL_2', '40'], ['DOUBTFUL_3', '100'], ['LOSS', '100']]
        .map(([assetClass, percent]) => ({ assetClass, percent })),
    });
  });
});

describe('changing the policy', () => {
  const BUCKETS = [{ name: 'Current', fromDays: 0, toDays: 0 }, { name: 'Early', fromDays: 1, toDays: 15 }, { name: 'Late', fromDays: 16, toDays: 90 }, { name: 'NPA', fromDays: 91, toDays: null }];

  it('a full change is a new version, audited and announced, and end of day reads it', async () => {
    const db = server.runtime.tenantClients.forSchema(rupees.schemaName);
    const response = await set(rupees, {
      regime: 'RBI_IRAC', buckets: BUCKETS,
      parameters: { sma1AfterDays: 20, sma2AfterDays: 45, npaAfterDays: 90, doubtfulAfterMonths: 12, doubtful2AfterMonths: 24, doubtful3AfterMonths: 48, lossAfterMonths: 60, borrowerLevel: true },
      provisions: [{ assetClass: 'STANDARD', percent: '0.25' }, { assetClass: 'SUBSTANDARD', percent: '25' }],
    });
    expect(userErrors(response, 'setDelinquencyPolicy')).toEqual([]);
    const policy = response.data!['setDelinquencyPolicy'].delinquencyPolicy;
    expect(policy).toMatchObject({
      version: 1, regime: 'RBI_IRAC', buckets: BUCKETS, changedBy: expect.any(String),
      parameters: { sma1AfterDays: 20, sma2AfterDays: 45, npaAfterDays: 90, lossAfterMonths: 60, substandardAfterDays: null },
    });
    expect(Object.fromEntries(policy.provisions.map((p: { assetClass: string; percent: string }) => [p.assetClass, p.percent]))).toEqual({
      STANDARD: '0.25', SMA_0: '0.40', SMA_1: '0.40', SMA_2: '0.40', SUBSTANDARD: '25', DOUBTFUL_1: '25', DOUBTFUL_2: '40', DOUBTFUL_3: '100', LOSS: '100',
    });
    expect(await read(rupees)).toEqual(policy);
    // End of day reads the same over the pool.
    const pooled = await delinquencyPolicyOf(poolSql(server.runtime.pool, rupees.schemaName), 'INR');
    expect(pooled).toMatchObject({ version: 1, regime: 'RBI_IRAC', buckets: BUCKETS, parameters: { lossAfterMonths: 60 }, provisions: { STANDARD: '0.25', SUBSTANDARD: '25' } });

    const audit = await db.auditRecord.findMany({ where: { action: 'delinquencyPolicy.changed' } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ entityType: 'DelinquencyPolicy', before: { version: 0, regime: 'RBI_IRAC' }, after: { version: 1, buckets: BUCKETS } });
    const events = await db.outboxEvent.findMany({ where: { type: 'delinquencyPolicy.changed' } });
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({ version: 1, previousVersion: 0, regime: 'RBI_IRAC', buckets: BUCKETS, parameters: { lossAfterMonths: 60 }, provisions: expect.arrayContaining([{ assetClass: 'STANDARD', percent: '0.25' }]) });
  });

  it('what a change leaves out keeps its value; a new regime starts from its defaults; null resets the loss age', async () => {
    const kept = await set(rupees, { regime: 'RBI_IRAC', parameters: { lossAfterMonths: null } });
    expect(userErrors(kept, 'setDelinquencyPolicy')).toEqual([]);
    expect(kept.data!['setDelinquencyPolicy'].delinquencyPolicy).toMatchObject({ version: 2, buckets: BUCKETS, parameters: { sma1AfterDays: 20, lossAfterMonths: null } });
    const switched = await set(rupees, { regime: 'US_CHARGE_OFF', parameters: { chargeOffAfterDays: 180 } });
    expect(userErrors(switched, 'setDelinquencyPolicy')).toEqual([]);
    expect(switched.data!['setDelinquencyPolicy'].delinquencyPolicy).toMatchObject({
      version: 3, regime: 'US_CHARGE_OFF', buckets: BUCKETS,
      parameters: { ...NO_RBI, substandardAfterDays: 90, chargeOffAfterDays: 180, nonAccrualAfterDays: 90, borrowerLevel: false },
      provisions: [{ assetClass: 'STANDARD', percent: '1' }, { assetClass: 'SUBSTANDARD', percent: '15' }, { assetClass: 'LOSS', percent: '100' }],
    });
  });

  const bad: [string, Record<string, unknown>, string][] = [
    ['buckets not starting at 0', { regime: 'US_CHARGE_OFF', buckets: [{ name: 'Late', fromDays: 1 }] }, 'input.buckets[0].fromDays'],
    ['buckets with a gap', { regime: 'US_CHARGE_OFF', buckets: [{ name: 'Current', fromDays: 0, toDays: 0 }, { name: 'Late', fromDays: 2 }] }, 'input.buckets[1].fromDays'],
    ['buckets overlapping', { regime: 'US_CHARGE_OFF', buckets: [{ name: 'Current', fromDays: 0, toDays: 0 }, { name: '1-30', fromDays: 1, toDays: 30 }, { name: '30+', fromDays: 30 }] }, 'input.buckets[2].fromDays'],
    ['an open end before the last', { regime: 'US_CHARGE_OFF', buckets: [{ name: 'Current', fromDays: 0 }, { name: 'Late', fromDays: 1 }] }, 'input.buckets[0].toDays'],
    ['a bucket name twice', { regime: 'US_CHARGE_OFF', buckets: [{ name: 'Current', fromDays: 0, toDays: 0 }, { name: 'Current', fromDays: 1 }] }, 'input.buckets[1].name'],
    ['too many buckets', { regime: 'US_CHARGE_OFF', buckets: Array.from({ length: 21 }, (_, k) => ({ name: `B${k}`, fromDays: k, toDays: k === 20 ? null : k })) }, 'input.buckets'],
    ['a parameter of the other regime', { regime: 'US_CHARGE_OFF', parameters: { npaAfterDays: 90 } }, 'input.parameters.npaAfterDays'],
    ['SMA-2 before SMA-1', { regime: 'RBI_IRAC', parameters: { sma2AfterDays: 20 } }, 'input.parameters.sma2AfterDays'],
    ['a threshold set to null', { regime: 'RBI_IRAC', parameters: { npaAfterDays: null } }, 'input.parameters.npaAfterDays'],
    ['non-accrual after charge-off', { regime: 'US_CHARGE_OFF', parameters: { nonAccrualAfterDays: 150 } }, 'input.parameters.nonAccrualAfterDays'],
    ['a class of the other regime', { regime: 'US_CHARGE_OFF', provisions: [{ assetClass: 'SMA_0', percent: '1' }] }, 'input.provisions[0].assetClass'],
    ['a class twice', { regime: 'US_CHARGE_OFF', provisions: [{ assetClass: 'LOSS', percent: '100' }, { assetClass: 'LOSS', percent: '90' }] }, 'input.provisions[1].assetClass'],
    ['more than 100 percent', { regime: 'US_CHARGE_OFF', provisions: [{ assetClass: 'STANDARD', percent: '1' }, { assetClass: 'LOSS', percent: '100.5' }] }, 'input.provisions[1].percent'],
    ['a worse class providing less', { regime: 'US_CHARGE_OFF', provisions: [{ assetClass: 'SUBSTANDARD', percent: '0.5' }] }, 'input.provisions[0].percent'],
    ['too many decimals', { regime: 'US_CHARGE_OFF', provisions: [{ assetClass: 'STANDARD', percent: '1.00001' }] }, 'input.provisions[0].percent'],
  ];
  for (const [name, input, field] of bad) {
    it(`refuses ${name}, naming ${field}, and writes nothing`, async () => {
      const db = server.runtime.tenantClients.forSchema(dollars.schemaName);
      const before = { policy: await db.delinquencyPolicy.findMany(), events: await db.outboxEvent.count(), audit: await db.auditRecord.count() };
      const response = await set(dollars, input);
      expect(userErrors(response, 'setDelinquencyPolicy')).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field })]);
      expect(response.data!['setDelinquencyPolicy'].delinquencyPolicy).toBeNull();
      expect({ policy: await db.delinquencyPolicy.findMany(), events: await db.outboxEvent.count(), audit: await db.auditRecord.count() }).toEqual(before);
    });
  }
});

describe('a product\'s own buckets', () => {
  const OWN = [{ name: 'Paid up', fromDays: 0, toDays: 0 }, { name: 'Behind', fromDays: 1, toDays: null }];

  it('a product counts in buckets of its own, then follows the policy\'s again', async () => {
    const db = server.runtime.tenantClients.forSchema(dollars.schemaName);
    const token = await admin(dollars);
    const own = await gql(server.gateway, SET_PRODUCT, { token, variables: { input: { productCode: 'PL-STD', buckets: OWN } } });
    expect(userErrors(own, 'setLoanProductDelinquencyBuckets')).toEqual([]);
    expect(own.data!['setLoanProductDelinquencyBuckets'].loanProduct).toEqual({ code: 'PL-STD', delinquencyBuckets: OWN });
    expect((await db.loanProduct.findUniqueOrThrow({ where: { code: 'PL-STD' } })).delinquencyBuckets).toEqual(OWN);
    const listed = await gql(server.gateway, '{ loanProducts(first: 5) { edges { node { code delinquencyBuckets { name } } } } }', { token });
    expect(listed.data!['loanProducts'].edges).toContainEqual({ node: { code: 'PL-STD', delinquencyBuckets: [{ name: 'Paid up' }, { name: 'Behind' }] } });

    const back = await gql(server.gateway, SET_PRODUCT, { token, variables: { input: { productCode: 'PL-STD', buckets: null } } });
    expect(userErrors(back, 'setLoanProductDelinquencyBuckets')).toEqual([]);
    expect(back.data!['setLoanProductDelinquencyBuckets'].loanProduct).toEqual({ code: 'PL-STD', delinquencyBuckets: null });
    const events = await db.outboxEvent.findMany({ where: { type: 'loanProduct.delinquencyBucketsChanged' }, orderBy: { occurredAt: 'asc' } });
    expect(events.map((event) => event.payload)).toEqual([{ code: 'PL-STD', buckets: OWN }, { code: 'PL-STD', buckets: null }]);
    expect(await db.auditRecord.count({ where: { action: 'loanProduct.delinquencyBucketsChanged' } })).toBe(2);
  });

  it('refuses bad buckets naming the field, and an unknown product, writing nothing', async () => {
    const db = server.runtime.tenantClients.forSchema(dollars.schemaName);
    const token = await admin(dollars);
    const events = await db.outboxEvent.count();
    const gap = await gql(server.gateway, SET_PRODUCT, { token, variables: { input: { productCode: 'PL-STD', buckets: [{ name: 'Current', fromDays: 0, toDays: 0 }, { name: 'Late', fromDays: 5 }] } } });
    expect(userErrors(gap, 'setLoanProductDelinquencyBuckets')).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.buckets[1].fromDays' })]);
    const unknown = await gql(server.gateway, SET_PRODUCT, { token, variables: { input: { productCode: 'NO-SUCH', buckets: OWN } } });
    expect(userErrors(unknown, 'setLoanProductDelinquencyBuckets')).toEqual([expect.objectContaining({ code: 'NOT_FOUND', field: 'input.productCode' })]);
    expect((await db.loanProduct.findUniqueOrThrow({ where: { code: 'PL-STD' } })).delinquencyBuckets).toBeNull();
    expect(await db.outboxEvent.count()).toBe(events);
  });
});

describe('who may read and change it', () => {
  it('a loan officer may neither read nor change it; collections staff read it', async () => {
    const officer = await devToken(server.runtime, 'loan-officer', dollars.slug);
    const before = await server.runtime.tenantClients.forSchema(dollars.schemaName).delinquencyPolicy.findMany();
    expect(codes(await gql(server.gateway, READ, { token: officer }))).toEqual(['FORBIDDEN']);
    expect(codes(await gql(server.gateway, SET, { token: officer, variables: { input: { regime: 'RBI_IRAC' } } }))).toEqual(['FORBIDDEN']);
    expect(codes(await gql(server.gateway, SET_PRODUCT, { token: officer, variables: { input: { productCode: 'PL-STD', buckets: null } } }))).toEqual(['FORBIDDEN']);
    expect(await server.runtime.tenantClients.forSchema(dollars.schemaName).delinquencyPolicy.findMany()).toEqual(before);
    const collections = await devToken(server.runtime, 'collections-agent', dollars.slug);
    const read = await gql(server.gateway, READ, { token: collections });
    expect(read.errors).toBeUndefined();
    expect(read.data!['delinquencyPolicy'].regime).toBe('US_CHARGE_OFF');
    expect(codes(await gql(server.gateway, SET, { token: collections, variables: { input: { regime: 'RBI_IRAC' } } }))).toEqual(['FORBIDDEN']);
  });
});
