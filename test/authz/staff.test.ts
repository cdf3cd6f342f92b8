// Staff, as a lender sets itself up: a tenant admin (a named person) invites people by e-mail with staff roles
// through the API, each gets tokens of their own from the development issuer (by name, as `npm run token --
// --user` does), two disbursement officers are two people to the four-eyes rule, roles change, a deactivated
// person gets no token, every change is audited and announced, and every refusal names its field with nothing
// written on either side (the database nor the identity provider).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGlobalID } from '@pothos/plugin-relay';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { registerPartner } from '../../src/services/partners.js';
import { staffTokenSubject } from '../../src/authz/devStaff.js';
import { developmentIdentity, type StaffIdentity } from '../../src/tenancy/identity.js';
import { changeStaffMemberRoles, inviteStaffMember } from '../../src/services/staff.js';
import { codes, createTenant, devToken, gql, staffToken, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from '../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;
let partner: string;
let reviewer: string;
let boss: string;
let bossId: string;
let people = 0;

const CONSENT = 'I have read the loan agreement, the pre-contract information and the APR, and I agree to borrow on these terms.';
const setup = () => ({ tenant: tenant.slug, actor: { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' }, now: new Date() });

/** A token for a named staff member, as `npm run token -- --tenant SLUG --user EMAIL` makes it. */
const tokenFor = (email: string) => staffToken(server.runtime, tenant, email);

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('staff'), { sandbox: true, businessDate: '2026-12-01' });
  const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
  await registerPartner(db, server.runtime.identity, setup(), { code: 'fintech', name: 'Fintech', kind: 'origination' });
  partner = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'fintech', kind: 'origination' } });
  reviewer = await devToken(server.runtime, 'loan-officer', tenant.slug, { subject: 'document-reviewer' });
  // The lender's own admin, a named person: everything below is done by them through the API.
  const invited = await inviteStaffMember(db, server.runtime.identity, setup(), { email: 'Boss@Lender.example', displayName: 'Bea Boss', roles: ['tenant-admin'] });
  bossId = invited.member.id;
  boss = await tokenFor('boss@lender.example');
});
afterAll(async () => {
  await server.close();
});

const INVITE = `mutation($input: InviteStaffMemberInput!) { inviteStaffMember(input: $input) { staffMember { id email displayName roles status subject invitedBy } requiredActions invitationEmailSent ${USER_ERRORS} } }`;
const CHANGE = `mutation($input: ChangeStaffMemberRolesInput!) { changeStaffMemberRoles(input: $input) { staffMember { id roles changedBy } ${USER_ERRORS} } }`;
const DEACTIVATE = `mutation($input: DeactivateStaffMemberInput!) { deactivateStaffMember(input: $input) { staffMember { id status changedBy } ${USER_ERRORS} } }`;
const REACTIVATE = `mutation($input: ReactivateStaffMemberInput!) { reactivateStaffMember(input: $input) { staffMember { id status roles } ${USER_ERRORS} } }`;

async function invite(email: string, displayName: string, roles: string[]) {
  const response = await gql(server.gateway, INVITE, { token: boss, variables: { input: { email, displayName, roles } } });
  expect(userErrors(response, 'inviteStaffMember')).toEqual([]);
  return response.data!['inviteStaffMember'];
}

