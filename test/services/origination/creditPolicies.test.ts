// Credit policy versions through the API: applications decided by the sandbox tenant's version 1, a stricter draft
// simulated over those decisions (how many would change, and exactly which), a bad rule set refused naming its
// field, maker-checker on activation (the maker cannot approve, another person can), the old version retired and
// the next application decided by the new one, and every version kept.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { SANDBOX_CREDIT_POLICY, type CreditRuleSet } from '../../../src/domain/origination/creditPolicy.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type GraphQLResponse, type TestServer, type UserError } from '../../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;
let officer: string;
let underwriter: string;
let approver: string;
let admin: string;
let auditor: string;
let partner: string;
let people = 0;

const POLICY = 'id version status ruleSet createdBy activationRequestedBy activatedBy activatedAt';
const CREATE = `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application {
  id reference status decisions { outcome policyVersion reasons { code } } } ${USER_ERRORS} } }`;
const DRAFT = `mutation($input: DraftCreditPolicyInput!) { draftCreditPolicy(input: $input) { creditPolicy { ${POLICY} } ${USER_ERRORS} } }`;
const REQUEST = `mutation($input: RequestCreditPolicyActivationInput!) { requestCreditPolicyActivation(input: $input) { creditPolicy { ${POLICY} } ${USER_ERRORS} } }`;
const DECIDE = `mutation($input: DecideCreditPolicyActivationInput!) { decideCreditPolicyActivation(input: $input) { creditPolicy { ${POLICY} } ${USER_ERRORS} } }`;
const SIMULATE = `query($id: ID!) { node(id: $id) { ... on CreditPolicy { version status simulation {
  evaluated changed changes { applicationId reference from to reasons { code } } byChange { from to count } skipped { reference field } } } } }`;
const VERSIONS = `{ loanProducts { edges { node { code creditPolicies { version status createdBy activationRequestedBy activatedBy } } } } }`;

/** A mutation's policy when it succeeded (no userErrors). */
function policyOf(response: GraphQLResponse, mutation: string) {
  expect(userErrors(response, mutation)).toEqual([]);
  return response.data![mutation].creditPolicy;
}

/** A refused mutation: answered 200 with exactly one refusal in its payload's userErrors and no policy. */
function refusal(response: GraphQLResponse, mutation: string): UserError {
  expect(response.status).toBe(200);
  const errors = userErrors(response, mutation);
  expect(errors).toHaveLength(1);
  expect(response.data![mutation].creditPolicy).toBeNull();
  return errors[0]!;
}

function applicant(tags: string) {
  people += 1;
  return {
    kind: 'PERSON', legalName: `Policy Person ${people}`, email: `policy${people}${tags}@example.test`, phone: `+1415666${String(3000 + people)}`,
    dateOfBirth: '1980-02-20', address: { lines: ['2 Policy Road'], city: 'Springfield', postalCode: '12345', country: 'US' },
    identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: `POL${String(200000 + people)}` }],
  };
}

/** An application decided through the API; a high income keeps any bureau debt well inside the DTI rules. */
async function apply(tags: string) {
  const response = await gql(server.gateway, CREATE, {
    token: officer,
    variables: { input: { productCode: 'PL-STD', amount: '6000', numberOfRepayments: 24, purpose: 'home improvement', applicant: applicant(tags), declaredMonthlyIncome: '20000', monthlyDebtPayments: '300', employer: 'Acme Corp', submit: true } },
  });
  expect(userErrors(response, 'createApplication')).toEqual([]);
  return response.data!['createApplication'].application as { id: string; reference: string; status: string; decisions: { outcome: string; policyVersion: number; reasons: { code: string }[] }[] };
}

/** The sandbox policy with the minimum score raised above the prime bureau file's 810. */
function stricter(): CreditRuleSet {
  const ruleSet = structuredClone(SANDBOX_CREDIT_POLICY) as CreditRuleSet;
  ruleSet.policy = 'sandbox-pl-std';
  ruleSet.version = 99; // assigned by the server
  const score = ruleSet.rules.find((rule) => rule.id === 'score')!;
  if (score.kind === 'minBureauScore') score.min = 820;
  return ruleSet;
}

