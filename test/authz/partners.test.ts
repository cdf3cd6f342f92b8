// Partners: registration by a tenant admin, and the scoping rule every read goes through. The isolation table
// probes every root field of the schema as attackers from another tenant and as another partner of the same
// tenant, and finds none of the victim's identifiers in any answer, and nothing changed.
import { graphqlLiteral } from '../support/graphqlLiteral.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import { getNamedType, isObjectType } from 'graphql';
import { buildSchema } from '../../src/graph/schema.js';
import { ACTOR_FIELD } from '../../src/graph/actors.js';
import { allows, type Capability } from '../../src/authz/capabilities.js';
import type { Role } from '../../src/authz/roles.js';
import { uploadApplicationDocument } from '../support/applicationDocuments.js';
import { scopeToPartner } from '../../src/authz/partnerScope.js';
import { AppError } from '../../src/errors.js';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from '../support/harness.js';
import { subscribe, until } from '../support/ws.js';
import { loanTerms, termsToJson } from '../../src/domain/servicing/product.js';
import { PENALTIES_FEES_INTEREST_PRINCIPAL } from '../../src/domain/servicing/allocation.js';
import { disburseLoan, postLoanTransaction } from '../../src/services/servicing/loans.js';
import { requestWaiver } from '../../src/services/servicing/waivers.js';
import { requestWriteOff, setChargeOffRule } from '../../src/services/servicing/writeOffs.js';
import { requestRestructure } from '../../src/services/servicing/restructures.js';
import { Decimal } from '../../src/domain/money.js';
import { openLedgerAccount } from '../../src/services/servicing/ledger.js';
import { setCurrencyCashRounding } from '../../src/services/currencies.js';
import { createApplication } from '../../src/services/origination/applications.js';
import { uploadDocument } from '../../src/services/origination/applicationDocuments.js';
import { draftPolicy } from '../../src/services/origination/creditPolicies.js';
import { draftPricing } from '../../src/services/origination/productPricing.js';
import { draftMatrix, requestMatrixActivation } from '../../src/services/origination/approvalAuthorityMatrices.js';
import { draftCheckProviderSettings, requestCheckProviderSettingsActivation } from '../../src/services/origination/checkProviderSettings.js';
import { SANDBOX_CREDIT_POLICY } from '../../src/domain/origination/creditPolicy.js';
import { inviteStaffMember } from '../../src/services/staff.js';
import { logCollectionActivity, recordPromiseToPay, setCollectionRule } from '../../src/services/collections/cases.js';
import { setPartyContactPreferences, setReminderRules } from '../../src/services/reminders/settings.js';
import { registerDebitMandate, setDebitSettings } from '../../src/services/autoDebit/mandates.js';
import { sealSecret } from '../../src/tenancy/sealing.js';
import { setDelinquencyPolicy, setLoanProductDelinquencyBuckets } from '../../src/services/servicing/delinquencyPolicy.js';
import { decideArrangement, proposeArrangement } from '../../src/services/coLending/arrangements.js';
import { assignParticipation } from '../../src/services/coLending/participations.js';
import { setCoLenderSettlement, settleCoLender } from '../../src/services/coLending/settlements.js';
import { setOriginationCommission } from '../../src/services/origination/commissions.js';
import type { ArrangementTerms } from '../../src/domain/servicing/coLending.js';
import { SANDBOX_PRICING } from '../../src/domain/origination/offer.js';

let server: TestServer;
let victim: TenantRecord;
let other: TenantRecord;
const alpha = `alpha-${randomUUID().slice(0, 6)}`;
const beta = `beta-${randomUUID().slice(0, 6)}`;
// The victim's co-lending partner: its arrangement and its share of the victim's loan are what the other partner probes for.
const delta = `delta-${randomUUID().slice(0, 6)}`;
const victimArrangementName = `Victim pool ${randomUUID().slice(0, 6)}`;
let arrangementGlobalId: string;
let participationGlobalId: string;
let settlementGlobalId: string;
let commissionGlobalId: string;
const victimEscrow = `VICTIMESCROW${randomUUID().slice(0, 6)}`;
const gamma = `gamma-${randomUUID().slice(0, 6)}`;
const secretName = `Victoria Secretname ${randomUUID().slice(0, 6)}`;
const victimEodOperator = `victim-eod-${randomUUID().slice(0, 8)}`;
let partyGlobalId: string;
let alphaGlobalId: string;
let alphaClientId: string;
let hookGlobalId: string;
let deliveryGlobalId: string;
const hookUrl = `https://alpha.example.test/hooks/${randomUUID()}`;
// The victim's loan (brought by alpha), one of its repayments, a pending waiver and a ledger account.
let loanId: string;
let loanGlobalId: string;
let loanTransactionGlobalId: string;
/** The repayment's database id, which the deprecated fields beside the global ids answer. */
let loanTransactionId: string;
let waiverGlobalId: string;
let writeOffGlobalId: string;
let restructureGlobalId: string;
const victimRestructureReason = `victim restructure ${randomUUID().slice(0, 6)}`;
const victimWriteOffReason = `victim write-off ${randomUUID().slice(0, 6)}`;
const loanPrincipal = '7777.77';
const ledgerAccountName = `Victim suspense ${randomUUID().slice(0, 6)}`;
// The victim's cash rounding for ISK, set by someone whose name must not leak.
const currencyAdmin = `victim-currency-admin-${randomUUID().slice(0, 6)}`;
// Alpha's application in the victim tenant, with an applicant whose name and identifier must not leak.
let applicationGlobalId: string;
let reviewId: string;
let reviewGlobalId: string;
let documentGlobalId: string;
let policyGlobalId: string;
let pricingGlobalId: string;
const victimPolicyName = `victim-policy-${randomUUID().slice(0, 6)}`;
let matrixGlobalId: string;
let settingsGlobalId: string;
const victimAccountRef = `victim-acct-${randomUUID().slice(0, 6)}`;
const victimLevelName = `victim_level_${randomUUID().slice(0, 6)}`;
// The victim's delinquency policy and PL-STD's own buckets, named so a leak shows.
const victimBucketName = `victim-bucket-${randomUUID().slice(0, 6)}`;
const victimProductBucketName = `victim-product-bucket-${randomUUID().slice(0, 6)}`;
const applicantName = `Appl Icant ${randomUUID().slice(0, 6)}`;
const applicantIdentifier = `ID${randomUUID().replaceAll('-', '').slice(0, 10).toUpperCase()}`;
// A person of the victim's staff, whose e-mail, name and subject must not leak nor change.
const staffEmail = `victim-staff-${randomUUID().slice(0, 6)}@example.test`;
const staffName = `Stef Victimstaff ${randomUUID().slice(0, 6)}`;
let staffGlobalId: string;
let staffSubject: string;
// The victim's collection case on its loan, worked by that staff member: a note and a promise that must not leak.
let caseGlobalId: string;
let promiseGlobalId: string;
const victimCaseNote = `victim-case-note-${randomUUID().slice(0, 6)}`;
const promisedAmount = '321.09';
// The victim's reminder rule, its borrower's preferences and a message, with text that must not leak.
const victimTemplate = `victim-template-${randomUUID().slice(0, 6)} {{dueDate}}`;
const victimMessageBody = `victim-message-${randomUUID().slice(0, 6)}`;
let messageGlobalId: string;
// The victim's auto-debit: its settings, a mandate on its loan and a day's file, none of which may leak.
const victimCompany = `VICTIM${randomUUID().slice(0, 4).toUpperCase()}`;
const victimAccount = '98765432101';
let mandateGlobalId: string;

async function register(tenant: TenantRecord, code: string, kind: 'ORIGINATION' | 'COLENDING') {
  const admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
  const response = await gql(server.gateway, `mutation($input: RegisterPartnerInput!) { registerPartner(input: $input) { clientSecret partner { id code kind active clientId } userErrors { code } } }`, {
    token: admin, variables: { input: { code, name: `Partner ${code}`, kind } },
  });
  expect(response.errors).toBeUndefined();
  return response.data!['registerPartner'] as { clientSecret: string | null; partner: { id: string; code: string; kind: string; active: boolean; clientId: string } };
}

const partnerToken = (tenant: TenantRecord, code: string, kind: 'origination' | 'colending') =>
  devToken(server.runtime, `${kind}-partner`, tenant.slug, { partner: { id: code, kind } });

