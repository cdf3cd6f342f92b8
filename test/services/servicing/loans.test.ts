// Loans through the API: disbursement posts the loan, its schedule and ledger; repayments explain their
// allocation; a backdated payment and a reversal replay what followed and post corrections (never edits);
// payment files post all or nothing; waivers need a second person; the books balance as of any date.
import { addDays } from '../../../src/domain/calendar.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { decodeGlobalID } from '@pothos/plugin-relay';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { registerPartner } from '../../../src/services/partners.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type GraphQLResponse, type TestServer, type UserError } from '../../support/harness.js';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { graphql } from 'graphql';
import { buildSchema } from '../../../src/graph/schema.js';
import { contextFor } from '../../../src/graph/context.js';
import { replaysOf } from '../../../src/graph/loan.js';
import { ROLE_KINDS, type AccountRole } from '../../../src/domain/servicing/ledger.js';

let server: TestServer;
let tenant: TenantRecord;
let officer: string;
let agent: string;
let approver: string;
let finance: string;

const DISBURSE = `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id number status principal disbursementDate daysPastDue
  receivable { principal interest fee penalty } account { netDisbursement instalments { number dueDate charged { principal interest } } } } ${USER_ERRORS} } }`;
const REPAY = `mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id kind valueDate amount
  allocation { amount held lines { instalment component amount reason } } loan { status daysPastDue receivable { principal interest } } } ${USER_ERRORS} } }`;
const INVARIANTS = '{ ledgerInvariants { holds unbalancedJournals loansOffLedger controlAccountsOff negativeBalances loans journals } }';

let keys = 0;
const key = () => `test-key-${Date.now()}-${keys++}`;
const amount = (money: string) => money.split(' ')[0]!;
const raw = (id: string) => decodeGlobalID(id).id;

/**
 * A refused mutation: answered 200 with exactly one refusal in its payload's userErrors and no result (`result`
 * names the payload's field), nothing at the top level.
 */
function refusal(response: GraphQLResponse, mutation: string, result: string): UserError {
  expect(response.status).toBe(200);
  const errors = userErrors(response, mutation);
  expect(errors).toHaveLength(1);
  expect(response.data![mutation][result]).toBeNull();
  return errors[0]!;
}

async function disburse(input: Record<string, unknown>, token = officer) {
  const response = await gql(server.gateway, DISBURSE, { token, variables: { input: { idempotencyKey: key(), productCode: 'PL-STD', ...input } } });
  expect(userErrors(response, 'disburseLoan')).toEqual([]);
  return response.data!['disburseLoan'].loan;
}

async function repay(loanId: string, money: string, valueDate: string, extra: Record<string, unknown> = {}) {
  const response = await gql(server.gateway, REPAY, { token: agent, variables: { input: { idempotencyKey: key(), loanId, amount: money, valueDate, channel: 'bank-transfer', ...extra } } });
  expect(userErrors(response, 'postRepayment')).toEqual([]);
  return response.data!['postRepayment'].loanTransaction;
}

async function invariants() {
  const response = await gql(server.gateway, INVARIANTS, { token: finance });
  expect(response.errors).toBeUndefined();
  return response.data!['ledgerInvariants'];
}

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('loans'), { sandbox: true, businessDate: '2026-12-01' });
  const actor = { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' };
  await registerPartner(server.runtime.tenantClients.forSchema(tenant.schemaName), server.runtime.identity, { tenant: tenant.slug, actor, now: new Date() }, { code: 'fintech', name: 'Fintech', kind: 'origination' });
  officer = await devToken(server.runtime, 'disbursement-officer', tenant.slug, { subject: 'officer-1' });
  agent = await devToken(server.runtime, 'servicing-agent', tenant.slug, { subject: 'agent-1' });
  approver = await devToken(server.runtime, 'credit-approver', tenant.slug, { subject: 'approver-1' });
  finance = await devToken(server.runtime, 'finance', tenant.slug, { subject: 'finance-1' });
});
afterAll(async () => {
  await server.close();
});

describe('concurrent postings to one loan', () => {
  it('queue on the loan and each sees what the one before committed: stored balances equal the journals', async () => {
    const loan = await disburse({ principal: '6000', numberOfRepayments: 12, disbursementDate: '2026-09-01' });
    // Sixteen repayments at once to the same loan, each waiting for the one before it.
    await Promise.all(Array.from({ length: 16 }, () => repay(loan.id, '25.00', '2026-12-01')));
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const stored = await db.loan.findUniqueOrThrow({ where: { id: raw(loan.id) } });
    expect(stored.transactionCount).toBe(await db.loanTransaction.count({ where: { loanId: raw(loan.id) } }));
    expect(await invariants()).toMatchObject({ holds: true, loansOffLedger: 0, controlAccountsOff: 0 });
  });
});

