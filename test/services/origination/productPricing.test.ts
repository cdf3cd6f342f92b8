// A product's pricing through the API: the sandbox product starts priced (version 1, the sandbox table), an approved
// application is offered its grade's rate; bad pricing is refused naming the field with nothing written; a new
// version goes through maker-checker (the maker cannot approve it, another person does); then, with the product's
// rate revised too, the NEXT offer uses the new pricing and the product's current terms while the EARLIER offer,
// read back, keeps its rate and versions. A tenant whose product nobody has priced is refused by name.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { SANDBOX_CREDIT_POLICY } from '../../../src/domain/origination/creditPolicy.js';
import { loanTerms, termsToJson } from '../../../src/domain/servicing/product.js';
import { PENALTIES_FEES_INTEREST_PRINCIPAL } from '../../../src/domain/servicing/allocation.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type GraphQLResponse, type TestServer, type UserError } from '../../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;
let officer: string;
let underwriter: string;
let approver: string;
let admin: string;
let people = 0;

const PRICING = `id version status rates { grade annualRatePercent } feesFollowProductTerms feePerInstalment disbursementFee offerValidityDays
  createdBy activationRequestedBy activatedBy`;
const OFFER = 'offer { status annualRatePercent pricingVersion termsVersion validUntil fees { perInstalment } }';
const CREATE = `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application {
  id status decisions { outcome riskGrade } ${OFFER} } ${USER_ERRORS} } }`;
const DRAFT = `mutation($input: DraftProductPricingInput!) { draftProductPricing(input: $input) { productPricing { ${PRICING} } ${USER_ERRORS} } }`;
const REQUEST = `mutation($input: RequestProductPricingActivationInput!) { requestProductPricingActivation(input: $input) { productPricing { ${PRICING} } ${USER_ERRORS} } }`;
const DECIDE = `mutation($input: DecideProductPricingActivationInput!) { decideProductPricingActivation(input: $input) { productPricing { ${PRICING} } ${USER_ERRORS} } }`;
const PRODUCT = `{ loanProducts { edges { node { code pricing { ${PRICING} } pricingVersions { version status } } } } }`;

const SANDBOX_RATES = [{ grade: 'A', annualRatePercent: '9.9' }, { grade: 'B', annualRatePercent: '12.9' }, { grade: 'C', annualRatePercent: '16.9' }, { grade: 'D', annualRatePercent: '21.9' }];

function pricingOf(response: GraphQLResponse, mutation: string) {
  expect(userErrors(response, mutation)).toEqual([]);
  return response.data![mutation].productPricing;
}

function refusal(response: GraphQLResponse, mutation: string): UserError {
  expect(response.status).toBe(200);
  const errors = userErrors(response, mutation);
  expect(errors).toHaveLength(1);
  expect(response.data![mutation].productPricing).toBeNull();
  return errors[0]!;
}

async function product(token = admin) {
  const response = await gql(server.gateway, PRODUCT, { token });
  expect(response.errors).toBeUndefined();
  return (response.data!['loanProducts'].edges as { node: { code: string; pricing: Record<string, unknown> | null; pricingVersions: { version: number; status: string }[] } }[])
    .find((edge) => edge.node.code === 'PL-STD')!.node;
}

function applicant() {
  people += 1;
  return {
    kind: 'PERSON', legalName: `Pricing Person ${people}`, email: `pricing${people}+bureau-prime@example.test`, phone: `+1415777${String(3000 + people)}`,
    dateOfBirth: '1980-02-20', address: { lines: ['3 Pricing Road'], city: 'Springfield', postalCode: '12345', country: 'US' },
    identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: `PRC${String(300000 + people)}` }],
  };
}

/** A prime applicant, submitted at once: approved at grade A and offered. */
function apply(token: string) {
  return gql(server.gateway, CREATE, {
    token,
    variables: { input: { productCode: 'PL-STD', amount: '6000', numberOfRepayments: 24, purpose: 'home improvement', applicant: applicant(), declaredMonthlyIncome: '20000', monthlyDebtPayments: '300', employer: 'Acme Corp', submit: true } },
  });
}