async function signedApplication(): Promise<string> {
  people += 1;
  const created = await gql(server.gateway, `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application { id status } ${USER_ERRORS} } }`, { token: partner, variables: { input: {
    productCode: 'PL-STD', amount: '7000', numberOfRepayments: 12, purpose: 'wedding', declaredMonthlyIncome: '7000', monthlyDebtPayments: '200', employer: 'Acme Corp', submit: true,
    applicant: {
      kind: 'PERSON', legalName: `Staff Person ${people}`, email: `staff${people}+bureau-prime@example.test`, phone: `+1415555${String(4000 + people)}`,
      dateOfBirth: '1980-02-29', address: { lines: ['2 High Street'], city: 'Springfield', postalCode: '12345', country: 'US' },
      identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: `STF${String(100000 + people)}` }],
    },
  } } });
  expect(userErrors(created, 'createApplication')).toEqual([]);
  const application = created.data!['createApplication'].application;
  expect(application.status).toBe('APPROVED');
  const move = (name: string, input: string, variables: Record<string, unknown>) =>
    gql(server.gateway, `mutation($input: ${input}) { ${name}(input: $input) { application { status } ${USER_ERRORS} } }`, { token: partner, variables: { input: variables } });
  expect(userErrors(await move('acceptApplicationOffer', 'AcceptApplicationOfferInput!', { applicationId: application.id, consentText: CONSENT }), 'acceptApplicationOffer')).toEqual([]);
  expect(userErrors(await move('signApplicationAgreement', 'SignApplicationAgreementInput!', { applicationId: application.id }), 'signApplicationAgreement')).toEqual([]);
  for (const kind of ['proof_of_identity', 'proof_of_income']) {
    const form = new FormData();
    form.append('kind', kind);
    form.append('file', new Blob([`%PDF-1.7\n% ${kind}\n%%EOF\n`], { type: 'application/pdf' }), `${kind}.pdf`);
    const uploaded = await fetch(`${server.gateway.url.replace(/\/$/, '')}/applications/${encodeURIComponent(application.id)}/documents`, { method: 'POST', body: form, headers: { authorization: `Bearer ${partner}` } });
    expect(uploaded.status).toBe(201);
    const documentId = (await uploaded.json() as { id: string }).id;
    const reviewed = await gql(server.gateway, `mutation($input: ReviewApplicationDocumentInput!) { reviewApplicationDocument(input: $input) { applicationDocument { status } ${USER_ERRORS} } }`, { token: reviewer, variables: { input: { documentId, verified: true } } });
    expect(userErrors(reviewed, 'reviewApplicationDocument')).toEqual([]);
  }
  return application.id;
}

