// The authorization matrix, cell by cell: every role against every capability, through the real gateway
// (HTTP, and WebSocket for subscriptions). Expected outcomes come from src/authz/capabilities.ts, the same table
// that docs/authz.md is generated from.
import { graphqlLiteral } from '../support/graphqlLiteral.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPABILITIES, allows, type Capability } from '../../src/authz/capabilities.js';
import { ROLES, type Role } from '../../src/authz/roles.js';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, type TestServer } from '../support/harness.js';
import { firstErrors, subscribe, until } from '../support/ws.js';
import { registerPartner } from '../../src/services/partners.js';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { randomUUID } from 'node:crypto';
import { disburseLoan } from '../../src/services/servicing/loans.js';
import { Decimal } from '../../src/domain/money.js';
import { createApplication } from '../../src/services/origination/applications.js';
import { uploadDocument } from '../../src/services/origination/applicationDocuments.js';
import { SANDBOX_CREDIT_POLICY } from '../../src/domain/origination/creditPolicy.js';
import { draftPricing, requestPricingActivation } from '../../src/services/origination/productPricing.js';
import { decideArrangement, proposeArrangement } from '../../src/services/coLending/arrangements.js';

let server: TestServer;
let tenant: TenantRecord;
let loanGlobalId: string;
let documentGlobalId: string;
/** Open possible-duplicate reviews: each probe of `parties.reconcile` resolves one of its own. */
const reviewGlobalIds: string[] = [];
let partnerDraftGlobalId: string;
let caseGlobalId: string;
let partyGlobalId: string;
let invitations = 0;
/** A loan per probe of `loans.participations.assign` (a partner takes one share of a loan), and the arrangement in force. */
const shareableLoans: string[] = [];
let arrangementGlobalId: string;

