// A lender setting itself up through the API: its approval authority matrix is versioned data, drafted by one
// tenant admin and activated by someone else (never the maker); approvals after the activation are checked
// against the new version while an earlier approval keeps the version it was made under; bad matrices are
// refused naming the field with nothing written; every move is audited. A non-sandbox tenant without a matrix is
// refused approvals, clearly. A product's document checklist is versioned too: applications keep the version
// they were created under.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGlobalID } from '@pothos/plugin-relay';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from '../../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;
let officer: string;
let maker: string;
let otherAdmin: string;
let approver: string;
let underwriter: string;
let otherUnderwriter: string;
let people = 0;

const MATRIX = 'id version status currency levels { level limits { riskGrade maxAmount } } roles { role levels } createdBy activationRequestedBy activatedBy';
const DRAFT = `mutation($input: DraftApprovalAuthorityMatrixInput!) { draftApprovalAuthorityMatrix(input: $input) { approvalAuthorityMatrix { ${MATRIX} } ${USER_ERRORS} } }`;
const REQUEST = `mutation($input: RequestApprovalAuthorityMatrixActivationInput!) { requestApprovalAuthorityMatrixActivation(input: $input) { approvalAuthorityMatrix { ${MATRIX} } ${USER_ERRORS} } }`;
const DECIDE = `mutation($input: DecideApprovalAuthorityMatrixActivationInput!) { decideApprovalAuthorityMatrixActivation(input: $input) { approvalAuthorityMatrix { ${MATRIX} } ${USER_ERRORS} } }`;

/** Version 2: underwriters approve less (3,000 at A, 1,000 elsewhere), credit-approvers hold only the underwriter level. */
const TIGHTER = {
  levels: [
    { level: 'underwriter', limits: [{ riskGrade: 'A', maxAmount: '3000' }, { riskGrade: '*', maxAmount: '1000' }] },
    { level: 'credit_committee', limits: [{ riskGrade: '*', maxAmount: null }] },
  ],
  roles: [
    { role: 'UNDERWRITER', levels: ['underwriter'] },
    { role: 'CREDIT_APPROVER', levels: ['underwriter'] },
    { role: 'TENANT_ADMIN', levels: ['credit_committee'] },
  ],
};

function applicant() {
  people += 1;
  return {
    kind: 'PERSON', legalName: `Setup Person ${people}`, email: `setup${people}+kyc-pep+bureau-prime@example.test`, phone: `+1415557${String(2000 + people)}`,
    dateOfBirth: '1985-04-12', address: { lines: ['1 Main Street'], city: 'Springfield', postalCode: '12345', country: 'US' },
    identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: `LST${String(100000 + people)}` }],
  };
}

/** A grade-A application the sandbox refers (a politically exposed person), recommended for approval by `underwriter`. */
async function recommended(amount: string): Promise<{ applicationId: string; requestId: string }> {
  const created = await gql(server.gateway, `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application { id status decisions { riskGrade } } ${USER_ERRORS} } }`, {
    token: officer,
    variables: { input: {
      productCode: 'PL-STD', amount, numberOfRepayments: 24, purpose: 'home improvement', applicant: applicant(),
      declaredMonthlyIncome: '30000', monthlyDebtPayments: '300', employer: 'Acme Corp', submit: true,
    } },
  });
  expect(userErrors(created, 'createApplication')).toEqual([]);
  const application = created.data!['createApplication'].application;
  expect(application).toMatchObject({ status: 'REFERRED', decisions: [{ riskGrade: 'A' }] });
  const recommendation = await gql(server.gateway, `mutation($input: RecommendApplicationInput!) { recommendApplication(input: $input) { approvalRequest { id } ${USER_ERRORS} } }`, {
    token: underwriter, variables: { input: { applicationId: application.id, recommendation: 'APPROVE', reason: 'PEP cleared by enhanced due diligence' } },
  });
  expect(userErrors(recommendation, 'recommendApplication')).toEqual([]);
  return { applicationId: application.id, requestId: recommendation.data!['recommendApplication'].approvalRequest.id };
}