async function draft(token: string, ruleSet: unknown) {
  return gql(server.gateway, DRAFT, { token, variables: { input: { productCode: 'PL-STD', ruleSet } } });
}

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('policy'), { sandbox: true, businessDate: '2026-12-01' });
  officer = await devToken(server.runtime, 'loan-officer', tenant.slug, { subject: 'officer-1' });
  underwriter = await devToken(server.runtime, 'underwriter', tenant.slug, { subject: 'underwriter-1' });
  approver = await devToken(server.runtime, 'credit-approver', tenant.slug, { subject: 'approver-1' });
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'admin-1' });
  auditor = await devToken(server.runtime, 'auditor', tenant.slug, { subject: 'auditor-1' });
  const { registerPartner } = await import('../../../src/services/partners.js');
  const actor = { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' };
  await registerPartner(server.runtime.tenantClients.forSchema(tenant.schemaName), server.runtime.identity, { tenant: tenant.slug, actor, now: new Date() }, { code: 'fintech', name: 'Fintech', kind: 'origination' });
  partner = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'fintech', kind: 'origination' } });
});
afterAll(async () => {
  await server.close();
});

describe('credit policy versions', () => {
  const decided: Record<string, { id: string; reference: string }> = {};
  let v2: string;

  it('the sandbox product starts with version 1 active, and applications are decided by it', async () => {
    const versions = await gql(server.gateway, `{ creditPolicies(productCode: "PL-STD") { ${POLICY} product { code } } }`, { token: auditor });
    expect(versions.errors).toBeUndefined();
    expect(versions.data!['creditPolicies']).toMatchObject([{ version: 1, status: 'ACTIVE', createdBy: 'sandbox-seed', product: { code: 'PL-STD' } }]);
    for (const [name, tags] of [['prime1', '+bureau-prime'], ['prime2', '+bureau-prime'], ['pep', '+kyc-pep+bureau-prime'], ['kycFail', '+kyc-fail+bureau-prime'], ['delinquent', '+bureau-delinquent']] as const) {
      const application = await apply(tags);
      decided[name] = application;
      expect(application.decisions).toHaveLength(1);
      expect(application.decisions[0]!.policyVersion).toBe(1);
    }
    expect(['prime1', 'prime2', 'pep', 'kycFail', 'delinquent'].map((name) => (decided[name] as any).decisions[0].outcome))
      .toEqual(['APPROVE', 'APPROVE', 'REFER', 'DECLINE', 'DECLINE']);
  });

  it('a bad rule set is refused naming its field; so are a wrong currency and text that is not JSON', async () => {
    const bad = stricter();
    (bad.rules[3] as { min: number }).min = -5;
    const refused = await draft(underwriter, bad);
    expect(refusal(refused, 'draftCreditPolicy')).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.ruleSet.rules[3].min' });
    const euro = { ...stricter(), currency: 'EUR' };
    expect(refusal(await draft(underwriter, euro), 'draftCreditPolicy')).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.ruleSet.currency' });
    expect(refusal(await draft(underwriter, '{"policy":'), 'draftCreditPolicy')).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.ruleSet' });
    const noGrades = { ...stricter(), grades: [] };
    expect(refusal(await draft(underwriter, noGrades), 'draftCreditPolicy')).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.ruleSet.grades' });
    // Nothing was drafted.
    const versions = await gql(server.gateway, `{ creditPolicies(productCode: "PL-STD") { version } }`, { token: underwriter });
    expect(versions.data!['creditPolicies']).toEqual([{ version: 1 }]);
  });

  it('a stricter draft is simulated over the past decisions: exactly how many would change, and which', async () => {
    const drafted = await draft(underwriter, stricter());
    const policy = policyOf(drafted, 'draftCreditPolicy');
    expect(policy).toMatchObject({ version: 2, status: 'DRAFT', createdBy: 'underwriter-1', activationRequestedBy: null, activatedBy: null });
    expect(policy.ruleSet).toMatchObject({ version: 2, currency: 'USD' });
    v2 = policy.id;
    const simulated = await gql(server.gateway, SIMULATE, { token: approver, variables: { id: v2 } });
    expect(simulated.errors, JSON.stringify(simulated.errors)).toBeUndefined();
    const simulation = simulated.data!['node'].simulation;
    expect(simulation.evaluated).toBe(5);
    expect(simulation.changed).toBe(3);
    expect(simulation.skipped).toEqual([]);
    const change = (name: string, from: string) => ({ applicationId: decided[name]!.id, reference: decided[name]!.reference, from, to: 'DECLINE', reasons: [{ code: 'SCORE_BELOW_MINIMUM' }] });
    // Newest decision first; the declines stay declines and are not listed.
    expect(simulation.changes).toEqual([change('pep', 'REFER'), change('prime2', 'APPROVE'), change('prime1', 'APPROVE')]);
    expect(simulation.byChange).toEqual([{ from: 'APPROVE', to: 'DECLINE', count: 2 }, { from: 'REFER', to: 'DECLINE', count: 1 }]);
    // The limit takes the newest decisions.
    const newest = await gql(server.gateway, SIMULATE.replace('simulation {', 'simulation(limit: 2) {'), { token: approver, variables: { id: v2 } });
    expect(newest.data!['node'].simulation).toMatchObject({ evaluated: 2, changed: 0 });
    // The active version has nothing to simulate.
    const active = await gql(server.gateway, `{ creditPolicies(productCode: "PL-STD") { version simulation { evaluated } } }`, { token: approver });
    expect(active.data!['creditPolicies']).toEqual([{ version: 2, simulation: expect.objectContaining({ evaluated: 5 }) }, { version: 1, simulation: null }]);
  });

  it('activation is maker-checker: the maker cannot approve their own, a rejection goes back to draft, another person activates', async () => {
    // A tenant admin may draft and activate, but not both on one version.
    const own = policyOf(await draft(admin, { ...stricter(), policy: 'admin-draft' }), 'draftCreditPolicy');
    expect(own.version).toBe(3);
    expect(policyOf(await gql(server.gateway, REQUEST, { token: admin, variables: { input: { policyId: own.id } } }), 'requestCreditPolicyActivation'))
      .toMatchObject({ status: 'PENDING_ACTIVATION', activationRequestedBy: 'admin-1' });
    const selfApproved = await gql(server.gateway, DECIDE, { token: admin, variables: { input: { policyId: own.id, approve: true } } });
    expect(refusal(selfApproved, 'decideCreditPolicyActivation')).toMatchObject({ code: 'FORBIDDEN', reason: 'MAKER_IS_CHECKER', field: 'input.policyId' });
    const queue = await gql(server.gateway, '{ pendingCreditPolicyActivations { version status } }', { token: approver });
    expect(queue.data!['pendingCreditPolicyActivations']).toEqual([{ version: 3, status: 'PENDING_ACTIVATION' }]);
    expect(refusal(await gql(server.gateway, DECIDE, { token: approver, variables: { input: { policyId: own.id, approve: false } } }), 'decideCreditPolicyActivation'))
      .toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.reason' });
    const rejected = await gql(server.gateway, DECIDE, { token: approver, variables: { input: { policyId: own.id, approve: false, reason: 'not the version we discussed' } } });
    expect(policyOf(rejected, 'decideCreditPolicyActivation')).toMatchObject({ version: 3, status: 'DRAFT', activationRequestedBy: null, activatedBy: null });
    // Whoever drafted the rules cannot approve them either, even when someone else asked for the activation.
    expect(policyOf(await gql(server.gateway, REQUEST, { token: underwriter, variables: { input: { policyId: own.id } } }), 'requestCreditPolicyActivation'))
      .toMatchObject({ status: 'PENDING_ACTIVATION', createdBy: 'admin-1', activationRequestedBy: 'underwriter-1' });
    expect(refusal(await gql(server.gateway, DECIDE, { token: admin, variables: { input: { policyId: own.id, approve: true } } }), 'decideCreditPolicyActivation'))
      .toMatchObject({ code: 'FORBIDDEN', reason: 'MAKER_IS_CHECKER', field: 'input.policyId' });
    expect(policyOf(await gql(server.gateway, DECIDE, { token: approver, variables: { input: { policyId: own.id, approve: false, reason: 'later' } } }), 'decideCreditPolicyActivation'))
      .toMatchObject({ status: 'DRAFT' });

    // The underwriter drafted v2 and asks for it; an underwriter cannot decide (a top-level error: the role may
    // not), nor can the maker; a credit approver can.
    expect(refusal(await gql(server.gateway, DECIDE, { token: approver, variables: { input: { policyId: v2, approve: true } } }), 'decideCreditPolicyActivation'))
      .toMatchObject({ code: 'CONFLICT', reason: 'ILLEGAL_TRANSITION', field: 'input.policyId' });
    const requested = await gql(server.gateway, REQUEST, { token: underwriter, variables: { input: { policyId: v2 } } });
    expect(policyOf(requested, 'requestCreditPolicyActivation')).toMatchObject({ status: 'PENDING_ACTIVATION', activationRequestedBy: 'underwriter-1' });
    expect(codes(await gql(server.gateway, DECIDE, { token: underwriter, variables: { input: { policyId: v2, approve: true } } }))).toEqual(['FORBIDDEN']);
    expect(refusal(await gql(server.gateway, REQUEST, { token: underwriter, variables: { input: { policyId: v2 } } }), 'requestCreditPolicyActivation'))
      .toMatchObject({ code: 'CONFLICT', reason: 'ILLEGAL_TRANSITION', field: 'input.policyId' });
    const activated = await gql(server.gateway, DECIDE, { token: approver, variables: { input: { policyId: v2, approve: true } } });
    const active = policyOf(activated, 'decideCreditPolicyActivation');
    expect(active).toMatchObject({ version: 2, status: 'ACTIVE', activationRequestedBy: 'underwriter-1', activatedBy: 'approver-1' });
    expect(active.activatedAt).toEqual(expect.any(String));

    const versions = await gql(server.gateway, VERSIONS, { token: auditor });
    const plStd = versions.data!['loanProducts'].edges.find((e: any) => e.node.code === 'PL-STD').node;
    expect(plStd.creditPolicies).toEqual([
      { version: 3, status: 'DRAFT', createdBy: 'admin-1', activationRequestedBy: null, activatedBy: null },
      { version: 2, status: 'ACTIVE', createdBy: 'underwriter-1', activationRequestedBy: 'underwriter-1', activatedBy: 'approver-1' },
      { version: 1, status: 'RETIRED', createdBy: 'sandbox-seed', activationRequestedBy: null, activatedBy: 'sandbox-seed' },
    ]);
    // Other products keep their own active version 1.
    expect(versions.data!['loanProducts'].edges.filter((e: any) => e.node.code !== 'PL-STD').map((e: any) => e.node.creditPolicies.map((p: any) => p.status)))
      .toEqual([['ACTIVE'], ['ACTIVE']]);

    // Each step is audited and announced.
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const audit = await db.auditRecord.findMany({ where: { entityType: 'CreditPolicy' }, orderBy: { occurredAt: 'asc' } });
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['creditPolicy.draft', 'creditPolicy.requestActivation', 'creditPolicy.rejectActivation', 'creditPolicy.approveActivation']));
    const events = await db.outboxEvent.findMany({ where: { aggregateType: 'CreditPolicy' } });
    expect(new Set(events.map((e) => e.type))).toEqual(new Set(['creditPolicy.drafted', 'creditPolicy.activationRequested', 'creditPolicy.activationRejected', 'creditPolicy.retired', 'creditPolicy.activated']));
  });

  it('the next application is decided by the new version; earlier decisions keep theirs', async () => {
    const next = await apply('+bureau-prime');
    expect(next.status).toBe('DECLINED');
    expect(next.decisions[0]).toMatchObject({ outcome: 'DECLINE', policyVersion: 2, reasons: [{ code: 'SCORE_BELOW_MINIMUM' }] });
    const earlier = await gql(server.gateway, `query($id: ID!) { node(id: $id) { ... on Application { status decisions { outcome policyVersion } } } }`, { token: officer, variables: { id: decided['prime1']!.id } });
    expect(earlier.data!['node']).toEqual({ status: 'APPROVED', decisions: [{ outcome: 'APPROVE', policyVersion: 1 }] });
  });

  it('a version with a grade the product\'s active pricing has no rate for is not activated: it would leave applications so graded without an offer', async () => {
    const renamed = stricter();
    renamed.policy = 'renamed-grade';
    renamed.grades = renamed.grades.map((band, k) => (k === 0 ? { ...band, grade: 'AA' } : band));
    const drafted = policyOf(await draft(underwriter, renamed), 'draftCreditPolicy');
    expect(policyOf(await gql(server.gateway, REQUEST, { token: underwriter, variables: { input: { policyId: drafted.id } } }), 'requestCreditPolicyActivation')).toMatchObject({ status: 'PENDING_ACTIVATION' });
    const refused = await gql(server.gateway, DECIDE, { token: approver, variables: { input: { policyId: drafted.id, approve: true } } });
    expect(refusal(refused, 'decideCreditPolicyActivation')).toMatchObject({ code: 'CONFLICT', field: 'input.policyId', message: expect.stringContaining('has no rate for grade AA') });
    const versions = await gql(server.gateway, VERSIONS, { token: auditor });
    const plStd = versions.data!['loanProducts'].edges.find((e: any) => e.node.code === 'PL-STD').node;
    expect(plStd.creditPolicies.filter((p: any) => p.status === 'ACTIVE').map((p: any) => p.version)).toEqual([2]);
    expect(plStd.creditPolicies.find((p: any) => p.version === drafted.version).status).toBe('PENDING_ACTIVATION');
  });

  it('partners and roles without the capability see none of it', async () => {
    for (const token of [partner, officer]) {
      expect(codes(await gql(server.gateway, '{ creditPolicies(productCode: "PL-STD") { version } }', { token }))).toEqual(['FORBIDDEN']);
      expect(codes(await gql(server.gateway, '{ loanProducts { edges { node { creditPolicies { version } } } } }', { token }))).toEqual(['FORBIDDEN']);
      expect(codes(await gql(server.gateway, SIMULATE, { token, variables: { id: v2 } }))).toEqual(['FORBIDDEN']);
      expect(codes(await draft(token, stricter()))).toEqual(['FORBIDDEN']);
    }
    expect(codes(await gql(server.gateway, '{ pendingCreditPolicyActivations { version } }', { token: underwriter }))).toEqual(['FORBIDDEN']);
  });
});
