// Single postings that arrive together are written together (src/commands/commandQueue.ts, runCommandBatch.ts):
// one transaction for many, yet each stays its own command — its own transaction id, audit record, events and
// idempotency key, its own refusal — and the books are as if they had come one by one. Rows written in one
// database transaction share their xmin, which is how these tests see that a batch really formed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { decodeGlobalID, encodeGlobalID } from '@pothos/plugin-relay';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { poolSql } from '../../../src/tenancy/tenantSql.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type GraphQLResponse, type TestServer } from '../../support/harness.js';

let server: TestServer;
let tenant: TenantRecord;
let officer: string;
let agent: string;
let otherAgent: string;
let finance: string;

const DISBURSE = `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } ${USER_ERRORS} } }`;
const REPAY = `mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id amount } ${USER_ERRORS} } }`;
const INVARIANTS = '{ ledgerInvariants { holds unbalancedJournals loansOffLedger controlAccountsOff negativeBalances } }';
const BUSINESS_DATE = '2026-12-01';

let keys = 0;
const key = () => `batch-key-${Date.now()}-${keys++}`;
const raw = (id: string) => decodeGlobalID(id).id;
const sql = () => poolSql(server.runtime.pool, tenant.schemaName);

async function disburse(): Promise<string> {
  const response = await gql(server.gateway, DISBURSE, { token: officer, variables: { input: { idempotencyKey: key(), productCode: 'PL-STD', principal: '6000', numberOfRepayments: 12, disbursementDate: BUSINESS_DATE } } });
  expect(userErrors(response, 'disburseLoan')).toEqual([]);
  return response.data!['disburseLoan'].loan.id as string;
}

function repay(loanId: string, amount: string, input: Record<string, unknown> = {}, token = agent): Promise<GraphQLResponse> {
  return gql(server.gateway, REPAY, { token, variables: { input: { idempotencyKey: key(), loanId, amount, valueDate: BUSINESS_DATE, channel: 'bank-transfer', ...input } } });
}

const posted = (response: GraphQLResponse) => {
  expect(userErrors(response, 'postRepayment')).toEqual([]);
  return response.data!['postRepayment'].loanTransaction as { id: string; amount: string };
};

/** How many database transactions wrote these loan transactions. */
async function writtenBy(transactionIds: string[]): Promise<number> {
  const { rows } = await sql().query<{ n: number }>((s) => `SELECT count(DISTINCT xmin::text)::int AS n FROM ${s}.loan_transaction WHERE id = ANY($1::uuid[])`, [transactionIds.map(raw)]);
  return rows[0]!.n;
}

async function invariants() {
  const response = await gql(server.gateway, INVARIANTS, { token: finance });
  expect(response.errors).toBeUndefined();
  return response.data!['ledgerInvariants'];
}

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('batches'), { sandbox: true, businessDate: BUSINESS_DATE });
  officer = await devToken(server.runtime, 'disbursement-officer', tenant.slug, { subject: 'officer-1' });
  agent = await devToken(server.runtime, 'servicing-agent', tenant.slug, { subject: 'agent-1' });
  otherAgent = await devToken(server.runtime, 'servicing-agent', tenant.slug, { subject: 'agent-2' });
  finance = await devToken(server.runtime, 'finance', tenant.slug, { subject: 'finance-1' });
});
afterAll(async () => {
  await server.close();
});