async function approvedApplication() {
  const response = await apply(officer);
  expect(userErrors(response, 'createApplication')).toEqual([]);
  const application = response.data!['createApplication'].application;
  expect(application.decisions).toMatchObject([{ outcome: 'APPROVE', riskGrade: 'A' }]);
  return application as { id: string; offer: Record<string, unknown> };
}

async function offerOf(applicationId: string) {
  const response = await gql(server.gateway, `query($id: ID!) { node(id: $id) { ... on Application { ${OFFER} } } }`, { token: officer, variables: { id: applicationId } });
  expect(response.errors).toBeUndefined();
  return response.data!['node'].offer;
}

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('pricing'), { sandbox: true, businessDate: '2026-12-01' });
  officer = await devToken(server.runtime, 'loan-officer', tenant.slug, { subject: 'officer-1' });
  underwriter = await devToken(server.runtime, 'underwriter', tenant.slug, { subject: 'underwriter-1' });
  approver = await devToken(server.runtime, 'credit-approver', tenant.slug, { subject: 'approver-1' });
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'admin-1' });
});
afterAll(async () => {
  await server.close();
});

describe('pricing per product', () => {
  let earlier: { id: string; offer: Record<string, unknown> };

  it('a sandbox product starts with the sandbox table active, and an approved application is offered its grade\'s rate', async () => {
    const seeded = await product();
    expect(seeded.pricing).toMatchObject({
      version: 1, status: 'ACTIVE', rates: SANDBOX_RATES, feesFollowProductTerms: true, feePerInstalment: null, offerValidityDays: 30, createdBy: 'sandbox-seed',
    });
    earlier = await approvedApplication();
    expect(earlier.offer).toEqual({ status: 'OPEN', annualRatePercent: '9.9', pricingVersion: 1, termsVersion: 1, validUntil: '2026-12-31', fees: { perInstalment: '0.00 USD' } });
  });

  it('bad pricing is refused naming the field, and nothing is written', async () => {
    const draft = (patch: Record<string, unknown>) => gql(server.gateway, DRAFT, { token: underwriter, variables: { input: { productCode: 'PL-STD', rates: SANDBOX_RATES, offerValidityDays: 30, ...patch } } });
    const negative = SANDBOX_RATES.map((rate, k) => (k === 1 ? { ...rate, annualRatePercent: '-1' } : rate));
    expect(refusal(await draft({ rates: negative }), 'draftProductPricing')).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.rates[1].annualRatePercent' });
    const missing = refusal(await draft({ rates: SANDBOX_RATES.slice(0, 3) }), 'draftProductPricing');
    expect(missing).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.rates' });
    expect(missing.message).toContain('missing: D');
    const beyond = refusal(await draft({ rates: SANDBOX_RATES.map((rate, k) => (k === 3 ? { ...rate, annualRatePercent: '150' } : rate)) }), 'draftProductPricing');
    expect(beyond).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.rates[3].annualRatePercent' });
    expect(beyond.message).toContain('product\'s limits');
    expect(refusal(await draft({ offerValidityDays: 0 }), 'draftProductPricing')).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.offerValidityDays' });
    expect(refusal(await draft({ feePerInstalment: '-2' }), 'draftProductPricing')).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.feePerInstalment' });
    expect(refusal(await draft({ rates: [...SANDBOX_RATES, { grade: 'Z', annualRatePercent: '30' }] }), 'draftProductPricing')).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.rates[4].grade' });
    expect((await product()).pricingVersions).toEqual([{ version: 1, status: 'ACTIVE' }]);
    // Every sandbox product still has its seeded version only.
    expect(await server.runtime.tenantClients.forSchema(tenant.schemaName).productPricing.count({ where: { version: { gt: 1 } } })).toBe(0);
  });

  it('a new version goes through maker-checker; the product\'s rate is revised; the next offer uses both, the earlier offer keeps its own', async () => {
    // Grade A follows the product's own rate; the other grades are priced here, with a fee and a shorter validity.
    const rates = [{ grade: 'A', annualRatePercent: null }, { grade: 'B', annualRatePercent: '12.5' }, { grade: 'C', annualRatePercent: '16.5' }, { grade: 'D', annualRatePercent: '21.5' }];
    const drafted = pricingOf(await gql(server.gateway, DRAFT, { token: admin, variables: { input: { productCode: 'PL-STD', rates, feePerInstalment: '2', offerValidityDays: 14 } } }), 'draftProductPricing');
    expect(drafted).toMatchObject({ version: 2, status: 'DRAFT', createdBy: 'admin-1', rates, feesFollowProductTerms: false, feePerInstalment: '2.00 USD', disbursementFee: null, offerValidityDays: 14 });
    const requested = pricingOf(await gql(server.gateway, REQUEST, { token: admin, variables: { input: { pricingId: drafted.id } } }), 'requestProductPricingActivation');
    expect(requested).toMatchObject({ status: 'PENDING_ACTIVATION', activationRequestedBy: 'admin-1' });

    // The maker cannot approve their own version.
    const own = refusal(await gql(server.gateway, DECIDE, { token: admin, variables: { input: { pricingId: drafted.id, approve: true } } }), 'decideProductPricingActivation');
    expect(own).toMatchObject({ code: 'FORBIDDEN', reason: 'MAKER_IS_CHECKER', field: 'input.pricingId' });
    // Pending pricing prices nothing yet.
    expect((await approvedApplication()).offer).toMatchObject({ annualRatePercent: '9.9', pricingVersion: 1 });

    // The product's own rate is revised (the rate grade A follows): a new terms version.
    const revised = await gql(server.gateway, `mutation { reviseLoanProductTerms(input: { code: "PL-STD", annualRatePercent: "13.5" }) { loanProduct { code } ${USER_ERRORS} } }`, { token: admin });
    expect(userErrors(revised, 'reviseLoanProductTerms')).toEqual([]);

    const approved = pricingOf(await gql(server.gateway, DECIDE, { token: approver, variables: { input: { pricingId: drafted.id, approve: true } } }), 'decideProductPricingActivation');
    expect(approved).toMatchObject({ version: 2, status: 'ACTIVE', activatedBy: 'approver-1' });
    const now = await product(underwriter);
    expect(now.pricing).toMatchObject({ version: 2, status: 'ACTIVE' });
    expect(now.pricingVersions).toEqual([{ version: 2, status: 'ACTIVE' }, { version: 1, status: 'RETIRED' }]);

    const next = await approvedApplication();
    expect(next.offer).toEqual({ status: 'OPEN', annualRatePercent: '13.5', pricingVersion: 2, termsVersion: 2, validUntil: '2026-12-15', fees: { perInstalment: '2.00 USD' } });
    // The earlier offer, read back, keeps its rate, its versions, its validity and its fees.
    expect(await offerOf(earlier.id)).toEqual({ status: 'OPEN', annualRatePercent: '9.9', pricingVersion: 1, termsVersion: 1, validUntil: '2026-12-31', fees: { perInstalment: '0.00 USD' } });

    // The activation went through the command pipeline: audited, and announced.
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    expect((await db.auditRecord.findMany({ where: { entityType: 'ProductPricing' }, orderBy: { recorded: 'asc' } })).map((r) => r.action))
      .toEqual(['productPricing.draft', 'productPricing.requestActivation', 'productPricing.approveActivation', 'productPricing.approveActivation']);
    expect((await db.outboxEvent.findMany({ where: { aggregateType: 'ProductPricing' }, orderBy: { recorded: 'asc' } })).map((e) => e.type))
      .toEqual(['productPricing.drafted', 'productPricing.activationRequested', 'productPricing.retired', 'productPricing.activated']);
  });

  it('a loan officer cannot draft pricing', async () => {
    const refused = await gql(server.gateway, DRAFT, { token: officer, variables: { input: { productCode: 'PL-STD', rates: SANDBOX_RATES, offerValidityDays: 30 } } });
    expect(refused.errors?.map((e) => e.extensions?.['code'])).toEqual(['FORBIDDEN']);
  });
});