async function approve(token: string, requestId: string) {
  return gql(server.gateway, `mutation($input: DecideApprovalRequestInput!) { decideApprovalRequest(input: $input) { approvalRequest { status } ${USER_ERRORS} } }`, {
    token, variables: { input: { requestId, approve: true, reason: 'within authority' } },
  });
}

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('setup'), { sandbox: true, businessDate: '2026-12-01' });
  officer = await devToken(server.runtime, 'loan-officer', tenant.slug, { subject: 'officer-1' });
  maker = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'admin-1' });
  otherAdmin = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'admin-2' });
  approver = await devToken(server.runtime, 'credit-approver', tenant.slug, { subject: 'approver-1' });
  underwriter = await devToken(server.runtime, 'underwriter', tenant.slug, { subject: 'underwriter-1' });
  otherUnderwriter = await devToken(server.runtime, 'underwriter', tenant.slug, { subject: 'underwriter-2' });
});
afterAll(async () => {
  await server.close();
});

describe('the approval authority matrix', () => {
  it('a sandbox tenant starts with the sandbox matrix as version 1, in its currency', async () => {
    const active = await gql(server.gateway, `{ approvalAuthorityMatrix { ${MATRIX} } }`, { token: approver });
    expect(active.errors).toBeUndefined();
    expect(active.data!['approvalAuthorityMatrix']).toMatchObject({
      version: 1, status: 'ACTIVE', currency: 'USD', createdBy: 'sandbox-seed',
      levels: [
        { level: 'underwriter', limits: [{ riskGrade: 'A', maxAmount: '10000.00 USD' }, { riskGrade: 'B', maxAmount: '10000.00 USD' }, { riskGrade: 'C', maxAmount: '10000.00 USD' }] },
        { level: 'senior_underwriter', limits: expect.arrayContaining([{ riskGrade: 'D', maxAmount: '5000.00 USD' }]) },
        { level: 'credit_committee', limits: [{ riskGrade: '*', maxAmount: null }] },
      ],
      roles: [{ role: 'UNDERWRITER', levels: ['underwriter'] }, { role: 'CREDIT_APPROVER', levels: ['senior_underwriter'] }, { role: 'TENANT_ADMIN', levels: ['credit_committee'] }],
    });
  });

  it('bad matrices are refused naming the field, and nothing is written', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const before = await db.approvalAuthorityMatrix.count();
    const cases: [unknown, string, RegExp][] = [
      [{ ...TIGHTER, levels: [{ level: 'underwriter', limits: [{ riskGrade: 'A', maxAmount: '-5' }] }, TIGHTER.levels[1]] }, 'input.levels[0].limits[0].maxAmount', /not negative/],
      [{ ...TIGHTER, levels: [{ level: 'underwriter', limits: [{ riskGrade: 'A', maxAmount: '10' }, { riskGrade: 'A', maxAmount: '20' }] }, TIGHTER.levels[1]] }, 'input.levels[0].limits[1].riskGrade', /overlap/],
      [{ ...TIGHTER, levels: [TIGHTER.levels[1], TIGHTER.levels[0]] }, 'input.levels[1].limits', /unordered/],
      [{ ...TIGHTER, roles: [{ role: 'ORIGINATION_PARTNER', levels: ['underwriter'] }] }, 'input.roles[0].role', /origination-partner is not a role that may hold a level/],
      [{ ...TIGHTER, roles: [{ role: 'UNDERWRITER', levels: ['senior_underwriter'] }] }, 'input.roles[0].levels[0]', /unknown level senior_underwriter/],
      [{ ...TIGHTER, levels: [{ level: 'underwriter', limits: [{ riskGrade: 'A', maxAmount: '10.001' }] }, TIGHTER.levels[1]] }, 'input.levels[0].limits[0].maxAmount', /at most 2 decimal places/],
    ];
    for (const [input, field, message] of cases) {
      const refused = await gql(server.gateway, DRAFT, { token: maker, variables: { input } });
      const errors = userErrors(refused, 'draftApprovalAuthorityMatrix');
      expect(errors, field).toMatchObject([{ code: 'BAD_USER_INPUT', field }]);
      expect(errors[0]!.message).toMatch(message);
      expect(refused.data!['draftApprovalAuthorityMatrix'].approvalAuthorityMatrix).toBeNull();
    }
    expect(await db.approvalAuthorityMatrix.count()).toBe(before);
  });

  it('drafted by one admin, refused to its maker, activated by another person: later approvals use it, an earlier one keeps its own', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    // Under version 1 an underwriter may approve 5,000 at grade A.
    const earlier = await recommended('5000');
    const approvedEarlier = await approve(otherUnderwriter, earlier.requestId);
    expect(userErrors(approvedEarlier, 'decideApprovalRequest')).toEqual([]);

    const drafted = await gql(server.gateway, DRAFT, { token: maker, variables: { input: TIGHTER } });
    expect(userErrors(drafted, 'draftApprovalAuthorityMatrix')).toEqual([]);
    const draft = drafted.data!['draftApprovalAuthorityMatrix'].approvalAuthorityMatrix;
    expect(draft).toMatchObject({ version: 2, status: 'DRAFT', currency: 'USD', createdBy: 'admin-1' });
    expect(draft.levels[0].limits).toEqual([{ riskGrade: 'A', maxAmount: '3000.00 USD' }, { riskGrade: '*', maxAmount: '1000.00 USD' }]);

    // A draft changes nothing, and neither does one pending activation.
    const pending = await gql(server.gateway, REQUEST, { token: maker, variables: { input: { matrixId: draft.id } } });
    expect(userErrors(pending, 'requestApprovalAuthorityMatrixActivation')).toEqual([]);
    expect(pending.data!['requestApprovalAuthorityMatrixActivation'].approvalAuthorityMatrix).toMatchObject({ status: 'PENDING_ACTIVATION', activationRequestedBy: 'admin-1' });
    expect((await gql(server.gateway, '{ approvalAuthorityMatrix { version } }', { token: maker })).data!['approvalAuthorityMatrix']).toEqual({ version: 1 });
    const queue = await gql(server.gateway, '{ pendingApprovalAuthorityMatrixActivations { id } }', { token: approver });
    expect(queue.data!['pendingApprovalAuthorityMatrixActivations']).toEqual([{ id: draft.id }]);

    // The maker may not be the checker, whatever their roles.
    const own = await gql(server.gateway, DECIDE, { token: maker, variables: { input: { matrixId: draft.id, approve: true } } });
    expect(userErrors(own, 'decideApprovalAuthorityMatrixActivation')).toMatchObject([{ code: 'FORBIDDEN', reason: 'MAKER_IS_CHECKER', field: 'input.matrixId' }]);
    // An underwriter holds no capability to decide.
    expect(codes(await gql(server.gateway, DECIDE, { token: underwriter, variables: { input: { matrixId: draft.id, approve: true } } }))).toEqual(['FORBIDDEN']);

    const activated = await gql(server.gateway, DECIDE, { token: otherAdmin, variables: { input: { matrixId: draft.id, approve: true } } });
    expect(userErrors(activated, 'decideApprovalAuthorityMatrixActivation')).toEqual([]);
    expect(activated.data!['decideApprovalAuthorityMatrixActivation'].approvalAuthorityMatrix).toMatchObject({ version: 2, status: 'ACTIVE', activatedBy: 'admin-2' });
    const versions = await gql(server.gateway, '{ approvalAuthorityMatrixVersions { version status } }', { token: approver });
    expect(versions.data!['approvalAuthorityMatrixVersions']).toEqual([{ version: 2, status: 'ACTIVE' }, { version: 1, status: 'RETIRED' }]);

    // The next approval is checked against version 2: 5,000 at A is beyond an underwriter now, and a
    // credit-approver holds only the underwriter level; the refusal names the roles version 2 says may.
    const later = await recommended('5000');
    const beyond = await approve(otherUnderwriter, later.requestId);
    expect(userErrors(beyond, 'decideApprovalRequest')).toMatchObject([{ code: 'FORBIDDEN', reason: 'BEYOND_AUTHORITY' }]);
    expect(userErrors(beyond, 'decideApprovalRequest')[0]!.message).toMatch(/underwriter may approve up to 3000\.00 at grade A\); credit_committee may \(roles holding those levels: tenant-admin\)/);
    expect(userErrorCodesOf(await approve(approver, later.requestId))).toEqual(['FORBIDDEN']);
    const authority = await gql(server.gateway, '{ approvalAuthority(amount: "2500", riskGrade: "A") { levels allowed limit } }', { token: approver });
    expect(authority.data!['approvalAuthority']).toEqual({ levels: ['underwriter'], allowed: true, limit: '3000.00' });
    expect(userErrors(await approve(otherAdmin, later.requestId), 'decideApprovalRequest')).toEqual([]);

    // Each approval recorded the version and limit it was made under.
    const approvals = await db.auditRecord.findMany({ where: { action: 'application.approveRecommendation', entityType: 'Application' }, orderBy: { recorded: 'asc' } });
    const authorities = approvals.map((record) => (record.after as { decision: { authority: unknown } }).decision.authority);
    expect(authorities).toEqual([
      { level: 'underwriter', limit: '10000.00', matrixVersion: 1 },
      { level: 'credit_committee', limit: null, matrixVersion: 2 },
    ]);

    // Every move on the matrix is in the audit trail, by whom.
    const draftId = decodeGlobalID(draft.id).id;
    const seeded = await db.approvalAuthorityMatrix.findFirstOrThrow({ where: { version: 1 } });
    const audit = await db.auditRecord.findMany({ where: { entityType: 'ApprovalAuthorityMatrix' }, orderBy: { recorded: 'asc' } });
    expect(audit.map((record) => [record.action, record.actor, record.entityId])).toEqual([
      ['approvalAuthorityMatrix.draft', 'admin-1', draftId],
      ['approvalAuthorityMatrix.requestActivation', 'admin-1', draftId],
      ['approvalAuthorityMatrix.approveActivation', 'admin-2', seeded.id],
      ['approvalAuthorityMatrix.approveActivation', 'admin-2', draftId],
    ]);
    expect(audit[2]!.after).toMatchObject({ version: 1, status: 'retired' });
    expect(audit[0]!.after).toMatchObject({ levels: [{ level: 'underwriter', limits: [{ riskGrade: 'A', maxAmount: '3000.00' }, { riskGrade: '*', maxAmount: '1000.00' }] }, { level: 'credit_committee' }] });
    const events = await db.outboxEvent.findMany({ where: { aggregateType: 'ApprovalAuthorityMatrix' }, orderBy: { recorded: 'asc' } });
    expect(events.map((event) => event.type)).toEqual([
      'approvalAuthorityMatrix.drafted', 'approvalAuthorityMatrix.activationRequested', 'approvalAuthorityMatrix.retired', 'approvalAuthorityMatrix.activated',
    ]);
  });

  it('a lender that is not a sandbox has no matrix until it sets one up, and approvals say so', async () => {
    const real = await createTenant(server.runtime, uniqueSlug('real'), { sandbox: false, currency: 'KES' });
    const admin = await devToken(server.runtime, 'tenant-admin', real.slug, { subject: 'real-admin' });
    expect((await gql(server.gateway, '{ approvalAuthorityMatrix { version } }', { token: admin })).data!['approvalAuthorityMatrix']).toBeNull();
    const refused = await gql(server.gateway, '{ approvalAuthority(amount: "5000", riskGrade: "A") { allowed } }', { token: admin });
    expect(codes(refused)).toEqual(['CONFLICT']);
    expect(refused.errors![0]!.message).toMatch(/no active approval authority matrix.*draftApprovalAuthorityMatrix/);
    expect(refused.errors![0]!.extensions).toMatchObject({ reason: 'NO_AUTHORITY_MATRIX' });
    // Its matrix is in its own currency.
    const drafted = await gql(server.gateway, DRAFT, { token: admin, variables: { input: TIGHTER } });
    expect(drafted.data!['draftApprovalAuthorityMatrix'].approvalAuthorityMatrix).toMatchObject({ version: 1, currency: 'KES', levels: [{ limits: [{ maxAmount: '3000.00 KES' }, { maxAmount: '1000.00 KES' }] }, {}] });
  });
});