describe('staff of a lender', () => {
  it('two invited disbursement officers are two people: one requests, the same one may not approve, the other does', async () => {
    const ada = await invite('ada@lender.example', 'Ada Officer', ['DISBURSEMENT_OFFICER']);
    const bo = await invite(' Bo@Lender.Example ', 'Bo Officer', ['DISBURSEMENT_OFFICER']);
    expect(ada).toMatchObject({ staffMember: { email: 'ada@lender.example', roles: ['DISBURSEMENT_OFFICER'], status: 'ACTIVE', invitedBy: expect.stringMatching(/^dev-staff:/) }, requiredActions: [], invitationEmailSent: false });
    expect(bo.staffMember.email).toBe('bo@lender.example');
    expect(ada.staffMember.subject).not.toBe(bo.staffMember.subject);
    const [adaToken, boToken] = [await tokenFor('ada@lender.example'), await tokenFor('bo@lender.example')];
    const viewer = await gql(server.gateway, '{ viewer { subject roles } }', { token: adaToken });
    expect(viewer.data!['viewer']).toEqual({ subject: ada.staffMember.subject, roles: ['DISBURSEMENT_OFFICER'] });

    const applicationId = await signedApplication();
    const requested = await gql(server.gateway, `mutation($input: RequestDisbursementInput!) { requestDisbursement(input: $input) { disbursementRequest { id requestedBy } ${USER_ERRORS} } }`, { token: adaToken, variables: { input: { applicationId, disbursementDate: '2026-12-01' } } });
    expect(userErrors(requested, 'requestDisbursement')).toEqual([]);
    const request = requested.data!['requestDisbursement'].disbursementRequest;
    expect(request.requestedBy).toBe(ada.staffMember.subject);
    const DECIDE = `mutation($input: DecideDisbursementInput!) { decideDisbursement(input: $input) { disbursementRequest { status decidedBy loan { status } } ${USER_ERRORS} } }`;
    const self = await gql(server.gateway, DECIDE, { token: adaToken, variables: { input: { requestId: request.id, approve: true } } });
    expect(userErrors(self, 'decideDisbursement')).toEqual([expect.objectContaining({ code: 'FORBIDDEN', reason: 'MAKER_IS_CHECKER' })]);
    const approved = await gql(server.gateway, DECIDE, { token: boToken, variables: { input: { requestId: request.id, approve: true } } });
    expect(userErrors(approved, 'decideDisbursement')).toEqual([]);
    expect(approved.data!['decideDisbursement'].disbursementRequest).toEqual({ status: 'APPROVED', decidedBy: bo.staffMember.subject, loan: { status: 'ACTIVE' } });
  });

  it('changes roles (the next token carries them), deactivates (no token) and reactivates, each audited and announced', async () => {
    const cy = (await invite('cy@lender.example', 'Cy Clerk', ['LOAN_OFFICER'])).staffMember;
    const changed = await gql(server.gateway, CHANGE, { token: boss, variables: { input: { staffMemberId: cy.id, roles: ['UNDERWRITER', 'AUDITOR', 'AUDITOR'] } } });
    expect(userErrors(changed, 'changeStaffMemberRoles')).toEqual([]);
    expect(changed.data!['changeStaffMemberRoles'].staffMember).toMatchObject({ roles: ['UNDERWRITER', 'AUDITOR'], changedBy: expect.stringMatching(/^dev-staff:/) });
    const asCy = await gql(server.gateway, '{ viewer { roles } }', { token: await tokenFor('cy@lender.example') });
    expect(asCy.data!['viewer'].roles).toEqual(['UNDERWRITER', 'AUDITOR']);

    const deactivated = await gql(server.gateway, DEACTIVATE, { token: boss, variables: { input: { staffMemberId: cy.id } } });
    expect(userErrors(deactivated, 'deactivateStaffMember')).toEqual([]);
    expect(deactivated.data!['deactivateStaffMember'].staffMember.status).toBe('DEACTIVATED');
    await expect(tokenFor('cy@lender.example')).rejects.toThrow(/deactivated/);
    const twice = await gql(server.gateway, DEACTIVATE, { token: boss, variables: { input: { staffMemberId: cy.id } } });
    expect(userErrors(twice, 'deactivateStaffMember')).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.staffMemberId' })]);

    const listed = await gql(server.gateway, '{ staffMembers(status: DEACTIVATED, orderBy: INVITED_AT_DESC) { totalCount edges { node { email } } } active: staffMembers(role: DISBURSEMENT_OFFICER) { totalCount edges { node { email } } } }', { token: boss });
    expect(listed.data).toEqual({
      staffMembers: { totalCount: 1, edges: [{ node: { email: 'cy@lender.example' } }] },
      active: { totalCount: 2, edges: [{ node: { email: 'ada@lender.example' } }, { node: { email: 'bo@lender.example' } }] },
    });

    const reactivated = await gql(server.gateway, REACTIVATE, { token: boss, variables: { input: { staffMemberId: cy.id } } });
    expect(userErrors(reactivated, 'reactivateStaffMember')).toEqual([]);
    expect(reactivated.data!['reactivateStaffMember'].staffMember).toMatchObject({ status: 'ACTIVE', roles: ['UNDERWRITER', 'AUDITOR'] });
    await expect(tokenFor('cy@lender.example')).resolves.toEqual(expect.any(String));

    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const id = decodeGlobalID(cy.id).id;
    const audits = await db.auditRecord.findMany({ where: { entityType: 'StaffMember', entityId: id }, orderBy: { occurredAt: 'asc' } });
    expect(audits.map((a) => [a.action, a.before, a.after])).toEqual([
      ['staffMember.invite', null, expect.objectContaining({ email: 'cy@lender.example', roles: ['loan-officer'], status: 'active' })],
      ['staffMember.changeRoles', { roles: ['loan-officer'] }, { roles: ['underwriter', 'auditor'] }],
      ['staffMember.deactivate', { status: 'active' }, { status: 'deactivated' }],
      ['staffMember.reactivate', { status: 'deactivated' }, { status: 'active' }],
    ]);
    expect(new Set(audits.map((a) => a.actor))).toEqual(new Set([(await staffTokenSubject(server.runtime.database.pool, tenant, 'boss@lender.example') as { subject: string }).subject]));
    const events = await db.outboxEvent.findMany({ where: { aggregateType: 'StaffMember', aggregateId: cy.id }, orderBy: { occurredAt: 'asc' } });
    expect(events.map((e) => e.type)).toEqual(['staffMember.invited', 'staffMember.rolesChanged', 'staffMember.deactivated', 'staffMember.reactivated']);
    expect(events[1]!.payload).toEqual({ email: 'cy@lender.example', roles: ['underwriter', 'auditor'], previousRoles: ['loan-officer'] });
  });

  it('refuses, naming the field and writing nothing: a platform or partner role, a bad e-mail, an e-mail already invited, an admin locking themselves out', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const before = { members: await db.staffMember.count(), audits: await db.auditRecord.count(), events: await db.outboxEvent.count() };
    for (const [input, code, field] of [
      [{ email: 'pat@lender.example', displayName: 'Pat', roles: ['PLATFORM_ADMIN'] }, 'BAD_USER_INPUT', 'input.roles'],
      [{ email: 'pat@lender.example', displayName: 'Pat', roles: ['LOAN_OFFICER', 'ORIGINATION_PARTNER'] }, 'BAD_USER_INPUT', 'input.roles'],
      [{ email: 'pat@lender.example', displayName: 'Pat', roles: [] }, 'BAD_USER_INPUT', 'input.roles'],
      [{ email: 'not-an-address', displayName: 'Pat', roles: ['LOAN_OFFICER'] }, 'BAD_USER_INPUT', 'input.email'],
      [{ email: 'pat@lender.example', displayName: '  ', roles: ['LOAN_OFFICER'] }, 'BAD_USER_INPUT', 'input.displayName'],
      // An address already invited, with another name and roles: the first field that differs.
      [{ email: 'BOSS@lender.example', displayName: 'Another Boss', roles: ['LOAN_OFFICER'] }, 'CONFLICT', 'input.displayName'],
    ] as const) {
      const response = await gql(server.gateway, INVITE, { token: boss, variables: { input } });
      expect(response.status).toBe(200);
      expect(userErrors(response, 'inviteStaffMember'), JSON.stringify(input)).toEqual([expect.objectContaining({ code, field })]);
      expect(response.data!['inviteStaffMember'].staffMember).toBeNull();
    }
    const { globalIdOf } = await import('../../src/domain/globalId.js');
    const bossGlobalId = globalIdOf('StaffMember', bossId);
    const demoted = await gql(server.gateway, CHANGE, { token: boss, variables: { input: { staffMemberId: bossGlobalId, roles: ['LOAN_OFFICER'] } } });
    expect(userErrors(demoted, 'changeStaffMemberRoles')).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.roles', message: expect.stringContaining('tenant-admin') })]);
    const gone = await gql(server.gateway, DEACTIVATE, { token: boss, variables: { input: { staffMemberId: bossGlobalId } } });
    expect(userErrors(gone, 'deactivateStaffMember')).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.staffMemberId' })]);
    // Keeping tenant-admin while adding a role is the admin's own business.
    const kept = await gql(server.gateway, CHANGE, { token: boss, variables: { input: { staffMemberId: bossGlobalId, roles: ['TENANT_ADMIN', 'AUDITOR'] } } });
    expect(userErrors(kept, 'changeStaffMemberRoles')).toEqual([]);
    expect(await db.staffMember.count()).toBe(before.members);
    expect(await db.auditRecord.count()).toBe(before.audits + 1);
    expect(await db.outboxEvent.count()).toBe(before.events + 1);
  });

  it('only tenant admins manage staff; auditors read them; partners see none', async () => {
    const auditor = await devToken(server.runtime, 'auditor', tenant.slug);
    const read = await gql(server.gateway, '{ staffMembers { totalCount } }', { token: auditor });
    expect(read.errors).toBeUndefined();
    const invited = await gql(server.gateway, INVITE, { token: auditor, variables: { input: { email: 'eve@lender.example', displayName: 'Eve', roles: ['TENANT_ADMIN'] } } });
    expect(codes(invited)).toEqual(['FORBIDDEN']);
    expect(codes(await gql(server.gateway, '{ staffMembers { totalCount } }', { token: partner }))).toEqual(['FORBIDDEN']);
  });
});

