// Underwriting through the API: a referred application waits in the queue; an underwriter
// recommends (the maker) and someone else with the authority decides (the checker); the maker is never the
// checker; duplicate pending recommendations are refused; a checker beyond the authority matrix is told who may;
// an override of the rules needs a reason and shows in the compliance report; partners see none of it.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGlobalID } from '@pothos/plugin-relay';
// Not yet wired into src/graph/schema.ts: imported before the server builds its schema.
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { registerPartner } from '../../../src/services/partners.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, userErrorCodes, userErrors, USER_ERRORS, type GraphQLResponse, type TestServer } from '../../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;
let officer: string;
let partner: string;
let maker: string;
let otherUnderwriter: string;
let approver: string;
let admin: string;
let compliance: string;
let people = 0;

const APPLICATION = `id status history { to event reason }
  decisions { outcome riskGrade decidedBy override overrideReason reasons { code } }
  offer { status amount annualRatePercent }`;
const REQUEST = 'id status recommendation amount riskGrade override reason requestedBy decidedBy decisionReason application { id status }';
const RECOMMEND = `mutation($input: RecommendApplicationInput!) { recommendApplication(input: $input) { approvalRequest { ${REQUEST} } ${USER_ERRORS} } }`;
const DECIDE = `mutation($input: DecideApprovalRequestInput!) { decideApprovalRequest(input: $input) { approvalRequest { ${REQUEST} application { ${APPLICATION} } } ${USER_ERRORS} } }`;
const QUEUE = `{ underwritingQueue(first: 100) { nodes: edges { node { referredAt application { id status } pendingRequest { id status requestedBy } } } } }`;
const queueOf = (data: any) => data['underwritingQueue'].nodes.map((e: any) => e.node);

function applicant(tags: string, nationalId?: string) {
  people += 1;
  return {
    kind: 'PERSON', legalName: `Underwritten Person ${people}`, email: `uw${people}${tags}@example.test`, phone: `+1415556${String(2000 + people)}`,
    dateOfBirth: '1985-04-12', address: { lines: ['1 Main Street'], city: 'Springfield', postalCode: '12345', country: 'US' },
    identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: nationalId ?? `UWT${String(100000 + people)}` }],
  };
}

/** A submitted application the sandbox checks and the policy refer to underwriting. */
async function referred(tags: string, amount: string, nationalId?: string, token = officer) {
  const response = await gql(server.gateway, `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application { ${APPLICATION} decisions { riskGrade maxAmount } } ${USER_ERRORS} } }`, {
    token,
    variables: { input: {
      productCode: 'PL-STD', amount, numberOfRepayments: 24, purpose: 'home improvement', applicant: applicant(tags, nationalId),
      declaredMonthlyIncome: '30000', monthlyDebtPayments: '300', employer: 'Acme Corp', submit: true,
    } },
  });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  expect(response.data!['createApplication'].userErrors).toEqual([]);
  const application = response.data!['createApplication'].application;
  expect(application.status).toBe('REFERRED');
  return application as { id: string; status: string; decisions: { riskGrade: string | null; maxAmount: string | null }[] };
}

async function recommendation(token: string, input: Record<string, unknown>) {
  return gql(server.gateway, RECOMMEND, { token, variables: { input } });
}

async function decision(token: string, input: Record<string, unknown>) {
  return gql(server.gateway, DECIDE, { token, variables: { input } });
}

/** The approval request of an answer that must have succeeded: no GraphQL errors, no user errors. */
function requestOf(response: GraphQLResponse, mutation: 'recommendApplication' | 'decideApprovalRequest') {
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  expect(userErrors(response, mutation)).toEqual([]);
  return response.data![mutation].approvalRequest;
}

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('uw'), { sandbox: true, businessDate: '2026-12-01' });
  const actor = { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' };
  await registerPartner(server.runtime.tenantClients.forSchema(tenant.schemaName), server.runtime.identity, { tenant: tenant.slug, actor, now: new Date() }, { code: 'fintech', name: 'Fintech', kind: 'origination' });
  officer = await devToken(server.runtime, 'loan-officer', tenant.slug, { subject: 'officer-1' });
  partner = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'fintech', kind: 'origination' } });
  maker = await devToken(server.runtime, 'underwriter', tenant.slug, { subject: 'underwriter-1' });
  otherUnderwriter = await devToken(server.runtime, 'underwriter', tenant.slug, { subject: 'underwriter-2' });
  approver = await devToken(server.runtime, 'credit-approver', tenant.slug, { subject: 'approver-1' });
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'admin-1' });
  compliance = await devToken(server.runtime, 'compliance', tenant.slug, { subject: 'compliance-1' });
});
afterAll(async () => {
  await server.close();
});

