// Co-lending from application to loan, through the API: an application the lender puts under an arrangement before
// its offer is offered at the blend of the lender's priced rate and the partner's (the APR on the blended rate),
// beside the same applicant's application priced alone; the blend is the lender's to see, not the origination
// partner's; once offered, the application can no longer be put under an arrangement; and at disbursement the
// partner's share is taken with the payout, in the booking's own transaction, funding its share of the principal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadApplicationDocument } from '../../support/applicationDocuments.js';
import { decodeGlobalID } from '@pothos/plugin-relay';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { registerPartner } from '../../../src/services/partners.js';
import { Decimal } from '../../../src/domain/money.js';
import { blendedRatePercent } from '../../../src/domain/servicing/coLending.js';
import { decideArrangement, proposeArrangement } from '../../../src/services/coLending/arrangements.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, USER_ERRORS, type TestServer } from '../../support/harness.js';
import { apiCalls } from '../../support/apiCalls.js';

let server: TestServer;
const { call, mutate } = apiCalls(() => server);
let tenant: TenantRecord;
let partner: string;
let admin: string;
let officer: string;
let makerOfficer: string;
let checkerOfficer: string;
let arrangementId: string;
let people = 0;

const CONSENT = 'I have read the loan agreement, the pre-contract information and the APR, and I agree to borrow on these terms.';

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('colendapp'), { sandbox: true, businessDate: '2026-12-01' });
  const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
  const setup = { tenant: tenant.slug, actor: { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' }, now: new Date() };
  await registerPartner(db, server.runtime.identity, setup, { code: 'fintech', name: 'Fintech', kind: 'origination' });
  await registerPartner(db, server.runtime.identity, setup, { code: 'bank-one', name: 'Bank One', kind: 'colending' });
  const proposed = await proposeArrangement(db, setup, {
    partnerCode: 'bank-one', name: 'Personal loans', currency: tenant.currency, terms: {
      sharePercent: new Decimal(80), partnerRatePercent: new Decimal('9.5'), model: 'principalPlusPartnerRate', servicingFeePercent: new Decimal('0.5'), guarantee: null,
      sharesFees: false, sharesPenalties: false, productCodes: ['PL-STD'], maxLoanPrincipal: null, totalLimit: null, validFrom: '2026-01-01', validTo: null, borrowerData: 'masked',
    },
  });
  await decideArrangement(db, { ...setup, actor: { ...setup.actor, subject: 'test-checker' } }, { arrangementId: proposed.arrangementId, version: 1, approve: true, reason: null });
  arrangementId = Buffer.from(`CoLendingArrangement:${proposed.arrangementId}`).toString('base64');
  partner = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'fintech', kind: 'origination' } });
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'co-lending-admin' });
  officer = await devToken(server.runtime, 'loan-officer', tenant.slug, { subject: 'officer-1' });
  makerOfficer = await devToken(server.runtime, 'disbursement-officer', tenant.slug, { subject: 'disbursement-maker' });
  checkerOfficer = await devToken(server.runtime, 'disbursement-officer', tenant.slug, { subject: 'disbursement-checker' });
}, 120_000);
afterAll(async () => {
  await server?.close();
});

function applicant() {
  people += 1;
  return {
    kind: 'PERSON', legalName: `Co-lent Person ${people}`, email: `colent${people}+bureau-prime@example.test`, phone: `+1415555${String(4000 + people)}`,
    dateOfBirth: '1980-02-29', address: { lines: ['2 High Street'], city: 'Springfield', postalCode: '12345', country: 'US' },
    identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: `COL${String(100000 + people)}` }],
  };
}

