// What a borrower and a payer reconcile against: a statement names the borrower and the loan's number and lists
// each fee and penalty, in the API and in its CSV; a payment file's answer gives each line's transaction; and
// every transaction a statement, an account or the ledger names is one `node(id:)` reads and the mutations take.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'csv-parse/sync';
import { decodeGlobalID } from '@pothos/plugin-relay';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { registerPartner } from '../../../src/services/partners.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, USER_ERRORS, type TestServer } from '../../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;
let admin: string;
let fintech: string;
let keys = 0;
const key = () => `statement-items-${Date.now()}-${keys++}`;

async function call(query: string, variables: Record<string, unknown> = {}, token = admin) {
  const response = await gql(server.gateway, query, { token, variables });
  expect(response.errors, JSON.stringify(response.errors)).toBeUndefined();
  // A mutation's payload carries its refusals: none here.
  for (const answer of Object.values(response.data!)) {
    if (answer && typeof answer === 'object' && 'userErrors' in answer) expect(answer.userErrors).toEqual([]);
  }
  return response.data!;
}

let loanId: string;
/** `LoanTransaction.id` of the fee and the penalty charged, as the API answered them. */
const chargeIds: string[] = [];

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('stmt-items'), { sandbox: true, businessDate: '2026-12-01' });
  const actor = { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' };
  await registerPartner(server.runtime.tenantClients.forSchema(tenant.schemaName), server.runtime.identity, { tenant: tenant.slug, actor, now: new Date() }, { code: 'fintech', name: 'Fintech', kind: 'origination' });
  admin = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'admin-1' });
  fintech = await devToken(server.runtime, 'origination-partner', tenant.slug, { partner: { id: 'fintech', kind: 'origination' } });
  const created = await call(`mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application { parties { role party { id } } } ${USER_ERRORS} } }`, {
    input: {
      idempotencyKey: key(), productCode: 'PL-STD', amount: '5000', numberOfRepayments: 12, purpose: 'a car',
      applicant: { kind: 'PERSON', legalName: 'Ada Lovelace', email: 'ada@example.test', phone: '+1 415 555 0100', dateOfBirth: '1990-12-10', identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: '123-45-6789' }] },
    },
  });
  const borrowerPartyId = (created['createApplication'] as { application: { parties: { party: { id: string } }[] } }).application.parties[0]!.party.id;
  // A loan before it, so this one's number is not 1 by accident.
  for (const reference of ['FIRST', 'SECOND']) {
    const booked = await call(`mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } ${USER_ERRORS} } }`, {
      input: { idempotencyKey: key(), productCode: 'PL-STD', principal: '6000', numberOfRepayments: 12, disbursementDate: '2026-09-01', borrowerPartyId, originationPartnerCode: 'fintech', externalReference: reference },
    });
    loanId = (booked['disburseLoan'] as { loan: { id: string } }).loan.id;
  }
  const charge = `mutation($input: ApplyLoanChargeInput!) { applyLoanCharge(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`;
  for (const [component, amount, valueDate, reason] of [['FEE', '25', '2026-10-05', 'returned direct debit'], ['PENALTY', '40', '2026-10-20', 'late payment']]) {
    const charged = await call(charge, { input: { idempotencyKey: key(), loanId, component, amount, valueDate, reason } });
    chargeIds.push((charged['applyLoanCharge'] as { loanTransaction: { id: string } }).loanTransaction.id);
  }
});
afterAll(async () => {
  await server.close();
});

const STATEMENT = `query($id: ID!) { node(id: $id) { ... on Loan { number statement(from: "2026-09-01", to: "2026-11-30") {
  loanNumber borrowerName csvPath charged { fee penalty } paid { fee penalty }
  feesAndPenalties { date kind transactionId component as instalment dueDate amount description } } } } }`;

type Statement = {
  loanNumber: string; borrowerName: string | null; csvPath: string; charged: { fee: string; penalty: string }; paid: { fee: string; penalty: string };
  feesAndPenalties: { date: string; kind: string; transactionId: string | null; component: string; as: string; instalment: number; dueDate: string; amount: string; description: string }[];
};

