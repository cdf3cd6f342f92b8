// A lender's first day, through GraphQL alone (the README's "Try it" walks the same road): the platform admin
// onboards a lender that is not a sandbox; its admin creates a product, its pricing, the approval authority, the
// document checklist, the check providers and the credit policy, invites staff and registers a partner; the partner's application is
// referred, recommended, approved within authority, offered at the lender's price, accepted, signed, documented,
// and paid out by two disbursement officers. Tokens come from the development issuer, as `npm run token` gives
// them (a named member of staff by e-mail); everything else is a GraphQL request.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_CREDIT_POLICY } from '../src/domain/origination/creditPolicy.js';
import type { TenantRecord } from '../src/tenancy/registry.js';
import { devToken, gql, staffToken, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from './support/harness.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server?.close();
});

const CONSENT = 'I have read the loan agreement, the pre-contract information and the APR, and I agree to borrow on these terms.';

/** Sends a mutation and returns its payload; fails the test on any GraphQL error or user error. */
async function command(token: string, mutation: string, inputType: string | null, selection: string, input?: Record<string, unknown>): Promise<Record<string, any>> {
  const document = inputType
    ? `mutation($input: ${inputType}!) { ${mutation}(input: $input) { ${selection} ${USER_ERRORS} } }`
    : `mutation { ${mutation} { ${selection} ${USER_ERRORS} } }`;
  const response = await gql(server.gateway, document, { token, variables: input ? { input } : {} });
  expect(userErrors(response, mutation), `${mutation}: ${JSON.stringify(response.data)}`).toEqual([]);
  return response.data![mutation];
}

async function read(token: string, query: string, variables: Record<string, unknown> = {}): Promise<Record<string, any>> {
  const response = await gql(server.gateway, query, { token, variables });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  return response.data!;
}

