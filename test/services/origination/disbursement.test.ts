// From a partner's submission to an active loan, through the API only: automated decision and offer, consent,
// agreement generated and signed, documents uploaded and verified, disbursement requested by one officer and
// approved by another — which books the loan in the same transaction as the application's move to disbursed,
// idempotently — and the partner following it all, live. Applications that are declined or withdrawn can never
// be disbursed, and a booking that fails leaves nothing half done.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadApplicationDocument } from '../../support/applicationDocuments.js';
import { globalIdOf } from '../../../src/domain/globalId.js';
import { decodeGlobalID } from '@pothos/plugin-relay';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { registerPartner } from '../../../src/services/partners.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, userErrorCodes, userErrors, USER_ERRORS, type TestServer } from '../../support/harness.js';
import { subscribe, until } from '../../support/ws.js';

let server: TestServer;
let tenant: TenantRecord;
let partner: string;
let officer: string;
let makerOfficer: string;
let checkerOfficer: string;
let people = 0;

const CONSENT = 'I have read the loan agreement, the pre-contract information and the APR, and I agree to borrow on these terms.';

beforeAll(async () => {
  // Behind a proxy on loopback, as behind an ingress: the borrower's address is the one it forwards.
  server = await startTestServer({ TRUST_PROXY: 'loopback' });
  tenant = await createTenant(server.runtime, uniqueSlug('handoff'), { sandbox: true, businessDate: '2026-12-01' });
  const actor = { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' };
  await registerPartner(server.runtime.tenantClients.forSchema(tenant.schemaName), server.runtime.identity, { tenant: tenant.slug, actor, now: new Date() }, { code: 'fintech', name: 'Fintech', kind: 'origination' });
  partner = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'fintech', kind: 'origination' } });
  officer = await devToken(server.runtime, 'loan-officer', tenant.slug, { subject: 'officer-1' });
  makerOfficer = await devToken(server.runtime, 'disbursement-officer', tenant.slug, { subject: 'disbursement-maker' });
  checkerOfficer = await devToken(server.runtime, 'disbursement-officer', tenant.slug, { subject: 'disbursement-checker' });
});
afterAll(async () => {
  await server.close();
});

function applicant(tags = '') {
  people += 1;
  return {
    kind: 'PERSON', legalName: `Handoff Person ${people}`, email: `handoff${people}${tags}@example.test`, phone: `+1415555${String(3000 + people)}`,
    dateOfBirth: '1980-02-29', address: { lines: ['2 High Street'], city: 'Springfield', postalCode: '12345', country: 'US' },
    identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: `HND${String(100000 + people)}` }],
  };
}

const APPLY = `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application { id reference status offer { amount aprPercent } } ${USER_ERRORS} } }`;
async function apply(tags: string) {
  const response = await gql(server.gateway, APPLY, { token: partner, variables: { input: {
    idempotencyKey: `apply-${people}-${tags}-${Date.now()}`, productCode: 'PL-STD', amount: '7000', numberOfRepayments: 12, purpose: 'wedding',
    applicant: applicant(tags), declaredMonthlyIncome: '7000', monthlyDebtPayments: '200', employer: 'Acme Corp', submit: true,
  } } });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  expect(response.data!['createApplication'].userErrors).toEqual([]);
  return response.data!['createApplication'].application;
}

const upload = (applicationId: string, kind: string) => uploadApplicationDocument(server.gateway.url, partner, applicationId, kind);

const MOVE = (name: string, input: string) => `mutation($input: ${input}) { ${name}(input: $input) { application { status } ${USER_ERRORS} } }`;