describe('a loan statement', () => {
  it('shows the borrower\'s name and the loan\'s number, and each fee and penalty', async () => {
    const loan = (await call(STATEMENT, { id: loanId }))['node'] as { number: string; statement: Statement };
    expect(loan.number).toBe('L-000002');
    const statement = loan.statement;
    expect(statement).toMatchObject({ loanNumber: 'L-000002', borrowerName: 'Ada Lovelace', charged: { fee: '25.00 USD', penalty: '40.00 USD' } });
    const charged = statement.feesAndPenalties.filter((i) => i.as === 'CHARGED');
    expect(charged.map((i) => [i.date, i.kind, i.component, i.amount])).toEqual([
      ['2026-10-05', 'CHARGE', 'FEE', '25.00 USD'],
      ['2026-10-20', 'CHARGE', 'PENALTY', '40.00 USD'],
    ]);
    for (const item of charged) expect(item.transactionId).toMatch(/^[0-9a-f-]{36}$/);
    // The items add up to the statement's totals.
    const sum = (component: string, as: string) => statement.feesAndPenalties.filter((i) => i.component === component && i.as === as)
      .reduce((total, i) => total + Math.round(Number(i.amount.split(' ')[0]) * 100), 0);
    expect(sum('FEE', 'PAID')).toBe(Math.round(Number(statement.paid.fee.split(' ')[0]) * 100));
    expect(sum('PENALTY', 'CHARGED')).toBe(4000);
  });

  it('gives the same in its CSV, and names no borrower to a partner', async () => {
    const { statement } = (await call(STATEMENT, { id: loanId }))['node'] as { statement: Statement };
    const response = await fetch(`${server.gateway.url}${statement.csvPath}`, { headers: { authorization: `Bearer ${admin}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toContain('statement-L-000002-');
    const records = parse(await response.text()) as string[][];
    expect(records.find((r) => r[0] === 'number')!.slice(0, 2)).toEqual(['number', 'L-000002']);
    expect(records.find((r) => r[0] === 'borrower')!.slice(0, 2)).toEqual(['borrower', 'Ada Lovelace']);
    const items = records.filter((r) => r[0] === 'feeOrPenalty' && r[6] === 'charged').map((r) => [r[1], r[7], r[8]]);
    expect(items).toEqual([['2026-10-05', 'fee', '25.00'], ['2026-10-20', 'penalty', '40.00']]);
    // The loan and each transaction by the ids the API answers for them: a row matches `Loan.id` and `LoanTransaction.id`.
    expect(records.find((r) => r[0] === 'loan')!.slice(0, 2)).toEqual(['loan', loanId]);
    expect(records.filter((r) => r[0] === 'line' && r[2] === 'charge').map((r) => r[3])).toEqual(chargeIds);
    expect(records.filter((r) => r[0] === 'feeOrPenalty' && r[6] === 'charged').map((r) => r[3])).toEqual(chargeIds);
    const found = (await call('query($ids: [ID!]!) { nodes(ids: $ids) { ... on LoanTransaction { id kind amount loan { id } } } }', { ids: chargeIds }))['nodes'];
    expect(found).toEqual([
      { id: chargeIds[0], kind: 'CHARGE', amount: '25.00 USD', loan: { id: loanId } },
      { id: chargeIds[1], kind: 'CHARGE', amount: '40.00 USD', loan: { id: loanId } },
    ]);

    const seen = (await call(STATEMENT, { id: loanId }, fintech))['node'] as { statement: Statement };
    expect(seen.statement).toMatchObject({ loanNumber: 'L-000002', borrowerName: null });
    const partnerCsv = await (await fetch(`${server.gateway.url}${statement.csvPath}`, { headers: { authorization: `Bearer ${fintech}` } })).text();
    expect(partnerCsv).not.toContain('Lovelace');
    expect(partnerCsv).toContain('number,L-000002');
  });
});

describe('a payment file', () => {
  it('answers with each line\'s transaction, in the file\'s order, and the same on a repeat', async () => {
    const loans = (await call('{ loans(first: 2) { edges { node { id } } } }'))['loans'] as { edges: { node: { id: string } }[] };
    const [a, b] = loans.edges.map((e) => e.node.id) as [string, string];
    const lines = [
      { loanId: a, amount: '10.00', valueDate: '2026-11-02', channel: 'bank-transfer', externalReference: 'P-1' },
      { loanId: b, amount: '20.00', valueDate: '2026-11-02', channel: 'bank-transfer', externalReference: 'P-2' },
      { loanId: a, amount: '30.00', valueDate: '2026-11-03', channel: 'bank-transfer', externalReference: 'P-3' },
    ];
    const input = { idempotencyKey: key(), repayments: lines };
    const FILE = `mutation($input: PostRepaymentsInput!) { postRepayments(input: $input) { posted transactionIds ${USER_ERRORS} } }`;
    const batch = (await call(FILE, { input }))['postRepayments'] as { posted: number; transactionIds: string[] };
    expect(batch.posted).toBe(3);
    expect(batch.transactionIds).toHaveLength(3);
    const found = (await call('query($ids: [ID!]!) { nodes(ids: $ids) { ... on LoanTransaction { loan { id } amount externalReference } } }', { ids: batch.transactionIds }))['nodes'] as { loan: { id: string }; amount: string; externalReference: string }[];
    expect(found.map((t) => [t.loan.id, t.amount, t.externalReference])).toEqual(lines.map((l) => [l.loanId, `${l.amount} USD`, l.externalReference]));
    const again = (await call(FILE, { input }))['postRepayments'] as { transactionIds: string[] };
    expect(again.transactionIds).toEqual(batch.transactionIds);
  });
});

describe('the transactions a statement, an account and the ledger name', () => {
  const LINES = `query($id: ID!) { node(id: $id) { ... on Loan { statement(from: "2026-09-01", to: "2026-12-01") {
    lines { kind transactionId transactionGlobalId reversedByTransactionId reversedByTransactionGlobalId reversesTransactionId reversesTransactionGlobalId }
    feesAndPenalties { kind transactionId transactionGlobalId } } } } }`;
  type Line = {
    kind: string; transactionId: string | null; transactionGlobalId: string | null; reversedByTransactionId: string | null; reversedByTransactionGlobalId: string | null;
    reversesTransactionId: string | null; reversesTransactionGlobalId: string | null;
  };
  type Statement = { lines: Line[]; feesAndPenalties: { kind: string; transactionId: string | null; transactionGlobalId: string | null }[] };
  const statementOf = async (id: string, token = admin) => ((await call(LINES, { id }, token))['node'] as { statement: Statement }).statement;
  /** The database id a global id holds, which the deprecated fields answer. */
  const raw = (globalId: string | null, typename = 'LoanTransaction') => {
    if (globalId === null) return null;
    const decoded = decodeGlobalID(globalId);
    expect(decoded.typename).toBe(typename);
    return decoded.id;
  };
  const eachIdTwice = (lines: Line[]) => {
    for (const l of lines) {
      expect([l.transactionId, l.reversedByTransactionId, l.reversesTransactionId]).toEqual([raw(l.transactionGlobalId), raw(l.reversedByTransactionGlobalId), raw(l.reversesTransactionGlobalId)]);
    }
  };
  const node = async (id: string) => (await call('query($id: ID!) { node(id: $id) { id ... on LoanTransaction { kind amount loan { id } } } }', { id }))['node'];

  it('by global ids that node(id:) reads and reverseLoanTransaction takes, beside the deprecated database ids', async () => {
    const booked = await call(`mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } ${USER_ERRORS} } }`, {
      input: { idempotencyKey: key(), productCode: 'PL-STD', principal: '3000', numberOfRepayments: 6, disbursementDate: '2026-09-01', originationPartnerCode: 'fintech' },
    });
    const loan = (booked['disburseLoan'] as { loan: { id: string } }).loan.id;
    const repaid = await call(`mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`,
      { input: { idempotencyKey: key(), loanId: loan, amount: '700', valueDate: '2026-10-01', channel: 'bank-transfer' } });
    const repaymentId = (repaid['postRepayment'] as { loanTransaction: { id: string } }).loanTransaction.id;
    const charged = await call(`mutation($input: ApplyLoanChargeInput!) { applyLoanCharge(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`,
      { input: { idempotencyKey: key(), loanId: loan, component: 'FEE', amount: '15', valueDate: '2026-10-03', reason: 'statement copy' } });
    const chargeId = (charged['applyLoanCharge'] as { loanTransaction: { id: string } }).loanTransaction.id;

    // The repayment's allocation names it.
    const account = (await call(`query($id: ID!) { node(id: $id) { ... on Loan { account { allocations { transactionId transactionGlobalId } } } } }`, { id: loan }))['node'] as
      { account: { allocations: { transactionId: string | null; transactionGlobalId: string | null }[] } };
    expect(account.account.allocations).toEqual([{ transactionId: raw(repaymentId), transactionGlobalId: repaymentId }]);

    // A statement's lines answer the id the API gave when each was posted, and the deprecated fields its database id.
    const before = await statementOf(loan);
    expect(before.lines.filter((l) => l.transactionGlobalId !== null).map((l) => [l.kind, l.transactionGlobalId])).toEqual([['REPAYMENT', repaymentId], ['CHARGE', chargeId]]);
    eachIdTwice(before.lines);
    expect(before.feesAndPenalties.filter((i) => i.kind === 'CHARGE')).toEqual([{ kind: 'CHARGE', transactionId: raw(chargeId), transactionGlobalId: chargeId }]);
    expect(await node(repaymentId)).toEqual({ id: repaymentId, kind: 'REPAYMENT', amount: '700.00 USD', loan: { id: loan } });

    // What the statement gave is what reverses it; the lines then name both ends.
    const reversed = await call(`mutation($input: ReverseLoanTransactionInput!) { reverseLoanTransaction(input: $input) { loanTransaction { id reverses { id } } ${USER_ERRORS} } }`,
      { input: { idempotencyKey: key(), transactionId: before.lines.find((l) => l.kind === 'REPAYMENT')!.transactionGlobalId, reason: 'payment returned by the bank' } });
    const reversal = (reversed['reverseLoanTransaction'] as { loanTransaction: { id: string; reverses: { id: string } } }).loanTransaction;
    expect(reversal.reverses.id).toBe(repaymentId);
    const after = await statementOf(loan);
    expect(after.lines.find((l) => l.kind === 'REPAYMENT')).toMatchObject({ transactionGlobalId: repaymentId, reversedByTransactionGlobalId: reversal.id });
    expect(after.lines.find((l) => l.kind === 'REVERSAL')).toMatchObject({ transactionGlobalId: reversal.id, reversesTransactionGlobalId: repaymentId });
    eachIdTwice(after.lines);
    expect(await node(reversal.id)).toMatchObject({ id: reversal.id, kind: 'REVERSAL' });

    // The partner that brought the loan reads the same ids, as it reads the database ids.
    expect(await statementOf(loan, fintech)).toEqual(after);

    // The ledger's lines name the loan and the transaction the same way.
    const ledger = (await call('{ ledgerAccountStatement(account: "1000", from: "2026-10-01", to: "2026-10-03") { lines { loanId loanGlobalId transactionId transactionGlobalId } } }'))['ledgerAccountStatement'] as
      { lines: { loanId: string | null; loanGlobalId: string | null; transactionId: string | null; transactionGlobalId: string | null }[] };
    expect(ledger.lines).toContainEqual({ loanId: raw(loan, 'Loan'), loanGlobalId: loan, transactionId: raw(repaymentId), transactionGlobalId: repaymentId });
    for (const l of ledger.lines) expect([l.loanId, l.transactionId]).toEqual([raw(l.loanGlobalId, 'Loan'), raw(l.transactionGlobalId)]);
  });

  it('add nothing to a query\'s size: a ledger account statement of the most lines it answers, with the global ids on each, is within the limits', async () => {
    const full = await gql(server.gateway, '{ ledgerAccountStatement(account: "1100", from: "2026-01-01", to: "2026-12-01") { lines { valueDate debit credit loanGlobalId transactionGlobalId } } }', { token: admin });
    expect(full.errors).toBeUndefined();
  });
});
