// A payment file's contract (docs/partners.md, "Payment files"): every repayment in it is posted in one
// transaction, or none is — a row that fails names itself (`input.repayments[k]…`) and nothing is written: no
// transaction, journal, event or audit record, and the loans' stored positions and checkpoints are as before. A file
// of more than 100,000 rows is refused before anything runs. A file that posts leaves each loan's position and
// replay checkpoint equal to the replay from scratch, whether the loan was posted to from its checkpoint or
// replayed whole (a backdated row reaches before the checkpoint).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeGlobalID } from '@pothos/plugin-relay';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { Decimal } from '../../../src/domain/money.js';
import { checkPositions } from '../../../src/services/endOfDay/positionCheck.js';
import { MAX_FILE_REPAYMENTS, postRepaymentFile } from '../../../src/services/servicing/loans.js';
import { PART_TRANSACTIONS } from '../../../src/services/servicing/postings.js';
import { tenantSql } from '../../../src/tenancy/tenantSql.js';
import { InvalidField } from '../../../src/errors.js';
import { createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from '../../support/harness.js';

const BUSINESS_DATE = '2026-12-01';
const DISBURSE = `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } ${USER_ERRORS} } }`;
const FILE = `mutation($input: PostRepaymentsInput!) { postRepayments(input: $input) { posted loans transactionIds ${USER_ERRORS} } }`;

let server: TestServer;
let tenant: TenantRecord;
let agent: string;
const loans: string[] = [];
let keys = 0;
const raw = (id: string) => decodeGlobalID(id).id;

/** What a file could have written, counted over the tenant. */
async function written() {
  const [row] = await tenantSql(server.runtime.tenantClients.forSchema(tenant.schemaName), tenant.schemaName).query<Record<string, string>[]>((s) => `SELECT
      (SELECT count(*) FROM ${s}.loan_transaction)::text AS transactions, (SELECT count(*) FROM ${s}.journal)::text AS journals,
      (SELECT count(*) FROM ${s}.outbox_event)::text AS events, (SELECT count(*) FROM ${s}.audit_record)::text AS audits,
      (SELECT string_agg(l.id || ':' || l.transaction_count || ':' || l.principal_receivable || ':' || coalesce(l.replay_checkpoint::text, ''), ',' ORDER BY l.id) FROM ${s}.loan l) AS loans`);
  return row!;
}

const file = (repayments: Record<string, unknown>[]) => gql(server.gateway, FILE, { token: agent, variables: { input: { idempotencyKey: `payment-file-${keys++}`, repayments } } });

beforeAll(async () => {
  server = await startTestServer();
  tenant = await createTenant(server.runtime, uniqueSlug('payfiles'), { sandbox: true, businessDate: BUSINESS_DATE });
  const officer = await devToken(server.runtime, 'disbursement-officer', tenant.slug, { subject: 'officer-1' });
  agent = await devToken(server.runtime, 'servicing-agent', tenant.slug, { subject: 'agent-1' });
  for (let i = 0; i < 3; i += 1) {
    const response = await gql(server.gateway, DISBURSE, {
      token: officer,
      variables: { input: { idempotencyKey: `file-loan-${i}`, productCode: 'PL-STD', principal: '5000', numberOfRepayments: 12, disbursementDate: '2026-06-01', firstRepaymentDate: '2026-07-01' } },
    });
    expect(userErrors(response, 'disburseLoan')).toEqual([]);
    loans.push(response.data!['disburseLoan'].loan.id);
  }
});
afterAll(async () => {
  await server?.close();
});

describe('payment files', () => {
  it('post every row in one transaction, each loan equal to its replay from scratch, from its checkpoint or replayed whole', async () => {
    const rows = [
      ...loans.flatMap((loanId) => [1, 2, 3].map(() => ({ loanId, amount: '25.00', valueDate: BUSINESS_DATE, channel: 'bank' }))),
      // Backdated: this loan is replayed whole.
      { loanId: loans[0], amount: '10.00', valueDate: '2026-07-15', channel: 'bank' },
    ];
    const response = await file(rows);
    expect(userErrors(response, 'postRepayments')).toEqual([]);
    expect(response.data!['postRepayments']).toMatchObject({ posted: rows.length, loans: 3 });
    expect(response.data!['postRepayments'].transactionIds).toHaveLength(rows.length);
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    expect(await checkPositions(db, tenant.schemaName, loans.map(raw), BUSINESS_DATE)).toEqual([]);
  });

  it('post nothing when one row fails, and name the row', async () => {
    const before = await written();
    const good = { loanId: loans[1], amount: '5.00', valueDate: BUSINESS_DATE, channel: 'bank' };
    const cases: [Record<string, unknown>[], string, RegExp][] = [
      [[good, good, { ...good, valueDate: '2026-12-02' }], 'input.repayments[2].valueDate', /^valueDate may not be after the business date/],
      [[good, { ...good, amount: '0.001' }, good], 'input.repayments[1].amount', /^amount must be in whole minor units of USD \(at most 2 decimal places\)$/],
      [[good, { ...good, amount: '25.005' }], 'input.repayments[1].amount', /^amount must be in whole minor units of USD \(at most 2 decimal places\)$/],
      [[good, { ...good, valueDate: '2026-05-01' }], 'input.repayments[1].valueDate', /^valueDate may not be before the disbursement/],
    ];
    for (const [rows, field, message] of cases) {
      const response = await file(rows);
      const refusals = userErrors(response, 'postRepayments');
      expect(refusals.map((e) => e.field)).toEqual([field]);
      expect(refusals[0]!.message).toMatch(message);
      expect(response.data!['postRepayments'].posted).toBeNull();
      expect(await written()).toEqual(before);
    }
  });

  it('name a refused amount in the caller\'s words, never by an id the caller has not seen', async () => {
    const REPAY = `mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`;
    const before = await written();
    const response = await gql(server.gateway, REPAY, {
      token: agent, variables: { input: { idempotencyKey: `single-${keys++}`, loanId: loans[2], amount: '10.005', valueDate: BUSINESS_DATE, channel: 'bank' } },
    });
    const refusals = userErrors(response, 'postRepayment');
    expect(refusals).toEqual([expect.objectContaining({ field: 'input.amount', message: 'amount must be in whole minor units of USD (at most 2 decimal places)' })]);
    expect(await written()).toEqual(before);
  });

  it('files sent at once, on the same loans in different orders and beside single postings, each post whole: they wait for each other, never deadlock', async () => {
    const before = Number((await written()).transactions);
    const row = (loanId: string) => ({ loanId, amount: '1.00', valueDate: BUSINESS_DATE, channel: 'bank' });
    // Rows to every loan, in the file's order one way and the other; a file to one loan; single postings among them.
    const files = [
      loans.flatMap((loanId) => [row(loanId), row(loanId)]),
      [...loans].reverse().flatMap((loanId) => [row(loanId), row(loanId)]),
      [row(loans[1]!), row(loans[1]!), row(loans[1]!)],
      [...loans.slice(1), loans[0]!].map(row),
    ];
    const single = (loanId: string) => gql(server.gateway, `mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`, {
      token: agent, variables: { input: { idempotencyKey: `payment-file-single-${keys++}`, loanId, amount: '1.00', valueDate: BUSINESS_DATE, channel: 'bank' } },
    });
    // A few times over: a lock order that depended on the file would deadlock in some rounds, not every one. A file
    // that PostgreSQL aborts answers with an error; single postings aborted with it would be retried alone (the
    // batch's contract), so it is the files' answers that show a deadlock.
    const ROUNDS = 4;
    for (let round = 0; round < ROUNDS; round += 1) {
      const [answers, singleAnswers] = await Promise.all([Promise.all(files.map(file)), Promise.all(loans.map(single))]);
      for (const [k, response] of answers.entries()) {
        expect(userErrors(response, 'postRepayments')).toEqual([]);
        expect(response.data!['postRepayments'].posted).toBe(files[k]!.length);
      }
      for (const response of singleAnswers) expect(userErrors(response, 'postRepayment')).toEqual([]);
    }
    const rows = ROUNDS * (files.reduce((sum, f) => sum + f.length, 0) + loans.length);
    expect(Number((await written()).transactions)).toBe(before + rows);
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    expect(await checkPositions(db, tenant.schemaName, loans.map(raw), BUSINESS_DATE)).toEqual([]);
  });

  it(`a file of more than ${PART_TRANSACTIONS.toLocaleString('en-US')} rows, written a part at a time while the next is replayed, is still all or nothing`, async () => {
    const command = { tenant: tenant.slug, actor: { subject: 'agent-1', roles: ['servicing-agent'], partner: null, clientId: null, requestId: 'r' }, now: new Date() };
    // Parts follow the loans' order: each of three loans has more rows than a part holds, so the first two loans'
    // parts are sent before the last loan, where a row fails, is replayed.
    const ordered = loans.map(raw).sort();
    const rows = ordered.flatMap((loanId) => Array.from({ length: PART_TRANSACTIONS + 300 }, () => ({ loanId, amount: new Decimal('0.01'), valueDate: BUSINESS_DATE, channel: 'bank' })));
    // The parts go one after another from the command's own chain, never queued on a busy connection, which the
    // driver warns is deprecated (and pg 9 refuses).
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    const before = await written();
    const last = rows.length - 7;
    const failing = rows.map((row, k) => (k === last ? { ...row, valueDate: '2026-05-01' } : row));
    const refused = await postRepaymentFile(server.runtime.pool, command, BUSINESS_DATE, failing, 'file-in-parts-failing').then(() => null, (error: unknown) => error);
    expect(refused).toBeInstanceOf(InvalidField);
    expect((refused as InvalidField).field).toBe(`repayments.${last}.valueDate`);
    expect(await written()).toEqual(before);

    const posted = await postRepaymentFile(server.runtime.pool, command, BUSINESS_DATE, rows, 'file-in-parts');
    expect(posted).toMatchObject({ posted: rows.length, loans: 3 });
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    expect(warnings.filter((message) => message.includes('already executing a query'))).toEqual([]);
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    expect(await checkPositions(db, tenant.schemaName, ordered, BUSINESS_DATE)).toEqual([]);
    const { count } = (await tenantSql(db, tenant.schemaName).query<{ count: number }[]>((s) => `SELECT count(DISTINCT xmin::text)::int AS count FROM ${s}.loan_transaction WHERE batch_id = $1::uuid`, posted.batchId))[0]!;
    expect(count).toBe(1);
    // One event per row (the refused file above, whose first parts were sent, left none), each loan's in the order
    // of its rows.
    const sql = tenantSql(db, tenant.schemaName);
    const transactions = new Map((await sql.query<{ id: string; loanId: string; seq: number }[]>((s) => `
      SELECT id::text, loan_id::text AS "loanId", seq FROM ${s}.loan_transaction WHERE batch_id = $1::uuid`, posted.batchId)).map((t) => [t.id, t]));
    const events = (await sql.query<{ id: string; transactionId: string }[]>((s) => `
      SELECT id::text, payload->>'transactionId' AS "transactionId" FROM ${s}.outbox_event WHERE type = 'loan.repaymentPosted' ORDER BY recorded`))
      .map((e) => ({ ...e, transaction: transactions.get(decodeGlobalID(e.transactionId).id) }))
      .filter((e) => e.transaction !== undefined);
    expect(events.map((e) => e.transaction!.id).sort()).toEqual([...posted.transactionIds].sort());
    // Its transactions, journals and events carry ids of version 7 (the time first), so each lands at the end of
    // its id index rather than at a random page of it.
    const versions = await sql.query<{ transactions: string[]; journals: string[] }[]>((s) => `SELECT
        (SELECT array_agg(DISTINCT substr(id::text, 15, 1)) FROM ${s}.loan_transaction WHERE batch_id = $1::uuid) AS transactions,
        (SELECT array_agg(DISTINCT substr(j.id::text, 15, 1)) FROM ${s}.journal j JOIN ${s}.loan_transaction t ON t.id = j.transaction_id WHERE t.batch_id = $1::uuid) AS journals`, posted.batchId);
    expect({ ...versions[0], events: [...new Set(events.map((e) => e.id[14]))] }).toEqual({ transactions: ['7'], journals: ['7'], events: ['7'] });
    for (const loanId of ordered) {
      const seqs = events.filter((e) => e.transaction!.loanId === loanId).map((e) => e.transaction!.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    }
  }, 120_000);

  it(`refuses a file of more than ${MAX_FILE_REPAYMENTS.toLocaleString('en-US')} rows before anything runs, and takes one of exactly that many`, async () => {
    const command = { tenant: tenant.slug, actor: { subject: 'agent-1', roles: ['servicing-agent'], partner: null, clientId: null, requestId: 'r' }, now: new Date() };
    const line = { loanId: raw(loans[2]!), amount: new Decimal('0.01'), valueDate: BUSINESS_DATE, channel: 'bank' };
    const before = await written();
    await expect(postRepaymentFile(server.runtime.pool, command, BUSINESS_DATE, Array.from({ length: MAX_FILE_REPAYMENTS + 1 }, () => line), 'file-too-large'))
      .rejects.toThrow(InvalidField);
    expect(await written()).toEqual(before);
    const posted = await postRepaymentFile(server.runtime.pool, command, BUSINESS_DATE, Array.from({ length: MAX_FILE_REPAYMENTS }, () => line), 'file-largest');
    expect(posted.posted).toBe(MAX_FILE_REPAYMENTS);
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    expect(await checkPositions(db, tenant.schemaName, [raw(loans[2]!)], BUSINESS_DATE)).toEqual([]);
  }, 300_000);
});