describe('disbursement', () => {
  it('books the loan with its schedule and posts the disbursement; refuses what the product does not allow, naming the field', async () => {
    const loan = await disburse({ principal: '12000', numberOfRepayments: 12, disbursementDate: '2026-12-01' });
    expect(loan).toMatchObject({ status: 'ACTIVE', principal: '12000.00 USD', disbursementDate: '2026-12-01', daysPastDue: 0 });
    expect(loan.receivable).toEqual({ principal: '12000.00 USD', interest: '0.00 USD', fee: '0.00 USD', penalty: '0.00 USD' });
    expect(loan.account.netDisbursement).toBe('12000.00 USD');
    expect(loan.account.instalments).toHaveLength(12);
    expect(loan.account.instalments[0]).toMatchObject({ number: 1, dueDate: '2027-01-01' });
    const principal = loan.account.instalments.reduce((sum: number, i: { charged: { principal: string } }) => sum + Math.round(Number(amount(i.charged.principal)) * 100), 0);
    expect(principal).toBe(1_200_000);

    for (const [input, field] of [
      [{ principal: '999', disbursementDate: '2026-12-01' }, 'input.principal'],
      [{ principal: '5000', numberOfRepayments: 61, disbursementDate: '2026-12-01' }, 'input.numberOfRepayments'],
      [{ principal: '5000', disbursementDate: '2026-12-02' }, 'input.disbursementDate'],
      [{ principal: '5000.001', disbursementDate: '2026-12-01' }, 'input.principal'],
      [{ principal: '5000', disbursementDate: '2026-12-01', productCode: 'NOPE' }, 'input.productCode'],
    ] as const) {
      const refused = await gql(server.gateway, DISBURSE, { token: officer, variables: { input: { idempotencyKey: key(), productCode: 'PL-STD', ...input } } });
      expect(refusal(refused, 'disburseLoan', 'loan')).toMatchObject({ code: field === 'input.productCode' ? 'NOT_FOUND' : 'BAD_USER_INPUT', field });
    }
  });

  it('refuses a first repayment on or before the disbursement or more than two repayment periods after it, booking nothing', async () => {
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const before = await db.loan.count();
    // A first repayment in 2199 booked 4,000.00 whose first instalment charged 68,581.78 of interest.
    for (const firstRepaymentDate of ['2199-12-31', '2027-02-02', '2026-12-01', '2026-11-30']) {
      const refused = await gql(server.gateway, DISBURSE, { token: officer, variables: { input: {
        idempotencyKey: key(), productCode: 'PL-STD', principal: '4000', numberOfRepayments: 12, disbursementDate: '2026-12-01', firstRepaymentDate,
      } } });
      expect(refusal(refused, 'disburseLoan', 'loan'), firstRepaymentDate).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.firstRepaymentDate' });
    }
    expect(await db.loan.count()).toBe(before);
    // Two whole months after a disbursement on 1 December: a long first period, booked.
    const longest = await disburse({ principal: '4000', numberOfRepayments: 12, disbursementDate: '2026-12-01', firstRepaymentDate: '2027-02-01' });
    expect(longest.account.instalments[0]).toMatchObject({ number: 1, dueDate: '2027-02-01' });
  });

  it('is idempotent: the same key gives the same loan; another input under it is a conflict', async () => {
    const input = { idempotencyKey: key(), productCode: 'PL-STD', principal: '5000', numberOfRepayments: 6, disbursementDate: '2026-12-01' };
    const [a, b] = await Promise.all([0, 1].map(() => gql(server.gateway, DISBURSE, { token: officer, variables: { input } })));
    expect(userErrors(a!, 'disburseLoan')).toEqual([]);
    expect(b!.data!['disburseLoan'].loan.id).toBe(a!.data!['disburseLoan'].loan.id);
    const other = await gql(server.gateway, DISBURSE, { token: officer, variables: { input: { ...input, principal: '6000' } } });
    expect(refusal(other, 'disburseLoan', 'loan').code).toBe('CONFLICT');
  });

  it('a disbursement fee set on the product is deducted from the payout and posted as fee income', async () => {
    const admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    const revised = await gql(server.gateway, `mutation { reviseLoanProductTerms(input: { code: "PL-STD", disbursementFeeAmount: "120", disbursementFeeTreatment: DEDUCTED }) { loanProduct { currentTerms { disbursementFee disbursementFeeTreatment } } ${USER_ERRORS} } }`, { token: admin });
    expect(userErrors(revised, 'reviseLoanProductTerms')).toEqual([]);
    expect(revised.data!['reviseLoanProductTerms'].loanProduct.currentTerms).toEqual({ disbursementFee: '120.00 USD', disbursementFeeTreatment: 'DEDUCTED' });
    const bad = await gql(server.gateway, `mutation { reviseLoanProductTerms(input: { code: "PL-STD", disbursementFeeAmount: "50.001", disbursementFeeTreatment: FINANCED }) { loanProduct { code } ${USER_ERRORS} } }`, { token: admin });
    expect(refusal(bad, 'reviseLoanProductTerms', 'loanProduct')).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.disbursementFeeAmount' });
    const loan = await disburse({ principal: '6000', numberOfRepayments: 12, disbursementDate: '2026-12-01' });
    expect(loan.account.netDisbursement).toBe('5880.00 USD');
    expect(loan.receivable.principal).toBe('6000.00 USD');
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const lines = await db.journalLine.findMany({ where: { loanId: raw(loan.id) } });
    expect(lines.find((l) => l.account === '4100')?.credit.toFixed(2)).toBe('120.00');
    expect(lines.find((l) => l.account === '1000')?.credit.toFixed(2)).toBe('5880.00');
    await gql(server.gateway, 'mutation { reviseLoanProductTerms(input: { code: "PL-STD", disbursementFeeAmount: "0" }) { loanProduct { code } } }', { token: admin });
  });

  it('only disbursement officers and admins book loans', async () => {
    const refused = await gql(server.gateway, DISBURSE, { token: agent, variables: { input: { idempotencyKey: key(), productCode: 'PL-STD', principal: '5000', disbursementDate: '2026-12-01' } } });
    expect(codes(refused)).toEqual(['FORBIDDEN']);
  });
});