describe('a lender\'s first day, through the API', () => {
  it('onboards a lender, sets it up, and turns a partner\'s application into a disbursed loan', async () => {
    // The platform admin onboards a real (not sandbox) lender.
    const platform = await devToken(server.runtime, 'platform-admin');
    const slug = uniqueSlug('firstday');
    const onboarded = await command(platform, 'createTenant', 'CreateTenantInput', 'created tenant { slug status }', {
      slug, displayName: 'First Day Lending', currency: 'USD', timeZone: 'America/New_York', businessDate: '2026-12-01',
    });
    expect(onboarded).toMatchObject({ created: true, tenant: { slug, status: 'ACTIVE' } });
    const tenant = (await server.runtime.registry.findBySlug(slug)) as TenantRecord;
    const admin = await devToken(server.runtime, 'tenant-admin', slug, { subject: 'first-admin' });
    expect((await read(admin, '{ loanProducts(first: 10) { totalCount } }'))['loanProducts'].totalCount).toBe(0);

    // Its admin invites the staff the day needs: an underwriter, a credit approver, a loan officer, two disbursement officers.
    const staff = [
      ['uma@firstday.example', 'Uma Underwriter', ['UNDERWRITER']],
      ['cal@firstday.example', 'Cal Approver', ['CREDIT_APPROVER']],
      ['lou@firstday.example', 'Lou Officer', ['LOAN_OFFICER']],
      ['dee@firstday.example', 'Dee Disburser', ['DISBURSEMENT_OFFICER']],
      ['dan@firstday.example', 'Dan Disburser', ['DISBURSEMENT_OFFICER']],
    ] as const;
    for (const [email, displayName, roles] of staff) {
      const invited = await command(admin, 'inviteStaffMember', 'InviteStaffMemberInput', 'staffMember { email roles status }', { email, displayName, roles });
      expect(invited['staffMember']).toMatchObject({ email, roles, status: 'ACTIVE' });
    }
    const tokens = await Promise.all(staff.map(([email]) => staffToken(server.runtime, tenant, email)));
    const [underwriter, approver, officer, maker, checker] = tokens as [string, string, string, string, string];

    // A product with its terms and limits, its document checklist, its credit policy and its pricing.
    const product = await command(admin, 'createLoanProduct', 'CreateLoanProductInput', 'loanProduct { id code currentTerms { annualRatePercent interestType } }', {
      code: 'HOME-IMP', name: 'Home improvement loan', currency: 'USD',
      terms: { annualRatePercent: '13.5', numberOfRepayments: 24, interestType: 'DECLINING_BALANCE', amortization: { kind: 'EQUAL_INSTALMENTS' }, lateFee: { kind: 'FIXED', amount: '15', graceDays: 5 } },
      limits: { minAmount: '1000', maxAmount: '50000', minTenorMonths: 6, maxTenorMonths: 60 },
    });
    expect(product['loanProduct']).toMatchObject({ code: 'HOME-IMP', currentTerms: { annualRatePercent: '13.5', interestType: 'DECLINING_BALANCE' } });
    await command(admin, 'setProductDocumentChecklist', 'SetProductDocumentChecklistInput', 'productDocumentChecklist { version }', {
      productCode: 'HOME-IMP', items: [{ kind: 'proof_of_identity', required: true, description: 'A passport or national identity card' }],
    });
    const policy = await command(admin, 'draftCreditPolicy', 'DraftCreditPolicyInput', 'creditPolicy { id status }', { productCode: 'HOME-IMP', ruleSet: SANDBOX_CREDIT_POLICY });
    await command(admin, 'requestCreditPolicyActivation', 'RequestCreditPolicyActivationInput', 'creditPolicy { status }', { policyId: policy['creditPolicy'].id });
    expect((await command(approver, 'decideCreditPolicyActivation', 'DecideCreditPolicyActivationInput', 'creditPolicy { status }', { policyId: policy['creditPolicy'].id, approve: true }))['creditPolicy'].status).toBe('ACTIVE');
    const pricing = await command(admin, 'draftProductPricing', 'DraftProductPricingInput', 'productPricing { id status }', {
      productCode: 'HOME-IMP', offerValidityDays: 14,
      rates: [{ grade: 'A', annualRatePercent: '11.25' }, { grade: 'B', annualRatePercent: '14.5' }, { grade: 'C', annualRatePercent: '18.9' }, { grade: 'D', annualRatePercent: '23.9' }],
    });
    await command(admin, 'requestProductPricingActivation', 'RequestProductPricingActivationInput', 'productPricing { status }', { pricingId: pricing['productPricing'].id });
    expect((await command(approver, 'decideProductPricingActivation', 'DecideProductPricingActivationInput', 'productPricing { status }', { pricingId: pricing['productPricing'].id, approve: true }))['productPricing'].status).toBe('ACTIVE');

    // Who may approve what: the credit approver's level covers grade A up to 25,000.
    const matrix = await command(admin, 'draftApprovalAuthorityMatrix', 'DraftApprovalAuthorityMatrixInput', 'approvalAuthorityMatrix { id status }', {
      levels: [{ level: 'BRANCH', limits: [{ riskGrade: 'A', maxAmount: '25000' }, { riskGrade: 'B', maxAmount: '10000' }] }],
      roles: [{ role: 'CREDIT_APPROVER', levels: ['BRANCH'] }],
    });
    await command(admin, 'requestApprovalAuthorityMatrixActivation', 'RequestApprovalAuthorityMatrixActivationInput', 'approvalAuthorityMatrix { status }', { matrixId: matrix['approvalAuthorityMatrix'].id });
    expect((await command(approver, 'decideApprovalAuthorityMatrixActivation', 'DecideApprovalAuthorityMatrixActivationInput', 'approvalAuthorityMatrix { status }', { matrixId: matrix['approvalAuthorityMatrix'].id, approve: true }))['approvalAuthorityMatrix'].status).toBe('ACTIVE');

    // Which providers its checks go to: the sandbox ones for now, activated by a second person.
    const providers = await command(admin, 'draftCheckProviderSettings', 'DraftCheckProviderSettingsInput', 'checkProviderSettings { id status }', {
      providers: ['KYC', 'BUREAU', 'INCOME', 'ESIGN'].map((kind) => ({ kind, provider: 'sandbox' })),
    });
    await command(admin, 'requestCheckProviderSettingsActivation', 'RequestCheckProviderSettingsActivationInput', 'checkProviderSettings { status }', { settingsId: providers['checkProviderSettings'].id });
    expect((await command(approver, 'decideCheckProviderSettingsActivation', 'DecideCheckProviderSettingsActivationInput', 'checkProviderSettings { status }', { settingsId: providers['checkProviderSettings'].id, approve: true }))['checkProviderSettings'].status).toBe('ACTIVE');

    // A partner, and its application: a politically exposed person with a prime bureau file is referred (grade A).
    await command(admin, 'registerPartner', 'RegisterPartnerInput', 'partner { code }', { code: 'acme', name: 'Acme Marketplace', kind: 'ORIGINATION' });
    const partner = await devToken(server.runtime, 'origination-partner', slug, { partner: { id: 'acme', kind: 'origination' } });
    const created = await command(partner, 'createApplication', 'CreateApplicationInput', 'application { id number status decisions { riskGrade } }', {
      idempotencyKey: 'acme-firstday-0001', productCode: 'HOME-IMP', amount: '20000', numberOfRepayments: 24, purpose: 'a new kitchen',
      declaredMonthlyIncome: '30000', monthlyDebtPayments: '300', employer: 'Springfield Power', submit: true,
      applicant: {
        kind: 'PERSON', legalName: 'Ada Firstday', email: 'ada+kyc-pep+bureau-prime@example.test', phone: '+14155550123', dateOfBirth: '1985-04-12',
        address: { lines: ['1 Main Street'], city: 'Springfield', postalCode: '12345', country: 'US' },
        identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: 'FD-100001' }],
      },
    });
    const application = created['application'];
    expect(application).toMatchObject({ number: 'A-000001', status: 'REFERRED', decisions: [{ riskGrade: 'A' }] });

    // One underwriter recommends; the credit approver, within the active matrix, approves; the offer is the lender's price.
    const recommended = await command(underwriter, 'recommendApplication', 'RecommendApplicationInput', 'approvalRequest { id status }', {
      applicationId: application.id, recommendation: 'APPROVE', reason: 'PEP cleared by enhanced due diligence',
    });
    const approved = await command(approver, 'decideApprovalRequest', 'DecideApprovalRequestInput', 'approvalRequest { status application { status offer { amount aprPercent annualRatePercent } } }', {
      requestId: recommended['approvalRequest'].id, approve: true,
    });
    expect(approved['approvalRequest']).toMatchObject({ status: 'APPROVED', application: { status: 'APPROVED', offer: { amount: '20000.00 USD', annualRatePercent: '11.25' } } });

    // The partner accepts and signs; the loan officer verifies the checklist's document.
    await command(partner, 'acceptApplicationOffer', 'AcceptApplicationOfferInput', 'application { status }', { applicationId: application.id, consentText: CONSENT });
    await command(partner, 'signApplicationAgreement', 'SignApplicationAgreementInput', 'application { status }', { applicationId: application.id });
    const form = new FormData();
    form.append('kind', 'proof_of_identity');
    form.append('file', new Blob(['%PDF-1.7\n% passport\n%%EOF\n'], { type: 'application/pdf' }), 'passport.pdf');
    const uploaded = await fetch(`${server.gateway.url.replace(/\/$/, '')}/applications/${encodeURIComponent(application.id)}/documents`, { method: 'POST', body: form, headers: { authorization: `Bearer ${partner}` } });
    expect(uploaded.status).toBe(201);
    const documentId = ((await uploaded.json()) as { id: string }).id;
    await command(officer, 'reviewApplicationDocument', 'ReviewApplicationDocumentInput', 'applicationDocument { status }', { documentId, verified: true });

    // Two disbursement officers, maker and checker: the loan is booked and paid out.
    const requested = await command(maker, 'requestDisbursement', 'RequestDisbursementInput', 'disbursementRequest { id status }', { applicationId: application.id, disbursementDate: '2026-12-01' });
    const own = await gql(server.gateway, `mutation($input: DecideDisbursementInput!) { decideDisbursement(input: $input) { disbursementRequest { status } ${USER_ERRORS} } }`, {
      token: maker, variables: { input: { requestId: requested['disbursementRequest'].id, approve: true } },
    });
    expect(userErrors(own, 'decideDisbursement')).toMatchObject([{ code: 'FORBIDDEN', reason: 'MAKER_IS_CHECKER' }]);
    const decided = await command(checker, 'decideDisbursement', 'DecideDisbursementInput', 'disbursementRequest { status loan { id number status principal } }', {
      requestId: requested['disbursementRequest'].id, approve: true,
    });
    expect(decided['disbursementRequest']).toMatchObject({ status: 'APPROVED', loan: { number: 'L-000001', status: 'ACTIVE', principal: '20000.00 USD' } });

    // The partner sees its loan; the books balance.
    const loans = await read(partner, '{ loans(first: 10) { totalCount edges { node { id number status } } } }');
    expect(loans['loans']).toMatchObject({ totalCount: 1, edges: [{ node: { id: decided['disbursementRequest'].loan.id, status: 'ACTIVE' } }] });
    const books = await read(admin, '{ ledgerInvariants { holds } }');
    expect(books['ledgerInvariants'].holds).toBe(true);
  });
});