beforeAll(async () => {
  // The webhooks.manage probe registers a receiver on loopback: allowed here explicitly, as for local receivers.
  server = await startTestServer({ OUTBOUND_ALLOW_PRIVATE_DESTINATIONS: 'true', OUTBOUND_ALLOWED_PORTS: '9' });
  tenant = await createTenant(server.runtime, uniqueSlug('authz'), { sandbox: true });
  // Partner tokens are honoured only for partners the tenant has registered.
  const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
  for (const [code, kind] of [['p-1', 'origination'], ['p-2', 'colending']] as const) {
    await registerPartner(db, server.runtime.identity, { tenant: tenant.slug, actor: { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' }, now: server.runtime.now() }, { code, name: `Partner ${code}`, kind });
  }
  const { loanId } = await disburseLoan(db, { tenant: tenant.slug, actor: { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' }, now: server.runtime.now() },
    tenant.businessDate, { productCode: 'PL-STD', principal: new Decimal('5000'), disbursementDate: tenant.businessDate, numberOfRepayments: 12 });
  loanGlobalId = encodeGlobalID('Loan', loanId);
  const setup = { tenant: tenant.slug, actor: { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' }, now: server.runtime.now() };
  const { applicationId } = await createApplication(db, server.runtime.dataKey, setup, tenant.businessDate, { productCode: 'PL-STD', amount: '5000', numberOfRepayments: 12, purpose: 'authz probe', applicant: { kind: 'PERSON', legalName: 'Authz Document' } }, 'staff', null);
  const document = await uploadDocument(db, setup, { applicationId, kind: 'other', fileName: 'probe.pdf', contentType: 'application/pdf', bytes: Buffer.from('%PDF-1.7\nauthz probe\n%%EOF\n') }, null);
  documentGlobalId = encodeGlobalID('ApplicationDocument', document.id);
  // One person, then look-alikes under other names: each look-alike is a party of its own with a review.
  const lookalike = (legalName: string) => ({ kind: 'PERSON' as const, legalName, dateOfBirth: '1980-01-01', identifiers: [{ kind: 'national_id' as const, country: 'US', value: 'AUTHZREVIEW1' }] });
  for (const name of ['Authz Original', ...ROLES.map((role) => `Authz Lookalike ${role}`)]) {
    await createApplication(db, server.runtime.dataKey, setup, tenant.businessDate, { productCode: 'PL-STD', amount: '5000', numberOfRepayments: 12, purpose: 'authz review', applicant: lookalike(name) }, 'staff', null);
  }
  reviewGlobalIds.push(...(await db.partyMatchReview.findMany()).map((review) => encodeGlobalID('PartyMatchReview', review.id)));
  // A draft brought by partner p-1: staff may amend any, the partner only its own.
  const draft = await createApplication(db, server.runtime.dataKey, { ...setup, actor: { ...setup.actor, partner: 'p-1' } }, tenant.businessDate, { productCode: 'PL-STD', amount: '5000', numberOfRepayments: 12, purpose: 'authz probe', applicant: { kind: 'PERSON', legalName: 'Authz Draft' } }, 'partner', 'p-1');
  partnerDraftGlobalId = encodeGlobalID('Application', draft.applicationId);
  // A collection case on the loan, assigned to the collections agent whose dev token the probes use: an agent works
  // only its own cases, so the case must be its for the agent's cell to show the capability itself.
  const collector = await db.staffMember.create({ data: {
    id: randomUUID(), email: 'authz-collector@example.test', displayName: 'Authz Collector', roles: ['collections-agent'],
    identitySubject: `dev-user:collections-agent@${tenant.slug}`, invitedBy: 'test-setup', invitedAt: new Date(),
  } });
  const collectionCase = await db.collectionCase.create({ data: {
    id: randomUUID(), loanId, status: 'open', openedOn: new Date(`${tenant.businessDate}T00:00:00Z`), openedDaysPastDue: 1, assignedTo: collector.id,
    createdAt: new Date(), updatedAt: new Date(),
  } });
  caseGlobalId = encodeGlobalID('CollectionCase', collectionCase.id);
  partyGlobalId = encodeGlobalID('Party', (await db.party.findFirstOrThrow({ where: { legalName: 'Authz Document' } })).id);
  // An arrangement in force with the co-lending partner p-2 (at 10 % a share, so every role's loan can take one).
  const proposed = await proposeArrangement(db, setup, {
    partnerCode: 'p-2', name: 'Authz pool', currency: tenant.currency, terms: {
      sharePercent: new Decimal(10), partnerRatePercent: new Decimal(8), model: 'collectionShare', servicingFeePercent: new Decimal(0), guarantee: null,
      sharesFees: false, sharesPenalties: false, productCodes: [], maxLoanPrincipal: null, totalLimit: null, validFrom: '2000-01-01', validTo: null, borrowerData: 'none',
    },
  });
  await decideArrangement(db, { ...setup, actor: { ...setup.actor, subject: 'test-checker' } }, { arrangementId: proposed.arrangementId, version: 1, approve: true, reason: null });
  arrangementGlobalId = encodeGlobalID('CoLendingArrangement', proposed.arrangementId);
  for (const _role of ROLES) {
    const { loanId: shareable } = await disburseLoan(db, setup, tenant.businessDate, { productCode: 'PL-STD', principal: new Decimal('5000'), disbursementDate: tenant.businessDate, numberOfRepayments: 12 });
    shareableLoans.push(encodeGlobalID('Loan', shareable));
  }
});
afterAll(async () => {
  await server.close();
});

async function tokenFor(role: Role): Promise<string> {
  if (role === 'platform-admin') return devToken(server.runtime, role);
  if (role === 'origination-partner') return devToken(server.runtime, role, tenant.slug, { partner: { id: 'p-1', kind: 'origination' } });
  if (role === 'colending-partner') return devToken(server.runtime, role, tenant.slug, { partner: { id: 'p-2', kind: 'colending' } });
  return devToken(server.runtime, role, tenant.slug);
}

/** One operation per capability; resolves true when allowed, false when refused with FORBIDDEN. */
const PROBES: Record<Capability, (token: string) => Promise<boolean>> = {
  'platform.tenants.read': (token) => query(token, '{ tenants(first: 1) { edges { node { slug } } } }'),
  'platform.tenants.manage': (token) => query(token, `mutation { reactivateTenant(input: { slug: "${tenant.slug}", reason: "authz probe" }) { tenant { status } userErrors { code } } }`),
  'tenant.settings.read': (token) => query(token, '{ currentTenant { slug businessDate } }'),
  'tenant.dashboardOrigins.manage': (token) => query(token, 'mutation { setDashboardOrigins(input: { origins: ["https://dashboard.authz-probe.test"] }) { tenant { dashboardOrigins } userErrors { code } } }'),
  'parties.read': (token) => query(token, '{ parties(first: 1) { edges { node { legalName } } } }'),
  'products.read': (token) => query(token, '{ loanProducts(first: 1) { edges { node { code } } } }'),
  'products.manage': (token) => query(token, 'mutation { reviseLoanProductTerms(input: { code: "PL-STD", annualRatePercent: "14.9" }) { loanProduct { code } userErrors { code } } }'),
  'currencies.read': (token) => query(token, '{ currencies { currency minorUnits cashRoundingMultiple } }'),
  // Setting the minor unit itself: allowed roles change nothing the other probes rely on.
  'currencies.manage': (token) => query(token, 'mutation { setCurrencyCashRounding(input: { currency: "USD", cashRoundingMultiple: "0.01" }) { currencySetting { currency } userErrors { code } } }'),
  'partners.read': (token) => query(token, '{ partners(first: 5) { edges { node { code } } } }'),
  'staff.read': (token) => query(token, '{ staffMembers(first: 5, orderBy: INVITED_AT_DESC) { totalCount edges { node { email roles status } } } }'),
  // Each allowed role invites a person of its own (an e-mail address is invited once per tenant).
  'staff.manage': (token) => query(token, `mutation { inviteStaffMember(input: { email: "authz-probe-${++invitations}@example.test", displayName: "Authz Probe", roles: [LOAN_OFFICER] }) { staffMember { email } userErrors { code } } }`),
  'partners.manage': (token) => query(token, 'mutation { rotatePartnerSecret(input: { code: "p-1" }) { partner { code } userErrors { code } } }'),
  'webhooks.read': (token) => query(token, '{ webhookDeliveries(first: 1) { edges { node { status } } } webhookEndpoints(first: 1) { edges { node { url } } } }'),
  // Registering and enabling go together: a role may do both or neither (enabling the endpoint it just registered).
  'webhooks.manage': async (token) => {
    const registered = await gql(server.gateway, 'mutation { registerWebhookEndpoint(input: { url: "http://127.0.0.1:9/authz-probe", eventTypes: ["creditPolicy.*"] }) { webhookEndpoint { id active } userErrors { code } } }', { token });
    const id = registered.data?.['registerWebhookEndpoint']?.webhookEndpoint.id ?? encodeGlobalID('WebhookEndpoint', '00000000-0000-4000-8000-000000000000');
    const enabled = await query(token, `mutation { enableWebhookEndpoint(input: { id: "${id}" }) { webhookEndpoint { active } userErrors { code } } }`);
    // Whoever manages an endpoint may also rotate its secret and send it a test delivery.
    const rotated = await query(token, `mutation { rotateWebhookSigningSecret(input: { endpointId: "${id}", overlapHours: 1 }) { signingSecret userErrors { code } } }`);
    const tested = await query(token, `mutation { sendTestWebhook(input: { endpointId: "${id}" }) { webhookDelivery { eventType } userErrors { code } } }`);
    if (registered.errors) expect(codes(registered)).toEqual(['FORBIDDEN']);
    expect([enabled, rotated, tested]).toEqual([0, 1, 2].map(() => !registered.errors));
    return enabled;
  },
  // Money-moving probes carry a fixed idempotency key: each role posts once, and its later probes replay that.
  'loans.read': (token) => query(token, '{ loans(first: 1) { edges { node { id status } } } }'),
  'loans.disburse': (token) => query(token, `mutation { disburseLoan(input: { idempotencyKey: "authz-disburse", productCode: "PL-STD", principal: "5000", disbursementDate: "${tenant.businessDate}" }) { loan { status } userErrors { code } } }`),
  'loans.repay': (token) => query(token, `mutation { postRepayment(input: { idempotencyKey: "authz-repay", loanId: "${loanGlobalId}", amount: "10", valueDate: "${tenant.businessDate}", channel: "card" }) { loanTransaction { kind } userErrors { code } } }`),
  'loans.charge': (token) => query(token, `mutation { applyLoanCharge(input: { idempotencyKey: "authz-charge", loanId: "${loanGlobalId}", component: FEE, amount: "1", valueDate: "${tenant.businessDate}", reason: "probe" }) { loanTransaction { kind } userErrors { code } } }`),
  'loans.waive.request': (token) => query(token, `mutation { requestLoanWaiver(input: { loanId: "${loanGlobalId}", component: FEE, amount: "1", reason: "probe" }) { loanWaiverRequest { status } userErrors { code } } }`),
  // A checker's decision reaches the service (which finds no such request); anyone else is refused before it.
  'loans.waive.approve': (token) => decides(token, 'decideLoanWaiver', { requestId: nowhere('LoanWaiverRequest') }),
  'loans.writeOff.request': (token) => query(token, `mutation { requestLoanWriteOff(input: { loanId: "${loanGlobalId}", component: FEE, amount: "1", reason: "probe" }) { loanWriteOffRequest { status } userErrors { code } } }`),
  'loans.writeOff.approve': (token) => decides(token, 'decideLoanWriteOff', { requestId: nowhere('LoanWriteOffRequest') }),
  'loans.restructure.request': (token) => query(token, `mutation { requestLoanRestructure(input: { loanId: "${loanGlobalId}", capitaliseArrears: true, reason: "probe" }) { loanRestructureRequest { status } userErrors { code } } }`),
  'loans.restructure.approve': (token) => decides(token, 'decideLoanRestructure', { requestId: nowhere('LoanRestructureRequest') }),
  // Never by rule, as the built-in default: allowed and nothing is charged off.
  'coLending.read': (token) => query(token, '{ loanParticipations(first: 5) { edges { node { id sharePercent daysPastDue } } } }'),
  // The lender's rules set to the values that apply anyway: allowed roles change nothing the other probes rely on.
  'coLending.manage': (token) => query(token, 'mutation { setCoLendingRules(input: { minimumRetentionPercent: "10", maximumGuaranteePercent: "5", assignmentWindowDays: 15 }) { coLendingRules { lendersOwn } userErrors { code } } }'),
  'coLending.approve': (token) => decides(token, 'decideCoLendingArrangement', { arrangementId: nowhere('CoLendingArrangement'), version: 1 }, 'arrangementId'),
  // T+1 for the partner p-2, which it is already: allowed roles change nothing the other probes rely on.
  'coLending.settle': (token) => query(token, 'mutation { setCoLenderSettlement(input: { partnerCode: "p-2", settlementLagDays: 1 }) { coLenderSettlementTerms { settlementLagDays } userErrors { code } } }'),
  'commissions.read': (token) => query(token, '{ originationCommissionStatement(partnerCode: "p-1") { partnerCode totals { owed } } }'),
  // The same rule each time: allowed roles change nothing the other probes rely on (no probe books a loan p-1 brought).
  'commissions.manage': (token) => query(token, 'mutation { setOriginationCommission(input: { partnerCode: "p-1", percent: "1", clawbackDays: 30 }) { originationCommissionRule { percent } userErrors { code } } }'),
  // Each role's probe shares a loan of its own.
  'loans.participations.assign': (token) => query(token, `mutation { assignLoanParticipation(input: { loanId: "${shareableLoans.pop()}", arrangementId: "${arrangementGlobalId}" }) { loanParticipation { sharePercent } userErrors { code } } }`),
  'loans.chargeOff.manage': (token) => query(token, 'mutation { setChargeOffRule(input: {}) { chargeOffRule { atDaysPastDue } userErrors { code } } }'),
  'ledger.read': (token) => query(token, `{ trialBalance(asOf: "${tenant.businessDate}") { asOf } ledgerInvariants { holds } ledgerAccounts { code } }`),
  'reports.read': (token) => query(token, '{ portfolioReport { asOf source currencies { currency portfolioAtRisk { measure ratio } } trialBalance { asOf } } }'),
  'endOfDay.read': (token) => query(token, '{ endOfDayRuns(first: 1) { edges { node { businessDate status } } } endOfDayRun(businessDate: "2000-01-01") { status } }'),
  // Up to the business date it already has: allowed and nothing moves (advanceSandboxClock, under the same rule,
  // would move this sandbox tenant's date under the other probes; test/services/endOfDay/endOfDayApi.test.ts has it).
  'endOfDay.run': (token) => query(token, `mutation { runEndOfDay(input: { to: "${tenant.businessDate}" }) { endOfDayRuns { businessDate } userErrors { code } } }`),
  'ledger.manage': (token) => query(token, 'mutation { mapProductAccount(input: { productCode: "PL-STD", role: CASH, account: "1000" }) { loanProduct { code } userErrors { code } } }'),
  'applications.read': (token) => query(token, '{ applications(first: 1) { edges { node { id status } } } }'),
  'applications.create': (token) => query(token, 'mutation { createApplication(input: { idempotencyKey: "authz-application", productCode: "PL-STD", amount: "5000", numberOfRepayments: 12, purpose: "probe", applicant: { kind: PERSON, legalName: "Probe Person" } }) { application { status } userErrors { code } } }'),
  'parties.reconcile': (token) => query(token, `mutation { resolvePartyMatchReview(input: { reviewId: "${reviewGlobalIds.pop()}", resolution: DISTINCT, note: "authz probe" }) { partyMatchReview { status } userErrors { code } } }`),
  'applications.amend': (token) => query(token, `mutation { updateApplication(input: { applicationId: "${partnerDraftGlobalId}", purpose: "amended by an authz probe" }) { application { status } userErrors { code } } }`),
  'parties.identifiers.read': (token) => query(token, '{ parties(first: 1) { edges { node { unmaskedIdentifiers { kind } } } } }'),
  'applications.documents.review': (token) => query(token, `mutation { reviewApplicationDocument(input: { documentId: "${documentGlobalId}", verified: true }) { applicationDocument { status } userErrors { code } } }`),
  'policies.read': (token) => query(token, '{ creditPolicies(productCode: "PL-STD") { version status } }'),
  'policies.draft': (token) => query(token, `mutation { draftCreditPolicy(input: { productCode: "PL-STD", ruleSet: ${graphqlLiteral(SANDBOX_CREDIT_POLICY)} }) { creditPolicy { version } userErrors { code } } }`),
  'policies.activate': (token) => decides(token, 'decideCreditPolicyActivation', { policyId: nowhere('CreditPolicy') }),
  'pricing.read': (token) => query(token, '{ loanProducts(first: 1) { edges { node { code pricing { version rates { grade annualRatePercent } } } } } }'),
  'pricing.draft': (token) => query(token, `mutation { draftProductPricing(input: { productCode: "PL-STD", offerValidityDays: 30, rates: [${['A', 'B', 'C', 'D'].map((grade) => `{ grade: "${grade}", annualRatePercent: "12.5" }`).join(', ')}] }) { productPricing { version } userErrors { code } } }`),
  // Each probe rejects a version of its own, put forward by someone else (a rejection is no four-eyes question).
  'pricing.activate': async (token) => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const setup = { tenant: tenant.slug, actor: { subject: 'pricing-maker', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' }, now: server.runtime.now() };
    const draft = await draftPricing(db, setup, 'PL-STD', { rates: ['A', 'B', 'C', 'D'].map((grade) => ({ grade, annualRatePercent: '11' })), fees: null, offerValidityDays: 30 });
    await requestPricingActivation(db, setup, draft.id);
    return query(token, `mutation { decideProductPricingActivation(input: { pricingId: "${encodeGlobalID('ProductPricing', draft.id)}", approve: false, reason: "authz probe" }) { productPricing { status } userErrors { code } } }`);
  },
  'setup.read': (token) => query(token, '{ approvalAuthorityMatrixVersions { version levels { level } } }'),
  'setup.draft': (token) => query(token, 'mutation { draftApprovalAuthorityMatrix(input: { levels: [{ level: "committee", limits: [{ riskGrade: "*" }] }], roles: [{ role: TENANT_ADMIN, levels: ["committee"] }] }) { approvalAuthorityMatrix { version } userErrors { code } } }'),
  'setup.activate': (token) => decides(token, 'decideApprovalAuthorityMatrixActivation', { matrixId: nowhere('ApprovalAuthorityMatrix') }),
  'underwriting.recommend': (token) => query(token, '{ underwritingQueue(first: 1) { edges { node { application { id } } } } }'),
  'underwriting.approve': (token) => query(token, '{ approvalAuthority(amount: "5000", riskGrade: "A") { allowed } }'),
  'underwriting.read': (token) => query(token, '{ approvalRequests(first: 1) { edges { node { status } } } policyOverrides(from: "2000-01-01", to: "2000-01-02", first: 1) { edges { node { decidedAt } } } }'),
  'applications.expire': (token) => query(token, 'mutation { expireStaleApplications { expired { id } userErrors { code } } }'),
  'delinquency.read': (token) => query(token, '{ delinquencyPolicy { version regime buckets { name } parameters { borrowerLevel } provisions { assetClass percent } } }'),
  // Changing the policy and a product's own buckets go together: a role may do both or neither.
  'delinquency.manage': async (token) => {
    const policy = await query(token, 'mutation { setDelinquencyPolicy(input: { regime: US_CHARGE_OFF, provisions: [{ assetClass: STANDARD, percent: "1" }] }) { delinquencyPolicy { version } userErrors { code } } }');
    const product = await query(token, 'mutation { setLoanProductDelinquencyBuckets(input: { productCode: "PL-STD", buckets: null }) { loanProduct { code } userErrors { code } } }');
    expect(product).toBe(policy);
    return policy;
  },
  'collections.read': (token) => query(token, '{ collectionCases(first: 5) { totalCount edges { node { status openedOn } } } collectionRules { openAtDays } }'),
  'collections.readAll': (token) => query(token, '{ collectionFigures { openCases promisesDueToday keptRatePercent queues { bucket openCases } } }'),
  'collections.work': (token) => query(token, `mutation { logCollectionActivity(input: { caseId: "${caseGlobalId}", channel: NOTE, outcome: NOTED, note: "authz probe" }) { entry { kind } userErrors { code } } }`),
  'collections.manage': (token) => query(token, 'mutation { setCollectionRule(input: { openAtDays: 1, collectors: [] }) { collectionRule { openAtDays } userErrors { code } } }'),
  'messages.read': (token) => query(token, `{ reminderSettings { quietHoursStart rules { days } templateFields } node(id: "${loanGlobalId}") { ... on Loan { messages { status } } } }`),
  'reminders.manage': (token) => query(token, 'mutation { setReminderRules(input: { quietHoursStart: "21:00", quietHoursEnd: "08:00", rules: [{ trigger: BEFORE_DUE, days: 3, channel: SMS, template: "Due {{dueDate}}" }] }) { reminderSettings { quietHoursStart } userErrors { code } } }'),
  'contactPreferences.manage': (token) => query(token, `mutation { setPartyContactPreferences(input: { partyId: "${partyGlobalId}", timeZone: "Asia/Kolkata", optedOutChannels: [EMAIL] }) { contactPreferences { timeZone } userErrors { code } } }`),
  'autoDebit.read': (token) => query(token, '{ debitSettings { companyName } }'),
  // Registering and revoking go together: each allowed role registers a mandate on the loan and revokes it.
  'autoDebit.mandates': async (token) => {
    const registered = await gql(server.gateway, `mutation { registerDebitMandate(input: { loanId: "${loanGlobalId}", holderName: "Authz Probe", routingNumber: "021000021", accountNumber: "12345678", accountType: CHECKING }) { debitMandate { id } userErrors { code } } }`, { token });
    if (registered.errors) {
      expect(codes(registered)).toEqual(['FORBIDDEN']);
      return false;
    }
    expect(registered.data!['registerDebitMandate'].userErrors).toEqual([]);
    return query(token, `mutation { revokeDebitMandate(input: { mandateId: "${registered.data!['registerDebitMandate'].debitMandate.id}", reason: "authz probe" }) { debitMandate { status } userErrors { code } } }`);
  },
  'autoDebit.manage': (token) => query(token, `mutation { setDebitSettings(input: { companyName: "Authz", companyId: "1234567890", odfiRouting: "121000358", odfiName: "Probe Bank", returnFee: "25" }) { debitSettings { companyName } userErrors { code } } }`),
  'audit.verify': (token) => query(token, '{ auditChainVerification { intact } }'),
  // Every checkers' queue at once: each is also open to its own checkers, and only these roles read them all.
  'approvals.read': (token) => queryAll(token, `{ disbursementRequests(first: 1) { edges { node { status requestedBy } } }
    loanWaiverRequests(first: 1) { edges { node { status requestedBy } } } loanWriteOffRequests(first: 1) { edges { node { status requestedBy } } }
    loanRestructureRequests(first: 1) { edges { node { status requestedBy } } } pendingCreditPolicyActivations { version }
    pendingApprovalAuthorityMatrixActivations { version } coLendingVersionsToDecide { version } }`),
  'audit.read': (token) => query(token, '{ auditRecords(first: 1) { edges { node { actor action } } } }'),
  'events.read': (token) => live(token, 'subscription { events(after: "0") { cursor type } }'),
  'events.list': (token) => query(token, '{ events(first: 1) { edges { cursor node { type } } } }'),
  'live.heartbeat': (token) => live(token, 'subscription { heartbeat(everySeconds: 5) { at } }'),
};

/** A subscription is allowed when its first result carries data, refused when it carries FORBIDDEN. */
async function live(token: string, document: string): Promise<boolean> {
  const subscription = subscribe(server.gateway.websocketUrl, { authorization: `Bearer ${token}` }, document);
  try {
    await until(() => subscription.results.length > 0 || subscription.errors.length > 0);
    const errors = firstErrors(subscription);
    if (!errors) return true;
    expect(errors.map((e) => e.extensions['code'])).toEqual(['FORBIDDEN']);
    return false;
  } finally {
    await subscription.stop();
  }
}

/** Allowed when every field answers; refused when any is, each refusal FORBIDDEN. */
async function queryAll(token: string, document: string): Promise<boolean> {
  const response = await gql(server.gateway, document, { token });
  if (!response.errors) return true;
  expect(new Set(codes(response))).toEqual(new Set(['FORBIDDEN']));
  return false;
}

/** A global id of the type that names nothing. */
const nowhere = (type: string) => encodeGlobalID(type, randomUUID());

/**
 * A checker's decision on something that does not exist: a role allowed to decide reaches the service, which says
 * there is no such thing (naming `field`, the input's first unless said); any other is refused FORBIDDEN before it.
 */
async function decides(token: string, mutation: string, input: Record<string, unknown>, field = Object.keys(input)[0]!): Promise<boolean> {
  const response = await gql(server.gateway, `mutation($input: ${mutation.charAt(0).toUpperCase()}${mutation.slice(1)}Input!) { ${mutation}(input: $input) { userErrors { code field } } }`,
    { token, variables: { input: { ...input, approve: true } } });
  if (response.errors) {
    expect(codes(response)).toEqual(['FORBIDDEN']);
    return false;
  }
  expect(response.data![mutation].userErrors).toEqual([expect.objectContaining({ field: `input.${field}` })]);
  return true;
}

async function query(token: string, document: string): Promise<boolean> {
  const response = await gql(server.gateway, document, { token });
  if (!response.errors) {
    // An allowed probe succeeds: a mutation it may call but whose refusal hides in userErrors proves nothing.
    for (const answer of Object.values(response.data ?? {})) {
      if (answer && typeof answer === 'object' && 'userErrors' in answer) expect((answer as { userErrors: unknown }).userErrors, document).toEqual([]);
    }
    return true;
  }
  expect(codes(response)).toEqual(['FORBIDDEN']);
  return false;
}

describe('authorization matrix', () => {
  it('gives every role at least one capability and withholds at least one', () => {
    for (const role of ROLES) {
      const granted = (Object.keys(CAPABILITIES) as Capability[]).filter((c) => allows(c, [role], !CAPABILITIES[c].platform));
      expect(granted.length, role).toBeGreaterThan(0);
      expect(granted.length, role).toBeLessThan(Object.keys(CAPABILITIES).length);
    }
  });

  for (const role of ROLES) {
    it(`${role}: allowed and forbidden exactly as docs/authz.md says`, async () => {
      const token = await tokenFor(role);
      const outcome: Record<string, boolean> = {};
      const expected: Record<string, boolean> = {};
      for (const capability of Object.keys(CAPABILITIES) as Capability[]) {
        outcome[capability] = await PROBES[capability](token);
        expected[capability] = (CAPABILITIES[capability].roles as readonly Role[]).includes(role);
      }
      expect(outcome).toEqual(expected);
    });
  }
});
