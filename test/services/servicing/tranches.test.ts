// Multi-tranche disbursement through the API: a loan approved for 10,000 in three tranches, 4,000 paid out at
// booking and 3,000 later; the schedule, the statement, the payoff quote, the loan's sub-ledger and the trial
// balance agree on what was paid out; a tranche beyond the approved amount or before the previous one is refused
// in userErrors naming the field, and nothing is written.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGlobalID } from '@pothos/plugin-relay';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { Decimal } from '../../../src/domain/money.js';
import { registerPartner } from '../../../src/services/partners.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from '../../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;
let officer: string;
let agent: string;
let finance: string;
let partner: string;
let loanOfficer: string;
let checker: string;

const DISBURSE = `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id principal approvedPrincipal undisbursedPrincipal } ${USER_ERRORS} } }`;
const TRANCHE = `mutation($input: DisburseLoanTrancheInput!) { disburseLoanTranche(input: $input) { loanTransaction { id kind valueDate amount } ${USER_ERRORS} } }`;
const REPAY = `mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`;
const LOAN = `query($id: ID!) { node(id: $id) { ... on Loan {
  principal approvedPrincipal undisbursedPrincipal transactions { id }
  receivable { principal }
  tranches { number status expectedDate expectedAmount paidDate paidAmount transaction { id kind } }
  account { netDisbursement receivable { principal } instalments { number dueDate charged { principal interest } outstanding { principal } } }
  payoffQuote { principal interest total }
  statement(from: "2026-09-01", to: "2026-12-01") { opening { principal } closing { principal } lines { date kind amount description balance { principal } } }
} } }`;

let keys = 0;
const key = () => `tranche-key-${keys++}`;
const raw = (id: string) => decodeGlobalID(id).id;
const amountOf = (money: string) => new Decimal(money.split(' ')[0]!);

const PLAN = [
  { expectedDate: '2026-09-01', amount: '4000' },
  { expectedDate: '2026-10-15', amount: '3000' },
  { expectedDate: '2027-01-15', amount: '3000' },
];

async function loanOf(id: string) {
  const response = await gql(server.gateway, LOAN, { token: agent, variables: { id } });
  expect(response.errors).toBeUndefined();
  return response.data!['node'];
}

async function trialBalance(asOf: string): Promise<Map<string, Decimal>> {
  const response = await gql(server.gateway, `{ trialBalance(asOf: "${asOf}") { lines { account balance } } }`, { token: finance });
  expect(response.errors).toBeUndefined();
  return new Map(response.data!['trialBalance'].lines.map((l: { account: string; balance: string }) => [l.account, amountOf(l.balance)]));
}

async function countsOf(loanId: string) {
  const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
  return { transactions: await db.loanTransaction.count({ where: { loanId } }), journals: await db.journal.count({ where: { loanId } }) };
}

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('tranches'), { sandbox: true, businessDate: '2026-12-01' });
  officer = await devToken(server.runtime, 'disbursement-officer', tenant.slug, { subject: 'officer-1' });
  agent = await devToken(server.runtime, 'servicing-agent', tenant.slug, { subject: 'agent-1' });
  finance = await devToken(server.runtime, 'finance', tenant.slug, { subject: 'finance-1' });
  const actor = { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' };
  await registerPartner(server.runtime.tenantClients.forSchema(tenant.schemaName), server.runtime.identity, { tenant: tenant.slug, actor, now: new Date() }, { code: 'fintech', name: 'Fintech', kind: 'origination' });
  partner = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'fintech', kind: 'origination' } });
  loanOfficer = await devToken(server.runtime, 'loan-officer', tenant.slug, { subject: 'loan-officer-1' });
  checker = await devToken(server.runtime, 'disbursement-officer', tenant.slug, { subject: 'checker-1' });
});
afterAll(async () => {
  await server.close();
});