describe('single postings arriving together', () => {
  it('are written in shared transactions, each with its own answer, audit record, event and key; a refused one changes nothing for the rest', async () => {
    const loans = await Promise.all(Array.from({ length: 14 }, () => disburse()));
    const keysSent = loans.map(() => key());
    const refusedKey = key();
    const [responses, refusedDate, refusedLoan] = await Promise.all([
      Promise.all(loans.map((loan, k) => repay(loan, `${10 + k}.00`, { idempotencyKey: keysSent[k] }, k % 2 === 0 ? agent : otherAgent))),
      repay(loans[0]!, '5.00', { valueDate: '2026-12-02', idempotencyKey: refusedKey }),
      repay(encodeGlobalID('Loan', randomUUID()), '5.00'),
    ]);
    const transactions = responses.map(posted);
    expect(new Set(transactions.map((t) => t.id)).size).toBe(14);
    transactions.forEach((t, k) => expect(t.amount).toBe(`${10 + k}.00 USD`));
    expect(await writtenBy(transactions.map((t) => t.id))).toBeLessThan(14);

    expect(userErrors(refusedDate, 'postRepayment')).toEqual([expect.objectContaining({ field: 'input.valueDate' })]);
    expect(userErrors(refusedLoan, 'postRepayment').length).toBe(1);

    // Each its own audit record, by its own actor, and its own event.
    const { rows: audits } = await sql().query<{ actor: string; entity_id: string; tx: string }>((s) => `
      SELECT actor, entity_id, after->>'transactionId' AS tx FROM ${s}.audit_record WHERE action = 'loan.repay' AND entity_id = ANY($1)`, [loans.map(raw)]);
    expect(audits).toHaveLength(14);
    for (const [k, t] of transactions.entries()) {
      expect(audits.find((a) => a.tx === raw(t.id))).toMatchObject({ actor: k % 2 === 0 ? 'agent-1' : 'agent-2', entity_id: raw(loans[k]!) });
    }
    const { rows: events } = await sql().query<{ n: number }>((s) => `SELECT count(*)::int AS n FROM ${s}.outbox_event WHERE type = 'loan.repaymentPosted' AND payload->>'transactionId' = ANY($1)`, [transactions.map((t) => t.id)]);
    expect(events[0]!.n).toBe(14);

    // Each key answers its own posting again; the refused posting kept no key (another input under it goes through).
    const again = await Promise.all(loans.map((loan, k) => repay(loan, `${10 + k}.00`, { idempotencyKey: keysSent[k] }, k % 2 === 0 ? agent : otherAgent)));
    expect(again.map((r) => posted(r).id)).toEqual(transactions.map((t) => t.id));
    expect(posted(await repay(loans[0]!, '5.00', { idempotencyKey: refusedKey })).amount).toBe('5.00 USD');
    expect(await invariants()).toMatchObject({ holds: true, unbalancedJournals: 0, loansOffLedger: 0, controlAccountsOff: 0, negativeBalances: 0 });
  });

  it('to one loan, or under one key, are never in one batch: each sees what the one before left, and a twin gets the first one\'s answer', async () => {
    const loan = await disburse();
    const twinKey = key();
    const responses = await Promise.all([
      ...Array.from({ length: 8 }, () => repay(loan, '7.00')),
      repay(loan, '3.00', { idempotencyKey: twinKey }),
      repay(loan, '3.00', { idempotencyKey: twinKey }),
    ]);
    const transactions = responses.map(posted);
    expect(transactions[8]!.id).toBe(transactions[9]!.id);
    const { rows } = await sql().query<{ count: number; seqs: number[] }>((s) => `
      SELECT l.transaction_count AS count, array_agg(t.seq ORDER BY t.seq) AS seqs
        FROM ${s}.loan l JOIN ${s}.loan_transaction t ON t.loan_id = l.id WHERE l.id = $1 GROUP BY l.transaction_count`, [raw(loan)]);
    expect(rows[0]).toEqual({ count: 9, seqs: [1, 2, 3, 4, 5, 6, 7, 8, 9] });
    expect(await invariants()).toMatchObject({ holds: true, loansOffLedger: 0, controlAccountsOff: 0 });
  });

  it('a key used before, in a batch with new ones, gets its stored answer, or a conflict for another input', async () => {
    const [a, b, c] = [await disburse(), await disburse(), await disburse()];
    const used = key();
    const first = posted(await repay(a, '11.00', { idempotencyKey: used }));
    const [repeat, conflict, fresh] = await Promise.all([
      repay(a, '11.00', { idempotencyKey: used }),
      repay(b, '12.00', { idempotencyKey: used }),
      repay(c, '13.00'),
    ]);
    expect(posted(repeat).id).toBe(first.id);
    expect(userErrors(conflict, 'postRepayment')).toEqual([expect.objectContaining({ code: 'CONFLICT', field: 'input.idempotencyKey' })]);
    expect(posted(fresh).amount).toBe('13.00 USD');
  });

  it('when the database refuses a batch as a whole, each posting runs again alone: the rest are posted, the one at fault is refused', async () => {
    const loans = await Promise.all(Array.from({ length: 6 }, () => disburse()));
    // A fault only the database sees, on one amount: the batch holding it fails at its write.
    await sql().query((s) => `CREATE FUNCTION ${s}.refuse_13_13() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.amount = 13.13 THEN RAISE EXCEPTION 'refused for the test'; END IF; RETURN NEW; END $$`);
    await sql().query((s) => `CREATE TRIGGER refuse_13_13 BEFORE INSERT ON ${s}.loan_transaction FOR EACH ROW EXECUTE FUNCTION ${s}.refuse_13_13()`);
    try {
      const responses = await Promise.all(loans.map((loan, k) => repay(loan, k === 3 ? '13.13' : '20.00')));
      const ok = responses.filter((_r, k) => k !== 3).map(posted);
      expect(ok).toHaveLength(5);
      const fault = responses[3]!;
      expect(fault.data?.['postRepayment']?.['loanTransaction'] ?? null).toBeNull();
      expect(JSON.stringify(fault)).not.toMatch(/refused for the test|loan_transaction|trigger/);
      const { rows } = await sql().query<{ n: number }>((s) => `SELECT count(*)::int AS n FROM ${s}.loan_transaction WHERE loan_id = ANY($1::uuid[])`, [loans.map(raw)]);
      expect(rows[0]!.n).toBe(5);
    } finally {
      await sql().query((s) => `DROP TRIGGER refuse_13_13 ON ${s}.loan_transaction`);
      await sql().query((s) => `DROP FUNCTION ${s}.refuse_13_13()`);
    }
    expect(await invariants()).toMatchObject({ holds: true, loansOffLedger: 0, controlAccountsOff: 0 });
  });
});