describe('repayments, backdating and reversal', () => {
  it('a loan booked in the past falls overdue; paying on the due dates cures it; each payment explains itself', async () => {
    const loan = await disburse({ principal: '10000', numberOfRepayments: 12, disbursementDate: '2026-06-01' });
    // Six instalments fell due (July to December 1) and nothing was paid: overdue since July 1.
    expect(loan.status).toBe('OVERDUE');
    expect(loan.daysPastDue).toBe(153);
    const instalments = loan.account.instalments as { dueDate: string; charged: { principal: string; interest: string } }[];
    const due = (k: number) => (Number(amount(instalments[k]!.charged.principal)) + Number(amount(instalments[k]!.charged.interest))).toFixed(2);
    let last: any;
    for (let k = 0; k < 6; k += 1) last = await repay(loan.id, due(k), instalments[k]!.dueDate);
    expect(last.loan).toMatchObject({ status: 'ACTIVE', daysPastDue: 0 });
    // The last one paid instalment 6: its interest, then its principal, with the rule's reason.
    expect(last.allocation.lines.map((l: any) => [l.instalment, l.component])).toEqual([[6, 'INTEREST'], [6, 'PRINCIPAL']]);
    expect(last.allocation.lines[0].reason).toMatch(/due/i);
    expect(await invariants()).toMatchObject({ holds: true });
  });

  it('a backdated payment and a reversal replay what followed and post corrections; the books match a replay from scratch', async () => {
    const loan = await disburse({ principal: '10000', numberOfRepayments: 12, disbursementDate: '2026-06-01' });
    const instalment = (k: number) => loan.account.instalments[k];
    const due = (k: number) => (Number(amount(instalment(k).charged.principal)) + Number(amount(instalment(k).charged.interest))).toFixed(2);
    const first = await repay(loan.id, due(0), '2026-07-01');
    await repay(loan.id, due(2), '2026-09-01');
    // Arrives late but valued before the September payment: it pays instalment 2, so September's pays 3.
    const backdated = await repay(loan.id, due(1), '2026-08-01');
    expect(backdated.allocation.lines.every((l: any) => l.instalment === 2)).toBe(true);
    const reversal = await gql(server.gateway, `mutation($input: ReverseLoanTransactionInput!) { reverseLoanTransaction(input: $input) {
      loanTransaction { kind reverses { id } loan { status daysPastDue } } ${USER_ERRORS} } }`, { token: agent, variables: { input: { idempotencyKey: key(), transactionId: first.id, reason: 'bounced' } } });
    expect(userErrors(reversal, 'reverseLoanTransaction')).toEqual([]);
    expect(reversal.data!['reverseLoanTransaction'].loanTransaction).toMatchObject({ kind: 'REVERSAL', reverses: { id: first.id }, loan: { status: 'OVERDUE' } });
    // With July's money gone, August's pays instalment 1 and September's instalment 2: instalment 3 is unpaid
    // since September 1.
    expect(reversal.data!['reverseLoanTransaction'].loanTransaction.loan.daysPastDue).toBe(91);
    const reversedTwice = await gql(server.gateway, `mutation($input: ReverseLoanTransactionInput!) { reverseLoanTransaction(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`,
      { token: agent, variables: { input: { idempotencyKey: key(), transactionId: first.id, reason: 'again' } } });
    // The transaction's state refuses it, not the input: a conflict, naming the transaction as a person knows it.
    const twice = refusal(reversedTwice, 'reverseLoanTransaction', 'loanTransaction');
    expect(twice).toMatchObject({ code: 'CONFLICT', field: 'input.transactionId', message: `the repayment of 2026-07-01 on loan ${loan.number} is already reversed` });
    expect(twice.message).not.toContain(raw(first.id));

    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const journals = await db.journal.findMany({ where: { loanId: raw(loan.id) }, include: { lines: true }, orderBy: { seq: 'asc' } });
    expect(journals.map((j) => j.kind)).toEqual(expect.arrayContaining(['disbursement', 'posting', 'correction']));
    // What is posted, per date and account, equals the loan replayed from scratch.
    const { replayedLoan } = await import('../../../src/graph/loan.js');
    const row = await db.loan.findUniqueOrThrow({ where: { id: raw(loan.id) } });
    const state = await replayedLoan({ db, tenant, memo: new Map() } as any, row);
    const net = (entries: [string, string, number][]) => {
      const map = new Map<string, number>();
      for (const [date, account, value] of entries) map.set(`${date} ${account}`, Math.round(((map.get(`${date} ${account}`) ?? 0) + value) * 100) / 100);
      return new Map([...map].filter(([, v]) => v !== 0));
    };
    const posted = net(journals.flatMap((j) => j.lines.map((l) => [j.valueDate.toISOString().slice(0, 10), l.account, Number(l.debit) - Number(l.credit)] as [string, string, number])));
    const replayed = net(state.journals.flatMap((j) => j.lines.map((l) => [j.valueDate, l.account, l.debit.minus(l.credit).toNumber()] as [string, string, number])));
    expect(posted).toEqual(replayed);
    expect(await invariants()).toMatchObject({ holds: true, unbalancedJournals: 0, loansOffLedger: 0, controlAccountsOff: 0, negativeBalances: 0 });
    // The database refuses edits to the books, and a journal that does not balance.
    await expect(db.journalLine.updateMany({ where: { loanId: raw(loan.id) }, data: { debit: 0 } })).rejects.toThrow();
    const journalId = randomUUID();
    await db.journal.create({ data: { id: journalId, kind: 'correction', currency: 'USD', valueDate: new Date('2026-12-01T00:00:00Z'), narrative: 'forged', postedBy: 'test', postedAt: new Date() } });
    await expect(db.journalLine.createMany({ data: [
      { journalId, line: 1, account: '1000', debit: 100, credit: 0, currency: 'USD', valueDate: new Date('2026-12-01T00:00:00Z') },
      { journalId, line: 2, account: '4000', debit: 0, credit: 99, currency: 'USD', valueDate: new Date('2026-12-01T00:00:00Z') },
    ] })).rejects.toThrow(/does not balance/);
  });

  it('refuses payments valued after the business date or before the disbursement, and bad amounts, naming the field', async () => {
    const loan = await disburse({ principal: '5000', numberOfRepayments: 6, disbursementDate: '2026-11-01' });
    for (const [valueDate, money, field] of [['2026-12-02', '10', 'input.valueDate'], ['2026-10-31', '10', 'input.valueDate'], ['2026-11-15', '0', 'input.amount'], ['2026-11-15', '1.001', 'input.amount']]) {
      const refused = await gql(server.gateway, REPAY, { token: agent, variables: { input: { idempotencyKey: key(), loanId: loan.id, amount: money, valueDate, channel: 'card' } } });
      expect(refusal(refused, 'postRepayment', 'loanTransaction'), `${valueDate} ${money}`).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
  });

  it('a repeated key replays the posting; the same key with another amount is a conflict', async () => {
    const loan = await disburse({ principal: '5000', numberOfRepayments: 6, disbursementDate: '2026-11-01' });
    const input = { idempotencyKey: key(), loanId: loan.id, amount: '100', valueDate: '2026-11-20', channel: 'card' };
    const [a, b] = await Promise.all([0, 1].map(() => gql(server.gateway, REPAY, { token: agent, variables: { input } })));
    expect(userErrors(a!, 'postRepayment')).toEqual([]);
    expect(userErrors(b!, 'postRepayment')).toEqual([]);
    expect(b!.data!['postRepayment'].loanTransaction.id).toBe(a!.data!['postRepayment'].loanTransaction.id);
    expect(refusal(await gql(server.gateway, REPAY, { token: agent, variables: { input: { ...input, amount: '101' } } }), 'postRepayment', 'loanTransaction').code).toBe('CONFLICT');
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    expect(await db.loanTransaction.count({ where: { loanId: raw(loan.id) } })).toBe(1);
  });
});

describe('payment files', () => {
  it('posts every row in one transaction, or nothing when a row fails (the error names the row)', async () => {
    const loans = await Promise.all([0, 1, 2].map(() => disburse({ principal: '5000', numberOfRepayments: 6, disbursementDate: '2026-11-01' })));
    const FILE = `mutation($input: PostRepaymentsInput!) { postRepayments(input: $input) { posted loans total journals sha256 ${USER_ERRORS} } }`;
    const rows = loans.map((l, k) => ({ loanId: l.id, amount: String(100 + k), valueDate: '2026-11-30', channel: 'direct-debit', externalReference: `dd-${k}` }));
    const bad = await gql(server.gateway, FILE, { token: agent, variables: { input: { idempotencyKey: key(), repayments: [rows[0], { ...rows[1], amount: '-5' }, rows[2]] } } });
    expect(refusal(bad, 'postRepayments', 'posted')).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.repayments[1].amount' });
    expect(bad.data!['postRepayments']).toMatchObject({ loans: null, total: null, journals: null, sha256: null });
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    expect(await db.loanTransaction.count({ where: { loanId: { in: loans.map((l) => raw(l.id)) } } })).toBe(0);
    const good = await gql(server.gateway, FILE, { token: agent, variables: { input: { idempotencyKey: key(), repayments: [...rows, { ...rows[0], amount: '50', externalReference: 'dd-3' }] } } });
    expect(userErrors(good, 'postRepayments')).toEqual([]);
    expect(good.data!['postRepayments']).toMatchObject({ posted: 4, loans: 3, total: '353' });
    expect(await db.loanTransaction.count({ where: { loanId: { in: loans.map((l) => raw(l.id)) } } })).toBe(4);
    expect(await invariants()).toMatchObject({ holds: true });
  });
});

describe('charges and waivers', () => {
  it('a fee charged by hand is owed with the next instalment; waiving it needs a second person and posts to the ledger', async () => {
    const loan = await disburse({ principal: '5000', numberOfRepayments: 6, disbursementDate: '2026-10-01' });
    const charge = await gql(server.gateway, `mutation($input: ApplyLoanChargeInput!) { applyLoanCharge(input: $input) { loanTransaction { kind component amount } ${USER_ERRORS} } }`,
      { token: agent, variables: { input: { idempotencyKey: key(), loanId: loan.id, component: 'FEE', amount: '25', valueDate: '2026-11-05', reason: 'returned direct debit' } } });
    expect(userErrors(charge, 'applyLoanCharge')).toEqual([]);
    expect(charge.data!['applyLoanCharge'].loanTransaction).toEqual({ kind: 'CHARGE', component: 'FEE', amount: '25.00 USD' });
    const ask = await gql(server.gateway, `mutation($input: RequestLoanWaiverInput!) { requestLoanWaiver(input: $input) { loanWaiverRequest { id status requestedBy } ${USER_ERRORS} } }`,
      { token: agent, variables: { input: { loanId: loan.id, component: 'FEE', amount: '25', reason: 'goodwill: bank error' } } });
    expect(userErrors(ask, 'requestLoanWaiver')).toEqual([]);
    const request = ask.data!['requestLoanWaiver'].loanWaiverRequest;
    expect(request).toMatchObject({ status: 'PENDING', requestedBy: 'agent-1' });
    const DECIDE = `mutation($input: DecideLoanWaiverInput!) { decideLoanWaiver(input: $input) { loanWaiverRequest { status decidedBy transaction { kind amount } } ${USER_ERRORS} } }`;
    // The same person, even holding the approver's role, cannot check their own request.
    const selfApproval = await gql(server.gateway, DECIDE, { token: await devToken(server.runtime, 'finance', tenant.slug, { subject: 'agent-1' }), variables: { input: { requestId: request.id, approve: true } } });
    expect(refusal(selfApproval, 'decideLoanWaiver', 'loanWaiverRequest')).toMatchObject({ code: 'FORBIDDEN', reason: 'MAKER_IS_CHECKER', field: 'input.requestId' });
    // Without the approver's role at all, the caller may not decide: that stays a top-level error.
    expect(codes(await gql(server.gateway, DECIDE, { token: agent, variables: { input: { requestId: request.id, approve: true } } }))).toEqual(['FORBIDDEN']);
    const queue = await gql(server.gateway, '{ loanWaiverRequests(first: 10) { edges { node { id status } } } }', { token: approver });
    expect(queue.errors, JSON.stringify(queue.errors)).toBeUndefined();
    expect(queue.data!['loanWaiverRequests'].edges.map((e: any) => e.node.id)).toContain(request.id);
    const approved = await gql(server.gateway, DECIDE, { token: approver, variables: { input: { requestId: request.id, approve: true } } });
    expect(userErrors(approved, 'decideLoanWaiver')).toEqual([]);
    expect(approved.data!['decideLoanWaiver'].loanWaiverRequest).toEqual({ status: 'APPROVED', decidedBy: 'approver-1', transaction: { kind: 'WAIVER', amount: '25.00 USD' } });
    expect(refusal(await gql(server.gateway, DECIDE, { token: approver, variables: { input: { requestId: request.id, approve: false, reason: 'changed mind' } } }), 'decideLoanWaiver', 'loanWaiverRequest').code).toBe('CONFLICT');
    const account = await gql(server.gateway, `query($id: ID!) { node(id: $id) { ... on Loan { account { instalments { number charged { fee } waived { fee } outstanding { fee } } } } } }`, { token: agent, variables: { id: loan.id } });
    const second = account.data!['node'].account.instalments[1];
    expect(second).toEqual({ number: 2, charged: { fee: '25.00 USD' }, waived: { fee: '25.00 USD' }, outstanding: { fee: '0.00 USD' } });
    expect(await invariants()).toMatchObject({ holds: true });
  });

  it('a waiver its approval would refuse is refused when asked, naming the field, and nothing is stored', async () => {
    const loan = await disburse({ principal: '5000', numberOfRepayments: 6, disbursementDate: '2026-11-30' });
    const charge = await gql(server.gateway, `mutation($input: ApplyLoanChargeInput!) { applyLoanCharge(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`,
      { token: agent, variables: { input: { idempotencyKey: key(), loanId: loan.id, component: 'FEE', amount: '10', valueDate: '2026-12-01', reason: 'late statement' } } });
    expect(userErrors(charge, 'applyLoanCharge')).toEqual([]);
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const written = async () => [await db.loanWaiverRequest.count({ where: { loanId: raw(loan.id) } }), await db.outboxEvent.count({ where: { type: 'loan.waiverRequested', aggregateId: loan.id } })];
    const ASK = `mutation($input: RequestLoanWaiverInput!) { requestLoanWaiver(input: $input) { loanWaiverRequest { id } ${USER_ERRORS} } }`;
    const asked = { loanId: loan.id, component: 'FEE', amount: '10', reason: 'goodwill: bank error' };
    for (const [input, field, message] of [
      [{ instalment: -1 }, 'input.instalment', /no instalment -1/],
      [{ instalment: 0 }, 'input.instalment', /no instalment 0/],
      [{ instalment: 999 }, 'input.instalment', /no instalment 999/],
      [{ instalment: 2147483647 }, 'input.instalment', /no instalment 2147483647/],
      [{ valueDate: '1900-01-01' }, 'input.valueDate', /before the disbursement on 2026-11-30/],
      [{ amount: '999' }, 'input.amount', /^only 10\.00 USD of fee is owed to waive on 2026-12-01; the waiver asks for 999\.00$/],
      [{ amount: '10.001' }, 'input.amount', /whole minor units/],
    ] as const) {
      const refused = await gql(server.gateway, ASK, { token: agent, variables: { input: { ...asked, ...input } } });
      expect(refusal(refused, 'requestLoanWaiver', 'loanWaiverRequest'), JSON.stringify(input)).toMatchObject({ code: 'BAD_USER_INPUT', field, message: expect.stringMatching(message) });
    }
    expect(await written()).toEqual([0, 0]);
    // The fee is collected with the first instalment: asked of it, the waiver is stored.
    const named = await gql(server.gateway, ASK, { token: agent, variables: { input: { ...asked, instalment: 1 } } });
    expect(userErrors(named, 'requestLoanWaiver')).toEqual([]);
    expect(await written()).toEqual([1, 1]);
  });

  it('a waiver the loan no longer owes is refused when approved, naming the request and saying why, and nothing is posted', async () => {
    const loan = await disburse({ principal: '5000', numberOfRepayments: 6, disbursementDate: '2026-10-01' });
    const charge = await gql(server.gateway, `mutation($input: ApplyLoanChargeInput!) { applyLoanCharge(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`,
      { token: agent, variables: { input: { idempotencyKey: key(), loanId: loan.id, component: 'FEE', amount: '10', valueDate: '2026-11-05', reason: 'late statement' } } });
    expect(userErrors(charge, 'applyLoanCharge')).toEqual([]);
    // Two people ask to waive the same fee; once one is approved, nothing is left for the other to forgive.
    const ASK = `mutation($input: RequestLoanWaiverInput!) { requestLoanWaiver(input: $input) { loanWaiverRequest { id } ${USER_ERRORS} } }`;
    const [first, second] = await Promise.all(['goodwill, asked first', 'goodwill, asked again'].map(async (reason) => {
      const ask = await gql(server.gateway, ASK, { token: agent, variables: { input: { loanId: loan.id, component: 'FEE', amount: '10', reason } } });
      expect(userErrors(ask, 'requestLoanWaiver')).toEqual([]);
      return ask.data!['requestLoanWaiver'].loanWaiverRequest.id as string;
    }));
    const DECIDE = `mutation($input: DecideLoanWaiverInput!) { decideLoanWaiver(input: $input) { loanWaiverRequest { status } ${USER_ERRORS} } }`;
    expect(userErrors(await gql(server.gateway, DECIDE, { token: approver, variables: { input: { requestId: first, approve: true } } }), 'decideLoanWaiver')).toEqual([]);
    const transactionsBefore = await server.runtime.tenantClients.forSchema(tenant.schemaName).loanTransaction.count({ where: { loanId: decodeGlobalID(loan.id).id } });
    const approved = await gql(server.gateway, DECIDE, { token: approver, variables: { input: { requestId: second, approve: true } } });
    expect(refusal(approved, 'decideLoanWaiver', 'loanWaiverRequest')).toMatchObject({
      code: 'CONFLICT', field: 'input.requestId',
      message: expect.stringMatching(/^a waiver cannot be posted against the loan as it stands: only 0\.00 USD of fee is owed to waive on 2026-12-01; the waiver asks for 10\.00; reject the request$/),
    });
    expect(await server.runtime.tenantClients.forSchema(tenant.schemaName).loanTransaction.count({ where: { loanId: decodeGlobalID(loan.id).id } })).toBe(transactionsBefore);
    // It can still be rejected.
    const rejected = await gql(server.gateway, DECIDE, { token: approver, variables: { input: { requestId: second, approve: false, reason: 'already waived' } } });
    expect(rejected.data!['decideLoanWaiver']).toEqual({ loanWaiverRequest: { status: 'REJECTED' }, userErrors: [] });
    expect(await invariants()).toMatchObject({ holds: true });
  });

  it('a waiver asked again with the same key is the same request, asked once; another waiver under the key is a conflict; another person\'s key is their own', async () => {
    const loan = await disburse({ principal: '5000', numberOfRepayments: 6, disbursementDate: '2026-10-01' });
    const charge = await gql(server.gateway, `mutation($input: ApplyLoanChargeInput!) { applyLoanCharge(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`,
      { token: agent, variables: { input: { idempotencyKey: key(), loanId: loan.id, component: 'FEE', amount: '30', valueDate: '2026-11-05', reason: 'returned direct debit' } } });
    expect(userErrors(charge, 'applyLoanCharge')).toEqual([]);
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const ASK = `mutation($input: RequestLoanWaiverInput!) { requestLoanWaiver(input: $input) { loanWaiverRequest { id status component amount valueDate reason requestedBy } ${USER_ERRORS} } }`;
    const ask = (token: string, input: Record<string, unknown>) => gql(server.gateway, ASK, { token, variables: { input } });
    const written = async () => {
      const requests = await db.loanWaiverRequest.findMany({ where: { loanId: raw(loan.id) }, select: { id: true } });
      return {
        requests: requests.length,
        events: await db.outboxEvent.count({ where: { type: 'loan.waiverRequested', aggregateId: loan.id } }),
        audits: await db.auditRecord.count({ where: { action: 'loan.requestWaiver', entityId: { in: requests.map((r) => r.id) } } }),
      };
    };
    const input = { idempotencyKey: key(), loanId: loan.id, component: 'FEE', amount: '25', reason: 'goodwill: bank error' };

    const first = await ask(agent, input);
    expect(userErrors(first, 'requestLoanWaiver')).toEqual([]);
    const again = await ask(agent, input);
    expect(again.errors).toBeUndefined();
    expect(again.data!['requestLoanWaiver']).toEqual(first.data!['requestLoanWaiver']);
    expect(await written()).toEqual({ requests: 1, events: 1, audits: 1 });

    const clash = await ask(agent, { ...input, amount: '30' });
    expect(refusal(clash, 'requestLoanWaiver', 'loanWaiverRequest')).toMatchObject({ code: 'CONFLICT', field: 'input.idempotencyKey' });
    expect(await written()).toEqual({ requests: 1, events: 1, audits: 1 });

    const colleague = await devToken(server.runtime, 'servicing-agent', tenant.slug, { subject: 'agent-2' });
    const theirs = await ask(colleague, input);
    expect(userErrors(theirs, 'requestLoanWaiver')).toEqual([]);
    expect(theirs.data!['requestLoanWaiver'].loanWaiverRequest).toMatchObject({ status: 'PENDING', requestedBy: 'agent-2' });
    expect(theirs.data!['requestLoanWaiver'].loanWaiverRequest.id).not.toBe(first.data!['requestLoanWaiver'].loanWaiverRequest.id);
    expect(await written()).toEqual({ requests: 2, events: 2, audits: 2 });
  });
});

describe('the books', () => {
  it('a trial balance as of any date balances; an account statement runs from opening to closing', async () => {
    const loan = await disburse({ principal: '8000', numberOfRepayments: 12, disbursementDate: '2026-05-20' });
    await repay(loan.id, '900', '2026-07-02');
    for (const asOf of ['2026-06-01', '2026-09-15', '2026-12-01']) {
      const response = await gql(server.gateway, `{ trialBalance(asOf: "${asOf}") { asOf lines { account debits credits balance } } }`, { token: finance });
      expect(response.errors).toBeUndefined();
      const lines = response.data!['trialBalance'].lines as { balance: string }[];
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.reduce((sum, l) => sum + Math.round(Number(amount(l.balance)) * 100), 0)).toBe(0);
    }
    // After the business date there are no books yet: refused, naming the argument, as reports and loan statements are.
    const later = addDays(tenant.businessDate, 1);
    for (const [query, argument] of [[`{ trialBalance(asOf: "${later}") { asOf } }`, 'asOf'], [`{ ledgerAccountStatement(account: "1100", from: "2026-07-01", to: "${later}") { closing } }`, 'to']]) {
      const refused = await gql(server.gateway, query!, { token: finance });
      expect(refused.errors?.map((e) => [e.extensions['code'], e.extensions['field'], e.message])).toEqual([['BAD_USER_INPUT', argument, `${argument} may not be after the business date, ${tenant.businessDate}`]]);
    }
    const statement = await gql(server.gateway, `{ ledgerAccountStatement(account: "1100", from: "2026-07-01", to: "2026-12-01") { opening closing truncated lines { valueDate kind narrative debit credit balance } } }`, { token: finance });
    expect(statement.errors).toBeUndefined();
    const s = statement.data!['ledgerAccountStatement'];
    const moved = s.lines.reduce((sum: number, l: any) => sum + Math.round(Number(amount(l.debit)) * 100) - Math.round(Number(amount(l.credit)) * 100), 0);
    expect(Math.round(Number(amount(s.opening)) * 100) + moved).toBe(Math.round(Number(amount(s.closing)) * 100));
    expect(s.lines.at(-1).balance).toBe(s.closing);
    // A refusal names the query's own argument: no `input` wraps it.
    for (const [args, field] of [['account: "9999", from: "2026-07-01", to: "2026-12-01"', 'account'], ['account: "1100", from: "2026-12-01", to: "2026-07-01"', 'to']] as const) {
      const refused = await gql(server.gateway, `{ ledgerAccountStatement(${args}) { closing } }`, { token: finance });
      expect(refused.errors![0]!.extensions, args).toMatchObject({ code: 'BAD_USER_INPUT', field });
    }
    const chart = await gql(server.gateway, '{ ledgerAccounts { code role } }', { token: finance });
    expect(chart.data!['ledgerAccounts']).toEqual(expect.arrayContaining([{ code: '1100', role: 'PRINCIPAL_RECEIVABLE' }, { code: '2100', role: 'EXCESS' }]));
  });

  it('interest paid before its instalment falls due is held on 2150 until the due date; reversing the payment takes it back', async () => {
    const loan = await disburse({ principal: '6000', numberOfRepayments: 12, disbursementDate: '2026-09-01' });
    const instalment = (k: number) => loan.account.instalments[k];
    const cents = (money: string) => Math.round(Number(amount(money)) * 100);
    const due = (k: number) => ((cents(instalment(k).charged.principal) + cents(instalment(k).charged.interest)) / 100).toFixed(2);
    const secondInterest = cents(instalment(1).charged.interest);
    expect(instalment(1).dueDate).toBe('2026-11-01');
    // On 2026-10-01 the borrower pays instalment 1 and, a month early, instalment 2.
    const early = await repay(loan.id, ((cents(due(0)) + cents(due(1))) / 100).toFixed(2), '2026-10-01');
    expect(early.allocation.lines.filter((l: any) => l.instalment === 2).map((l: any) => l.component)).toEqual(['INTEREST', 'PRINCIPAL']);
    const chart = await gql(server.gateway, '{ ledgerAccounts { code name kind role } }', { token: finance });
    expect(chart.data!['ledgerAccounts']).toEqual(expect.arrayContaining([{ code: '2150', name: 'Interest received in advance', kind: 'LIABILITY', role: 'INTEREST_IN_ADVANCE' }]));

    // This loan's lines on the account (other loans of the tenant may pay interest ahead too).
    const mine = async () => {
      const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
      const lines = await db.journalLine.findMany({ where: { loanId: raw(loan.id), account: '2150' }, orderBy: [{ valueDate: 'asc' }] });
      return lines.map((l) => [l.valueDate.toISOString().slice(0, 10), cents(l.debit.toString()), cents(l.credit.toString())]);
    };
    // Held on the payment's date, applied on instalment 2's due date (the business date is past it): nothing left.
    expect(await mine()).toEqual([['2026-10-01', 0, secondInterest], ['2026-11-01', secondInterest, 0]]);
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    expect((await db.loan.findUniqueOrThrow({ where: { id: raw(loan.id) } })).interestInAdvance.toFixed(2)).toBe('0.00');
    const shown = await gql(server.gateway, 'query($id: ID!) { node(id: $id) { ... on Loan { interestInAdvance } } }', { token: finance, variables: { id: loan.id } });
    expect(shown.data!['node']).toEqual({ interestInAdvance: '0.00 USD' });

    // The payment bounces: the correction takes the liability back on the dates it was booked.
    const reversal = await gql(server.gateway, `mutation($input: ReverseLoanTransactionInput!) { reverseLoanTransaction(input: $input) { loanTransaction { kind } ${USER_ERRORS} } }`,
      { token: agent, variables: { input: { idempotencyKey: key(), transactionId: early.id, reason: 'bounced' } } });
    expect(userErrors(reversal, 'reverseLoanTransaction')).toEqual([]);
    expect(reversal.data!['reverseLoanTransaction'].loanTransaction).toEqual({ kind: 'REVERSAL' });
    const net = new Map<string, number>();
    for (const [date, debit, credit] of await mine()) net.set(date as string, (net.get(date as string) ?? 0) + (debit as number) - (credit as number));
    expect([...net.values()].every((v) => v === 0)).toBe(true);
    expect(await invariants()).toMatchObject({ holds: true, unbalancedJournals: 0, loansOffLedger: 0, controlAccountsOff: 0, negativeBalances: 0 });
  });

  it('a product mapped to another account posts new loans there; loans booked before keep theirs', async () => {
    const opened = await gql(server.gateway, `mutation { openLedgerAccount(input: { code: "4010", name: "Interest income: personal loans", kind: INCOME }) { ledgerAccount { code kind } ${USER_ERRORS} } }`, { token: finance });
    expect(userErrors(opened, 'openLedgerAccount')).toEqual([]);
    expect(opened.data!['openLedgerAccount'].ledgerAccount).toEqual({ code: '4010', kind: 'INCOME' });
    // Each role posts to an account of its kind; another kind is refused naming the account, and nothing changes.
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const mappingBefore = (await db.loanProduct.findUniqueOrThrow({ where: { code: 'PL-STD' } })).accountMapping;
    for (const [role, account, message] of [
      ['PRINCIPAL_RECEIVABLE', '5100', 'principal receivable posts to an asset account; 5100 is an expense account'],
      ['INTEREST_INCOME', '1000', 'interest income posts to an income account; 1000 is an asset account'],
    ] as const) {
      const refused = await gql(server.gateway, `mutation { mapProductAccount(input: { productCode: "PL-STD", role: ${role}, account: "${account}" }) { loanProduct { code } ${USER_ERRORS} } }`, { token: finance });
      expect(refusal(refused, 'mapProductAccount', 'loanProduct')).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.account', message });
    }
    expect((await db.loanProduct.findUniqueOrThrow({ where: { code: 'PL-STD' } })).accountMapping).toEqual(mappingBefore);
    // The chart a tenant starts with maps every role to an account of its kind.
    const chart = await db.ledgerAccount.findMany({ where: { role: { not: null } }, select: { role: true, kind: true } });
    expect(chart).toHaveLength(Object.keys(ROLE_KINDS).length);
    for (const { role, kind } of chart) expect([role, kind]).toEqual([role, ROLE_KINDS[role as AccountRole]]);
    const mapped = await gql(server.gateway, `mutation { mapProductAccount(input: { productCode: "PL-STD", role: INTEREST_INCOME, account: "4010" }) { loanProduct { code } ${USER_ERRORS} } }`, { token: finance });
    expect(userErrors(mapped, 'mapProductAccount')).toEqual([]);
    expect(mapped.data!['mapProductAccount'].loanProduct).toEqual({ code: 'PL-STD' });
    const loan = await disburse({ principal: '5000', numberOfRepayments: 6, disbursementDate: '2026-10-01' });
    const lines = await db.journalLine.findMany({ where: { loanId: raw(loan.id) } });
    expect(lines.map((l) => l.account)).toContain('4010');
    expect(lines.map((l) => l.account)).not.toContain('4000');
    expect(await invariants()).toMatchObject({ holds: true });
  });
});