describe('the identity side fails or the database side fails', () => {
  /** The development identity, recording what it was asked, failing where told. */
  function recording(failOn: keyof StaffIdentity | null, subject?: string): StaffIdentity & { calls: string[] } {
    const calls: string[] = [];
    const wrap = <K extends keyof StaffIdentity>(name: K) => (async (...args: unknown[]) => {
      calls.push(name);
      if (name === failOn) throw new Error('identity provider unavailable');
      if (name === 'inviteStaff' && subject) return { subject, requiredActions: [], emailSent: false };
      return (developmentIdentity[name] as (...a: unknown[]) => Promise<unknown>)(...args);
    }) as StaffIdentity[K];
    return { calls, inviteStaff: wrap('inviteStaff'), removeStaff: wrap('removeStaff'), setStaffRoles: wrap('setStaffRoles'), deactivateStaff: wrap('deactivateStaff'), reactivateStaff: wrap('reactivateStaff') };
  }

  it('an identity failure leaves no row, audit record nor event; a database failure after the identity change undoes it there', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const before = { members: await db.staffMember.count(), audits: await db.auditRecord.count() };
    const failing = recording('inviteStaff');
    await expect(inviteStaffMember(db, failing, setup(), { email: 'dee@lender.example', displayName: 'Dee', roles: ['finance'] })).rejects.toThrow('identity provider unavailable');
    expect(await db.staffMember.count()).toBe(before.members);
    // The identity provider hands out a subject the tenant already has: the row is refused, the invitation taken back.
    const taken = (await db.staffMember.findUniqueOrThrow({ where: { id: bossId } })).identitySubject;
    const clashing = recording(null, taken);
    await expect(inviteStaffMember(db, clashing, setup(), { email: 'dee@lender.example', displayName: 'Dee', roles: ['finance'] })).rejects.toThrow();
    expect(clashing.calls).toEqual(['inviteStaff', 'removeStaff']);
    expect(await db.staffMember.count()).toBe(before.members);
    expect(await db.auditRecord.count()).toBe(before.audits);
    // A role change the identity provider refuses changes nothing here.
    const roleFail = recording('setStaffRoles');
    await expect(changeStaffMemberRoles(db, roleFail, setup(), bossId, ['finance'])).rejects.toThrow('identity provider unavailable');
    expect((await db.staffMember.findUniqueOrThrow({ where: { id: bossId } })).roles).toContain('tenant-admin');
  });

  it('two invitations of one address at the same moment ask the identity provider once and take nothing back: both answer the same person', async () => {
    // Keycloak finds a person by address, so both invitations would reach the same account, and the one whose row
    // lost the race would take its invitation back: the person the other had just invited.
    const calls: string[] = [];
    const identity: StaffIdentity = {
      ...developmentIdentity,
      async inviteStaff(_tenant, person) {
        calls.push('inviteStaff');
        await new Promise((resolve) => setTimeout(resolve, 300));
        return { subject: `kc-${person.email}`, requiredActions: ['UPDATE_PASSWORD'], emailSent: false };
      },
      async removeStaff() {
        calls.push('removeStaff');
      },
    };
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const invitation = { email: 'twice@lender.example', displayName: 'Tess Twice', roles: ['finance'] };
    const [one, two] = await Promise.all([inviteStaffMember(db, identity, setup(), invitation), inviteStaffMember(db, identity, setup(), invitation)]);
    expect(calls).toEqual(['inviteStaff']);
    expect(two!.member).toEqual(one!.member);
    expect(await db.staffMember.findMany({ where: { email: 'twice@lender.example' } })).toMatchObject([{ status: 'active', identitySubject: 'kc-twice@lender.example' }]);
  });
});