async function toSigned(application: { id: string }) {
  const accepted = await gql(server.gateway, MOVE('acceptApplicationOffer', 'AcceptApplicationOfferInput!'), { token: partner, variables: { input: { applicationId: application.id, consentText: CONSENT } }, headers: { 'user-agent': 'fintech-app/1.0', 'x-forwarded-for': '203.0.113.9' } });
  expect(accepted.errors, JSON.stringify(accepted.errors)).toBeUndefined();
  expect(accepted.data!['acceptApplicationOffer']).toEqual({ application: { status: 'OFFER_ACCEPTED' }, userErrors: [] });
  const signed = await gql(server.gateway, MOVE('signApplicationAgreement', 'SignApplicationAgreementInput!'), { token: partner, variables: { input: { applicationId: application.id } } });
  expect(signed.errors, JSON.stringify(signed.errors)).toBeUndefined();
  expect(signed.data!['signApplicationAgreement']).toEqual({ application: { status: 'AGREEMENT_SIGNED' }, userErrors: [] });
  for (const kind of ['proof_of_identity', 'proof_of_income']) {
    const documentId = await upload(application.id, kind);
    const reviewed = await gql(server.gateway, `mutation($input: ReviewApplicationDocumentInput!) { reviewApplicationDocument(input: $input) { applicationDocument { status } ${USER_ERRORS} } }`, { token: officer, variables: { input: { documentId, verified: true } } });
    expect(reviewed.errors, JSON.stringify(reviewed.errors)).toBeUndefined();
    expect(reviewed.data!['reviewApplicationDocument']).toEqual({ applicationDocument: { status: 'VERIFIED' }, userErrors: [] });
  }
}

const REQUEST = `mutation($input: RequestDisbursementInput!) { requestDisbursement(input: $input) { disbursementRequest { id status requestedBy } ${USER_ERRORS} } }`;
const DECIDE = `mutation($input: DecideDisbursementInput!) { decideDisbursement(input: $input) { disbursementRequest { status decidedBy loan { id status principal application { reference } } } ${USER_ERRORS} } }`;