const APPLY = `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application { id status offer { annualRatePercent aprPercent } } ${USER_ERRORS} } }`;
const draft = async (submit: boolean) => {
  const { errors, data } = await mutate(partner, 'createApplication', APPLY, {
    idempotencyKey: `colent-${people}-${Date.now()}`, productCode: 'PL-STD', amount: '7000', numberOfRepayments: 12, purpose: 'wedding',
    applicant: applicant(), declaredMonthlyIncome: '7000', monthlyDebtPayments: '200', employer: 'Acme Corp', submit,
  });
  expect(errors).toEqual([]);
  return data.application as { id: string; status: string; offer: { annualRatePercent: string; aprPercent: string } | null };
};
const SET = `mutation($input: SetApplicationCoLendingInput!) { setApplicationCoLending(input: $input) { application { id coLendingArrangement { name } } ${USER_ERRORS} } }`;
const MOVE = (name: string, input: string) => `mutation($input: ${input}) { ${name}(input: $input) { application { status } ${USER_ERRORS} } }`;

const upload = (applicationId: string, kind: string) => uploadApplicationDocument(server.gateway.url, partner, applicationId, kind);

describe('co-lending from application to loan', () => {
  it('offers a co-lent application at the blended rate and takes the partner\'s share with the payout', { timeout: 300_000 }, async () => {
    // The same applicant profile priced alone: the lender's own rate for the grade.
    const alone = await draft(true);
    expect(alone.status).toBe('APPROVED');
    const lenderRate = new Decimal(alone.offer!.annualRatePercent);

    // Put under the arrangement before it is submitted (an origination partner may not; nor once offered).
    const application = await draft(false);
    expect(codes(await gql(server.gateway, SET, { token: partner, variables: { input: { applicationId: application.id, arrangementId } } }))).toEqual(['FORBIDDEN']);
    expect((await mutate(admin, 'setApplicationCoLending', SET, { applicationId: alone.id, arrangementId })).errors)
      .toEqual([{ code: 'CONFLICT', reason: null, field: 'input.applicationId', message: 'the application is approved: its offer is made; co-lending is decided before' }]);
    const set = await mutate(admin, 'setApplicationCoLending', SET, { applicationId: application.id, arrangementId });
    expect(set.errors).toEqual([]);
    expect(set.data.application.coLendingArrangement).toEqual({ name: 'Personal loans' });
    const submitted = await gql(server.gateway, MOVE('submitApplication', 'SubmitApplicationInput!'), { token: partner, variables: { input: { applicationId: application.id } } });
    expect(submitted.errors, JSON.stringify(submitted.errors)).toBeUndefined();

    // Offered at the blend: 80 % at 9.5 % and the lender's 20 % at its priced rate; the APR on the blended rate.
    const OFFER = `query($id: ID!) { node(id: $id) { ... on Application { status offer { annualRatePercent aprPercent coLending { partnerSharePercent partnerRatePercent lenderRatePercent arrangementVersion } } } } }`;
    const offered = (await call(admin, OFFER, { id: application.id }))['node'];
    const blended = blendedRatePercent(lenderRate, [{ sharePercent: new Decimal(80), partnerRatePercent: new Decimal('9.5') }]);
    expect(offered.status).toBe('APPROVED');
    expect(offered.offer).toMatchObject({ annualRatePercent: blended.toString(), coLending: { partnerSharePercent: '80', partnerRatePercent: '9.5', lenderRatePercent: lenderRate.toString(), arrangementVersion: 1 } });
    expect(new Decimal(offered.offer.aprPercent).lt(new Decimal(alone.offer!.aprPercent))).toBe(blended.lt(lenderRate));
    // The origination partner sees the borrower's rate and APR, not how the lenders split them.
    const seen = await gql(server.gateway, OFFER, { token: partner, variables: { id: application.id } });
    expect(seen.errors?.map((e) => e.extensions?.['code'])).toEqual(['FORBIDDEN']);

    // Accepted, signed, documents verified; one officer asks, another approves: the loan and the share, together.
    for (const [name, input, extra] of [['acceptApplicationOffer', 'AcceptApplicationOfferInput!', { consentText: CONSENT }], ['signApplicationAgreement', 'SignApplicationAgreementInput!', {}]] as const) {
      const moved = await gql(server.gateway, MOVE(name, input), { token: partner, variables: { input: { applicationId: application.id, ...extra } } });
      expect(moved.errors, JSON.stringify(moved.errors)).toBeUndefined();
      expect(moved.data![name].userErrors).toEqual([]);
    }
    for (const kind of ['proof_of_identity', 'proof_of_income']) {
      const documentId = await upload(application.id, kind);
      expect((await mutate(officer, 'reviewApplicationDocument', `mutation($input: ReviewApplicationDocumentInput!) { reviewApplicationDocument(input: $input) { applicationDocument { status } ${USER_ERRORS} } }`,
        { documentId, verified: true })).errors).toEqual([]);
    }
    const requested = await mutate(makerOfficer, 'requestDisbursement', `mutation($input: RequestDisbursementInput!) { requestDisbursement(input: $input) { disbursementRequest { id } ${USER_ERRORS} } }`,
      { applicationId: application.id, disbursementDate: '2026-12-01' });
    expect(requested.errors).toEqual([]);
    const decided = await mutate(checkerOfficer, 'decideDisbursement', `mutation($input: DecideDisbursementInput!) { decideDisbursement(input: $input) { disbursementRequest { loan { id status participations { partnerCode sharePercent from funded principalOutstanding borrowerRatePercent } } } ${USER_ERRORS} } }`,
      { requestId: requested.data.disbursementRequest.id, approve: true });
    expect(decided.errors).toEqual([]);
    // The officer may read the loan but not co-lending: read the share as finance.
    const loanId = decided.data.disbursementRequest.loan.id as string;
    const finance = await devToken(server.runtime, 'finance', tenant.slug);
    const loan = (await call(finance, `query($id: ID!) { node(id: $id) { ... on Loan { status participations { partnerCode sharePercent from funded principalOutstanding borrowerRatePercent } } } }`, { id: loanId }))['node'];
    expect(loan).toEqual({ status: 'ACTIVE', participations: [{ partnerCode: 'bank-one', sharePercent: '80', from: '2026-12-01', funded: '5600.00 USD', principalOutstanding: '5600.00 USD', borrowerRatePercent: blended.toString() }] });
    // The co-lending partner sees its share and, as its arrangement masks borrower data, the borrower masked.
    const bank = await devToken(server.runtime, 'colending-partner', tenant.slug, { partner: { id: 'bank-one', kind: 'colending' } });
    const share = (await call(bank, '{ loanParticipations(first: 5) { edges { node { funded borrower { kind initials city yearOfBirth } } } } }'))['loanParticipations'].edges;
    expect(share).toEqual([{ node: { funded: '5600.00 USD', borrower: { kind: 'PERSON', initials: 'C. P. 2.', city: 'Springfield', yearOfBirth: 1980 } } }]);
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    expect(await db.outboxEvent.count({ where: { partnerScope: 'bank-one', type: 'loanParticipation.assigned' } })).toBe(1);
    expect((await db.loanParticipation.findFirstOrThrow({ where: { loanId: decodeGlobalID(loanId).id } })).arrangementVersion).toBe(1);
    expect((await call(finance, '{ ledgerInvariants { holds participationsOffLedger } }'))['ledgerInvariants']).toEqual({ holds: true, participationsOffLedger: 0 });
  });

  it('refuses an application that will never be lent as what it is, not as one whose offer is made', async () => {
    const application = await draft(false);
    const withdrawn = await gql(server.gateway, MOVE('withdrawApplication', 'WithdrawApplicationInput!'), { token: partner, variables: { input: { applicationId: application.id } } });
    expect(withdrawn.data!['withdrawApplication']).toEqual({ application: { status: 'WITHDRAWN' }, userErrors: [] });
    expect((await mutate(admin, 'setApplicationCoLending', SET, { applicationId: application.id, arrangementId })).errors)
      .toEqual([{ code: 'CONFLICT', reason: null, field: 'input.applicationId', message: 'the application is withdrawn: it will never be lent, so there is nothing to lend with a partner' }]);
  });
});