beforeAll(async () => {
  server = await startTestServer();
  [victim, other] = await Promise.all([createTenant(server.runtime, uniqueSlug('pv')), createTenant(server.runtime, uniqueSlug('po'))]);
  const party = await server.runtime.tenantClients.forSchema(victim.schemaName).party.create({ data: { id: randomUUID(), kind: 'PERSON', legalName: secretName } });
  partyGlobalId = encodeGlobalID('Party', party.id);
  // A look-alike of that party, held for staff review: what the probes try to resolve (and merge into it).
  const lookalike = await server.runtime.tenantClients.forSchema(victim.schemaName).party.create({ data: { id: randomUUID(), kind: 'PERSON', legalName: `${secretName} II` } });
  reviewId = randomUUID();
  await server.runtime.tenantClients.forSchema(victim.schemaName).partyMatchReview.create({ data: {
    id: reviewId, partyId: lookalike.id, candidatePartyId: party.id, signals: ['identifier'], conflicts: ['legal_name'], channel: 'staff', submittedBy: 'test-setup', createdAt: new Date(),
  } });
  reviewGlobalId = encodeGlobalID('PartyMatchReview', reviewId);
  // A run of the victim's end of day, long past (the victim's date does not move): what the end-of-day probes try to read.
  await server.runtime.tenantClients.forSchema(victim.schemaName).endOfDayRun.create({ data: {
    businessDate: new Date('1999-12-31T00:00:00Z'), previousDate: new Date('1999-12-30T00:00:00Z'), status: 'failed', startedBy: victimEodOperator,
    startedAt: new Date(), attempts: 2, failure: { step: 'replayLoans', loanId: null, message: `${victimEodOperator} failure` },
  } });
  const registered = await register(victim, alpha, 'ORIGINATION');
  alphaGlobalId = registered.partner.id;
  alphaClientId = registered.partner.clientId;
  await register(victim, beta, 'COLENDING');
  await register(other, gamma, 'ORIGINATION');
  // Alpha's webhook endpoint and a finished delivery to it: what the probes try to read, deactivate or replay.
  const hook = await gql(server.gateway, 'mutation($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { webhookEndpoint { id } userErrors { code } } }', {
    token: await partnerToken(victim, alpha, 'origination'), variables: { input: { url: hookUrl, eventTypes: ['*'] } },
  });
  hookGlobalId = hook.data!['registerWebhookEndpoint'].webhookEndpoint.id;
  const delivery = await server.runtime.tenantClients.forSchema(victim.schemaName).webhookDelivery.create({
    data: {
      id: randomUUID(), endpointId: decodeGlobalID(hookGlobalId).id, partnerCode: alpha, eventId: randomUUID(), eventSeq: 1n,
      eventType: 'partner.registered', status: 'dead', attempts: 3, createdAt: new Date(), updatedAt: new Date(),
    },
  });
  deliveryGlobalId = encodeGlobalID('WebhookDelivery', delivery.id);

  const victimDb = server.runtime.tenantClients.forSchema(victim.schemaName);
  const product = await victimDb.loanProduct.create({
    data: { code: 'PL-STD', name: 'Personal loan', currency: 'USD', minAmount: 1000, maxAmount: 50000, minTenor: 6, maxTenor: 60, annualRate: '0.12' },
  });
  await victimDb.loanProductVersion.create({
    data: {
      productId: product.id, version: 1, terms: termsToJson(loanTerms({ currency: 'USD', annualRatePercent: '12', numberOfRepayments: 12 })) as object,
      allocation: PENALTIES_FEES_INTEREST_PRINCIPAL as unknown as object, createdBy: 'test-setup', createdAt: new Date(),
    },
  });
  // Priced, as a product must be for an application on it to be submitted.
  await victimDb.productPricing.create({
    data: { id: randomUUID(), productId: product.id, version: 1, status: 'active', ratesByGrade: SANDBOX_PRICING.ratesByGrade, offerValidityDays: SANDBOX_PRICING.offerValidityDays,
      createdBy: 'test-setup', createdAt: new Date(), activatedBy: 'test-checker', activatedAt: new Date() },
  });
  const command = { tenant: victim.slug, actor: { subject: 'victim-staff', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' }, now: new Date() };
  // Alpha's commission rule, so the victim's loan it brought accrues one: what the probes try to read or change.
  await setOriginationCommission(victimDb, command, victim.currency, { partnerCode: alpha, percent: new Decimal('1.2345'), cap: null, clawbackDays: 45 });
  ({ loanId } = await disburseLoan(victimDb, command, victim.businessDate, {
    productCode: 'PL-STD', principal: new Decimal(loanPrincipal), disbursementDate: victim.businessDate, originationPartnerCode: alpha,
  }));
  loanGlobalId = encodeGlobalID('Loan', loanId);
  commissionGlobalId = encodeGlobalID('OriginationCommission', (await victimDb.originationCommission.findFirstOrThrow()).id);
  const repaid = await postLoanTransaction(victimDb, command, victim.businessDate, { loanId, kind: 'repayment', valueDate: victim.businessDate, amount: new Decimal('100'), channel: 'card' });
  loanTransactionGlobalId = encodeGlobalID('LoanTransaction', repaid.transactionId);
  loanTransactionId = repaid.transactionId;
  // A fee charged, so there is one to ask to waive.
  await postLoanTransaction(victimDb, command, victim.businessDate, { loanId, kind: 'charge', component: 'fee', amount: new Decimal('5'), valueDate: victim.businessDate, reason: 'statement copy' });
  const waiver = await requestWaiver(victimDb, command, victim.businessDate, { loanId, component: 'fee', amount: new Decimal('5'), valueDate: victim.businessDate, reason: 'goodwill' });
  waiverGlobalId = encodeGlobalID('LoanWaiverRequest', waiver.id);
  const writeOff = await requestWriteOff(victimDb, command, victim.businessDate, { loanId, valueDate: victim.businessDate, reason: victimWriteOffReason });
  writeOffGlobalId = encodeGlobalID('LoanWriteOffRequest', writeOff.id);
  const restructure = await requestRestructure(victimDb, command, victim.businessDate, { loanId, valueDate: victim.businessDate, capitaliseArrears: false, holidayPeriods: 2, reason: victimRestructureReason });
  restructureGlobalId = encodeGlobalID('LoanRestructureRequest', restructure.id);
  await register(victim, delta, 'COLENDING');
  const coLent: ArrangementTerms = {
    sharePercent: new Decimal('61.23'), partnerRatePercent: new Decimal('9.5'), model: 'principalPlusPartnerRate', servicingFeePercent: new Decimal('0.5'),
    guarantee: null, sharesFees: false, sharesPenalties: false, productCodes: [], maxLoanPrincipal: null, totalLimit: null, validFrom: '2000-01-01', validTo: null, borrowerData: 'masked',
  };
  const proposed = await proposeArrangement(victimDb, command, { partnerCode: delta, name: victimArrangementName, currency: 'USD', terms: coLent });
  await decideArrangement(victimDb, { ...command, actor: { ...command.actor, subject: 'victim-checker' } }, { arrangementId: proposed.arrangementId, version: 1, approve: true, reason: null });
  const share = await assignParticipation(victimDb, command, victim.businessDate, { loanId, arrangementId: proposed.arrangementId });
  // A second version waiting for its checker: what the probes try to approve.
  await proposeArrangement(victimDb, command, { arrangementId: proposed.arrangementId, terms: { ...coLent, sharePercent: new Decimal('40') } });
  arrangementGlobalId = encodeGlobalID('CoLendingArrangement', proposed.arrangementId);
  // The partner's share of the victim's repayment, settled, with the victim's escrow account on file.
  await setCoLenderSettlement(victimDb, server.runtime.dataKey, command, { partnerCode: delta, settlementLagDays: 3, escrowAccount: victimEscrow, beneficiaryName: 'Delta Funds', beneficiaryAccount: '123456789012', beneficiaryBankCode: 'DLTA0001' });
  const [settlement] = await settleCoLender(victimDb, command, victim.businessDate, { partnerCode: delta, through: victim.businessDate });
  settlementGlobalId = encodeGlobalID('CoLendingSettlement', settlement!.id);
  participationGlobalId = encodeGlobalID('LoanParticipation', share.id);
  await setChargeOffRule(victimDb, command, { productCode: 'PL-STD', atDays: 173 });
  await openLedgerAccount(victimDb, command, { code: '2900', name: ledgerAccountName, kind: 'liability' });
  await setCurrencyCashRounding(victimDb, { ...command, actor: { ...command.actor, subject: currencyAdmin } }, { currency: 'ISK', cashRoundingMultiple: new Decimal('500') });
  const { applicationId } = await createApplication(victimDb, server.runtime.dataKey, { ...command, actor: { ...command.actor, partner: alpha } }, victim.businessDate, {
    productCode: 'PL-STD', amount: '5000', numberOfRepayments: 12, purpose: 'victim purpose', submit: true, declaredMonthlyIncome: '5000', employer: 'Victim Employer',
    applicant: {
      kind: 'PERSON', legalName: applicantName, identifiers: [{ kind: 'national_id', country: 'US', value: applicantIdentifier }],
      dateOfBirth: '1980-01-01', phone: '+14155550177', email: 'victim-applicant@example.test', address: { lines: ['1 Victim Road'], city: 'Springfield', postalCode: '12345', country: 'US' },
    },
  }, 'partner', alpha);
  applicationGlobalId = encodeGlobalID('Application', applicationId);
  const document = await uploadDocument(victimDb, { ...command, actor: { ...command.actor, partner: alpha } }, {
    applicationId, kind: 'other', fileName: 'victim.pdf', contentType: 'application/pdf', bytes: Buffer.from('%PDF-1.7\nvictim document\n%%EOF\n'),
  }, alpha);
  documentGlobalId = encodeGlobalID('ApplicationDocument', document.id);
  const victimPolicy = await draftPolicy(victimDb, command, 'PL-STD', { ...structuredClone(SANDBOX_CREDIT_POLICY), policy: victimPolicyName });
  policyGlobalId = encodeGlobalID('CreditPolicy', victimPolicy.id);
  const victimPricing = await draftPricing(victimDb, command, 'PL-STD', { rates: [{ grade: 'A', annualRatePercent: '13.1357' }], fees: null, offerValidityDays: 30 });
  pricingGlobalId = encodeGlobalID('ProductPricing', victimPricing.id);
  const victimMatrix = await draftMatrix(victimDb, command, 'USD', [{ level: victimLevelName, limits: [{ riskGrade: '*', maxAmount: '777.00' }] }], [{ role: 'underwriter', levels: [victimLevelName] }]);
  await requestMatrixActivation(victimDb, command, victimMatrix.id);
  matrixGlobalId = encodeGlobalID('ApprovalAuthorityMatrix', victimMatrix.id);
  const victimSettings = await draftCheckProviderSettings(victimDb, server.runtime.dataKey, command, [
    { kind: 'kyc', provider: 'sandbox', accountReference: victimAccountRef }, { kind: 'bureau', provider: 'sandbox' }, { kind: 'income', provider: 'sandbox' },
    { kind: 'esign', provider: 'http-adapter', endpointUrl: 'https://esign.example.test/v1', secret: 'victim-esign-secret-9z9z' },
  ]);
  await requestCheckProviderSettingsActivation(victimDb, command, victimSettings.id);
  settingsGlobalId = encodeGlobalID('CheckProviderSettings', victimSettings.id);
  await setDelinquencyPolicy(victimDb, command, { regime: 'US_CHARGE_OFF', buckets: [{ name: 'Current', fromDays: 0, toDays: 0 }, { name: victimBucketName, fromDays: 1, toDays: null }] }, 'USD');
  await setLoanProductDelinquencyBuckets(victimDb, command, { productCode: 'PL-STD', buckets: [{ name: victimProductBucketName, fromDays: 0, toDays: null }] });
  const invited = await inviteStaffMember(victimDb, server.runtime.identity, command, { email: staffEmail, displayName: staffName, roles: ['collections-agent'] });
  staffGlobalId = encodeGlobalID('StaffMember', invited.member.id);
  staffSubject = invited.member.identitySubject;
  await setCollectionRule(victimDb, command, { productCode: 'PL-STD', openAtDays: 3, collectors: [{ bucket: null, staffMemberIds: [invited.member.id] }] }, 'USD');
  const victimCase = await victimDb.collectionCase.create({ data: {
    id: randomUUID(), loanId, status: 'open', openedOn: new Date(`${victim.businessDate}T00:00:00Z`), openedDaysPastDue: 5, openedBucket: victimProductBucketName,
    assignedTo: invited.member.id, createdAt: new Date(), updatedAt: new Date(),
  } });
  caseGlobalId = encodeGlobalID('CollectionCase', victimCase.id);
  await logCollectionActivity(victimDb, command, victim.businessDate, victimCase.id, { channel: 'call', outcome: 'REACHED', note: victimCaseNote });
  const promise = await recordPromiseToPay(victimDb, command, victim.businessDate, victimCase.id, { amount: new Decimal(promisedAmount), promisedDate: victim.businessDate });
  promiseGlobalId = encodeGlobalID('PromiseToPay', promise.id);
  await setReminderRules(victimDb, command, { quietHoursStart: '22:17', quietHoursEnd: '07:43', rules: [{ trigger: 'beforeDue', days: 3, channel: 'sms', template: victimTemplate, productCode: 'PL-STD' }] });
  await setPartyContactPreferences(victimDb, command, party.id, { timeZone: 'Pacific/Chatham', optedOut: ['email'] });
  const message = await victimDb.loanMessage.create({ data: {
    id: randomUUID(), loanId, trigger: 'beforeDue', days: 3, dueDate: new Date(`${victim.businessDate}T00:00:00Z`), businessDate: new Date(`${victim.businessDate}T00:00:00Z`),
    channel: 'sms', destination: '+141•••77', body: victimMessageBody, status: 'scheduled', sendAfter: new Date(), createdAt: new Date(), updatedAt: new Date(),
  } });
  messageGlobalId = encodeGlobalID('LoanMessage', message.id);
  await setDebitSettings(victimDb, command, { companyName: victimCompany, companyId: '1234567890', odfiRouting: '121000358', odfiName: 'Victim Bank', returnFee: new Decimal('25'), productReturnFees: [] });
  const victimMandate = await registerDebitMandate(victimDb, server.runtime.dataKey, command, { loanId, holderName: 'Victim Holder', routingNumber: '021000021', accountNumber: victimAccount, accountType: 'checking' });
  mandateGlobalId = encodeGlobalID('DebitMandate', victimMandate.id);
  await victimDb.debitFile.create({ data: { businessDate: new Date('1999-12-31T00:00:00Z'), entries: 1, total: '1.00', contentSealed: sealSecret(server.runtime.dataKey, `victim file ${victimAccount}`), createdAt: new Date() } });
});
afterAll(async () => {
  await server.close();
});

describe('registering partners', () => {
  it('a tenant admin registers a partner; the development issuer has no client secret to show', async () => {
    const code = `delta-${randomUUID().slice(0, 6)}`;
    const result = await register(victim, code, 'ORIGINATION');
    expect(result).toMatchObject({ clientSecret: null, partner: { code, kind: 'ORIGINATION', active: true, clientId: `partner-${victim.slug}--${code}` } });
  });

  it('refuses a taken code with other details as CONFLICT naming them, and a bad one naming the field; only tenant admins may register', async () => {
    const admin = await devToken(server.runtime, 'tenant-admin', victim.slug);
    const mutation = `mutation($input: RegisterPartnerInput!) { registerPartner(input: $input) { partner { code } ${USER_ERRORS} } }`;
    const taken = await gql(server.gateway, mutation, { token: admin, variables: { input: { code: alpha, name: 'Again', kind: 'ORIGINATION' } } });
    expect(userErrors(taken, 'registerPartner')).toMatchObject([{ code: 'CONFLICT', field: 'input.name', message: `partner ${alpha} already exists with a different name` }]);
    expect(taken.data!['registerPartner'].partner).toBeNull();
    const bad = await gql(server.gateway, mutation, { token: admin, variables: { input: { code: 'Bad Code', name: 'X', kind: 'ORIGINATION' } } });
    expect(userErrors(bad, 'registerPartner')).toMatchObject([{ code: 'BAD_USER_INPUT', field: 'input.code' }]);
    const officer = await devToken(server.runtime, 'loan-officer', victim.slug);
    expect(codes(await gql(server.gateway, mutation, { token: officer, variables: { input: { code: 'x-officer', name: 'X', kind: 'ORIGINATION' } } }))).toEqual(['FORBIDDEN']);
  });
});

describe('the partner scoping rule', () => {
  it('a partner sees itself and the catalogue, no other partner, and no borrower', async () => {
    const token = await partnerToken(victim, beta, 'colending');
    const response = await gql(server.gateway, '{ viewer { roles partner { id kind } } partners(first: 10) { edges { node { code } } } loanProducts { edges { node { code } } } }', { token });
    expect(response.errors).toBeUndefined();
    expect(response.data).toMatchObject({ viewer: { roles: ['COLENDING_PARTNER'], partner: { id: beta, kind: 'COLENDING' } }, partners: { edges: [{ node: { code: beta } }] } });
    const lookups = await gql(server.gateway, `{ node(id: "${alphaGlobalId}") { id } nodes(ids: ["${alphaGlobalId}", "${partyGlobalId}"]) { id } }`, { token });
    expect(lookups.data).toEqual({ node: null, nodes: [null, null] });
  });

  it('where a lender\'s data lives (its database) is the platform\'s to know: not its partners\', its staff\'s, or another lender\'s', async () => {
    const askers = [
      await partnerToken(victim, alpha, 'origination'),
      await partnerToken(victim, beta, 'colending'),
      await devToken(server.runtime, 'tenant-admin', victim.slug),
      await devToken(server.runtime, 'tenant-admin', other.slug),
    ];
    for (const token of askers) {
      const own = await gql(server.gateway, '{ currentTenant { slug database } }', { token });
      expect(own.errors?.map((e) => e.extensions['code'])).toEqual(['FORBIDDEN']);
      expect(JSON.stringify(own)).not.toContain('"database":');
    }
    const node = await gql(server.gateway, `{ node(id: "${encodeGlobalID('Tenant', victim.id)}") { ... on Tenant { slug database } } }`, { token: askers[3] });
    expect(JSON.stringify(node.data ?? null)).not.toContain(victim.slug);
    const platform = await gql(server.gateway, `{ node(id: "${encodeGlobalID('Tenant', victim.id)}") { ... on Tenant { slug database } } }`, { token: await devToken(server.runtime, 'platform-admin') });
    expect(platform.data).toEqual({ node: { slug: victim.slug, database: 'main' } });
  });

  it('honours a partner token only for a registered, active partner of that kind, and only as that partner', async () => {
    const unknown = await partnerToken(victim, 'never-registered', 'origination');
    expect(codes(await gql(server.gateway, '{ currentTenant { slug } }', { token: unknown }))).toEqual(['FORBIDDEN']);
    const wrongKind = await partnerToken(victim, alpha, 'colending');
    expect(codes(await gql(server.gateway, '{ currentTenant { slug } }', { token: wrongKind }))).toEqual(['FORBIDDEN']);
    const code = `epsilon-${randomUUID().slice(0, 6)}`;
    await register(victim, code, 'ORIGINATION');
    await server.runtime.tenantClients.forSchema(victim.schemaName).partner.update({ where: { code }, data: { status: 'disabled' } });
    expect(codes(await gql(server.gateway, '{ currentTenant { slug } }', { token: await partnerToken(victim, code, 'origination') }))).toEqual(['FORBIDDEN']);
  });

  it('fails closed below the resolvers: unscoped models, writes and raw SQL are refused for partners', async () => {
    const db = scopeToPartner(server.runtime.tenantClients.forSchema(victim.schemaName), { id: beta, kind: 'colending' });
    await expect(db.party.findMany()).rejects.toBeInstanceOf(AppError);
    await expect(db.partner.update({ where: { code: beta }, data: { name: 'renamed' } })).rejects.toBeInstanceOf(AppError);
    await expect(db.$queryRawUnsafe('SELECT * FROM party')).rejects.toBeInstanceOf(AppError);
    expect(await db.partner.findUnique({ where: { code: alpha } })).toBeNull();
    expect((await db.partner.findMany()).map((p) => p.code)).toEqual([beta]);
  });
});

/**
 * Every id of a loan's transactions its account and statement answer, database and global: what the probes of the
 * fields that reach a loan select, and what the loan's own partner reads (`%TODAY%`, the victim's business date, is
 * the day the loan was paid out and repaid).
 */
const TRANSACTION_IDS = `account { allocations { transactionId transactionGlobalId } }
  statement(from: "%TODAY%", to: "%TODAY%") { lines { transactionId transactionGlobalId reversedByTransactionGlobalId reversesTransactionGlobalId } feesAndPenalties { transactionId transactionGlobalId } }`;

/** One probe per root field; the test below fails when the schema has a root field this table lacks. */
const PROBES: Record<string, string> = {
  'Query.auditChainVerification': '{ auditChainVerification { intact records firstBrokenSeq reason } }',
  'Query.auditRecords': '{ auditRecords(first: 100) { edges { node { seq actor action entityType entityId requestId } } } }',
  'Query.currentTenant': '{ currentTenant { slug displayName } }',
  'Query.loanProducts': '{ loanProducts { edges { node { id code currentTerms { aprMethod } } } } }',
  'Query.node': `{ a: node(id: "%PARTY%") { id ... on Party { legalName } } b: node(id: "%ALPHA%") { id ... on Partner { code clientId } } d: node(id: "%LOAN%") { ... on Loan { ${TRANSACTION_IDS} } } c: node(id: "%LOAN%") { id ... on Loan { collectionStatus { open escalationLevel promisePendingUntil } collectionCase { id timeline { note } } messages { body destination } debitMandate { holderName accountNumberMasked } debitPresentments { traceNumber } } } }`,
  'Query.nodes': `{ nodes(ids: ["%PARTY%", "%ALPHA%", "%CASE%", "%PROMISE%", "%STAFF%", "%MESSAGE%", "%MANDATE%", "%WRITEOFF%", "%RESTRUCTURE%", "%ARRANGEMENT%", "%PARTICIPATION%", "%SETTLEMENT%", "%COMMISSION%"]) { ... on CoLendingSettlement { number amount partnerCode } ... on OriginationCommission { amount loanNumber } ... on CoLendingArrangement { name partnerCode } ... on LoanParticipation { funded loanNumber partnerCode } ... on LoanRestructureRequest { reason requestedBy } ... on LoanWriteOffRequest { reason requestedBy } ... on DebitMandate { holderName accountNumberMasked } id ... on Party { legalName contactPreferences { timeZone } } ... on Partner { code } ... on CollectionCase { status timeline { note } } ... on PromiseToPay { amount } ... on StaffMember { email } ... on LoanMessage { body destination } } }`,
  'Query.collectionCases': '{ collectionCases(first: 100) { totalCount edges { node { id status openedOn openedBucket bucket assignedTo { staffMemberId displayName } timeline { kind note by } promises { id amount } pendingPromise { id } loan { id } } } } }',
  'Query.reminderSettings': '{ reminderSettings { quietHoursStart quietHoursEnd rules { trigger days channel template product { code } } changedBy } }',
  'Mutation.setReminderRules': 'mutation { setReminderRules(input: { quietHoursStart: "20:00", quietHoursEnd: "09:00", rules: [] }) { reminderSettings { quietHoursStart rules { template } } userErrors { code field message } } }',
  'Mutation.setPartyContactPreferences': 'mutation { setPartyContactPreferences(input: { partyId: "%PARTY%", timeZone: "UTC", optedOutChannels: [] }) { contactPreferences { timeZone optedOutChannels changedBy } userErrors { code field message } } }',
  'Query.debitSettings': '{ debitSettings { companyName companyId odfiRouting odfiName changedBy } }',
  'Query.debitFile': '{ debitFile(businessDate: "1999-12-31") { entries total content } }',
  'Mutation.setDebitSettings': 'mutation { setDebitSettings(input: { companyName: "Attacker", companyId: "0000000000", odfiRouting: "121000358", odfiName: "Attacker Bank", returnFee: "0" }) { debitSettings { companyName } userErrors { code field message } } }',
  'Mutation.registerDebitMandate': 'mutation { registerDebitMandate(input: { idempotencyKey: "probe-mandate", loanId: "%LOAN%", holderName: "Attacker", routingNumber: "021000021", accountNumber: "11112222", accountType: CHECKING }) { debitMandate { id accountNumberMasked loan { id } } userErrors { code field message } } }',
  'Mutation.revokeDebitMandate': 'mutation { revokeDebitMandate(input: { mandateId: "%MANDATE%", reason: "attack" }) { debitMandate { id holderName accountNumberMasked } userErrors { code field message } } }',
  'Mutation.takeInDebitReturns': 'mutation { takeInDebitReturns(input: { file: "not a file" }) { returned { traceNumber } userErrors { code field message } } }',
  'Query.collectionFigures': '{ collectionFigures { openCases promisesDueToday promisesJudged keptRatePercent queues { bucket openCases unassigned escalated } } }',
  'Query.collectionRules': '{ collectionRules { openAtDays product { code } collectors { bucket collectors { staffMemberId displayName } } changedBy } }',
  'Mutation.setCollectionRule': 'mutation { setCollectionRule(input: { productCode: "PL-STD", openAtDays: 1, collectors: [{ staffMemberIds: ["%STAFF%"] }] }) { collectionRule { openAtDays collectors { collectors { staffMemberId displayName } } } userErrors { code field message } } }',
  'Mutation.assignCollectionCase': 'mutation { assignCollectionCase(input: { caseId: "%CASE%" }) { collectionCase { id status timeline { note } } userErrors { code field message } } }',
  'Mutation.logCollectionActivity': 'mutation { logCollectionActivity(input: { caseId: "%CASE%", channel: NOTE, outcome: NOTED, note: "attack" }) { entry { kind note } userErrors { code field message } } }',
  'Mutation.recordPromiseToPay': 'mutation { recordPromiseToPay(input: { idempotencyKey: "probe-promise", caseId: "%CASE%", amount: "1", promisedDate: "2099-01-01" }) { promiseToPay { id amount case { id } } userErrors { code field message } } }',
  'Query.parties': '{ parties(first: 100) { edges { node { id legalName } } } }',
  'Mutation.resolvePartyMatchReview': 'mutation { resolvePartyMatchReview(input: { reviewId: "%REVIEW%", resolution: SAME_PERSON, note: "attack" }) { partyMatchReview { status party { id legalName } candidate { id legalName } } userErrors { code field message } } }',
  'Query.partners': '{ partners(first: 100) { edges { node { id code clientId } } } }',
  'Query.staffMembers': '{ staffMembers(first: 100) { totalCount edges { node { id email displayName subject roles status } } } }',
  'Mutation.inviteStaffMember': 'mutation { inviteStaffMember(input: { email: "attacker-probe@example.test", displayName: "Attacker", roles: [TENANT_ADMIN] }) { staffMember { id email } requiredActions userErrors { code field message } } }',
  'Mutation.changeStaffMemberRoles': 'mutation { changeStaffMemberRoles(input: { staffMemberId: "%STAFF%", roles: [TENANT_ADMIN] }) { staffMember { id email displayName subject roles } userErrors { code field message } } }',
  'Mutation.deactivateStaffMember': 'mutation { deactivateStaffMember(input: { staffMemberId: "%STAFF%" }) { staffMember { id email displayName subject status } userErrors { code field message } } }',
  'Mutation.reactivateStaffMember': 'mutation { reactivateStaffMember(input: { staffMemberId: "%STAFF%" }) { staffMember { id email displayName subject status } userErrors { code field message } } }',
  'Query.schemaStatus': '{ schemaStatus { tenantsBehind } }',
  'Query.tenantBySlug': '{ tenantBySlug(slug: "%TENANT%") { id slug } }',
  'Query.tenants': '{ tenants(first: 100) { edges { node { id slug } } } }',
  'Query.viewer': '{ viewer { subject tenants partner { id } } }',
  'Mutation.createTenant': 'mutation { createTenant(input: { slug: "%TENANT%", displayName: "Hijack", currency: "USD", timeZone: "UTC" }) { created userErrors { code field message } } }',
  'Mutation.suspendTenant': 'mutation { suspendTenant(input: { slug: "%TENANT%", reason: "attack" }) { tenant { status } userErrors { code field message } } }',
  'Mutation.setDashboardOrigins': 'mutation { setDashboardOrigins(input: { origins: ["https://attacker.example.test"] }) { tenant { slug dashboardOrigins } userErrors { code field message } } }',
  'Mutation.reactivateTenant': 'mutation { reactivateTenant(input: { slug: "%TENANT%", reason: "attack" }) { tenant { status } userErrors { code field message } } }',
  'Mutation.offboardTenant': 'mutation { offboardTenant(input: { slug: "%TENANT%", reason: "attack" }) { tenant { status } userErrors { code field message } } }',
  'Mutation.registerPartner': `mutation { registerPartner(input: { code: "%ALPHA_CODE%", name: "Hijack", kind: ORIGINATION }) { clientSecret partner { id } userErrors { code field message } } }`,
  'Mutation.rotatePartnerSecret': `mutation { rotatePartnerSecret(input: { code: "%ALPHA_CODE%" }) { clientSecret partner { id } userErrors { code field message } } }`,
  'Query.webhookEndpoints': '{ webhookEndpoints(first: 100) { edges { node { id url partnerCode } } } }',
  'Query.webhookDeliveries': '{ webhookDeliveries(first: 100) { edges { node { id eventId endpoint { id url } attemptLog { attempt outcome } } } } }',
  'Mutation.reviseLoanProductTerms': 'mutation { reviseLoanProductTerms(input: { code: "PL-STD", annualRatePercent: "99" }) { loanProduct { id code currentTerms { version } } userErrors { code field message } } }',
  'Mutation.registerWebhookEndpoint': 'mutation { registerWebhookEndpoint(input: { url: "https://attacker.example.test/hook", eventTypes: ["*"], partnerCode: "%ALPHA_CODE%" }) { signingSecret webhookEndpoint { id } userErrors { code field message } } }',
  'Mutation.deactivateWebhookEndpoint': `mutation { a: deactivateWebhookEndpoint(input: { endpointId: "%HOOK%" }) { webhookEndpoint { id url active } userErrors { code field message } }
    b: deactivateWebhookEndpoint(input: { id: "%HOOK%" }) { webhookEndpoint { id url active } userErrors { code field message } } }`,
  'Mutation.enableWebhookEndpoint': `mutation { a: enableWebhookEndpoint(input: { endpointId: "%HOOK%" }) { webhookEndpoint { id url active disabledAt } userErrors { code field message } }
    b: enableWebhookEndpoint(input: { id: "%HOOK%" }) { webhookEndpoint { id url active disabledAt } userErrors { code field message } } }`,
  'Mutation.replayWebhookDelivery': 'mutation { replayWebhookDelivery(input: { deliveryId: "%DELIVERY%" }) { webhookDelivery { id endpoint { url } } userErrors { code field message } } }',
  'Mutation.sendTestWebhook': 'mutation { sendTestWebhook(input: { endpointId: "%HOOK%" }) { webhookDelivery { id eventId endpoint { url } } userErrors { code field message } } }',
  'Mutation.rotateWebhookSigningSecret': 'mutation { rotateWebhookSigningSecret(input: { endpointId: "%HOOK%", overlapHours: 168 }) { signingSecret previousSecretExpiresAt webhookEndpoint { id url } userErrors { code field message } } }',
  'Query.loans': `{ loans(first: 100, number: "1") { totalCount edges { node { id number principal externalReference ${TRANSACTION_IDS} } } } }`,
  'Query.loanWaiverRequests': '{ loanWaiverRequests(first: 100) { edges { node { id reason loan { id } } } } }',
  'Query.ledgerAccounts': '{ ledgerAccounts { code name } }',
  'Query.trialBalance': '{ trialBalance(asOf: "2099-12-31") { lines { account name debits credits balance } } }',
  'Query.ledgerAccountStatement': '{ ledgerAccountStatement(account: "1100", from: "2000-01-01", to: "2099-12-31") { lines { loanId loanGlobalId transactionId transactionGlobalId debit balance } } }',
  'Query.ledgerInvariants': '{ ledgerInvariants { holds loans journals } }',
  'Query.portfolioReport': '{ portfolioReport { asOf source currencies { currency loans principal products { productCode productName principal } aging { delinquencyBucket principal } } trialBalance { lines { account name balance } } } }',
  'Mutation.disburseLoan': 'mutation { disburseLoan(input: { idempotencyKey: "probe-disburse", productCode: "PL-STD", principal: "7777.77", disbursementDate: "2000-01-01", originationPartnerCode: "%ALPHA_CODE%" }) { loan { id principal } userErrors { code field message } } }',
  'Mutation.postRepayment': 'mutation { postRepayment(input: { idempotencyKey: "probe-repay", loanId: "%LOAN%", amount: "10", valueDate: "2000-01-01", channel: "card" }) { loanTransaction { id loan { id principal } } userErrors { code field message } } }',
  'Mutation.postRepayments': 'mutation { postRepayments(input: { idempotencyKey: "probe-file", repayments: [{ loanId: "%LOAN%", amount: "10", valueDate: "2000-01-01", channel: "card" }] }) { batchId posted userErrors { code field message } } }',
  'Mutation.reverseLoanTransaction': 'mutation { reverseLoanTransaction(input: { idempotencyKey: "probe-reverse", transactionId: "%LOANTX%", reason: "attack" }) { loanTransaction { id loan { id principal } } userErrors { code field message } } }',
  'Mutation.applyLoanCharge': 'mutation { applyLoanCharge(input: { idempotencyKey: "probe-charge", loanId: "%LOAN%", component: FEE, amount: "10", valueDate: "2000-01-01", reason: "attack" }) { loanTransaction { id loan { id } } userErrors { code field message } } }',
  'Mutation.refundLoanExcess': 'mutation { refundLoanExcess(input: { idempotencyKey: "probe-refund", loanId: "%LOAN%", amount: "10", valueDate: "2000-01-01", channel: "card" }) { loanTransaction { id loan { id } } userErrors { code field message } } }',
  'Mutation.disburseLoanTranche': 'mutation { disburseLoanTranche(input: { idempotencyKey: "probe-tranche", loanId: "%LOAN%", amount: "10", valueDate: "2000-01-01" }) { loanTransaction { id loan { id tranches { paidAmount } } } userErrors { code field message } } }',
  'Mutation.requestLoanWaiver': 'mutation { requestLoanWaiver(input: { idempotencyKey: "probe-waiver", loanId: "%LOAN%", component: FEE, amount: "10", reason: "attack" }) { loanWaiverRequest { id loan { id } } userErrors { code field message } } }',
  'Mutation.decideLoanWaiver': 'mutation { decideLoanWaiver(input: { requestId: "%WAIVER%", approve: true }) { loanWaiverRequest { id status loan { id } } userErrors { code field message } } }',
  'Query.loanWriteOffRequests': '{ loanWriteOffRequests(first: 100) { edges { node { id reason valueDate loan { id } } } } }',
  'Mutation.requestLoanWriteOff': 'mutation { requestLoanWriteOff(input: { idempotencyKey: "probe-writeoff", loanId: "%LOAN%", reason: "attack" }) { loanWriteOffRequest { id reason loan { id } } userErrors { code field message } } }',
  'Mutation.decideLoanWriteOff': 'mutation { decideLoanWriteOff(input: { requestId: "%WRITEOFF%", approve: true }) { loanWriteOffRequest { id status reason loan { id } } userErrors { code field message } } }',
  'Query.loanRestructureRequests': '{ loanRestructureRequests(first: 100) { edges { node { id reason holidayPeriods loan { id } } } } }',
  'Mutation.requestLoanRestructure': 'mutation { requestLoanRestructure(input: { idempotencyKey: "probe-restructure", loanId: "%LOAN%", capitaliseArrears: true, reason: "attack" }) { loanRestructureRequest { id reason loan { id } } userErrors { code field message } } }',
  'Mutation.decideLoanRestructure': 'mutation { decideLoanRestructure(input: { requestId: "%RESTRUCTURE%", approve: true }) { loanRestructureRequest { id status reason loan { id } } userErrors { code field message } } }',
  'Query.chargeOffRules': '{ chargeOffRules { atDaysPastDue product { code } changedBy } }',
  'Query.coLendingArrangements': '{ coLendingArrangements { id name partnerCode inForce { sharePercent } versions { version proposedBy } } }',
  'Query.coLendingVersionsToDecide': '{ coLendingVersionsToDecide { version sharePercent arrangement { id name } } }',
  'Query.coLendingRules': '{ coLendingRules { minimumRetentionPercent maximumGuaranteePercent assignmentWindowDays lendersOwn } }',
  'Query.loanParticipations': '{ loanParticipations(first: 100) { edges { node { id loanNumber partnerCode funded collected principalOutstanding expectedSchedule { total } arrangement { id name } loan { id } } } } }',
  'Mutation.setCoLendingRules': 'mutation { setCoLendingRules(input: { minimumRetentionPercent: "0", maximumGuaranteePercent: "100", assignmentWindowDays: 365 }) { coLendingRules { lendersOwn } userErrors { code field message } } }',
  'Mutation.proposeCoLendingArrangement': 'mutation { proposeCoLendingArrangement(input: { arrangementId: "%ARRANGEMENT%", sharePercent: "89", partnerRatePercent: "1", model: COLLECTION_SHARE, validFrom: "2000-01-01" }) { coLendingArrangement { id name versions { version } } userErrors { code field message } } }',
  'Mutation.decideCoLendingArrangement': 'mutation { decideCoLendingArrangement(input: { arrangementId: "%ARRANGEMENT%", version: 2, approve: true }) { coLendingArrangement { id name inForce { version } } userErrors { code field message } } }',
  'Query.coLendingSettlements': '{ coLendingSettlements(first: 100) { edges { node { id number partnerCode amount lines { loanNumber amount } csvPath } } } }',
  'Mutation.settleCoLender': 'mutation { settleCoLender(input: { idempotencyKey: "probe-settle", partnerCode: "%DELTA%" }) { settlements { id number amount } userErrors { code field message } } }',
  'Mutation.setCoLenderSettlement': 'mutation { setCoLenderSettlement(input: { partnerCode: "%DELTA%", settlementLagDays: 0, escrowAccount: "ATTACKER1", beneficiaryAccount: "99999999" }) { coLenderSettlementTerms { escrowAccount beneficiaryAccountMasked } userErrors { code field message } } }',
  'Mutation.setApplicationCoLending': 'mutation { setApplicationCoLending(input: { applicationId: "%APPLICATION%", arrangementId: "%ARRANGEMENT%" }) { application { id coLendingArrangement { id name } } userErrors { code field message } } }',
  'Query.originationCommissionStatement': '{ a: originationCommissionStatement(partnerCode: "%ALPHA_CODE%") { partnerCode totals { accrued owed } commissions { id loanNumber amount } } b: originationCommissionStatement { partnerCode commissions { id amount } } }',
  'Mutation.setOriginationCommission': 'mutation { setOriginationCommission(input: { partnerCode: "%ALPHA_CODE%", percent: "99", clawbackDays: 0 }) { originationCommissionRule { partnerCode percent payableAccount } userErrors { code field message } } }',
  'Mutation.assignLoanParticipation': 'mutation { assignLoanParticipation(input: { idempotencyKey: "probe-participation", loanId: "%LOAN%", arrangementId: "%ARRANGEMENT%" }) { loanParticipation { id funded loanNumber } userErrors { code field message } } }',
  'Mutation.setChargeOffRule': 'mutation { setChargeOffRule(input: { productCode: "PL-STD", atDaysPastDue: 1 }) { chargeOffRule { atDaysPastDue product { code } } userErrors { code field message } } }',
  'Mutation.openLedgerAccount': 'mutation { openLedgerAccount(input: { code: "2900", name: "probe", kind: ASSET }) { ledgerAccount { code name } userErrors { code field message } } }',
  'Mutation.createLoanProduct': `mutation { createLoanProduct(input: { code: "PROBE", name: "Probe", currency: "USD", terms: { annualRatePercent: "1", numberOfRepayments: 12 },
    limits: { minAmount: "100", maxAmount: "1000", minTenorMonths: 1, maxTenorMonths: 24 } }) { loanProduct { id code } userErrors { code field message } } }`,
  'Mutation.cloneLoanProduct': 'mutation { cloneLoanProduct(input: { fromCode: "PL-STD", code: "PROBE-CLONE", name: "Probe" }) { loanProduct { id code currentTerms { version annualRatePercent } } userErrors { code field message } } }',
  'Mutation.retireLoanProduct': 'mutation { retireLoanProduct(input: { code: "PL-STD" }) { loanProduct { id code retiredAt } userErrors { code field message } } }',
  'Mutation.mapProductAccount': 'mutation { mapProductAccount(input: { productCode: "PL-STD", role: CASH, account: "2900" }) { loanProduct { id code } userErrors { code field message } } }',
  'Query.applications': '{ applications(first: 100, number: "1") { totalCount edges { node { id number reference purpose parties { party { legalName identifiers { value } } } offer { aprPercent aprMethod aprDisclosed } } } } }',
  'Mutation.createApplication': `mutation { createApplication(input: { idempotencyKey: "probe-application", productCode: "PL-STD", amount: "5000", numberOfRepayments: 12, purpose: "probe",
    applicant: { kind: PERSON, legalName: "Probe", identifiers: [{ kind: NATIONAL_ID, country: "US", value: "%APPLICANT_ID%" }] } }) { application { id reference parties { party { legalName } } } userErrors { code field message } } }`,
  'Mutation.submitApplication': 'mutation { submitApplication(input: { applicationId: "%APPLICATION%" }) { application { id status purpose } userErrors { code field message } } }',
  'Mutation.updateApplication': 'mutation { updateApplication(input: { applicationId: "%APPLICATION%", purpose: "attacker purpose", submit: true }) { application { id status purpose missingInformation } userErrors { code field message } } }',
  'Mutation.withdrawApplication': 'mutation { withdrawApplication(input: { applicationId: "%APPLICATION%", reason: "attack" }) { application { id status purpose } userErrors { code field message } } }',
  'Mutation.reviewApplicationDocument': 'mutation { reviewApplicationDocument(input: { documentId: "%DOCUMENT%", verified: false, reason: "attack" }) { applicationDocument { id status fileName sha256 application { id purpose } } userErrors { code field message } } }',
  'Mutation.acceptApplicationOffer': 'mutation { acceptApplicationOffer(input: { applicationId: "%APPLICATION%", consentText: "I agree to everything the attacker says here." }) { application { id status purpose } userErrors { code field message } } }',
  'Mutation.signApplicationAgreement': 'mutation { signApplicationAgreement(input: { applicationId: "%APPLICATION%" }) { application { id status purpose } userErrors { code field message } } }',
  'Mutation.requestDisbursement': 'mutation { requestDisbursement(input: { idempotencyKey: "probe-disbursement-request", applicationId: "%APPLICATION%", disbursementDate: "2099-01-01" }) { disbursementRequest { id status application { id purpose } } userErrors { code field message } } }',
  'Mutation.decideDisbursement': 'mutation { decideDisbursement(input: { requestId: "%APPLICATION%", approve: true }) { disbursementRequest { id status loan { id } } userErrors { code field message } } }',
  'Query.disbursementRequests': '{ disbursementRequests(first: 100) { edges { node { id application { id purpose } } } } }',
  'Query.approvalAuthorityMatrix': '{ approvalAuthorityMatrix { id version levels { level limits { riskGrade maxAmount } } roles { role levels } } }',
  'Query.approvalAuthorityMatrixVersions': '{ approvalAuthorityMatrixVersions { id version status levels { level } createdBy } }',
  'Query.pendingApprovalAuthorityMatrixActivations': '{ pendingApprovalAuthorityMatrixActivations { id version status levels { level } } }',
  'Mutation.draftApprovalAuthorityMatrix': 'mutation { draftApprovalAuthorityMatrix(input: { levels: [{ level: "probe", limits: [{ riskGrade: "*" }] }], roles: [{ role: TENANT_ADMIN, levels: ["probe"] }] }) { approvalAuthorityMatrix { id version levels { level } } userErrors { code field message } } }',
  'Mutation.requestApprovalAuthorityMatrixActivation': 'mutation { requestApprovalAuthorityMatrixActivation(input: { matrixId: "%MATRIX%" }) { approvalAuthorityMatrix { id status levels { level } } userErrors { code field message } } }',
  'Query.checkProviderSettings': '{ checkProviderSettings { id version providers { kind provider accountReference secretLastFour } } }',
  'Query.checkProviderSettingsVersions': '{ checkProviderSettingsVersions { id version status providers { kind provider accountReference secretLastFour } createdBy } }',
  'Mutation.draftCheckProviderSettings': 'mutation { draftCheckProviderSettings(input: { providers: [{ kind: KYC, provider: "sandbox" }, { kind: BUREAU, provider: "sandbox" }, { kind: INCOME, provider: "sandbox" }, { kind: ESIGN, provider: "sandbox" }] }) { checkProviderSettings { id version } userErrors { code field message } } }',
  'Mutation.requestCheckProviderSettingsActivation': 'mutation { requestCheckProviderSettingsActivation(input: { settingsId: "%SETTINGS%" }) { checkProviderSettings { id status providers { accountReference } } userErrors { code field message } } }',
  'Mutation.decideCheckProviderSettingsActivation': 'mutation { decideCheckProviderSettingsActivation(input: { settingsId: "%SETTINGS%", approve: true }) { checkProviderSettings { id status providers { accountReference } } userErrors { code field message } } }',
  'Mutation.decideApprovalAuthorityMatrixActivation': 'mutation { decideApprovalAuthorityMatrixActivation(input: { matrixId: "%MATRIX%", approve: true }) { approvalAuthorityMatrix { id status levels { level } } userErrors { code field message } } }',
  'Query.delinquencyPolicy': '{ delinquencyPolicy { version regime buckets { name fromDays toDays } parameters { borrowerLevel } provisions { assetClass percent } changedBy } }',
  'Mutation.setDelinquencyPolicy': 'mutation { setDelinquencyPolicy(input: { regime: RBI_IRAC, buckets: [{ name: "probe", fromDays: 0 }] }) { delinquencyPolicy { version regime buckets { name } } userErrors { code field message } } }',
  'Mutation.setLoanProductDelinquencyBuckets': 'mutation { setLoanProductDelinquencyBuckets(input: { productCode: "PL-STD", buckets: null }) { loanProduct { id code delinquencyBuckets { name } } userErrors { code field message } } }',
  'Mutation.setProductDocumentChecklist': 'mutation { setProductDocumentChecklist(input: { productCode: "PL-STD", items: [{ kind: "probe_kind", required: false, description: "probe" }] }) { productDocumentChecklist { version items { kind } } userErrors { code field message } } }',
  'Query.creditPolicies': '{ creditPolicies(productCode: "PL-STD") { id version status ruleSet createdBy product { id code } } }',
  'Query.pendingCreditPolicyActivations': '{ pendingCreditPolicyActivations { id version status ruleSet createdBy } }',
  'Mutation.draftCreditPolicy': `mutation { draftCreditPolicy(input: { productCode: "PL-STD", ruleSet: ${graphqlLiteral(SANDBOX_CREDIT_POLICY)} }) { creditPolicy { id version ruleSet product { id } } userErrors { code field message } } }`,
  'Mutation.requestCreditPolicyActivation': 'mutation { requestCreditPolicyActivation(input: { policyId: "%POLICY%" }) { creditPolicy { id status ruleSet } userErrors { code field message } } }',
  'Mutation.decideCreditPolicyActivation': 'mutation { decideCreditPolicyActivation(input: { policyId: "%POLICY%", approve: true }) { creditPolicy { id status ruleSet } userErrors { code field message } } }',
  'Mutation.draftProductPricing': 'mutation { draftProductPricing(input: { productCode: "PL-STD", offerValidityDays: 30, rates: [{ grade: "A", annualRatePercent: "1" }] }) { productPricing { id version rates { grade annualRatePercent } product { id } } userErrors { code field message } } }',
  'Mutation.requestProductPricingActivation': 'mutation { requestProductPricingActivation(input: { pricingId: "%PRICING%" }) { productPricing { id status rates { annualRatePercent } } userErrors { code field message } } }',
  'Mutation.decideProductPricingActivation': 'mutation { decideProductPricingActivation(input: { pricingId: "%PRICING%", approve: true }) { productPricing { id status rates { annualRatePercent } } userErrors { code field message } } }',
  'Query.underwritingQueue': '{ underwritingQueue(first: 100) { totalCount edges { node { application { id reference purpose } pendingRequest { id reason } } } } }',
  'Query.approvalRequests': '{ approvalRequests(status: PENDING, first: 100) { totalCount edges { node { id reason application { id purpose } } } } }',
  'Query.approvalAuthority': '{ approvalAuthority(amount: "5000", riskGrade: "A") { allowed levels } }',
  'Query.policyOverrides': '{ policyOverrides(from: "2000-01-01", to: "2099-12-31", first: 100) { totalCount edges { node { application { id purpose } overrideReason } } } }',
  'Mutation.recommendApplication': 'mutation { recommendApplication(input: { applicationId: "%APPLICATION%", recommendation: APPROVE, reason: "attacker override reason" }) { approvalRequest { id application { id purpose } } userErrors { code field message } } }',
  'Mutation.decideApprovalRequest': 'mutation { decideApprovalRequest(input: { requestId: "%APPLICATION%", approve: true }) { approvalRequest { id status application { id purpose } } userErrors { code field message } } }',
  'Mutation.expireStaleApplications': 'mutation { expireStaleApplications { expired { id purpose } userErrors { code field message } } }',
  'Mutation.assessApplication': 'mutation { assessApplication(input: { applicationId: "%APPLICATION%" }) { application { id status purpose checks { kind } } userErrors { code field message } } }',
  'Mutation.importApplications': `mutation { importApplications(input: { idempotencyKey: "probe-import", csv: "productCode,amount,numberOfRepayments,purpose,applicantKind,applicantLegalName,applicantNationalId\\nPL-STD,5000,12,probe,PERSON,Probe,%APPLICANT_ID%" }) { imported rows { reference errors } userErrors { code field message } } }`,
  'Query.currencies': '{ currencies { currency cashRoundingMultiple updatedBy updatedAt } }',
  'Mutation.setCurrencyCashRounding': 'mutation { setCurrencyCashRounding(input: { currency: "ISK", cashRoundingMultiple: "1" }) { currencySetting { currency cashRoundingMultiple updatedBy } userErrors { code field } } }',
  'Query.events': '{ events(first: 100) { edges { cursor node { type aggregateId payload } } } }',
  'Query.endOfDayRuns': '{ endOfDayRuns(first: 100) { edges { node { businessDate startedBy attempts failure { step loanId message } totals { step rows } steps { step rows } } } } }',
  'Query.endOfDayRun': '{ endOfDayRun(businessDate: "1999-12-31") { businessDate startedBy failure { step loanId message } } }',
  'Mutation.runEndOfDay': 'mutation { runEndOfDay(input: { to: "2000-01-01" }) { endOfDayRuns { businessDate startedBy } userErrors { code field message } } }',
  'Mutation.advanceSandboxClock': 'mutation { advanceSandboxClock(input: { days: 1 }) { tenant { slug businessDate } endOfDayRuns { businessDate startedBy } userErrors { code field message } } }',
  'Subscription.events': 'subscription { events(after: "0") { cursor type aggregateId payload } }',
  'Subscription.heartbeat': 'subscription { heartbeat(everySeconds: 5) { at businessDate } }',
};

describe('collections as a partner sees them', () => {
  it('the loan\'s own origination partner reads where collections stand on it, never the notes, the collector or the promise', async () => {
    const query = `{ node(id: "${loanGlobalId}") { ... on Loan { daysPastDue collectionStatus { open openedOn closedOn closeReason escalationLevel promisePendingUntil } } } }`;
    const own = await gql(server.gateway, query, { token: await partnerToken(victim, alpha, 'origination') });
    expect(own.errors).toBeUndefined();
    expect(own.data!['node'].collectionStatus).toEqual({ open: true, openedOn: victim.businessDate, closedOn: null, closeReason: null, escalationLevel: 0, promisePendingUntil: victim.businessDate });
    // The case itself is not the partner's to read.
    const refused = await gql(server.gateway, `{ node(id: "${loanGlobalId}") { ... on Loan { collectionCase { id } } } }`, { token: await partnerToken(victim, alpha, 'origination') });
    expect(codes(refused)).toEqual(['FORBIDDEN']);
    for (const secret of [victimCaseNote, staffEmail, staffName, staffSubject, promisedAmount, caseGlobalId, promiseGlobalId]) expect(JSON.stringify(own)).not.toContain(secret);
    // Another partner of the lender reaches neither the loan nor its status.
    const other = await gql(server.gateway, query, { token: await partnerToken(victim, beta, 'colending') });
    expect(JSON.stringify(other.data ?? {})).not.toContain('escalationLevel');
  });
});

describe('the ids of a loan\'s transactions across partners', () => {
  it('the loan\'s own partner reads its transactions\' global ids beside their database ids; another origination partner of the lender reaches neither', async () => {
    const document = `{ node(id: "${loanGlobalId}") { ... on Loan { ${TRANSACTION_IDS.replaceAll('%TODAY%', victim.businessDate)} } } }`;
    type Ids = { transactionId: string | null; transactionGlobalId: string | null };
    const own = await gql(server.gateway, document, { token: await partnerToken(victim, alpha, 'origination') });
    expect(own.errors).toBeUndefined();
    const loan = own.data!['node'] as { account: { allocations: Ids[] }; statement: { lines: (Ids & Record<string, string | null>)[] } };
    const repayment = { transactionId: loanTransactionId, transactionGlobalId: loanTransactionGlobalId };
    expect(loan.account.allocations).toEqual([repayment]);
    expect(loan.statement.lines.filter((l) => l.transactionId === loanTransactionId)).toEqual([{ ...repayment, reversedByTransactionGlobalId: null, reversesTransactionGlobalId: null }]);
    // Every line with a transaction (the fee charged beside the repayment too) names it both ways, the same one.
    const named = loan.statement.lines.filter((l) => l.transactionId !== null);
    expect(named.map((l) => l.transactionGlobalId)).toEqual(named.map((l) => encodeGlobalID('LoanTransaction', l.transactionId!)));
    const read = `{ node(id: "${loanTransactionGlobalId}") { id ... on LoanTransaction { kind } } }`;
    expect((await gql(server.gateway, read, { token: await partnerToken(victim, alpha, 'origination') })).data).toEqual({ node: { id: loanTransactionGlobalId, kind: 'REPAYMENT' } });
    // The ledger is the lender's: refused to the partner with the global ids as with the database ids.
    for (const ids of ['loanId transactionId', 'loanGlobalId transactionGlobalId']) {
      const ledger = await gql(server.gateway, `{ ledgerAccountStatement(account: "1100", from: "${victim.businessDate}", to: "${victim.businessDate}") { lines { ${ids} } } }`,
        { token: await partnerToken(victim, alpha, 'origination') });
      expect(codes(ledger)).toEqual(['FORBIDDEN']);
    }

    // Another origination partner of the same lender: the loan, its transactions and their ids are not there.
    const code = `other-${randomUUID().slice(0, 6)}`;
    await register(victim, code, 'ORIGINATION');
    const other = await partnerToken(victim, code, 'origination');
    for (const asked of [document, read, `{ loans(first: 100) { edges { node { ${TRANSACTION_IDS.replaceAll('%TODAY%', victim.businessDate)} } } } }`]) {
      const answer = JSON.stringify(await gql(server.gateway, asked, { token: other }));
      for (const id of [loanTransactionGlobalId, loanTransactionId, loanGlobalId, loanId]) expect(answer).not.toContain(id);
    }
    expect((await gql(server.gateway, read, { token: other })).data).toEqual({ node: null });
  });
});

describe('counts under the partner scope', () => {
  it('a partner\'s totalCount holds only its own rows, filtered or not; another partner of the tenant counts none', async () => {
    const query = `{ loans { totalCount } byNumber: loans(number: "L-000001") { totalCount } applications { totalCount }
      applicationByNumber: applications(number: "A-000001") { totalCount } webhookEndpoints { totalCount } webhookDeliveries { totalCount } }`;
    const victimDb = server.runtime.tenantClients.forSchema(victim.schemaName);
    // Alpha's endpoint keeps receiving its own events, so its deliveries are counted around the query.
    const deliveredBefore = await victimDb.webhookDelivery.count({ where: { partnerCode: alpha } });
    const own = await gql(server.gateway, query, { token: await partnerToken(victim, alpha, 'origination') });
    const deliveredAfter = await victimDb.webhookDelivery.count({ where: { partnerCode: alpha } });
    expect(own.errors).toBeUndefined();
    const one = { totalCount: 1 };
    const { webhookDeliveries, ...rest } = own.data as { webhookDeliveries: { totalCount: number } };
    expect(rest).toEqual({ loans: one, byNumber: one, applications: one, applicationByNumber: one, webhookEndpoints: one });
    expect(webhookDeliveries.totalCount).toBeGreaterThanOrEqual(Math.max(1, deliveredBefore));
    expect(webhookDeliveries.totalCount).toBeLessThanOrEqual(deliveredAfter);
    await register(victim, 'countprobe', 'ORIGINATION');
    const another = await gql(server.gateway, query, { token: await partnerToken(victim, 'countprobe', 'origination') });
    expect(another.errors).toBeUndefined();
    const none = { totalCount: 0 };
    expect(another.data).toEqual({ loans: none, byNumber: none, applications: none, applicationByNumber: none, webhookEndpoints: none, webhookDeliveries: none });
    // The lender's staff count the same rows as theirs.
    const staff = await gql(server.gateway, '{ loans { totalCount } applications { totalCount } }', { token: await devToken(server.runtime, 'tenant-admin', victim.slug) });
    expect(staff.data).toEqual({ loans: one, applications: one });
  });
});

describe('currency settings across tenants and partners', () => {
  it('another tenant\'s staff read and set only their own; partners, the tenant\'s own included, neither read nor set them', async () => {
    const read = '{ currencies { currency cashRoundingMultiple updatedBy } }';
    const set = `mutation { setCurrencyCashRounding(input: { currency: "ISK", cashRoundingMultiple: "1" }) { currencySetting { currency cashRoundingMultiple updatedBy } ${USER_ERRORS} } }`;
    const otherStaff = await devToken(server.runtime, 'tenant-admin', other.slug);
    // Staff of another tenant: their own tenant's settings, never the victim's; naming the victim is refused.
    const own = await gql(server.gateway, read, { token: otherStaff });
    expect(own.errors).toBeUndefined();
    expect(JSON.stringify(own.data)).not.toContain(currencyAdmin);
    for (const [token, tenantHeader] of [[otherStaff, victim.slug], [await partnerToken(other, gamma, 'origination'), undefined],
      [await partnerToken(victim, alpha, 'origination'), undefined], [await partnerToken(victim, beta, 'colending'), undefined]] as const) {
      for (const document of [read, set]) {
        const answer = await gql(server.gateway, document, { token, ...(tenantHeader ? { tenant: tenantHeader } : {}) });
        expect(codes(answer).length).toBeGreaterThan(0);
        expect(['FORBIDDEN', 'UNAUTHENTICATED']).toEqual(expect.arrayContaining(codes(answer)));
        expect(JSON.stringify(answer)).not.toContain(currencyAdmin);
      }
    }
    // What another tenant's admin sets is its own.
    const changed = await gql(server.gateway, set, { token: otherStaff });
    expect(userErrors(changed, 'setCurrencyCashRounding')).toEqual([]);
    const victimDb = server.runtime.tenantClients.forSchema(victim.schemaName);
    const rows = await victimDb.currencySetting.findMany();
    expect(rows.map((row) => [row.currency, row.cashRoundingMultiple.toString(), row.updatedBy])).toEqual([['ISK', '500', currencyAdmin]]);
  });
});

describe('the portfolio report across tenants and partners', () => {
  it('staff of another tenant read only their own book; partners of either kind, the victim\'s own included, read none, over GraphQL and CSV', async () => {
    const document = '{ portfolioReport { currencies { currency loans principal products { productCode principal } } trialBalance { lines { account balance } } } }';
    const victimDb = server.runtime.tenantClients.forSchema(victim.schemaName);
    const principal = `${(await victimDb.loan.findUniqueOrThrow({ where: { id: loanId } })).principalReceivable.toFixed(2)} USD`;
    // The victim's own staff see the victim's loan in the book: what the others must not.
    const own = await gql(server.gateway, document, { token: await devToken(server.runtime, 'finance', victim.slug) });
    expect(own.errors).toBeUndefined();
    expect(own.data!['portfolioReport'].currencies).toMatchObject([{ currency: 'USD', loans: 1, principal }]);
    const leaks = [principal.split(' ')[0]!, loanPrincipal];
    const otherStaff = await devToken(server.runtime, 'finance', other.slug);
    const theirs = await gql(server.gateway, document, { token: otherStaff });
    expect(theirs.errors).toBeUndefined();
    const theirCsv = await fetch(`${server.gateway.url}/reports/portfolio/products.csv`, { headers: { authorization: `Bearer ${otherStaff}` } });
    expect(theirCsv.status).toBe(200);
    for (const answer of [JSON.stringify(theirs), await theirCsv.text()]) for (const leak of leaks) expect(answer).not.toContain(leak);
    for (const [token, tenantHeader] of [[otherStaff, victim.slug], [await partnerToken(other, gamma, 'origination'), undefined],
      [await partnerToken(victim, alpha, 'origination'), undefined], [await partnerToken(victim, beta, 'colending'), undefined]] as const) {
      const headers = { authorization: `Bearer ${token}`, ...(tenantHeader ? { 'x-lendgraph-tenant': tenantHeader } : {}) };
      const answer = await gql(server.gateway, document, { token, ...(tenantHeader ? { tenant: tenantHeader } : {}) });
      expect(codes(answer).length).toBeGreaterThan(0);
      expect(['FORBIDDEN', 'UNAUTHENTICATED']).toEqual(expect.arrayContaining(codes(answer)));
      const csv = await fetch(`${server.gateway.url}/reports/portfolio/products.csv`, { headers });
      expect([401, 403]).toContain(csv.status);
      for (const text of [JSON.stringify(answer), await csv.text()]) for (const leak of leaks) expect(text).not.toContain(leak);
    }
  });
});

describe('a webhook endpoint the caller cannot see', () => {
  const DELIVERIES = 'query($endpoint: ID) { webhookDeliveries(first: 10, endpointId: $endpoint) { edges { node { id } } } }';
  const DEACTIVATE = 'mutation($endpoint: ID) { deactivateWebhookEndpoint(input: { endpointId: $endpoint }) { webhookEndpoint { id } userErrors { code field message } } }';

  it('is not found by the delivery log, naming endpointId, as deactivating it is not: another partner\'s, another tenant\'s, none at all', async () => {
    const askers = [
      ['another partner of the same tenant', await partnerToken(victim, beta, 'colending'), hookGlobalId],
      ['a partner of another tenant', await partnerToken(other, gamma, 'origination'), hookGlobalId],
      ['staff of another tenant', await devToken(server.runtime, 'tenant-admin', other.slug), hookGlobalId],
      ['its own partner, naming an endpoint that never was', await partnerToken(victim, alpha, 'origination'), encodeGlobalID('WebhookEndpoint', randomUUID())],
      ['the lender\'s staff, naming an endpoint that never was', await devToken(server.runtime, 'tenant-admin', victim.slug), encodeGlobalID('WebhookEndpoint', randomUUID())],
    ] as const;
    for (const [who, token, endpoint] of askers) {
      const log = await gql(server.gateway, DELIVERIES, { token, variables: { endpoint } });
      expect(log.errors?.map((e) => ({ code: e.extensions['code'], field: e.extensions['field'], message: e.message })), who)
        .toEqual([{ code: 'NOT_FOUND', field: 'endpointId', message: 'no webhook endpoint with that id' }]);
      expect(log.data?.['webhookDeliveries'] ?? null, who).toBeNull();
      const deactivated = await gql(server.gateway, DEACTIVATE, { token, variables: { endpoint } });
      expect(userErrors(deactivated, 'deactivateWebhookEndpoint'), who).toEqual([{ code: 'NOT_FOUND', field: 'input.endpointId', message: 'no webhook endpoint with that id' }]);
    }
    expect(await server.runtime.tenantClients.forSchema(victim.schemaName).webhookEndpoint.findUniqueOrThrow({ where: { id: decodeGlobalID(hookGlobalId).id } })).toMatchObject({ active: true });
  });

  it('of the caller\'s own, answers its log, empty while nothing was sent to it; the lender\'s own endpoint is not found by a partner', async () => {
    const staff = await devToken(server.runtime, 'tenant-admin', victim.slug);
    const registered = await gql(server.gateway, 'mutation($input: RegisterWebhookEndpointInput!) { registerWebhookEndpoint(input: $input) { webhookEndpoint { id } userErrors { code } } }', {
      token: staff, variables: { input: { url: `https://lender.example.test/hooks/${randomUUID()}`, eventTypes: ['loanProduct.retired'] } },
    });
    const lenders = registered.data!['registerWebhookEndpoint'].webhookEndpoint.id as string;
    const quiet = await gql(server.gateway, DELIVERIES, { token: staff, variables: { endpoint: lenders } });
    expect(quiet.errors).toBeUndefined();
    expect(quiet.data!['webhookDeliveries']).toEqual({ edges: [] });
    const alphas = await gql(server.gateway, DELIVERIES, { token: await partnerToken(victim, alpha, 'origination'), variables: { endpoint: hookGlobalId } });
    expect(alphas.errors).toBeUndefined();
    expect(alphas.data!['webhookDeliveries'].edges.length).toBeGreaterThan(0);
    const byAlpha = await gql(server.gateway, DELIVERIES, { token: await partnerToken(victim, alpha, 'origination'), variables: { endpoint: lenders } });
    expect(byAlpha.errors?.map((e) => e.extensions['code'])).toEqual(['NOT_FOUND']);
  });
});

describe('isolation across every root field', () => {
  it('has a probe for every root field of the schema', () => {
    const schema = buildSchema();
    const roots = [schema.getQueryType(), schema.getMutationType(), schema.getSubscriptionType()]
      .flatMap((type) => Object.keys(type!.getFields()).map((field) => `${type!.name}.${field}`));
    expect(Object.keys(PROBES).sort()).toEqual(roots.sort());
  });

  const victimOrigin = 'https://victim-dashboard.example.test';
  beforeAll(async () => {
    await server.runtime.registry.setDashboardOrigins(victim.slug, [victimOrigin]);
  });

  const attackers = [
    ['staff of another tenant', () => devToken(server.runtime, 'tenant-admin', other.slug), undefined],
    ['staff of another tenant naming the victim', () => devToken(server.runtime, 'tenant-admin', other.slug), () => victim.slug],
    ['a partner of another tenant', () => partnerToken(other, gamma, 'origination'), undefined],
    ['another partner of the same tenant', () => partnerToken(victim, beta, 'colending'), undefined],
  ] as const;

  for (const [name, token, selector] of attackers) {
    it(`${name}: no root field reveals or changes the victim's data`, async () => {
      const bearer = await token();
      // Identifiers only the victim's data carries. (A partner code is not one: the probes themselves register
      // the same code in the attacker's own tenant, where codes are the attacker's to choose.)
      const leaks = [partyGlobalId, secretName, alphaGlobalId, alphaClientId, hookGlobalId, deliveryGlobalId, hookUrl,
        loanId, loanGlobalId, loanTransactionGlobalId, loanTransactionId, waiverGlobalId, loanPrincipal, ledgerAccountName, currencyAdmin,
        applicationGlobalId, applicantName, 'victim purpose', reviewGlobalId, documentGlobalId, 'victim.pdf', policyGlobalId, victimPolicyName, matrixGlobalId, victimLevelName, settingsGlobalId, victimAccountRef, '9z9z', victimBucketName, victimProductBucketName, victimEodOperator,
        staffGlobalId, staffEmail, staffName, staffSubject, caseGlobalId, promiseGlobalId, victimCaseNote, promisedAmount,
        victimTemplate.split(' ')[0]!, victimMessageBody, messageGlobalId, 'Pacific/Chatham', '22:17', victimCompany, victimAccount, mandateGlobalId, 'Victim Holder',
        victimOrigin, writeOffGlobalId, victimWriteOffReason, restructureGlobalId, victimRestructureReason, arrangementGlobalId, participationGlobalId, victimArrangementName, delta, settlementGlobalId, victimEscrow, commissionGlobalId, '96.02'];
      const fill = (text: string) => text.replaceAll('%PARTY%', partyGlobalId).replaceAll('%ALPHA%', alphaGlobalId)
        .replaceAll('%ALPHA_CODE%', alpha).replaceAll('%TENANT%', victim.slug).replaceAll('%TODAY%', victim.businessDate)
        .replaceAll('%HOOK%', hookGlobalId).replaceAll('%DELIVERY%', deliveryGlobalId)
        .replaceAll('%LOAN%', loanGlobalId).replaceAll('%LOANTX%', loanTransactionGlobalId).replaceAll('%WAIVER%', waiverGlobalId).replaceAll('%WRITEOFF%', writeOffGlobalId).replaceAll('%RESTRUCTURE%', restructureGlobalId)
        .replaceAll('%ARRANGEMENT%', arrangementGlobalId).replaceAll('%PARTICIPATION%', participationGlobalId)
        .replaceAll('%SETTLEMENT%', settlementGlobalId).replaceAll('%DELTA%', delta).replaceAll('%COMMISSION%', commissionGlobalId)
        .replaceAll('%APPLICATION%', applicationGlobalId).replaceAll('%APPLICANT_ID%', applicantIdentifier)
        .replaceAll('%DOCUMENT%', documentGlobalId).replaceAll('%REVIEW%', reviewGlobalId).replaceAll('%POLICY%', policyGlobalId).replaceAll('%PRICING%', pricingGlobalId).replaceAll('%MATRIX%', matrixGlobalId).replaceAll('%SETTINGS%', settingsGlobalId)
        .replaceAll('%STAFF%', staffGlobalId).replaceAll('%CASE%', caseGlobalId).replaceAll('%PROMISE%', promiseGlobalId).replaceAll('%MESSAGE%', messageGlobalId).replaceAll('%MANDATE%', mandateGlobalId);
      for (const [field, document] of Object.entries(PROBES)) {
        let answer: string;
        if (field.startsWith('Subscription.')) {
          const live = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${bearer}`, ...(selector ? { tenant: selector() } : {}) }, fill(document));
          await until(() => live.results.length > 0 || live.errors.length > 0).catch(() => undefined);
          answer = JSON.stringify([live.results, live.errors]);
          await live.stop();
        } else {
          answer = JSON.stringify(await gql(server.gateway, fill(document), { token: bearer, ...(selector ? { tenant: selector() } : {}) }));
        }
        for (const leak of leaks) expect(answer, `${field} leaked ${leak}`).not.toContain(leak);
      }
      server.runtime.registry.forget(victim.slug);
      expect((await server.runtime.registry.findBySlug(victim.slug))!.status).toBe('active');
      expect((await server.runtime.registry.findBySlug(victim.slug))!.businessDate).toBe(victim.businessDate);
      expect((await server.runtime.registry.findBySlug(victim.slug))!.dashboardOrigins).toEqual([victimOrigin]);
      expect((await server.runtime.tenantClients.forSchema(victim.schemaName).partyMatchReview.findUniqueOrThrow({ where: { id: reviewId } })).status).toBe('open');
      const alphaRow = await server.runtime.tenantClients.forSchema(victim.schemaName).partner.findUnique({ where: { code: alpha } });
      expect(alphaRow).toMatchObject({ name: `Partner ${alpha}`, secretRotatedAt: null, status: 'active' });
      const victimDb = server.runtime.tenantClients.forSchema(victim.schemaName);
      expect(await victimDb.webhookEndpoint.findUniqueOrThrow({ where: { id: decodeGlobalID(hookGlobalId).id } })).toMatchObject({ active: true, url: hookUrl, secretRotatedAt: null, previousSecretSealed: null });
      expect(await victimDb.outboxEvent.count({ where: { type: { in: ['webhookEndpoint.tested', 'webhookEndpoint.secretRotated'] } } })).toBe(0);
      expect(await victimDb.webhookDelivery.count({ where: { replayOf: decodeGlobalID(deliveryGlobalId).id } })).toBe(0);
      expect(await victimDb.webhookEndpoint.count({ where: { partnerCode: alpha } })).toBe(1);
      // The repayment and the fee the setup posted, and nothing more.
      expect(await victimDb.loanTransaction.count({ where: { loanId } })).toBe(2);
      expect(await victimDb.loan.count()).toBe(1);
      expect(await victimDb.loanWaiverRequest.findMany()).toMatchObject([{ status: 'pending' }]);
      expect(await victimDb.loanWriteOffRequest.findMany()).toMatchObject([{ status: 'pending', reason: victimWriteOffReason, transactionId: null }]);
      expect(await victimDb.chargeOffRule.findMany()).toMatchObject([{ atDays: 173 }]);
      expect(await victimDb.loanRestructureRequest.findMany()).toMatchObject([{ status: 'pending', reason: victimRestructureReason, transactionId: null }]);
      expect(await victimDb.coLendingArrangementVersion.findMany({ orderBy: { version: 'asc' }, select: { version: true, status: true } })).toEqual([{ version: 1, status: 'approved' }, { version: 2, status: 'pending' }]);
      expect(await victimDb.loanParticipation.findMany({ select: { partnerCode: true } })).toEqual([{ partnerCode: delta }]);
      expect(await victimDb.coLendingRules.count()).toBe(0);
      expect(await victimDb.coLendingSettlement.count()).toBe(1);
      expect(await victimDb.originationCommissionRule.findMany({ select: { percent: true, clawbackDays: true } })).toEqual([{ percent: expect.anything(), clawbackDays: 45 }]);
      expect((await victimDb.originationCommissionRule.findFirstOrThrow()).percent.toString()).toBe('1.2345');
      expect(await victimDb.originationCommission.count()).toBe(1);
      expect(await victimDb.coLendingPartnerLedger.findMany({ select: { escrowAccount: true, settlementLagDays: true } })).toEqual([{ escrowAccount: victimEscrow, settlementLagDays: 3 }]);
      expect((await victimDb.loanProduct.findUniqueOrThrow({ where: { code: 'PL-STD' } })).accountMapping).toEqual({});
      expect(await victimDb.loanProduct.findMany({ select: { code: true, retiredAt: true } })).toEqual([{ code: 'PL-STD', retiredAt: null }]);
      expect(await victimDb.outboxEvent.count({ where: { type: { in: ['loanProduct.created', 'loanProduct.cloned', 'loanProduct.retired'] } } })).toBe(0);
      expect(await victimDb.application.findMany()).toMatchObject([{ status: 'submitted', originationPartner: alpha, purpose: 'victim purpose', coLendingArrangementId: null }]);
      expect(await victimDb.partyMatch.count()).toBe(1);
      expect(await victimDb.applicationDocument.findMany()).toMatchObject([{ status: 'uploaded', reviewedBy: null }]);
      expect(await victimDb.creditPolicy.findMany()).toMatchObject([{ status: 'draft', activationRequestedBy: null }]);
      expect(await victimDb.currencySetting.findMany()).toMatchObject([{ currency: 'ISK', updatedBy: currencyAdmin }]);
      expect((await victimDb.currencySetting.findMany())[0]!.cashRoundingMultiple.toString()).toBe('500');
      expect(await victimDb.approvalAuthorityMatrix.findMany()).toMatchObject([{ status: 'pending_activation', activatedBy: null }]);
      expect(await victimDb.productDocumentChecklist.count()).toBe(0);
      expect(await victimDb.delinquencyPolicy.findMany()).toMatchObject([{ version: 1, regime: 'US_CHARGE_OFF', buckets: [{ name: 'Current' }, { name: victimBucketName }] }]);
      expect((await victimDb.loanProduct.findUniqueOrThrow({ where: { code: 'PL-STD' } })).delinquencyBuckets).toEqual([{ name: victimProductBucketName, fromDays: 0, toDays: null }]);
      expect(await victimDb.checkProviderSettings.findMany()).toMatchObject([{ status: 'pending_activation', activatedBy: null }]);
      expect(await victimDb.staffMember.findMany()).toMatchObject([{ email: staffEmail, displayName: staffName, roles: ['collections-agent'], status: 'active', changedBy: null }]);
      expect(await victimDb.collectionCase.findMany()).toMatchObject([{ status: 'open', assignedTo: decodeGlobalID(staffGlobalId).id, escalationLevel: 0 }]);
      expect((await victimDb.collectionCaseEntry.findMany({ orderBy: { seq: 'asc' } })).map((e) => e.kind)).toEqual(['activity', 'promiseMade']);
      expect(await victimDb.promiseToPay.findMany()).toMatchObject([{ status: 'pending' }]);
      expect(await victimDb.debitMandate.findMany()).toMatchObject([{ status: 'active', holderName: 'Victim Holder' }]);
      expect(await victimDb.debitSettings.findMany()).toMatchObject([{ companyName: victimCompany }]);
      expect(await victimDb.reminderRule.findMany()).toMatchObject([{ template: victimTemplate }]);
      expect(await victimDb.reminderSettings.findMany()).toMatchObject([{ quietFrom: 22 * 60 + 17, quietTo: 7 * 60 + 43 }]);
      expect(await victimDb.partyContactPreference.findMany()).toMatchObject([{ timeZone: 'Pacific/Chatham', optedOut: ['email'] }]);
      expect(await victimDb.loanMessage.findMany()).toMatchObject([{ status: 'scheduled', body: victimMessageBody }]);
      expect(await victimDb.collectionRule.findMany()).toMatchObject([{ openAtDays: 3, collectors: [{ bucket: null, staffMemberIds: [decodeGlobalID(staffGlobalId).id] }] }]);
    });
  }
});

describe('who did it, as partners read it', () => {
  // The lender's staff, recorded by subjects that name them (as an e-mail address would): none may reach a partner.
  const person = (role: string) => `${role}.${randomUUID().slice(0, 6)}@lender.example`;
  const staff = {
    underwriter: person('ursula-underwriter'), approver: person('arthur-approver'), officer: person('olivia-officer'),
    disbursementMaker: person('dora-disbursement'), disbursementChecker: person('carl-checker'), servicer: person('sam-servicer'), finance: person('fiona-finance'),
  };
  const originator = `orig-${randomUUID().slice(0, 6)}`;
  const coLender = `col-${randomUUID().slice(0, 6)}`;
  let lender: TenantRecord;
  let originatorToken: string;
  let originatorSubject: string;
  let coLenderToken: string;
  let applicationId: string;
  let arrangementId: string;
  let bookedLoanId: string;
  const tokenOf = async (role: Parameters<typeof devToken>[1], subject: string) => devToken(server.runtime, role, lender.slug, { subject });
  async function ok(token: string, mutation: string, name: string, input: Record<string, unknown>) {
    const answer = await gql(server.gateway, mutation, { token, variables: { input } });
    expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
    expect(userErrors(answer, name)).toEqual([]);
    return answer.data![name];
  }

  beforeAll(async () => {
    lender = await createTenant(server.runtime, uniqueSlug('pw'), { sandbox: true, businessDate: '2026-12-01' });
    await register(lender, originator, 'ORIGINATION');
    await register(lender, coLender, 'COLENDING');
    originatorToken = await partnerToken(lender, originator, 'origination');
    coLenderToken = await partnerToken(lender, coLender, 'colending');
    originatorSubject = (await gql(server.gateway, '{ viewer { subject } }', { token: originatorToken })).data!['viewer'].subject;
    // The partner's application, referred by the policy; an underwriter recommends it and an approver approves it.
    const created = await ok(originatorToken, `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application { id status } ${USER_ERRORS} } }`, 'createApplication', {
      productCode: 'PL-STD', amount: '20000', numberOfRepayments: 24, purpose: 'home improvement', declaredMonthlyIncome: '30000', monthlyDebtPayments: '300', employer: 'Acme Corp', submit: true,
      applicant: {
        kind: 'PERSON', legalName: 'Who Didit', email: `whodidit+kyc-pep+bureau-prime@example.test`, phone: '+14155559911', dateOfBirth: '1985-04-12',
        address: { lines: ['1 Main Street'], city: 'Springfield', postalCode: '12345', country: 'US' }, identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: 'WDI100001' }],
      },
    });
    expect(created.application.status).toBe('REFERRED');
    applicationId = created.application.id;
    const recommended = await ok(await tokenOf('underwriter', staff.underwriter), `mutation($input: RecommendApplicationInput!) { recommendApplication(input: $input) { approvalRequest { id } ${USER_ERRORS} } }`,
      'recommendApplication', { applicationId, recommendation: 'APPROVE', reason: 'cleared by enhanced due diligence' });
    await ok(await tokenOf('credit-approver', staff.approver), `mutation($input: DecideApprovalRequestInput!) { decideApprovalRequest(input: $input) { approvalRequest { id } ${USER_ERRORS} } }`,
      'decideApprovalRequest', { requestId: recommended.approvalRequest.id, approve: true, reason: 'within authority' });
    // The partner accepts, signs and uploads; a loan officer verifies; two disbursement officers pay it out.
    await ok(originatorToken, `mutation($input: AcceptApplicationOfferInput!) { acceptApplicationOffer(input: $input) { application { status } ${USER_ERRORS} } }`, 'acceptApplicationOffer',
      { applicationId, consentText: 'I have read the loan agreement, the pre-contract information and the APR, and I agree to borrow on these terms.' });
    await ok(originatorToken, `mutation($input: SignApplicationAgreementInput!) { signApplicationAgreement(input: $input) { application { status } ${USER_ERRORS} } }`, 'signApplicationAgreement', { applicationId });
    for (const kind of ['proof_of_identity', 'proof_of_income']) {
      const documentId = await uploadApplicationDocument(server.gateway.url, originatorToken, applicationId, kind);
      await ok(await tokenOf('loan-officer', staff.officer), `mutation($input: ReviewApplicationDocumentInput!) { reviewApplicationDocument(input: $input) { applicationDocument { status } ${USER_ERRORS} } }`,
        'reviewApplicationDocument', { documentId, verified: true });
    }
    const requested = await ok(await tokenOf('disbursement-officer', staff.disbursementMaker), `mutation($input: RequestDisbursementInput!) { requestDisbursement(input: $input) { disbursementRequest { id } ${USER_ERRORS} } }`,
      'requestDisbursement', { applicationId, disbursementDate: '2026-12-01' });
    const decided = await ok(await tokenOf('disbursement-officer', staff.disbursementChecker), `mutation($input: DecideDisbursementInput!) { decideDisbursement(input: $input) { disbursementRequest { loan { id } } ${USER_ERRORS} } }`,
      'decideDisbursement', { requestId: requested.disbursementRequest.id, approve: true });
    const loanId = decided.disbursementRequest.loan.id;
    bookedLoanId = loanId;
    // A co-lending arrangement proposed by finance and approved by the approver; its share of the loan, a repayment and a settlement.
    const finance = await tokenOf('finance', staff.finance);
    const proposed = await ok(finance, `mutation($input: ProposeCoLendingArrangementInput!) { proposeCoLendingArrangement(input: $input) { coLendingArrangement { id } ${USER_ERRORS} } }`, 'proposeCoLendingArrangement', {
      partnerCode: coLender, name: 'Who pool', currency: 'USD', sharePercent: '40', partnerRatePercent: '9', model: 'COLLECTION_SHARE', validFrom: '2026-12-01',
    });
    arrangementId = proposed.coLendingArrangement.id;
    await ok(await tokenOf('credit-approver', staff.approver), `mutation($input: DecideCoLendingArrangementInput!) { decideCoLendingArrangement(input: $input) { coLendingArrangement { id } ${USER_ERRORS} } }`,
      'decideCoLendingArrangement', { arrangementId, version: 1, approve: true });
    await ok(await tokenOf('disbursement-officer', staff.disbursementChecker), `mutation($input: AssignLoanParticipationInput!) { assignLoanParticipation(input: $input) { loanParticipation { id } ${USER_ERRORS} } }`,
      'assignLoanParticipation', { idempotencyKey: `share-${randomUUID()}`, loanId, arrangementId });
    await ok(await tokenOf('servicing-agent', staff.servicer), `mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`,
      'postRepayment', { idempotencyKey: `repay-${randomUUID()}`, loanId, amount: '500', valueDate: '2026-12-01', channel: 'card' });
    const settled = await ok(finance, `mutation($input: SettleCoLenderInput!) { settleCoLender(input: $input) { settlements { id } ${USER_ERRORS} } }`, 'settleCoLender',
      { idempotencyKey: `settle-${randomUUID()}`, partnerCode: coLender });
    expect(settled.settlements).toHaveLength(1);
  });

  const ORIGINATOR_READS = `query($id: ID!) { node(id: $id) { ... on Application {
    history { event actor } decisions { decidedBy } documents { kind uploadedBy reviewedBy } loan { transactions { kind enteredBy } } } } }`;
  const CO_LENDER_READS = `query($id: ID!) { node(id: $id) { ... on CoLendingArrangement { versions { proposedBy decidedBy } } }
    loanParticipations(first: 10) { edges { node { assignedBy } } } coLendingSettlements(first: 10) { edges { node { createdBy } } } }`;
  const GENERATED_AGREEMENTS = [
    { kind: 'agreement', uploadedBy: 'agreement-generator', reviewedBy: null },
    { kind: 'signed_agreement', uploadedBy: 'provider:sandbox-esign', reviewedBy: null },
  ];
  // Both are made in one command, at one moment: in upload order they tie, so they are compared by kind.
  const agreementsOf = (application: { documents: { kind: string }[] }) =>
    application.documents.filter((d) => d.kind.endsWith('agreement')).sort((a, b) => a.kind.localeCompare(b.kind));
  const noStaffIn = (answer: unknown) => {
    for (const subject of Object.values(staff)) expect(JSON.stringify(answer)).not.toContain(subject.split('@')[0]);
  };

  it('an origination partner reads the lender\'s staff as `lender`, its own actions as its own and the policy as `policy`', async () => {
    const answer = await gql(server.gateway, ORIGINATOR_READS, { token: originatorToken, variables: { id: applicationId } });
    expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
    noStaffIn(answer);
    const application = answer.data!['node'];
    const actorOf = (event: string) => application.history.find((h: { event: string }) => h.event === event)?.actor;
    expect([actorOf('create'), actorOf('refer'), actorOf('approve'), actorOf('accept_offer'), actorOf('sign_agreement'), actorOf('request_disbursement'), actorOf('disburse')])
      .toEqual([originatorSubject, 'policy', 'lender', originatorSubject, originatorSubject, 'lender', 'lender']);
    expect(new Set(application.history.map((h: { actor: string }) => h.actor))).toEqual(new Set([originatorSubject, 'policy', 'lender']));
    expect(application.decisions.map((d: { decidedBy: string }) => d.decidedBy)).toEqual(['policy', 'lender']);
    const uploaded = application.documents.filter((d: { kind: string }) => d.kind.startsWith('proof_of_'));
    expect(uploaded).toEqual([
      { kind: 'proof_of_identity', uploadedBy: originatorSubject, reviewedBy: 'lender' },
      { kind: 'proof_of_income', uploadedBy: originatorSubject, reviewedBy: 'lender' },
    ]);
    // The partner accepted and asked for the signature (its history above), but uploaded neither agreement: the
    // platform generated one and the e-sign provider returned the other.
    expect(agreementsOf(application)).toEqual(GENERATED_AGREEMENTS);
    expect(application.loan.transactions.map((x: { kind: string; enteredBy: string }) => [x.kind, x.enteredBy])).toEqual([['REPAYMENT', 'lender']]);
  });

  it('a co-lending partner reads who proposed, approved, assigned and settled as `lender`', async () => {
    const answer = await gql(server.gateway, CO_LENDER_READS, { token: coLenderToken, variables: { id: arrangementId } });
    expect(answer.errors, JSON.stringify(answer.errors)).toBeUndefined();
    noStaffIn(answer);
    expect(answer.data).toEqual({
      node: { versions: [{ proposedBy: 'lender', decidedBy: 'lender' }] },
      loanParticipations: { edges: [{ node: { assignedBy: 'lender' } }] },
      coLendingSettlements: { edges: [{ node: { createdBy: 'lender' } }] },
    });
  });

  it('the lender\'s staff read every actor as recorded', async () => {
    const auditor = await devToken(server.runtime, 'auditor', lender.slug);
    const origination = await gql(server.gateway, ORIGINATOR_READS, { token: auditor, variables: { id: applicationId } });
    expect(origination.errors, JSON.stringify(origination.errors)).toBeUndefined();
    const application = origination.data!['node'];
    const actorOf = (event: string) => application.history.find((h: { event: string }) => h.event === event)?.actor;
    expect([actorOf('create'), actorOf('refer'), actorOf('approve'), actorOf('request_disbursement'), actorOf('disburse')])
      .toEqual([originatorSubject, 'policy', staff.approver, staff.disbursementMaker, staff.disbursementChecker]);
    expect(application.decisions.map((d: { decidedBy: string }) => d.decidedBy)).toEqual(['policy', staff.approver]);
    expect(application.documents.filter((d: { kind: string }) => d.kind.startsWith('proof_of_')).map((d: { reviewedBy: string }) => d.reviewedBy)).toEqual([staff.officer, staff.officer]);
    expect([actorOf('accept_offer'), actorOf('sign_agreement')]).toEqual([originatorSubject, originatorSubject]);
    expect(agreementsOf(application)).toEqual(GENERATED_AGREEMENTS);
    expect(application.loan.transactions.map((x: { enteredBy: string }) => x.enteredBy)).toEqual([staff.servicer]);
    const coLending = await gql(server.gateway, CO_LENDER_READS, { token: auditor, variables: { id: arrangementId } });
    expect(coLending.data).toEqual({
      node: { versions: [{ proposedBy: staff.finance, decidedBy: staff.approver }] },
      loanParticipations: { edges: [{ node: { assignedBy: staff.disbursementChecker } }] },
      coLendingSettlements: { edges: [{ node: { createdBy: staff.finance } }] },
    });
  });

  it('events name the underwriter who recommended an approval as `lender` to the partner, queried and live, and as the person to staff', async () => {
    const QUERY = '{ events(first: 100, types: ["application.approved"]) { edges { node { aggregateId payload } } } }';
    const recommendedBy = (nodes: { aggregateId: string; payload: { decision: { recommendedBy: string } } }[]) =>
      nodes.filter((node) => node.aggregateId === applicationId).map((node) => node.payload.decision.recommendedBy);
    const queried = await gql(server.gateway, QUERY, { token: originatorToken });
    expect(queried.errors, JSON.stringify(queried.errors)).toBeUndefined();
    noStaffIn(queried);
    expect(recommendedBy(queried.data!['events'].edges.map((edge: { node: unknown }) => edge.node))).toEqual(['lender']);
    const live = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${originatorToken}` }, 'subscription { events(after: "0", types: ["application.approved"]) { aggregateId payload } }');
    await until(() => live.results.length > 0 || live.errors.length > 0);
    await live.stop();
    noStaffIn(live.results);
    expect(recommendedBy(live.results.map((result) => result['data'].events))).toEqual(['lender']);
    const staffReads = await gql(server.gateway, QUERY, { token: await devToken(server.runtime, 'auditor', lender.slug) });
    expect(recommendedBy(staffReads.data!['events'].edges.map((edge: { node: unknown }) => edge.node))).toEqual([staff.underwriter]);
  });

  it('the documents partners download (a loan statement, a settlement statement) name none of the lender\'s staff', async () => {
    const settlements = await gql(server.gateway, '{ coLendingSettlements(first: 10) { edges { node { csvPath } } } }', { token: coLenderToken });
    const downloads: [string, string][] = [
      [originatorToken, `/statements/loans/${encodeURIComponent(bookedLoanId)}.csv?from=2026-12-01&to=2026-12-01`],
      [coLenderToken, settlements.data!['coLendingSettlements'].edges[0].node.csvPath],
    ];
    for (const [token, path] of downloads) {
      const response = await fetch(`${server.gateway.url.replace(/\/$/, '')}${path}`, { headers: { authorization: `Bearer ${token}` } });
      expect(response.status, path).toBe(200);
      noStaffIn(await response.text());
    }
  });

  it('every field a partner can read that names who did something answers through the one mapping', () => {
    const schema = buildSchema();
    type Scopes = { can?: Capability; canAny?: readonly Capability[] } | ((...args: never[]) => unknown) | undefined;
    const scopesOf = (extensions: unknown) => (extensions as { pothosOptions?: { authScopes?: Scopes } } | undefined)?.pothosOptions?.authScopes;
    const grants = (scopes: Scopes, role: Role) => {
      if (scopes === undefined || typeof scopes === 'function') return true;
      if (scopes.can) return allows(scopes.can, [role], true);
      if (scopes.canAny) return scopes.canAny.some((capability) => allows(capability, [role], true));
      return true;
    };
    const mapped: string[] = [];
    const unmapped: string[] = [];
    for (const type of Object.values(schema.getTypeMap())) {
      if (!isObjectType(type) || type.name.startsWith('__')) continue;
      for (const field of Object.values(type.getFields())) {
        if (!/(^actor|^by|By)$/.test(field.name) || getNamedType(field.type).name !== 'String') continue;
        const partnerReads = (['origination-partner', 'colending-partner'] as const).some((role) => grants(scopesOf(type.extensions), role) && grants(scopesOf(field.extensions), role));
        if (partnerReads) (field.extensions[ACTOR_FIELD] === true ? mapped : unmapped).push(`${type.name}.${field.name}`);
      }
    }
    expect(unmapped).toEqual([]);
    expect(mapped).toEqual(expect.arrayContaining(['ApplicationTransition.actor', 'ApplicationDecision.decidedBy', 'ApplicationDocument.uploadedBy', 'ApplicationDocument.reviewedBy',
      'LoanTransaction.enteredBy', 'CoLendingArrangementVersion.proposedBy', 'CoLendingArrangementVersion.decidedBy', 'LoanParticipation.assignedBy', 'CoLendingSettlement.createdBy']));
  });
});