describe('hand-off to servicing', () => {
  it('walks a partner\'s application to an active loan through the API, the partner following it live', async () => {
    const actor = { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' };
    await registerPartner(server.runtime.tenantClients.forSchema(tenant.schemaName), server.runtime.identity, { tenant: tenant.slug, actor, now: new Date() }, { code: 'rival', name: 'Rival', kind: 'origination' });
    const rival = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'rival', kind: 'origination' } });
    const HOOK = `mutation($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { webhookEndpoint { id } ${USER_ERRORS} } }`;
    for (const token of [partner, rival]) {
      const hook = await gql(server.gateway, HOOK, { token, variables: { input: { url: 'https://partner.example.test/hooks', eventTypes: ['application.*', 'loan.*'] } } });
      expect(hook.errors, JSON.stringify(hook.errors)).toBeUndefined();
      expect(hook.data!['registerWebhookEndpoint'].userErrors).toEqual([]);
      expect(hook.data!['registerWebhookEndpoint'].webhookEndpoint.id).toEqual(expect.any(String));
    }
    const live = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${partner}` }, 'subscription { events(after: "0") { type aggregateType aggregateId } }');
    const rivalLive = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${rival}` }, 'subscription { events(after: "0") { type aggregateType aggregateId } }');
    const application = await apply('+bureau-prime');
    expect(application.status).toBe('APPROVED');
    expect(application.offer.amount).toBe('7000.00 USD');
    await toSigned(application);

    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const offer = await db.applicationOffer.findFirstOrThrow({ where: { applicationId: decodeGlobalID(application.id).id } });
    expect(offer).toMatchObject({ status: 'accepted', consentText: CONSENT, consentUserAgent: 'fintech-app/1.0' });
    expect(offer.consentSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(offer.consentIp).toBe('203.0.113.9');
    const documents = await db.applicationDocument.findMany({ where: { applicationId: decodeGlobalID(application.id).id, kind: { in: ['agreement', 'signed_agreement'] } } });
    expect(documents.map((d) => [d.kind, d.status])).toEqual(expect.arrayContaining([['agreement', 'generated'], ['signed_agreement', 'signed']]));

    // A first repayment the booking would refuse is refused when asked: no request is stored that its checker cannot approve.
    for (const firstRepaymentDate of ['2199-12-31', '2027-02-02', '2026-12-01']) {
      const refused = await gql(server.gateway, REQUEST, { token: makerOfficer, variables: { input: { applicationId: application.id, disbursementDate: '2026-12-01', firstRepaymentDate } } });
      expect(userErrors(refused, 'requestDisbursement'), firstRepaymentDate).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.firstRepaymentDate' })]);
    }
    expect(await db.disbursementRequest.count({ where: { applicationId: decodeGlobalID(application.id).id } })).toBe(0);
    const requested = await gql(server.gateway, REQUEST, { token: makerOfficer, variables: { input: { applicationId: application.id, disbursementDate: '2026-12-01' } } });
    expect(requested.errors, JSON.stringify(requested.errors)).toBeUndefined();
    expect(requested.data!['requestDisbursement'].userErrors).toEqual([]);
    const requestId = requested.data!['requestDisbursement'].disbursementRequest.id;
    const duplicate = await gql(server.gateway, REQUEST, { token: makerOfficer, variables: { input: { applicationId: application.id, disbursementDate: '2026-12-01' } } });
    expect(duplicate.status).toBe(200);
    expect(userErrorCodes(duplicate, 'requestDisbursement')).toEqual(['CONFLICT']);
    expect(duplicate.data!['requestDisbursement'].disbursementRequest).toBeNull();
    const self = await gql(server.gateway, DECIDE, { token: makerOfficer, variables: { input: { requestId, approve: true } } });
    expect(userErrors(self, 'decideDisbursement')).toEqual([expect.objectContaining({ code: 'FORBIDDEN', reason: 'MAKER_IS_CHECKER', field: 'input.requestId' })]);
    expect(self.data!['decideDisbursement'].disbursementRequest).toBeNull();
    const key = `disburse-${requestId}`;
    const [first, twin] = await Promise.all([0, 1].map(() => gql(server.gateway, DECIDE, { token: checkerOfficer, variables: { input: { idempotencyKey: key, requestId, approve: true } } })));
    expect(first!.errors, JSON.stringify(first!.errors)).toBeUndefined();
    expect(twin!.errors, JSON.stringify(twin!.errors)).toBeUndefined();
    expect([userErrors(first!, 'decideDisbursement'), userErrors(twin!, 'decideDisbursement')]).toEqual([[], []]);
    const decided = first!.data!['decideDisbursement'].disbursementRequest;
    expect(decided).toMatchObject({ status: 'APPROVED', decidedBy: 'disbursement-checker', loan: { status: 'ACTIVE', principal: '7000.00 USD', application: { reference: application.reference } } });
    expect(twin!.data!['decideDisbursement'].disbursementRequest.loan.id).toBe(decided.loan.id);
    expect(await db.loan.count({ where: { applicationId: decodeGlobalID(application.id).id } })).toBe(1);

    // The loan keeps its origination by reference, and its terms are the accepted offer's.
    const loan = await db.loan.findUniqueOrThrow({ where: { id: decodeGlobalID(decided.loan.id).id } });
    expect(loan).toMatchObject({ offerId: offer.id, decisionId: offer.decisionId, originationPartner: 'fintech' });
    expect((loan.terms as { annualRatePercent: string }).annualRatePercent).toBe(offer.annualRatePercent.toString());
    const seen = await gql(server.gateway, `query($id: ID!) { node(id: $id) { ... on Application { status loan { status receivable { principal } } } } }`, { token: partner, variables: { id: application.id } });
    expect(seen.data!['node']).toEqual({ status: 'DISBURSED', loan: { status: 'ACTIVE', receivable: { principal: '7000.00 USD' } } });
    const books = await gql(server.gateway, '{ ledgerInvariants { holds loans } }', { token: await devToken(server.runtime, 'finance', tenant.slug) });
    expect(books.data!['ledgerInvariants']).toEqual({ holds: true, loans: 1 });

    await until(() => live.results.some((r: any) => r.data?.events.type === 'loan.disbursed'));
    const types = live.results.map((r: any) => r.data.events.type);
    expect(types).toEqual(expect.arrayContaining(['application.created', 'application.approved', 'application.offerMade', 'application.offerAccepted', 'application.agreementSigned', 'application.disbursed', 'loan.disbursed']));
    await live.stop();
    // The other partner saw none of it, live or by webhook; the partner's webhook has a delivery of each.
    expect(rivalLive.results.filter((r: any) => r.data?.events.aggregateType === 'Application' || r.data?.events.aggregateType === 'Loan')).toEqual([]);
    await rivalLive.stop();
    for (let waited = 0; (await db.webhookDelivery.count({ where: { partnerCode: 'fintech', eventType: 'loan.disbursed' } })) === 0; waited += 100) {
      if (waited > 10_000) throw new Error('no webhook delivery of loan.disbursed');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const delivered = await db.webhookDelivery.findMany({ where: { partnerCode: { in: ['fintech', 'rival'] } } });
    expect(delivered.filter((d) => d.partnerCode === 'rival')).toEqual([]);
    expect(delivered.map((d) => d.eventType)).toEqual(expect.arrayContaining(['application.approved', 'application.disbursed', 'loan.disbursed']));
  });

  it('declined or withdrawn applications can never be disbursed; a disbursed one not twice', async () => {
    const declined = await apply('+kyc-fail');
    expect(declined.status).toBe('DECLINED');
    const refused = await gql(server.gateway, REQUEST, { token: makerOfficer, variables: { input: { applicationId: declined.id, disbursementDate: '2026-12-01' } } });
    expect(userErrorCodes(refused, 'requestDisbursement')).toEqual(['CONFLICT']);
    const approved = await apply('+bureau-prime');
    const withdrawn = await gql(server.gateway, MOVE('withdrawApplication', 'WithdrawApplicationInput!'), { token: partner, variables: { input: { applicationId: approved.id, reason: 'changed mind' } } });
    expect(withdrawn.data!['withdrawApplication']).toEqual({ application: { status: 'WITHDRAWN' }, userErrors: [] });
    expect(userErrorCodes(await gql(server.gateway, MOVE('acceptApplicationOffer', 'AcceptApplicationOfferInput!'), { token: partner, variables: { input: { applicationId: approved.id, consentText: CONSENT } } }), 'acceptApplicationOffer')).toEqual(['CONFLICT']);
    expect(userErrorCodes(await gql(server.gateway, REQUEST, { token: makerOfficer, variables: { input: { applicationId: approved.id, disbursementDate: '2026-12-01' } } }), 'requestDisbursement')).toEqual(['CONFLICT']);
    const id = decodeGlobalID(approved.id).id;
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    expect(await db.disbursementRequest.count({ where: { applicationId: { in: [id, decodeGlobalID(declined.id).id] } } })).toBe(0);
  });

  it('offers not taken by their date, and drafts never submitted, lapse; an expired application goes nowhere', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const approved = await apply('+bureau-prime');
    const draft = await gql(server.gateway, APPLY, { token: partner, variables: { input: {
      productCode: 'PL-STD', amount: '7000', numberOfRepayments: 12, purpose: 'holiday', applicant: applicant(), submit: false,
    } } });
    expect(draft.data!['createApplication'].userErrors).toEqual([]);
    const draftId = decodeGlobalID(draft.data!['createApplication'].application.id).id;
    // Time passes (below the API): the offer's date is behind the business date, the draft made two months of business days before.
    await db.applicationOffer.updateMany({ where: { applicationId: decodeGlobalID(approved.id).id }, data: { validUntil: new Date('2026-11-30T00:00:00Z') } });
    await db.application.update({ where: { id: draftId }, data: { createdOn: new Date('2026-10-01T00:00:00Z') } });
    const officerToken = await devToken(server.runtime, 'loan-officer', tenant.slug);
    const swept = await gql(server.gateway, `mutation { expireStaleApplications { expired { id status history { event reason } } ${USER_ERRORS} } }`, { token: officerToken });
    expect(swept.errors, JSON.stringify(swept.errors)).toBeUndefined();
    expect(swept.data!['expireStaleApplications'].userErrors).toEqual([]);
    const expired = swept.data!['expireStaleApplications'].expired;
    expect(expired.map((a: any) => a.id).sort()).toEqual([approved.id, draft.data!['createApplication'].application.id].sort());
    expect(expired.every((a: any) => a.status === 'EXPIRED')).toBe(true);
    expect(expired.find((a: any) => a.id === approved.id).history.at(-1)).toEqual({ event: 'expire', reason: 'the offer lapsed' });
    expect((await db.applicationOffer.findFirstOrThrow({ where: { applicationId: decodeGlobalID(approved.id).id } })).status).toBe('expired');
    expect(userErrorCodes(await gql(server.gateway, MOVE('acceptApplicationOffer', 'AcceptApplicationOfferInput!'), { token: partner, variables: { input: { applicationId: approved.id, consentText: CONSENT } } }), 'acceptApplicationOffer')).toEqual(['CONFLICT']);
    expect(userErrorCodes(await gql(server.gateway, REQUEST, { token: makerOfficer, variables: { input: { applicationId: approved.id, disbursementDate: '2026-12-01' } } }), 'requestDisbursement')).toEqual(['CONFLICT']);
  });

  it('a booking that fails leaves the application, the request and the books exactly as they were', async () => {
    const application = await apply('+bureau-prime');
    await toSigned(application);
    const requested = await gql(server.gateway, REQUEST, { token: makerOfficer, variables: { input: { applicationId: application.id, disbursementDate: '2026-12-01' } } });
    expect(requested.errors, JSON.stringify(requested.errors)).toBeUndefined();
    expect(requested.data!['requestDisbursement'].userErrors).toEqual([]);
    const requestId = requested.data!['requestDisbursement'].disbursementRequest.id;
    // Sabotage below the API: the product now posts cash to an account the chart lacks, so the
    // ledger refuses the booking's journal — after the application's transition, inside the same transaction.
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    await db.loanProduct.update({ where: { code: 'PL-STD' }, data: { accountMapping: { cash: 'NO-SUCH-ACCOUNT' } } });
    const failed = await gql(server.gateway, DECIDE, { token: checkerOfficer, variables: { input: { requestId, approve: true } } });
    await db.loanProduct.update({ where: { code: 'PL-STD' }, data: { accountMapping: {} } });
    expect(codes(failed)).toEqual(['INTERNAL']);
    expect(JSON.stringify(failed.errors)).not.toMatch(/NO-SUCH-ACCOUNT|journal_line|violat/);
    const id = decodeGlobalID(application.id).id;
    expect((await db.application.findUniqueOrThrow({ where: { id } })).status).toBe('disbursement_requested');
    expect(await db.loan.count({ where: { applicationId: id } })).toBe(0);
    expect((await db.disbursementRequest.findFirstOrThrow({ where: { applicationId: id } })).status).toBe('pending');
    expect(await db.outboxEvent.count({ where: { aggregateId: globalIdOf('Application', id), type: 'application.disbursed' } })).toBe(0);
    // The checker rejects it instead; the agreement stands and a corrected request can follow.
    const rejected = await gql(server.gateway, DECIDE, { token: checkerOfficer, variables: { input: { requestId, approve: false, reason: 'wrong first due date' } } });
    expect(rejected.data!['decideDisbursement']).toMatchObject({ disbursementRequest: { status: 'REJECTED' }, userErrors: [] });
    expect((await db.application.findUniqueOrThrow({ where: { id } })).status).toBe('agreement_signed');
  });

  it('a loan that cannot be booked on the request\'s date is refused naming the request, NOT_BOOKABLE: nothing is written, and the checker rejects it', async () => {
    // The offer's figures were for its decision date; paid out later, its terms may make a schedule the offer never
    // had. Below the API, each offer is given terms that do so on the request's date: a multiple too coarse for the
    // loan, and a rate at which it would repay 10^15 or more. Neither is anything the checker sends.
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const cases: [string, (terms: Record<string, unknown>) => Record<string, unknown>, RegExp, string?][] = [
      ['too coarse', (terms) => ({ ...terms, instalmentMultiple: '1000' }), /the multiple is too coarse for this loan/],
      ['beyond the ceiling', (terms) => ({ ...terms, annualRatePercent: '1000' }), /would repay \d{16,}(\.\d+)? USD in all .*: what a loan repays must be less than 10\^15/],
      // Asked within two months, the offer now weekly: its first repayment is more than two periods away.
      ['a first repayment too late', (terms) => ({ ...terms, repaymentEvery: { every: 1, unit: 'weeks' } }), /at most two repayment periods after the disbursement date: 2026-12-15/, '2027-01-15'],
    ];
    for (const [what, change, words, firstRepaymentDate] of cases) {
      const application = await apply('+bureau-prime');
      await toSigned(application);
      const requested = await gql(server.gateway, REQUEST, { token: makerOfficer, variables: { input: { applicationId: application.id, disbursementDate: '2026-12-01', firstRepaymentDate } } });
      expect(userErrors(requested, 'requestDisbursement')).toEqual([]);
      const requestId = requested.data!['requestDisbursement'].disbursementRequest.id;
      const id = decodeGlobalID(application.id).id;
      const offer = await db.applicationOffer.findFirstOrThrow({ where: { applicationId: id, status: 'accepted' } });
      await db.applicationOffer.update({ where: { id: offer.id }, data: {
        terms: change(offer.terms as Record<string, unknown>) as object, ...(what === 'beyond the ceiling' ? { amount: '500000000000000' } : {}),
      } });
      const refused = await gql(server.gateway, DECIDE, { token: checkerOfficer, variables: { input: { requestId, approve: true } } });
      expect(userErrors(refused, 'decideDisbursement'), what).toEqual([expect.objectContaining({
        code: 'CONFLICT', reason: 'NOT_BOOKABLE', field: 'input.requestId', message: expect.stringMatching(words),
      })]);
      expect(refused.data!['decideDisbursement'].disbursementRequest).toBeNull();
      expect((await db.application.findUniqueOrThrow({ where: { id } })).status).toBe('disbursement_requested');
      expect(await db.loan.count({ where: { applicationId: id } })).toBe(0);
      expect((await db.disbursementRequest.findFirstOrThrow({ where: { applicationId: id } })).status).toBe('pending');
      const rejected = await gql(server.gateway, DECIDE, { token: checkerOfficer, variables: { input: { requestId, approve: false, reason: 'not bookable on this date' } } });
      expect(rejected.data!['decideDisbursement']).toMatchObject({ disbursementRequest: { status: 'REJECTED' }, userErrors: [] });
    }
  });

  it('a disbursement request repeated with its idempotency key answers the request made the first time, never a second one', async () => {
    const [application, another] = [await apply('+bureau-prime'), await apply('+bureau-prime')];
    await toSigned(application);
    await toSigned(another);
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const requests = (app: { id: string }) => db.disbursementRequest.findMany({ where: { applicationId: decodeGlobalID(app.id).id } });
    const ask = (token: string, input: Record<string, unknown>) => gql(server.gateway, REQUEST, { token, variables: { input: { idempotencyKey: 'request-payout-1', ...input } } });

    const first = await ask(makerOfficer, { applicationId: application.id, disbursementDate: '2026-12-01' });
    expect(userErrors(first, 'requestDisbursement')).toEqual([]);
    const made = first.data!['requestDisbursement'].disbursementRequest;
    expect(made).toMatchObject({ status: 'PENDING', requestedBy: 'disbursement-maker' });
    // Without the key this is refused as a second request; with it, it is the first one again.
    const again = await ask(makerOfficer, { applicationId: application.id, disbursementDate: '2026-12-01' });
    expect(again.data!['requestDisbursement']).toEqual({ disbursementRequest: made, userErrors: [] });
    expect((await requests(application)).map((r) => r.id)).toEqual([decodeGlobalID(made.id).id]);
    expect(await db.outboxEvent.count({ where: { aggregateId: application.id, type: 'application.disbursementRequested' } })).toBe(1);

    // A day later (below the API; last in this file, as the date never moves back) the payout's date is behind the
    // business date: the repeat still gets its first answer.
    await server.runtime.platformDb.tenant.update({ where: { slug: tenant.slug }, data: { businessDate: new Date('2026-12-02T00:00:00Z') } });
    server.runtime.registry.forget(tenant.slug);
    const late = await ask(makerOfficer, { applicationId: application.id, disbursementDate: '2026-12-01' });
    expect(late.data!['requestDisbursement']).toEqual({ disbursementRequest: made, userErrors: [] });
    expect(await requests(application)).toHaveLength(1);

    const changed = await ask(makerOfficer, { applicationId: application.id, disbursementDate: '2026-12-02' });
    expect(userErrors(changed, 'requestDisbursement')).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.idempotencyKey' })]);
    expect(changed.data!['requestDisbursement'].disbursementRequest).toBeNull();
    expect(await requests(application)).toHaveLength(1);

    // Another officer's key is its own, even spelled the same.
    const otherMaker = await devToken(server.runtime, 'disbursement-officer', tenant.slug, { subject: 'disbursement-maker-2' });
    const theirs = await ask(otherMaker, { applicationId: another.id, disbursementDate: '2026-12-02' });
    expect(userErrors(theirs, 'requestDisbursement')).toEqual([]);
    expect(theirs.data!['requestDisbursement'].disbursementRequest).toMatchObject({ status: 'PENDING', requestedBy: 'disbursement-maker-2' });
    expect(theirs.data!['requestDisbursement'].disbursementRequest.id).not.toBe(made.id);
    expect(await requests(another)).toHaveLength(1);
    expect(await requests(application)).toHaveLength(1);
  });
});
