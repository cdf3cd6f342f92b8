// Checks and decisions through the API with the deterministic sandbox providers (docs/sandbox-providers.md):
// a clean applicant is approved by the credit policy and gets an offer with its APR; a failed identity check
// declines with its reason code; a thin bureau file refers; a timed-out check leaves the application
// `checks_failed`, saying which, and a retry is a new attempt; an asynchronous provider completes the decision
// through the signed callback; and every decision is reproduced exactly from its stored input and rule-set version.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGlobalID } from '@pothos/plugin-relay';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { registerPartner } from '../../../src/services/partners.js';
import { evaluatePolicy, type CreditRuleSet, type PolicyInput } from '../../../src/domain/origination/creditPolicy.js';
import { sandboxCallback } from '../../../src/domain/origination/checks/sandbox.js';
import { callbackBody, CALLBACK_SIGNATURE_HEADER, signCallback } from '../../../src/domain/origination/checks/callbacks.js';
import { providerCallbackSecret } from '../../../src/services/origination/pendingChecks.js';
import { checkProvidersFor, SANDBOX_PROVIDERS } from '../../../src/services/origination/checkProviders.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, userErrorCodes, userErrors, USER_ERRORS, type TestServer } from '../../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;
let officer: string;
let partner: string;
let people = 0;

const APPLICATION = `id status history { to event reason }
  checks { kind status attempt reason }
  decisions { outcome riskGrade policyVersion reasons { code } rules { rule passed } input }
  offer { id status amount annualRatePercent aprPercent instalment totalRepayable validUntil }`;
const CREATE = `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application { ${APPLICATION} } ${USER_ERRORS} } }`;

/** A fully documented applicant; `tags` choose sandbox outcomes through the e-mail (docs/sandbox-providers.md). */
function applicant(tags = '') {
  people += 1;
  return {
    kind: 'PERSON', legalName: `Sandbox Person ${people}`, email: `person${people}${tags}@example.test`, phone: `+1415555${String(2000 + people)}`,
    dateOfBirth: '1985-04-12', address: { lines: ['1 Main Street'], city: 'Springfield', postalCode: '12345', country: 'US' },
    identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: `SBX${String(100000 + people)}` }],
  };
}

async function apply(tags: string, over: Record<string, unknown> = {}, token = officer) {
  const response = await gql(server.gateway, CREATE, {
    token,
    variables: { input: { productCode: 'PL-STD', amount: '6000', numberOfRepayments: 24, purpose: 'debt consolidation', applicant: applicant(tags), declaredMonthlyIncome: '6500', monthlyDebtPayments: '300', employer: 'Acme Corp', submit: true, ...over } },
  });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  expect(response.data!['createApplication'].userErrors).toEqual([]);
  return response.data!['createApplication'].application;
}

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('assess'), { sandbox: true, businessDate: '2026-12-01' });
  const actor = { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' };
  await registerPartner(server.runtime.tenantClients.forSchema(tenant.schemaName), server.runtime.identity, { tenant: tenant.slug, actor, now: new Date() }, { code: 'fintech', name: 'Fintech', kind: 'origination' });
  officer = await devToken(server.runtime, 'loan-officer', tenant.slug, { subject: 'officer-1' });
  partner = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'fintech', kind: 'origination' } });
});
afterAll(async () => {
  await server.close();
});

async function reproduce(decision: { outcome: string; riskGrade: string | null; policyVersion: number; input: PolicyInput; rules: { rule: string; passed: boolean }[] }) {
  const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
  const product = await db.loanProduct.findUniqueOrThrow({ where: { code: 'PL-STD' } });
  const policy = await db.creditPolicy.findUniqueOrThrow({ where: { productId_version: { productId: product.id, version: decision.policyVersion } } });
  const again = evaluatePolicy(policy.ruleSet as unknown as CreditRuleSet, decision.input);
  expect({ outcome: again.outcome, riskGrade: again.riskGrade, rules: again.rules.map((r) => ({ rule: r.id, passed: r.passed })) })
    .toEqual({ outcome: decision.outcome, riskGrade: decision.riskGrade, rules: decision.rules });
}