describe('a lender that has not priced its product', () => {
  it('is refused clearly when an offer would be made, naming what is missing; no provider is asked and no offer written', async () => {
    const plain = await createTenant(server.runtime, uniqueSlug('unpriced'), { businessDate: '2026-12-01' });
    const db = server.runtime.tenantClients.forSchema(plain.schemaName);
    const created = await db.loanProduct.create({
      data: { code: 'PL-STD', name: 'Personal loan', currency: 'USD', minAmount: 1000, maxAmount: 50000, minTenor: 6, maxTenor: 60, annualRate: '0.12' },
    });
    await db.loanProductVersion.create({
      data: {
        productId: created.id, version: 1, terms: termsToJson(loanTerms({ currency: 'USD', annualRatePercent: '12', numberOfRepayments: 24 })) as object,
        allocation: PENALTIES_FEES_INTEREST_PRINCIPAL as unknown as object, createdBy: 'test-setup', createdAt: new Date(),
      },
    });
    // It has an active credit policy, so a prime applicant would be approved and offered.
    await db.creditPolicy.create({
      data: {
        id: crypto.randomUUID(), productId: created.id, version: 1, status: 'active', ruleSet: { ...structuredClone(SANDBOX_CREDIT_POLICY), currency: 'USD' } as unknown as object,
        createdBy: 'test-setup', createdAt: new Date(), activatedBy: 'test-checker', activatedAt: new Date(),
      },
    });
    const staff = await devToken(server.runtime, 'loan-officer', plain.slug, { subject: 'officer-2' });
    const response = await apply(staff);
    const errors = userErrors(response, 'createApplication');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ code: 'CONFLICT', reason: 'NO_ACTIVE_PRICING', field: null });
    expect(errors[0]!.message).toContain('PL-STD has no active pricing');
    // Refused before anything is written: no application left submitted behind the error, no checks, no offer.
    expect(response.data!['createApplication'].application).toBeNull();
    expect(await db.application.count()).toBe(0);
    expect(await db.applicationCheck.count()).toBe(0);
    expect(await db.applicationOffer.count()).toBe(0);
    // One submitted before its product lost its pricing (made so here by hand) is refused the same way when assessed, and waits.
    const draft = await gql(server.gateway, CREATE, { token: staff, variables: { input: { productCode: 'PL-STD', amount: '6000', numberOfRepayments: 24, purpose: 'home improvement',
      applicant: applicant(), declaredMonthlyIncome: '20000', monthlyDebtPayments: '300', employer: 'Acme Corp', submit: false } } });
    expect(userErrors(draft, 'createApplication')).toEqual([]);
    const draftId = draft.data!['createApplication'].application.id as string;
    await db.application.updateMany({ data: { status: 'submitted' } });
    const assessed = await gql(server.gateway, `mutation($input: AssessApplicationInput!) { assessApplication(input: $input) { application { status } ${USER_ERRORS} } }`,
      { token: staff, variables: { input: { applicationId: draftId } } });
    expect(userErrors(assessed, 'assessApplication')).toMatchObject([{ code: 'CONFLICT', reason: 'NO_ACTIVE_PRICING' }]);
    expect(await db.application.findMany({ select: { status: true } })).toEqual([{ status: 'submitted' }]);
    expect(await db.applicationCheck.count()).toBe(0);
    expect(await db.applicationOffer.count()).toBe(0);
    // And the product reads as unpriced.
    const read = await gql(server.gateway, '{ loanProducts { edges { node { code pricing { version } pricingVersions { version } } } } }', { token: await devToken(server.runtime, 'tenant-admin', plain.slug) });
    expect(read.data!['loanProducts'].edges).toEqual([{ node: { code: 'PL-STD', pricing: null, pricingVersions: [] } }]);
  });
});