describe('a loan approved for 10,000 in three tranches', () => {
  let loanId: string;

  it('pays the first tranche at booking, the second later, and the schedule, statement, payoff quote and trial balance agree', async () => {
    const booked = await gql(server.gateway, DISBURSE, { token: officer, variables: { input: {
      idempotencyKey: key(), productCode: 'PL-STD', principal: '10000', tranches: PLAN, numberOfRepayments: 12, disbursementDate: '2026-09-01',
    } } });
    expect(userErrors(booked, 'disburseLoan')).toEqual([]);
    const loan = booked.data!['disburseLoan'].loan;
    loanId = loan.id;
    expect([loan.principal, loan.approvedPrincipal, loan.undisbursedPrincipal]).toEqual(['4000.00 USD', '10000.00 USD', '6000.00 USD']);

    // The first instalment, on the first tranche alone, is paid on its due date.
    const before = await loanOf(loanId);
    const first = before.account.instalments[0];
    const firstDue = amountOf(first.charged.principal).plus(amountOf(first.charged.interest));
    const paid = await gql(server.gateway, REPAY, { token: agent, variables: { input: { idempotencyKey: key(), loanId, amount: firstDue.toFixed(2), valueDate: first.dueDate, channel: 'bank-transfer' } } });
    expect(userErrors(paid, 'postRepayment')).toEqual([]);

    const tranche = await gql(server.gateway, TRANCHE, { token: officer, variables: { input: { idempotencyKey: key(), loanId, amount: '3000', valueDate: '2026-11-01', externalReference: 'PAYOUT-2' } } });
    expect(userErrors(tranche, 'disburseLoanTranche')).toEqual([]);
    const posted = tranche.data!['disburseLoanTranche'].loanTransaction;
    expect([posted.kind, posted.valueDate, posted.amount]).toEqual(['TRANCHE', '2026-11-01', '3000.00 USD']);

    const after = await loanOf(loanId);
    expect([after.principal, after.approvedPrincipal, after.undisbursedPrincipal]).toEqual(['4000.00 USD', '10000.00 USD', '3000.00 USD']);
    expect(after.tranches).toEqual([
      { number: 1, status: 'PAID', expectedDate: '2026-09-01', expectedAmount: '4000.00 USD', paidDate: '2026-09-01', paidAmount: '4000.00 USD', transaction: null },
      { number: 2, status: 'PAID', expectedDate: '2026-10-15', expectedAmount: '3000.00 USD', paidDate: '2026-11-01', paidAmount: '3000.00 USD', transaction: { id: posted.id, kind: 'TRANCHE' } },
      { number: 3, status: 'PLANNED', expectedDate: '2027-01-15', expectedAmount: '3000.00 USD', paidDate: null, paidAmount: null, transaction: null },
    ]);

    // The schedule: due dates kept, the instalments after the tranche regenerated, and all 7,000 paid out repaid.
    const instalments = after.account.instalments;
    expect(instalments.map((i: any) => i.dueDate)).toEqual(before.account.instalments.map((i: any) => i.dueDate));
    expect(instalments.slice(0, 2)).toEqual(before.account.instalments.slice(0, 2).map((i: any, k: number) => ({ ...i, outstanding: instalments[k].outstanding })));
    const charged = instalments.reduce((s: Decimal, i: any) => s.plus(amountOf(i.charged.principal)), new Decimal(0));
    expect(charged.toFixed(2)).toBe('7000.00');
    expect(amountOf(instalments[2].charged.principal).gt(amountOf(before.account.instalments[2].charged.principal))).toBe(true);
    expect(after.account.netDisbursement).toBe('7000.00 USD');

    // Principal owed, five ways: the instalments, the replayed account, the stored sub-ledger, the payoff quote,
    // the statement's closing, and the trial balance's principal receivable (this tenant's only loan).
    const owed = instalments.reduce((s: Decimal, i: any) => s.plus(amountOf(i.outstanding.principal)), new Decimal(0));
    const repaidPrincipal = amountOf(first.charged.principal);
    expect(owed.toFixed(2)).toBe(new Decimal(7000).minus(repaidPrincipal).toFixed(2));
    for (const money of [after.account.receivable.principal, after.receivable.principal, after.payoffQuote.principal, after.statement.closing.principal]) {
      expect(amountOf(money).toFixed(2)).toBe(owed.toFixed(2));
    }
    const tb = await trialBalance('2026-12-01');
    expect(tb.get('1100')!.toFixed(2)).toBe(owed.toFixed(2));
    // Cash: 4,000 and 3,000 paid out, the first instalment received.
    expect(tb.get('1000')!.toFixed(2)).toBe(firstDue.minus(7000).toFixed(2));
    // The trial balance before the tranche's date knows nothing of it.
    expect((await trialBalance('2026-10-31')).get('1100')!.toFixed(2)).toBe(new Decimal(4000).minus(repaidPrincipal).toFixed(2));

    // The statement: the tranche on its own line, principal up by 3,000.
    const lines = after.statement.lines;
    const line = lines.find((l: any) => l.kind === 'TRANCHE');
    expect([line.date, line.amount]).toEqual(['2026-11-01', '3000.00 USD']);
    expect(line.description).toMatch(/^Tranche paid out \(ref PAYOUT-2\); \d+ instalments regenerated/);
    const previous = lines[lines.indexOf(line) - 1];
    expect(amountOf(line.balance.principal).minus(amountOf(previous.balance.principal)).toFixed(2)).toBe('3000.00');
    expect(after.statement.opening.principal).toBe('0.00 USD');
    expect(amountOf(after.payoffQuote.total).gt(owed)).toBe(true);
  });

  it('refuses a tranche beyond the approved amount or before the previous one, naming the field, and writes nothing', async () => {
    const id = raw(loanId);
    const counts = await countsOf(id);
    const beyond = await gql(server.gateway, TRANCHE, { token: officer, variables: { input: { idempotencyKey: key(), loanId, amount: '3000.01', valueDate: '2026-11-15' } } });
    expect(userErrors(beyond, 'disburseLoanTranche')).toEqual([
      { code: 'BAD_USER_INPUT', reason: null, field: 'input.amount', message: 'only 3000.00 USD of the approved 10000.00 is left to pay out; the tranche asks for 3000.01' },
    ]);
    expect(beyond.data!['disburseLoanTranche'].loanTransaction).toBeNull();
    const earlier = await gql(server.gateway, TRANCHE, { token: officer, variables: { input: { idempotencyKey: key(), loanId, amount: '100', valueDate: '2026-10-31' } } });
    expect(userErrors(earlier, 'disburseLoanTranche')).toEqual([
      { code: 'BAD_USER_INPUT', reason: null, field: 'input.valueDate', message: 'a tranche is paid out on or after the previous one, paid on 2026-11-01' },
    ]);
    const future = await gql(server.gateway, TRANCHE, { token: officer, variables: { input: { idempotencyKey: key(), loanId, amount: '100', valueDate: '2026-12-02' } } });
    expect(userErrors(future, 'disburseLoanTranche').map((e) => e.field)).toEqual(['input.valueDate']);
    expect(await countsOf(id)).toEqual(counts);
    expect((await loanOf(loanId)).undisbursedPrincipal).toBe('3000.00 USD');
  });

  it('refuses a tranche on a loan paid out at once, and a plan beyond the approved amount at booking', async () => {
    const single = await gql(server.gateway, DISBURSE, { token: officer, variables: { input: { idempotencyKey: key(), productCode: 'PL-STD', principal: '5000', numberOfRepayments: 12, disbursementDate: '2026-11-01' } } });
    const loan = single.data!['disburseLoan'].loan;
    expect([loan.approvedPrincipal, loan.undisbursedPrincipal]).toEqual(['5000.00 USD', '0.00 USD']);
    const refused = await gql(server.gateway, TRANCHE, { token: officer, variables: { input: { idempotencyKey: key(), loanId: loan.id, amount: '1', valueDate: '2026-12-01' } } });
    expect(userErrors(refused, 'disburseLoanTranche').map((e) => e.field)).toEqual(['input.amount']);

    const loans = await server.runtime.tenantClients.forSchema(tenant.schemaName).loan.count();
    const overPlanned = await gql(server.gateway, DISBURSE, { token: officer, variables: { input: {
      idempotencyKey: key(), productCode: 'PL-STD', principal: '10000', numberOfRepayments: 12, disbursementDate: '2026-11-01',
      tranches: [{ expectedDate: '2026-11-01', amount: '6000' }, { expectedDate: '2026-12-15', amount: '4000.01' }],
    } } });
    expect(userErrors(overPlanned, 'disburseLoan').map((e) => [e.code, e.field])).toEqual([['BAD_USER_INPUT', 'input.tranches[1].amount']]);
    expect(await server.runtime.tenantClients.forSchema(tenant.schemaName).loan.count()).toBe(loans);
  });

  it('reverses a tranche: the loan is as if it had never been paid out, and the amount can be paid out again', async () => {
    const before = await loanOf(loanId);
    const second = before.tranches[1].transaction.id;
    const reversed = await gql(server.gateway, `mutation($input: ReverseLoanTransactionInput!) { reverseLoanTransaction(input: $input) { loanTransaction { id kind } ${USER_ERRORS} } }`,
      { token: agent, variables: { input: { idempotencyKey: key(), transactionId: second, reason: 'paid to the wrong account' } } });
    expect(userErrors(reversed, 'reverseLoanTransaction')).toEqual([]);
    const after = await loanOf(loanId);
    expect(after.undisbursedPrincipal).toBe('6000.00 USD');
    expect(after.tranches.map((t: any) => t.status)).toEqual(['PAID', 'PLANNED', 'PLANNED']);
    expect(amountOf(after.receivable.principal).toFixed(2)).toBe(amountOf(before.receivable.principal).minus(3000).toFixed(2));
    expect((await trialBalance('2026-12-01')).get('1100')!.toFixed(2)).toBe(amountOf(after.receivable.principal).plus(5000).toFixed(2)); // plus the 5,000 loan above

    const again = await gql(server.gateway, TRANCHE, { token: officer, variables: { input: { idempotencyKey: key(), loanId, amount: '6000', valueDate: '2026-12-01' } } });
    expect(userErrors(again, 'disburseLoanTranche')).toEqual([]);
    const paidAgain = await loanOf(loanId);
    expect(paidAgain.undisbursedPrincipal).toBe('0.00 USD');
    expect(paidAgain.tranches.map((t: any) => [t.status, t.paidDate, t.paidAmount])).toEqual([
      ['PAID', '2026-09-01', '4000.00 USD'], ['PAID', '2026-12-01', '6000.00 USD'], ['PLANNED', null, null],
    ]);
  });
});