describe('underwriting referred applications', () => {
  it('a referral is queued, recommended by one underwriter and approved by a checker with the authority; never by its maker', async () => {
    // A politically exposed person with a prime bureau file: grade A, referred for the identity review.
    const application = await referred('+kyc-pep+bureau-prime', '20000', undefined, partner);
    expect(application.decisions[0]!.riskGrade).toBe('A');

    const queued = await gql(server.gateway, QUEUE, { token: maker });
    expect(queued.errors).toBeUndefined();
    const item = queueOf(queued.data!).find((i: any) => i.application.id === application.id);
    expect(item).toMatchObject({ application: { status: 'REFERRED' }, pendingRequest: null });

    const recommended = await recommendation(maker, { applicationId: application.id, recommendation: 'APPROVE', reason: 'PEP cleared by enhanced due diligence' });
    const request = requestOf(recommended, 'recommendApplication');
    expect(request).toMatchObject({ status: 'PENDING', recommendation: 'APPROVE', amount: '20000.00 USD', riskGrade: 'A', override: false, requestedBy: 'underwriter-1' });

    const queuedAgain = await gql(server.gateway, QUEUE, { token: maker });
    expect(queueOf(queuedAgain.data!).find((i: any) => i.application.id === application.id).pendingRequest).toMatchObject({ id: request.id, status: 'PENDING' });

    // The maker cannot be the checker, whatever their roles.
    const own = await decision(maker, { requestId: request.id, approve: true });
    expect(own.status).toBe(200);
    const [ownRefusal, ...ownMore] = userErrors(own, 'decideApprovalRequest');
    expect(ownMore).toEqual([]);
    expect(ownRefusal).toMatchObject({ code: 'FORBIDDEN', reason: 'MAKER_IS_CHECKER', field: 'input.requestId' });
    expect(ownRefusal!.message).toBe('whoever made a recommendation cannot also decide it: someone else must');
    expect(own.data!['decideApprovalRequest'].approvalRequest).toBeNull();

    // A second pending recommendation for the same application is refused, by anyone.
    for (const token of [maker, otherUnderwriter]) {
      const twin = await recommendation(token, { applicationId: application.id, recommendation: 'DECLINE', reason: 'second opinion' });
      expect(userErrors(twin, 'recommendApplication')).toEqual([expect.objectContaining({ code: 'CONFLICT', message: expect.stringMatching(/already has a pending approval request/) })]);
    }

    // Another underwriter may approve up to 10,000 at grade A: refused, told who may.
    const beyond = await decision(otherUnderwriter, { requestId: request.id, approve: true });
    const [beyondRefusal, ...beyondMore] = userErrors(beyond, 'decideApprovalRequest');
    expect(beyondMore).toEqual([]);
    expect(beyondRefusal).toMatchObject({ code: 'FORBIDDEN', reason: 'BEYOND_AUTHORITY', field: 'input.requestId' });
    // The levels and the roles that may approve it, in the message (a user error carries no more than code, reason, field and message).
    expect(beyondRefusal!.message).toMatch(/underwriter may approve up to 10000\.00 at grade A\); senior_underwriter or credit_committee may \(roles holding those levels: credit-approver, tenant-admin\)/);
    expect(beyond.data!['decideApprovalRequest'].approvalRequest).toBeNull();
    const authority = await gql(server.gateway, '{ approvalAuthority(amount: "20000", riskGrade: "A") { levels allowed reason levelsThatMay } }', { token: otherUnderwriter });
    expect(authority.data!['approvalAuthority']).toMatchObject({ levels: ['underwriter'], allowed: false, levelsThatMay: ['senior_underwriter', 'credit_committee'] });

    const approved = await decision(approver, { requestId: request.id, approve: true, reason: 'within senior authority' });
    const decided = requestOf(approved, 'decideApprovalRequest');
    expect(decided).toMatchObject({ status: 'APPROVED', decidedBy: 'approver-1', decisionReason: 'within senior authority' });
    expect(decided.application.status).toBe('APPROVED');
    expect(decided.application.history.at(-1)).toMatchObject({ to: 'APPROVED', event: 'approve' });
    expect(decided.application.offer).toMatchObject({ status: 'OPEN', amount: '20000.00 USD', annualRatePercent: '9.9' });
    expect(decided.application.decisions.map((d: any) => [d.outcome, d.decidedBy, d.override])).toEqual([['REFER', 'policy', false], ['APPROVE', 'approver-1', false]]);

    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const [policy, underwriter] = await db.applicationDecision.findMany({ where: { applicationId: decodeGlobalID(application.id).id }, orderBy: { decidedAt: 'asc' } });
    expect(underwriter).toMatchObject({ decidedByKind: 'underwriter', decidedBy: 'approver-1', outcome: 'APPROVE', riskGrade: 'A', override: false, overrideReason: null });
    expect(underwriter!.inputSnapshot).toEqual(policy!.inputSnapshot);
    expect(underwriter!.ruleOutcomes).toEqual(policy!.ruleOutcomes);
    // Every step was announced to the partner that brought it, and audited.
    const events = await db.outboxEvent.findMany({ where: { aggregateId: application.id, type: { in: ['application.approvalRecommended', 'application.approved', 'application.offerMade'] } } });
    expect(events.map((e) => [e.type, e.partnerScope]).sort()).toEqual([['application.approvalRecommended', 'fintech'], ['application.approved', 'fintech'], ['application.offerMade', 'fintech']]);
    expect(await db.auditRecord.count({ where: { entityType: 'ApprovalRequest', entityId: decodeGlobalID(request.id).id } })).toBe(2);

    // Decided once: a second decision finds it so, and the application has left the queue.
    expect(userErrorCodes(await decision(admin, { requestId: request.id, approve: true }), 'decideApprovalRequest')).toEqual(['CONFLICT']);
    const after = await gql(server.gateway, QUEUE, { token: maker });
    expect(queueOf(after.data!).some((i: any) => i.application.id === application.id)).toBe(false);
  });

  it('approving above the grade\'s maximum overrides the policy: it needs a reason and appears in the overrides report', async () => {
    // UWC00027's sandbox bureau file scores 676 (grade C, at most 10,000): 12,000 is referred for the amount band.
    const application = await referred('', '12000', 'UWC00027');
    expect(application.decisions[0]).toMatchObject({ riskGrade: 'C', maxAmount: '10000' });

    const terse = await recommendation(maker, { applicationId: application.id, recommendation: 'APPROVE', reason: 'fine' });
    expect(userErrors(terse, 'recommendApplication')).toEqual([expect.objectContaining({
      code: 'BAD_USER_INPUT', field: 'input.reason', message: expect.stringMatching(/overrides the credit policy .*above the maximum for grade C/),
    })]);
    expect(terse.data!['recommendApplication'].approvalRequest).toBeNull();

    const reason = 'Long-standing customer; collateral pledged outside this loan';
    const recommended = await recommendation(maker, { applicationId: application.id, recommendation: 'APPROVE', reason });
    const request = requestOf(recommended, 'recommendApplication');
    expect(request).toMatchObject({ override: true, amount: '12000.00 USD', riskGrade: 'C' });

    // A plain underwriter may approve at most 10,000 at C; the credit approver 15,000.
    expect(userErrors(await decision(otherUnderwriter, { requestId: request.id, approve: true }), 'decideApprovalRequest')).toEqual([expect.objectContaining({ code: 'FORBIDDEN', reason: 'BEYOND_AUTHORITY' })]);
    const approved = await decision(approver, { requestId: request.id, approve: true });
    const decided = requestOf(approved, 'decideApprovalRequest').application;
    expect(decided.status).toBe('APPROVED');
    expect(decided.offer).toMatchObject({ status: 'OPEN', amount: '12000.00 USD', annualRatePercent: '16.9' });
    expect(decided.decisions.at(-1)).toMatchObject({ outcome: 'APPROVE', decidedBy: 'approver-1', override: true, overrideReason: reason });

    const report = await gql(server.gateway, `{ policyOverrides(from: "2000-01-01", to: "2099-12-31") { totalCount edges { node { application { id } outcome amount riskGrade failedRules overrideReason recommendedBy decidedBy } } } }`, { token: compliance });
    expect(report.errors, JSON.stringify(report.errors)).toBeUndefined();
    expect(report.data!['policyOverrides']).toEqual({ totalCount: 1, edges: [{ node: {
      application: { id: application.id }, outcome: 'APPROVE', amount: '12000.00 USD', riskGrade: 'C', failedRules: ['amount-band (REFER)'],
      overrideReason: reason, recommendedBy: 'underwriter-1', decidedBy: 'approver-1',
    } }] });
    const none = await gql(server.gateway, '{ policyOverrides(from: "2000-01-01", to: "2000-12-31") { totalCount edges { node { decidedAt } } } }', { token: compliance });
    expect(none.data!['policyOverrides']).toEqual({ totalCount: 0, edges: [] });
  });

  it('a rejected recommendation leaves the application referred; an approved recommendation to decline declines it', async () => {
    const application = await referred('+kyc-pep+bureau-prime', '5000');
    const first = requestOf(await recommendation(maker, { applicationId: application.id, recommendation: 'APPROVE', reason: 'looks fine' }), 'recommendApplication');
    const noReason = await decision(approver, { requestId: first.id, approve: false });
    expect(userErrorCodes(noReason, 'decideApprovalRequest')).toEqual(['BAD_USER_INPUT']);
    const rejected = await decision(approver, { requestId: first.id, approve: false, reason: 'source of wealth not documented' });
    expect(requestOf(rejected, 'decideApprovalRequest')).toMatchObject({ status: 'REJECTED', decisionReason: 'source of wealth not documented', application: { status: 'REFERRED' } });
    const listed = await gql(server.gateway, '{ approvalRequests(status: REJECTED, first: 100) { edges { node { id } } } }', { token: compliance });
    expect(listed.data!['approvalRequests'].edges.map((e: any) => e.node.id)).toContain(first.id);

    const second = requestOf(await recommendation(maker, { applicationId: application.id, recommendation: 'DECLINE', reason: 'source of wealth unexplained' }), 'recommendApplication');
    expect(second.override).toBe(false);
    const pending = await gql(server.gateway, '{ approvalRequests(first: 100) { edges { node { id } } } }', { token: approver });
    expect(pending.data!['approvalRequests'].edges.map((e: any) => e.node.id)).toContain(second.id);
    // Confirming a decline lends nothing: any checker but the maker may.
    const declined = await decision(otherUnderwriter, { requestId: second.id, approve: true });
    const decided = requestOf(declined, 'decideApprovalRequest').application;
    expect(decided.status).toBe('DECLINED');
    expect(decided.offer).toBeNull();
    expect(decided.decisions.at(-1)).toMatchObject({ outcome: 'DECLINE', decidedBy: 'underwriter-2', override: false, reasons: [{ code: 'IDENTITY_NOT_VERIFIED' }] });
    // Only referred applications are underwritten.
    expect(userErrorCodes(await recommendation(maker, { applicationId: application.id, recommendation: 'APPROVE', reason: 'try again' }), 'recommendApplication')).toEqual(['CONFLICT']);
  });

  it('two recommendations racing for the same application: the database lets one through, the other is a CONFLICT', async () => {
    const application = await referred('+kyc-pep+bureau-prime', '3000');
    const raced = await Promise.all([maker, otherUnderwriter, admin].map((token) => recommendation(token, { applicationId: application.id, recommendation: 'APPROVE', reason: 'racing twins' })));
    const refusalsOf = (r: GraphQLResponse) => userErrors(r, 'recommendApplication');
    expect(raced.filter((r) => refusalsOf(r).length === 0 && r.data!['recommendApplication'].approvalRequest !== null)).toHaveLength(1);
    expect(raced.filter((r) => refusalsOf(r).length > 0).map((r) => refusalsOf(r).map((e) => [e.code, /already has a pending approval request/.test(e.message)]))).toEqual([[['CONFLICT', true]], [['CONFLICT', true]]]);
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    expect(await db.approvalRequest.count({ where: { applicationId: decodeGlobalID(application.id).id } })).toBe(1);
    // The error the service turns into that CONFLICT when its own check loses the race.
    const twin = db.approvalRequest.create({ data: {
      id: randomUUID(), applicationId: decodeGlobalID(application.id).id, recommendation: 'decline', amount: '3000', reason: 'twin', status: 'pending', requestedBy: 'someone', requestedAt: new Date(),
    } });
    await expect(twin).rejects.toMatchObject({ code: 'P2002' });
  });

  it('partners and staff without the capability see no queue, requests or overrides, and cannot recommend or decide', async () => {
    const application = await referred('+kyc-pep+bureau-prime', '4000', undefined, partner);
    const requestId = requestOf(await recommendation(maker, { applicationId: application.id, recommendation: 'APPROVE', reason: 'fine by me' }), 'recommendApplication').id;
    for (const token of [partner, officer]) {
      expect(codes(await gql(server.gateway, QUEUE, { token }))).toEqual(['FORBIDDEN']);
      expect(codes(await gql(server.gateway, '{ approvalRequests { totalCount } }', { token }))).toEqual(['FORBIDDEN']);
      expect(codes(await gql(server.gateway, '{ policyOverrides(from: "2000-01-01", to: "2099-12-31") { totalCount } }', { token }))).toEqual(['FORBIDDEN']);
      expect(codes(await recommendation(token, { applicationId: application.id, recommendation: 'DECLINE', reason: 'attack attack' }))).toEqual(['FORBIDDEN']);
      expect(codes(await decision(token, { requestId, approve: true }))).toEqual(['FORBIDDEN']);
    }
    const node = await gql(server.gateway, 'query($id: ID!) { node(id: $id) { id ... on ApprovalRequest { reason } } }', { token: partner, variables: { id: requestId } });
    expect(JSON.stringify(node)).not.toContain('fine by me');
    // Compliance reads but neither recommends nor decides.
    expect(codes(await decision(compliance, { requestId, approve: true }))).toEqual(['FORBIDDEN']);
  });
});