describe('pricing that leaves no offer possible', () => {
  it('an approval it cannot make an offer on is referred to an underwriter, saying why: nothing fails after the application is written', async () => {
    const lender = await createTenant(server.runtime, uniqueSlug('unofferable'), { sandbox: true, businessDate: '2026-12-01' });
    const [maker, checker, clerk] = await Promise.all([
      devToken(server.runtime, 'tenant-admin', lender.slug, { subject: 'maker-1' }),
      devToken(server.runtime, 'credit-approver', lender.slug, { subject: 'checker-1' }),
      devToken(server.runtime, 'loan-officer', lender.slug, { subject: 'clerk-1' }),
    ]);
    // A disbursement fee deducted that swallows a loan of 10,000 (1 paid out) or nearly one of 12,000 (2,001 paid out).
    const drafted = pricingOf(await gql(server.gateway, DRAFT, { token: maker, variables: { input: {
      productCode: 'PL-STD', rates: SANDBOX_RATES, offerValidityDays: 30, disbursementFee: '9999', disbursementFeeTreatment: 'DEDUCTED',
    } } }), 'draftProductPricing');
    pricingOf(await gql(server.gateway, REQUEST, { token: maker, variables: { input: { pricingId: drafted['id'] } } }), 'requestProductPricingActivation');
    pricingOf(await gql(server.gateway, DECIDE, { token: checker, variables: { input: { pricingId: drafted['id'], approve: true } } }), 'decideProductPricingActivation');
    for (const [amount, why] of [['10000', 'no APR'], ['12000', 'more than the 99999.9999 %']] as const) {
      const response = await gql(server.gateway, `mutation($input: CreateApplicationInput!) { createApplication(input: $input) {
        application { status decisions { outcome reasons { code message } } offer { id } } ${USER_ERRORS} } }`, { token: clerk, variables: { input: {
        productCode: 'PL-STD', amount, numberOfRepayments: 6, purpose: 'home improvement', applicant: applicant(), declaredMonthlyIncome: '90000', monthlyDebtPayments: '100', employer: 'Acme Corp', submit: true,
      } } });
      expect(response.errors, amount).toBeUndefined();
      expect(userErrors(response, 'createApplication'), amount).toEqual([]);
      const application = response.data!['createApplication'].application;
      expect(application.status, amount).toBe('REFERRED');
      expect(application.offer, amount).toBeNull();
      const [decision] = application.decisions;
      expect(decision.outcome).toBe('REFER');
      expect(decision.reasons.map((r: { code: string }) => r.code)).toEqual(['NO_OFFER_POSSIBLE']);
      expect(decision.reasons[0].message).toContain(why);
    }
  });
});