describe('an application\'s loan paid out in tranches', () => {
  const CONSENT = 'I have read the loan agreement, the pre-contract information and the APR, and I agree to borrow on these terms.';
  const move = async (name: string, input: Record<string, unknown>, token: string) => {
    const type = name.charAt(0).toUpperCase() + name.slice(1);
    const response = await gql(server.gateway, `mutation($input: ${type}Input!) { ${name}(input: $input) { ${USER_ERRORS} } }`, { token, variables: { input } });
    expect(userErrors(response, name)).toEqual([]);
  };

  it('carries the plan from the maker\'s request to the loan the checker books: the offer\'s amount approved, the first tranche paid', async () => {
    const created = await gql(server.gateway, `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application { id status offer { amount } } ${USER_ERRORS} } }`, { token: partner, variables: { input: {
      idempotencyKey: key(), productCode: 'PL-STD', amount: '7000', numberOfRepayments: 12, purpose: 'home improvement', submit: true,
      applicant: {
        kind: 'PERSON', legalName: 'Tranche Person', email: 'tranche+bureau-prime@example.test', phone: '+14155554001', dateOfBirth: '1980-02-29',
        address: { lines: ['2 High Street'], city: 'Springfield', postalCode: '12345', country: 'US' }, identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: 'TRN100001' }],
      },
      declaredMonthlyIncome: '7000', monthlyDebtPayments: '200', employer: 'Acme Corp',
    } } });
    expect(userErrors(created, 'createApplication')).toEqual([]);
    const application = created.data!['createApplication'].application;
    expect([application.status, application.offer.amount]).toEqual(['APPROVED', '7000.00 USD']);
    await move('acceptApplicationOffer', { applicationId: application.id, consentText: CONSENT }, partner);
    await move('signApplicationAgreement', { applicationId: application.id }, partner);
    for (const kind of ['proof_of_identity', 'proof_of_income']) {
      const form = new FormData();
      form.append('kind', kind);
      form.append('file', new Blob([`%PDF-1.7\n% ${kind}\n%%EOF\n`], { type: 'application/pdf' }), `${kind}.pdf`);
      const uploaded = await fetch(`${server.gateway.url.replace(/\/$/, '')}/applications/${encodeURIComponent(application.id)}/documents`, { method: 'POST', body: form, headers: { authorization: `Bearer ${partner}` } });
      expect(uploaded.status).toBe(201);
      await move('reviewApplicationDocument', { documentId: ((await uploaded.json()) as { id: string }).id, verified: true }, loanOfficer);
    }

    const REQUEST = `mutation($input: RequestDisbursementInput!) { requestDisbursement(input: $input) { disbursementRequest { id } ${USER_ERRORS} } }`;
    // A plan beyond the offer's amount is refused at the request, naming the tranche.
    const over = await gql(server.gateway, REQUEST, { token: officer, variables: { input: {
      applicationId: application.id, disbursementDate: '2026-12-01', tranches: [{ expectedDate: '2026-12-01', amount: '5000' }, { expectedDate: '2027-02-01', amount: '2000.01' }],
    } } });
    expect(userErrors(over, 'requestDisbursement').map((e) => e.field)).toEqual(['input.tranches[1].amount']);
    const requested = await gql(server.gateway, REQUEST, { token: officer, variables: { input: {
      applicationId: application.id, disbursementDate: '2026-12-01', tranches: [{ expectedDate: '2026-12-01', amount: '5000' }, { expectedDate: '2027-02-01', amount: '2000' }],
    } } });
    expect(userErrors(requested, 'requestDisbursement')).toEqual([]);
    const decided = await gql(server.gateway, `mutation($input: DecideDisbursementInput!) { decideDisbursement(input: $input) { disbursementRequest { loan { id principal approvedPrincipal undisbursedPrincipal tranches { status expectedDate paidAmount } } } ${USER_ERRORS} } }`,
      { token: checker, variables: { input: { idempotencyKey: key(), requestId: requested.data!['requestDisbursement'].disbursementRequest.id, approve: true } } });
    expect(userErrors(decided, 'decideDisbursement')).toEqual([]);
    expect(decided.data!['decideDisbursement'].disbursementRequest.loan).toMatchObject({
      principal: '5000.00 USD', approvedPrincipal: '7000.00 USD', undisbursedPrincipal: '2000.00 USD',
      tranches: [{ status: 'PAID', expectedDate: '2026-12-01', paidAmount: '5000.00 USD' }, { status: 'PLANNED', expectedDate: '2027-02-01', paidAmount: null }],
    });
  });
});