describe('partners', () => {
  it('an origination partner sees the loans it brought and no other', async () => {
    const theirs = await disburse({ principal: '5000', numberOfRepayments: 6, disbursementDate: '2026-12-01', originationPartnerCode: 'fintech' });
    const partner = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'fintech', kind: 'origination' } });
    const seen = await gql(server.gateway, '{ loans(first: 100) { edges { node { id status originationPartnerCode } } } }', { token: partner });
    expect(seen.errors).toBeUndefined();
    expect(seen.data!['loans'].edges.map((e: any) => e.node.id)).toEqual([theirs.id]);
    const repaid = await gql(server.gateway, REPAY, { token: partner, variables: { input: { idempotencyKey: key(), loanId: theirs.id, amount: '10', valueDate: '2026-12-01', channel: 'card' } } });
    expect(codes(repaid)).toEqual(['FORBIDDEN']);
    expect(codes(await gql(server.gateway, '{ trialBalance(asOf: "2026-12-01") { asOf } }', { token: partner }))).toEqual(['FORBIDDEN']);
  });
});

describe('statements', () => {
  it('a loan statement for a period: opening, each transaction with its allocation, closing; as JSON, CSV and PDF', async () => {
    const loan = await disburse({ principal: '6000', numberOfRepayments: 6, disbursementDate: '2026-06-01', originationPartnerCode: 'fintech' });
    const first = await repay(loan.id, '1100', '2026-07-01');
    await repay(loan.id, '1100', '2026-08-01');
    await gql(server.gateway, 'mutation($input: ReverseLoanTransactionInput!) { reverseLoanTransaction(input: $input) { loanTransaction { id } } }',
      { token: agent, variables: { input: { idempotencyKey: key(), transactionId: first.id, valueDate: '2026-08-15', reason: 'bounced' } } });
    const STATEMENT = `query($id: ID!) { node(id: $id) { ... on Loan { statement(from: "2026-07-01", to: "2026-09-30") {
      opening { principal totalOwed } closing { principal interest totalOwed } received csvPath pdfPath
      lines { date kind description amount allocation { instalment component as amount } balance { totalOwed } } } } } }`;
    const response = await gql(server.gateway, STATEMENT, { token: agent, variables: { id: loan.id } });
    expect(response.errors).toBeUndefined();
    const statement = response.data!['node'].statement;
    expect(statement.opening).toEqual({ principal: '6000.00 USD', totalOwed: '6000.00 USD' });
    expect(statement.lines.map((l: any) => l.kind)).toEqual(expect.arrayContaining(['INSTALMENT_DUE', 'REPAYMENT', 'REVERSAL']));
    // The second repayment, once the first is reversed, pays instalment 1; the reversal line shows the move.
    expect(statement.received).toBe('1100.00 USD');
    expect(statement.lines.at(-1).balance.totalOwed).toBe(statement.closing.totalOwed);
    const repayment = statement.lines.find((l: any) => l.kind === 'REPAYMENT');
    expect(repayment.allocation.length).toBeGreaterThan(0);

    const download = (path: string, token?: string) => fetch(`${server.gateway.url}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const csv = await download(statement.csvPath, agent);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const text = await csv.text();
    expect(text).toContain('closing');
    expect(text).toContain('2026-08-15');
    const pdf = await download(statement.pdfPath, agent);
    expect(pdf.status).toBe(200);
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
    // The partner that brought the loan may download it; without a token, or as another partner, nothing.
    const fintech = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'fintech', kind: 'origination' } });
    expect((await download(statement.csvPath, fintech)).status).toBe(200);
    expect((await download(statement.csvPath)).status).toBe(401);
    const otherLoan = await disburse({ principal: '6000', numberOfRepayments: 6, disbursementDate: '2026-06-01' });
    expect((await download(statement.csvPath.replace(encodeURIComponent(loan.id), encodeURIComponent(otherLoan.id)), fintech)).status).toBe(404);
    const bad = await download(statement.csvPath.replace('from=2026-07-01', 'from=2026-13-01'), agent);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'BAD_USER_INPUT', field: 'from' } });
  });
});

describe('prepayment, payoff and refunds', () => {
  it('a payoff quote for a date, paid, closes the loan with nothing owed either way once the excess is refunded', async () => {
    const loan = await disburse({ principal: '6000', numberOfRepayments: 12, disbursementDate: '2026-09-15' });
    const QUOTE = `query($id: ID!) { node(id: $id) { ... on Loan { payoffQuote { date validThrough principal interest fees penalties held total } } } }`;
    const quoted = await gql(server.gateway, QUOTE, { token: agent, variables: { id: loan.id } });
    expect(quoted.errors).toBeUndefined();
    const quote = quoted.data!['node'].payoffQuote;
    expect(quote).toMatchObject({ date: '2026-12-01', validThrough: '2026-12-01', principal: '6000.00 USD', fees: '0.00 USD', penalties: '0.00 USD' });
    // Two instalments fell due unpaid (October 15 and November 15) plus interest earned since November 15.
    expect(Number(amount(quote.interest))).toBeGreaterThan(100);
    const short = await gql(server.gateway, REPAY, { token: agent, variables: { input: { idempotencyKey: key(), loanId: loan.id, amount: (Number(amount(quote.total)) - 1).toFixed(2), valueDate: '2026-12-01', channel: 'bank-transfer', purpose: 'PAYOFF' } } });
    expect(refusal(short, 'postRepayment', 'loanTransaction')).toMatchObject({ code: 'BAD_USER_INPUT', field: 'input.amount' });
    const paid = await repay(loan.id, (Number(amount(quote.total)) + 25).toFixed(2), '2026-12-01', { purpose: 'PAYOFF' });
    expect(paid.loan.status).toBe('CLOSED');
    expect(paid.loan.receivable).toEqual({ principal: '0.00 USD', interest: '0.00 USD' });
    const refund = await gql(server.gateway, `mutation($input: RefundLoanExcessInput!) { refundLoanExcess(input: $input) { loanTransaction { kind amount loan { held status } } ${USER_ERRORS} } }`,
      { token: agent, variables: { input: { idempotencyKey: key(), loanId: loan.id, amount: '25', valueDate: '2026-12-01', channel: 'bank-transfer' } } });
    expect(userErrors(refund, 'refundLoanExcess')).toEqual([]);
    expect(refund.data!['refundLoanExcess'].loanTransaction).toEqual({ kind: 'REFUND', amount: '25.00 USD', loan: { held: '0.00 USD', status: 'CLOSED' } });
    const tooMuch = await gql(server.gateway, `mutation($input: RefundLoanExcessInput!) { refundLoanExcess(input: $input) { loanTransaction { kind } ${USER_ERRORS} } }`,
      { token: agent, variables: { input: { idempotencyKey: key(), loanId: loan.id, amount: '1', valueDate: '2026-12-01', channel: 'bank-transfer' } } });
    expect(refusal(tooMuch, 'refundLoanExcess', 'loanTransaction').code).toBe('BAD_USER_INPUT');
    expect(await invariants()).toMatchObject({ holds: true });
  });

  it('a partial prepayment reduces the tenor or the instalment, as the borrower chooses, and the schedule is regenerated', async () => {
    const ACCOUNT = `query($id: ID!) { node(id: $id) { ... on Loan { account { instalments { number dueDate charged { principal interest } outstanding { principal } } } } } }`;
    const schedule = async (id: string) => (await gql(server.gateway, ACCOUNT, { token: agent, variables: { id } })).data!['node'].account.instalments as any[];
    const owing = (rows: any[]) => rows.filter((i) => Number(amount(i.outstanding.principal)) > 0);
    const tenor = await disburse({ principal: '12000', numberOfRepayments: 12, disbursementDate: '2026-11-01' });
    const instalment = await disburse({ principal: '12000', numberOfRepayments: 12, disbursementDate: '2026-11-01' });
    await repay(tenor.id, '4000', '2026-11-20', { purpose: 'PREPAY_REDUCE_TENOR' });
    await repay(instalment.id, '4000', '2026-11-20', { purpose: 'PREPAY_REDUCE_INSTALMENT' });
    const shorter = owing(await schedule(tenor.id));
    const lower = owing(await schedule(instalment.id));
    expect(shorter.length).toBeLessThan(12);
    expect(lower).toHaveLength(12);
    const level = (rows: any[]) => Number(amount(rows[1].charged.principal)) + Number(amount(rows[1].charged.interest));
    const booked = Number(amount(instalment.account.instalments[1].charged.principal)) + Number(amount(instalment.account.instalments[1].charged.interest));
    expect(level(lower)).toBeLessThan(booked);
    expect(Math.abs(level(shorter) - booked)).toBeLessThan(0.02);
    expect(await invariants()).toMatchObject({ holds: true });
  });

  it('a late fee by rule: revising the product adds it for new loans, and a missed instalment is charged it', async () => {
    const admin = await devToken(server.runtime, 'tenant-admin', tenant.slug);
    const bookedBefore = await disburse({ principal: '5000', numberOfRepayments: 6, disbursementDate: '2026-09-01' });
    const revised = await gql(server.gateway, `mutation { reviseLoanProductTerms(input: { code: "PL-STD", lateFeeAmount: "15", lateFeeGraceDays: 5, underpaymentTolerance: "1" }) { loanProduct { currentTerms { lateFee { kind amount overduePercent graceDays } underpaymentTolerance } } ${USER_ERRORS} } }`, { token: admin });
    expect(userErrors(revised, 'reviseLoanProductTerms')).toEqual([]);
    expect(revised.data!['reviseLoanProductTerms'].loanProduct.currentTerms.lateFee).toEqual({ kind: 'FIXED', amount: '15.00 USD', overduePercent: null, graceDays: 5 });
    const loan = await disburse({ principal: '5000', numberOfRepayments: 6, disbursementDate: '2026-09-01' });
    // October and November were missed, more than 5 days ago: each is charged the late fee as a penalty.
    const account = await gql(server.gateway, `query($id: ID!) { node(id: $id) { ... on Loan { account { instalments { number charged { penalty } } } } } }`, { token: agent, variables: { id: loan.id } });
    const penalties = account.data!['node'].account.instalments.map((i: any) => i.charged.penalty);
    expect(penalties.filter((p: string) => p === '15.00 USD').length).toBe(2);
    // A loan booked before the revision keeps the terms it was booked with: no late fee, ever.
    const before = await gql(server.gateway, `query($id: ID!) { node(id: $id) { ... on Loan { productVersion account { instalments { charged { penalty } } } } } }`, { token: agent, variables: { id: bookedBefore.id } });
    expect(before.data!['node'].account.instalments.every((i: any) => i.charged.penalty === '0.00 USD')).toBe(true);
    const after = await gql(server.gateway, `query($id: ID!) { node(id: $id) { ... on Loan { productVersion } } }`, { token: agent, variables: { id: loan.id } });
    expect(after.data!['node'].productVersion).toBeGreaterThan(before.data!['node'].productVersion);
    await gql(server.gateway, 'mutation { reviseLoanProductTerms(input: { code: "PL-STD", lateFeeAmount: "0", underpaymentTolerance: "0" }) { loanProduct { code } } }', { token: admin });
    expect(await invariants()).toMatchObject({ holds: true });
  });
});

describe('replays per request', () => {
  const LOAN_FIELDS = `... on Loan {
    account { asOf daysPastDue } onDate: account(asOf: "2026-12-01") { excess }
    payoffQuote { total } again: payoffQuote(date: "2026-12-01") { principal }
    statement(from: "2026-11-01", to: "2026-12-01") { closing { totalOwed } } sameStatement: statement(from: "2026-11-01", to: "2026-12-01") { opening { totalOwed } }
    transactions { id allocation { amount held } }
  }`;
  const QUERY = `query($a: ID!, $b: ID!, $t1: ID!, $t2: ID!) {
    a: node(id: $a) { ${LOAN_FIELDS} } sameLoan: node(id: $a) { ... on Loan { account { status } } }
    b: node(id: $b) { ${LOAN_FIELDS} }
    t1: node(id: $t1) { ... on LoanTransaction { allocation { lines { amount } } } }
    t2: node(id: $t2) { ... on LoanTransaction { allocation { held } loan { account { daysPastDue } } } }
  }`;

  /** Runs in this process, so the request's own context (and the replays it ran) can be read afterwards. */
  async function run(variables: Record<string, unknown>) {
    const principal = await server.runtime.verifier.verify(agent);
    const context = await contextFor(server.runtime, principal, tenant.slug, `replays-${key()}`);
    const result = await graphql({ schema: buildSchema(), source: QUERY, contextValue: context, variableValues: variables });
    return { result, replays: replaysOf(context) };
  }

  it('a query asking for the account, allocations, payoff quotes and statements replays each loan once per question (the loan on a date, a statement), two loans twice', async () => {
    const [first, second] = await Promise.all([0, 1].map(() => disburse({ principal: '5000', numberOfRepayments: 6, disbursementDate: '2026-10-01' })));
    const t1 = (await repay(first.id, '200.00', '2026-11-01')).id;
    const t2 = (await repay(first.id, '900.00', '2026-11-20')).id;
    await repay(second.id, '300.00', '2026-11-01');

    const { result, replays } = await run({ a: first.id, b: second.id, t1, t2 });
    expect(result.errors).toBeUndefined();
    const data = result.data as any;
    expect(data.a.transactions.map((t: any) => t.allocation.amount)).toEqual(['200.00 USD', '900.00 USD']);
    expect(data.t2.allocation.held).toBe(data.a.transactions[1].allocation.held);
    expect(data.a.again.principal).not.toBeNull();

    // The account and the payoff quote on one date are one replay; a statement is its own question.
    const asked = ['on|2026-12-01', 'statement|2026-11-01|2026-12-01'];
    expect(replays.filter((r) => r.loanId === raw(first.id)).map((r) => r.question).sort()).toEqual(asked);
    expect(replays.filter((r) => r.loanId === raw(second.id)).map((r) => r.question).sort()).toEqual(asked);
    expect(replays).toHaveLength(2 * asked.length);
  });

  it('every replay the graph runs goes through replayOnce, so the count above is every replay', () => {
    const dir = fileURLToPath(new URL('../../../src/graph/', import.meta.url));
    const calls = readdirSync(dir).filter((f) => f.endsWith('.ts')).flatMap((file) => readFileSync(`${dir}${file}`, 'utf8').split('\n')
      .filter((line) => /\b(replayLoan|payoffQuote|loanOn|loanStatement)\(/.test(line) && !/^\s*(import|export function replayOnce)/.test(line))
      .map((line) => `${file}: ${line.trim()}`));
    expect(calls.length).toBeGreaterThanOrEqual(2);
    for (const call of calls) expect(call).toMatch(/replayOnce\(context, /);
  });
});