describe('the APR method a product\'s offers use', () => {
  it('is the EU method, to one decimal, until the product\'s terms choose the US method, to two; the offer says which', async () => {
    const lender = await createTenant(server.runtime, uniqueSlug('apr-method'), { sandbox: true, businessDate: '2026-12-01' });
    const [admin, clerk] = await Promise.all([
      devToken(server.runtime, 'tenant-admin', lender.slug, { subject: 'admin-apr' }),
      devToken(server.runtime, 'loan-officer', lender.slug, { subject: 'clerk-apr' }),
    ]);
    const offered = async () => {
      const response = await gql(server.gateway, `mutation($input: CreateApplicationInput!) { createApplication(input: $input) {
        application { offer { annualRatePercent aprPercent aprMethod aprDisclosed } } ${USER_ERRORS} } }`, { token: clerk, variables: { input: {
        productCode: 'PL-STD', amount: '6000', numberOfRepayments: 24, purpose: 'home improvement', applicant: applicant(), declaredMonthlyIncome: '20000', monthlyDebtPayments: '300', employer: 'Acme Corp', submit: true,
      } } });
      expect(userErrors(response, 'createApplication')).toEqual([]);
      return response.data!['createApplication'].application.offer as { annualRatePercent: string; aprPercent: string; aprMethod: string; aprDisclosed: string };
    };
    // No fees, monthly at 9.9 %: the EU rate is the effective annual rate (1 + 0.099/12)^12 − 1 = 10.36 %; the US
    // rate is the nominal 9.90 %.
    const eu = await offered();
    expect(eu).toMatchObject({ annualRatePercent: '9.9', aprMethod: 'EU', aprDisclosed: '10.4' });
    expect(Number(eu.aprPercent)).toBeCloseTo(10.3617, 3);
    const revised = await gql(server.gateway, `mutation { reviseLoanProductTerms(input: { code: "PL-STD", aprMethod: US }) { loanProduct { currentTerms { aprMethod } } ${USER_ERRORS} } }`, { token: admin });
    expect(userErrors(revised, 'reviseLoanProductTerms')).toEqual([]);
    expect(revised.data!['reviseLoanProductTerms'].loanProduct.currentTerms).toEqual({ aprMethod: 'US' });
    const us = await offered();
    expect(us).toMatchObject({ annualRatePercent: '9.9', aprMethod: 'US', aprDisclosed: '9.90' });
    expect(Number(us.aprPercent)).toBeCloseTo(9.9, 3);
  });
});