describe('a product\'s document checklist', () => {
  const SET = `mutation($input: SetProductDocumentChecklistInput!) { setProductDocumentChecklist(input: $input) { productDocumentChecklist { version items { kind required description } createdBy } ${USER_ERRORS} } }`;
  async function draftApplication(): Promise<string> {
    const created = await gql(server.gateway, `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application { id } ${USER_ERRORS} } }`, {
      token: officer, variables: { input: { productCode: 'PL-STD', amount: '5000', numberOfRepayments: 12, purpose: 'checklist', applicant: { kind: 'PERSON', legalName: `Checklist Person ${people += 1}` } } },
    });
    expect(userErrors(created, 'createApplication')).toEqual([]);
    return created.data!['createApplication'].application.id;
  }
  const checklistOf = async (id: string) =>
    (await gql(server.gateway, `query($id: ID!) { node(id: $id) { ... on Application { documentChecklist { kind required status } } } }`, { token: officer, variables: { id } })).data!['node'].documentChecklist;

  it('bad checklists are refused naming the field, and nothing is written', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const item = { kind: 'payslip', required: true, description: 'A recent payslip' };
    const cases: [unknown, string][] = [
      [{ productCode: 'NOPE', items: [item] }, 'input.productCode'],
      [{ productCode: 'PL-STD', items: [item, { ...item, kind: 'Bank Statement' }] }, 'input.items[1].kind'],
      [{ productCode: 'PL-STD', items: [item, item] }, 'input.items[1].kind'],
      [{ productCode: 'PL-STD', items: [{ ...item, kind: 'other' }] }, 'input.items[0].kind'],
      [{ productCode: 'PL-STD', items: [{ ...item, description: ' ' }] }, 'input.items[0].description'],
    ];
    for (const [input, field] of cases) {
      const refused = await gql(server.gateway, SET, { token: maker, variables: { input } });
      expect(userErrors(refused, 'setProductDocumentChecklist'), field).toMatchObject([{ code: field === 'input.productCode' ? 'NOT_FOUND' : 'BAD_USER_INPUT', field }]);
    }
    expect(await db.productDocumentChecklist.count()).toBe(0);
    // Only a tenant admin sets one.
    expect(codes(await gql(server.gateway, SET, { token: approver, variables: { input: { productCode: 'PL-STD', items: [item] } } }))).toEqual(['FORBIDDEN']);
  });

  it('applications created after a new version work to it; one created before keeps its own', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const before = await draftApplication();
    const set = await gql(server.gateway, SET, { token: maker, variables: { input: { productCode: 'PL-STD', items: [
      { kind: 'proof_of_identity', required: true, description: 'A passport or national identity card' },
      { kind: 'bank_statement', required: false, description: 'Three months of bank statements, if the applicant has them' },
    ] } } });
    expect(userErrors(set, 'setProductDocumentChecklist')).toEqual([]);
    expect(set.data!['setProductDocumentChecklist'].productDocumentChecklist).toMatchObject({ version: 1, createdBy: 'admin-1' });
    const product = await gql(server.gateway, '{ loanProducts(first: 10) { edges { node { code documentChecklist { version items { kind required } } } } } }', { token: maker });
    expect(product.errors).toBeUndefined();
    expect(product.data!['loanProducts'].edges.find((e: any) => e.node.code === 'PL-STD').node.documentChecklist).toMatchObject({ version: 1, items: [{ kind: 'proof_of_identity', required: true }, { kind: 'bank_statement', required: false }] });

    const after = await draftApplication();
    expect(await checklistOf(before)).toEqual([
      { kind: 'proof_of_identity', required: true, status: 'MISSING' }, { kind: 'proof_of_income', required: true, status: 'MISSING' },
    ]);
    expect(await checklistOf(after)).toEqual([
      { kind: 'proof_of_identity', required: true, status: 'MISSING' }, { kind: 'bank_statement', required: false, status: 'MISSING' },
    ]);

    const audit = await db.auditRecord.findMany({ where: { entityType: 'ProductDocumentChecklist' } });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'productDocumentChecklist.changed', actor: 'admin-1', before: { version: 0, items: [{ kind: 'proof_of_identity' }, { kind: 'proof_of_income' }] } });
    expect(await db.outboxEvent.count({ where: { type: 'productDocumentChecklist.changed' } })).toBe(1);
  });
});

function userErrorCodesOf(response: Awaited<ReturnType<typeof approve>>): string[] {
  return userErrors(response, 'decideApprovalRequest').map((e) => e.code);
}