describe('automated decisions', () => {
  it('a clean applicant with a prime bureau file is approved by the policy and gets an offer, from a partner\'s submission', async () => {
    const application = await apply('+bureau-prime', {}, partner);
    expect(application.status).toBe('APPROVED');
    expect(application.history.map((h: any) => h.to)).toEqual(['DRAFT', 'SUBMITTED', 'UNDER_CHECKS', 'UNDER_REVIEW', 'APPROVED']);
    expect(application.checks.map((c: any) => [c.kind, c.status])).toEqual([['BUREAU', 'PASSED'], ['INCOME', 'PASSED'], ['KYC', 'PASSED']]);
    const [decision] = application.decisions;
    expect(decision).toMatchObject({ outcome: 'APPROVE', riskGrade: 'A', policyVersion: 1, reasons: [] });
    expect(decision.rules.every((r: any) => r.passed)).toBe(true);
    // The partner is not shown the lender's history of the person (docs/origination-rules.md); the lender
    // reproduces the decision from its own view, which holds everything the rules read.
    expect(decision.input).not.toHaveProperty('duplicates');
    const staffView = await gql(server.gateway, `query($id: ID!) { node(id: $id) { ... on Application { decisions { outcome riskGrade policyVersion rules { rule passed } input } } } }`, { token: officer, variables: { id: application.id } });
    expect(staffView.errors, JSON.stringify(staffView.errors)).toBeUndefined();
    expect(staffView.data!['node'].decisions[0].input).toHaveProperty('duplicates');
    await reproduce(staffView.data!['node'].decisions[0]);
    expect(application.offer).toMatchObject({ status: 'OPEN', amount: '6000.00 USD', annualRatePercent: '9.9', validUntil: '2026-12-31' });
    // The debt-to-income rule counted the instalment of the loan as it is then offered: grade A's priced rate, not
    // the product's own.
    expect(`${staffView.data!['node'].decisions[0].input.instalment} USD`).toBe(application.offer.instalment);
    // No fees on the sandbox product: the APR is the effective annual rate of 9.9 % a month-by-month, above the nominal.
    expect(Number(application.offer.aprPercent)).toBeGreaterThan(9.9);
    expect(Number(application.offer.aprPercent)).toBeLessThan(10.5);
  });

  it('a failed identity check declines with its reason code; a politically exposed person is referred to underwriting', async () => {
    const declined = await apply('+kyc-fail');
    expect(declined.status).toBe('DECLINED');
    expect(declined.decisions[0].reasons.map((r: any) => r.code)).toContain('IDENTITY_NOT_VERIFIED');
    expect(declined.offer).toBeNull();
    await reproduce(declined.decisions[0]);
    const referred = await apply('+kyc-pep+bureau-prime');
    expect(referred.status).toBe('REFERRED');
    expect(referred.decisions[0].outcome).toBe('REFER');
    await reproduce(referred.decisions[0]);
  });

  it('a timed-out check leaves the application checks_failed, saying which; a retry is a new attempt', async () => {
    const failed = await apply('+bureau-timeout');
    expect(failed.status).toBe('CHECKS_FAILED');
    expect(failed.history.at(-1)).toMatchObject({ to: 'CHECKS_FAILED', event: 'check_failed', reason: expect.stringMatching(/^bureau timed out/) });
    expect(failed.decisions).toEqual([]);
    const retried = await gql(server.gateway, `mutation($input: AssessApplicationInput!) { assessApplication(input: $input) { application { ${APPLICATION} } ${USER_ERRORS} } }`, { token: officer, variables: { input: { applicationId: failed.id } } });
    expect(retried.errors).toBeUndefined();
    expect(retried.data!['assessApplication'].userErrors).toEqual([]);
    const after = retried.data!['assessApplication'].application;
    expect(after.history.map((h: any) => h.event).slice(-2)).toEqual(['retry_checks', 'check_failed']);
    expect(Math.max(...after.checks.map((c: any) => c.attempt))).toBe(2);
  });

  it('a mistyped or contradicting sandbox tag is refused at submission, naming the e-mail and the tag, and nothing is written', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const before = await db.application.count();
    for (const [tags, message] of [['+kyc-fial', 'unknown sandbox trigger +kyc-fial'], ['+kyc-fail+kyc-pep', 'contradict each other']] as const) {
      const response = await gql(server.gateway, CREATE, { token: officer, variables: { input: {
        productCode: 'PL-STD', amount: '6000', numberOfRepayments: 24, purpose: 'typo', applicant: applicant(tags), declaredMonthlyIncome: '6500', monthlyDebtPayments: '300',
        employer: 'Acme Corp', submit: true,
      } } });
      const refusals = userErrors(response, 'createApplication');
      expect(refusals, tags).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.applicant.email', message: expect.stringContaining(message) })]);
      expect(response.data!['createApplication'].application).toBeNull();
    }
    expect(await db.application.count()).toBe(before);
  });

  it('an applicant without the data the checks need is not decided blind: the submission is refused naming everything missing', async () => {
    const response = await gql(server.gateway, CREATE, { token: officer, variables: { input: {
      productCode: 'PL-STD', amount: '6000', numberOfRepayments: 24, purpose: 'car', submit: true, applicant: { kind: 'PERSON', legalName: 'No Data' },
    } } });
    expect(response.status).toBe(200);
    const refusals = userErrors(response, 'createApplication');
    // One user error per missing field, in order, all MISSING_INFORMATION, the message naming every one.
    expect(refusals.map((e) => e.field)).toEqual([
      'input.applicant.dateOfBirth', 'input.applicant.identifiers', 'input.applicant.phone', 'input.applicant.email', 'input.applicant.address',
      'input.declaredMonthlyIncome', 'input.employer',
    ]);
    for (const refusal of refusals) {
      expect(refusal).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'MISSING_INFORMATION' });
      expect(refusal.message).toMatch(/^the checks need applicant\.dateOfBirth, applicant\.identifiers \(a NATIONAL_ID\), applicant\.phone, applicant\.email, applicant\.address, declaredMonthlyIncome and employer: /);
    }
    expect(response.data!['createApplication'].application).toBeNull();
  });

  it('an asynchronous provider decides through the signed callback; forged or replayed callbacks change nothing', async () => {
    const pending = await apply('+kyc-async+bureau-prime');
    expect(pending.status).toBe('UNDER_CHECKS');
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const check = await db.applicationCheck.findFirstOrThrow({ where: { applicationId: decodeGlobalID(pending.id).id, kind: 'kyc' } });
    expect(check.status).toBe('pending');
    const body = callbackBody(sandboxCallback(check.providerReference!, new Date()));
    const url = `${server.gateway.url}/providers/${tenant.slug}/${check.provider}/callbacks`;
    const post = (signature: string, text = body) => fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', [CALLBACK_SIGNATURE_HEADER]: signature }, body: text });
    const forged = await post(signCallback('not-the-secret', body, new Date()));
    expect(forged.status).toBe(401);
    expect((await db.applicationCheck.findUniqueOrThrow({ where: { id: check.id } })).status).toBe('pending');
    const secret = providerCallbackSecret(server.runtime.dataKey, tenant.slug, check.provider);
    const tampered = await post(signCallback(secret, body, new Date()), body.replace('"passed"', '"failed"'));
    expect(tampered.status).toBe(401);
    const delivered = await post(signCallback(secret, body, new Date()));
    expect(delivered.status).toBe(200);
    const after = await gql(server.gateway, `query($id: ID!) { node(id: $id) { ... on Application { ${APPLICATION} } } }`, { token: officer, variables: { id: pending.id } });
    expect(after.data!['node'].status).toBe('APPROVED');
    expect(after.data!['node'].checks.find((c: any) => c.kind === 'KYC').status).toBe('PASSED');
    const again = await post(signCallback(secret, body, new Date()));
    expect(await again.json()).toEqual({ status: 'already-recorded' });
  });

  it('another partner cannot assess an application it did not bring', async () => {
    const theirs = await apply('+bureau-timeout', {}, partner);
    const actor = { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' };
    await registerPartner(server.runtime.tenantClients.forSchema(tenant.schemaName), server.runtime.identity, { tenant: tenant.slug, actor, now: new Date() }, { code: 'rival', name: 'Rival', kind: 'origination' });
    const rival = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'rival', kind: 'origination' } });
    const refused = await gql(server.gateway, `mutation($input: AssessApplicationInput!) { assessApplication(input: $input) { application { status } ${USER_ERRORS} } }`, { token: rival, variables: { input: { applicationId: theirs.id } } });
    expect(userErrorCodes(refused, 'assessApplication')).toEqual(['BAD_USER_INPUT']);
    expect(refused.data!['assessApplication'].application).toBeNull();
    // Staff retrying it: what the checks say still concerns the partner that brought it.
    const retried = await gql(server.gateway, `mutation($input: AssessApplicationInput!) { assessApplication(input: $input) { application { status } ${USER_ERRORS} } }`, { token: officer, variables: { input: { applicationId: theirs.id } } });
    expect(retried.errors).toBeUndefined();
    expect(retried.data!['assessApplication'].userErrors).toEqual([]);
    const events = await server.runtime.tenantClients.forSchema(tenant.schemaName).outboxEvent.findMany({ where: { aggregateId: theirs.id } });
    expect(events.length).toBeGreaterThan(6);
    expect(new Set(events.map((e) => e.partnerScope))).toEqual(new Set(['fintech']));
  });

  it("a tenant's checks go to the providers its registry entry names: the sandbox set until another exists", async () => {
    const entry = (await server.runtime.registry.findBySlug(tenant.slug))!;
    expect(entry.checkProviders).toBe('sandbox');
    expect(checkProvidersFor(entry)).toBe(SANDBOX_PROVIDERS);
    expect(() => checkProvidersFor({ slug: tenant.slug, checkProviders: 'toString' })).toThrow(/does not have/);
    await expect(server.runtime.pool.query("UPDATE platform.tenant SET check_providers = 'acme-bureau' WHERE slug = $1", [tenant.slug])).rejects.toThrow(/tenant_check_providers_check/);
  });
});
