// End of day over GraphQL: a sandbox tenant walks two loans through their whole life with advanceSandboxClock —
// one repaid on every due date until it closes, one never paid, overdue ever longer — and lists its runs with
// what each did; a real lender's clock is refused, runEndOfDay refuses a date in the past naming input.to and
// names a failed run's step and loan; a run whose process died answers INTERRUPTED (RUNNING while a session holds
// its lock) and the next call resumes it; loan officers and partners may do none of it; the date never moves back,
// not even by hand in the database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeGlobalID } from '@pothos/plugin-relay';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { registerPartner } from '../../../src/services/partners.js';
import { endOfDayLockKey, runEndOfDay } from '../../../src/services/endOfDay/run.js';
import { endOfDayRunStatus } from '../../../src/services/endOfDay/runStatus.js';
import { poolSql } from '../../../src/tenancy/tenantSql.js';
import { dateColumn } from '../../../src/tenancy/dateColumns.js';
import { codes, createTenant, devToken, gql, startTestServer, uniqueSlug, userErrors, USER_ERRORS, type TestServer } from '../../support/harness.js';
import { breakLoan, tenantWithLoan } from '../../support/endOfDayBooks.js';

let server: TestServer;
let sandbox: TenantRecord;
let admin: string;

const ADVANCE = `mutation($input: AdvanceSandboxClockInput!) { advanceSandboxClock(input: $input) { tenant { businessDate } endOfDayRuns { businessDate status totals { step rows } } ${USER_ERRORS} } }`;
const RUN = `mutation($input: RunEndOfDayInput!) { runEndOfDay(input: $input) { endOfDayRuns { businessDate previousDate status startedBy } ${USER_ERRORS} } }`;
const LOAN = `query($id: ID!) { node(id: $id) { ... on Loan { status daysPastDue account { instalments { number dueDate outstanding { principal interest fee penalty } } } } } }`;

let keys = 0;
const key = () => `eod-api-${Date.now()}-${keys++}`;
const cents = (money: string) => Math.round(Number(money.split(' ')[0]) * 100);

beforeAll(async () => {
  server = await startTestServer();
  sandbox = await createTenant(server.runtime, uniqueSlug('eod-sandbox'), { sandbox: true, businessDate: '2026-01-05' });
  admin = await devToken(server.runtime, 'tenant-admin', sandbox.slug, { subject: 'sandbox-admin' });
}, 120_000);
afterAll(async () => {
  await server?.close();
});

async function advance(days: number) {
  const response = await gql(server.gateway, ADVANCE, { token: admin, variables: { input: { days } } });
  expect(userErrors(response, 'advanceSandboxClock')).toEqual([]);
  return response.data!['advanceSandboxClock'];
}

async function loan(id: string) {
  const response = await gql(server.gateway, LOAN, { token: admin, variables: { id } });
  expect(response.errors).toBeUndefined();
  return response.data!['node'];
}

describe('the sandbox clock', () => {
  it('walks one loan repaid on every due date to its close, and one never paid ever further past due', { timeout: 600_000 }, async () => {
    const officer = await devToken(server.runtime, 'disbursement-officer', sandbox.slug);
    const agent = await devToken(server.runtime, 'servicing-agent', sandbox.slug);
    const book = async () => {
      const response = await gql(server.gateway, `mutation($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } ${USER_ERRORS} } }`,
        { token: officer, variables: { input: { idempotencyKey: key(), productCode: 'PL-STD', principal: '6000', numberOfRepayments: 6, disbursementDate: '2026-01-05' } } });
      expect(userErrors(response, 'disburseLoan')).toEqual([]);
      return response.data!['disburseLoan'].loan.id as string;
    };
    const repaid = await book();
    const unpaid = await book();
    const { account } = await loan(repaid);
    const dueDates = (account.instalments as { dueDate: string }[]).map((i) => i.dueDate);
    expect(dueDates).toEqual(['2026-02-05', '2026-03-05', '2026-04-05', '2026-05-05', '2026-06-05', '2026-07-05']);

    let date = '2026-01-05';
    for (const [n, due] of dueDates.entries()) {
      const days = Math.round((Date.parse(due) - Date.parse(date)) / 86_400_000);
      const moved = await advance(days);
      expect(moved.tenant.businessDate).toBe(due);
      expect(moved.endOfDayRuns).toHaveLength(days);
      expect(moved.endOfDayRuns.every((r: { status: string }) => r.status === 'COMPLETED')).toBe(true);
      expect(moved.endOfDayRuns.at(-1).businessDate).toBe(due);
      date = due;
      // Pays what fell due today, on the day.
      const instalment = (await loan(repaid)).account.instalments[n];
      const owed = ['principal', 'interest', 'fee', 'penalty'].reduce((sum, c) => sum + cents(instalment.outstanding[c]), 0);
      const paid = await gql(server.gateway, `mutation($input: PostRepaymentInput!) { postRepayment(input: $input) { loanTransaction { id } ${USER_ERRORS} } }`,
        { token: agent, variables: { input: { idempotencyKey: key(), loanId: repaid, amount: (owed / 100).toFixed(2), valueDate: due, channel: 'bank-transfer' } } });
      expect(userErrors(paid, 'postRepayment')).toEqual([]);
      if (n === 0) {
        // The unpaid loan's first instalment fell due today: overdue from tomorrow's end of day, one day past due.
        await advance(1);
        expect(await loan(unpaid)).toMatchObject({ status: 'OVERDUE', daysPastDue: 1 });
        date = '2026-02-06';
      }
    }
    expect(await loan(repaid)).toMatchObject({ status: 'CLOSED', daysPastDue: 0 });
    // Days past due count from the oldest unpaid due date, 5 February: 150 days at 5 July.
    expect(await loan(unpaid)).toMatchObject({ status: 'OVERDUE', daysPastDue: 150 });

    // More than a year in one call is refused, naming the field; a hundred days walk on past maturity.
    const tooFar = await gql(server.gateway, ADVANCE, { token: admin, variables: { input: { days: 400 } } });
    expect(userErrors(tooFar, 'advanceSandboxClock')).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.days' })]);
    expect(tooFar.data!['advanceSandboxClock'].tenant).toBeNull();
    const later = await advance(100);
    expect(later.tenant.businessDate).toBe('2026-10-13');
    expect(await loan(unpaid)).toMatchObject({ status: 'OVERDUE', daysPastDue: 250 });

    // The runs, newest first, each with what its steps did; the next page goes on from the cursor.
    const list = `query($after: String) { endOfDayRuns(first: 2, after: $after) { edges { cursor node { businessDate previousDate status startedBy attempts failure { step } totals { step rows } } } pageInfo { hasNextPage endCursor } } }`;
    const first = await gql(server.gateway, list, { token: await devToken(server.runtime, 'auditor', sandbox.slug) });
    expect(first.errors).toBeUndefined();
    const page = first.data!['endOfDayRuns'];
    expect(page.edges.map((e: { node: { businessDate: string } }) => e.node.businessDate)).toEqual(['2026-10-13', '2026-10-12']);
    expect(page.edges[0].node).toMatchObject({ previousDate: '2026-10-12', status: 'COMPLETED', startedBy: 'sandbox-admin', attempts: 1, failure: null });
    expect(page.edges[0].node.totals.map((t: { step: string }) => t.step)).toEqual(expect.arrayContaining(['expireApplications', 'replayLoans', 'advancePositions']));
    expect(page.pageInfo.hasNextPage).toBe(true);
    const second = await gql(server.gateway, list, { token: admin, variables: { after: page.pageInfo.endCursor } });
    expect(second.data!['endOfDayRuns'].edges.map((e: { node: { businessDate: string } }) => e.node.businessDate)).toEqual(['2026-10-11', '2026-10-10']);
    // The day the first instalment fell due: the set-based step moved both loans.
    const day = await gql(server.gateway, '{ endOfDayRun(businessDate: "2026-02-05") { businessDate status steps { step rows completedAt } totals { step rows } } }', { token: admin });
    expect(day.errors).toBeUndefined();
    expect(day.data!['endOfDayRun'].steps.map((s: { step: string }) => s.step)).toEqual(['expireApplications', 'replayLoans', 'advancePositions', 'presentments', 'coLendingGuarantee', 'chargeOff', 'classify', 'suspense', 'provisions', 'coLendingSettlement', 'commissionClawback', 'collections', 'reminders', 'summary', 'events']);
    const moved = day.data!['endOfDayRun'].totals.find((t: { step: string }) => t.step === 'advancePositions');
    expect(moved.rows + day.data!['endOfDayRun'].totals.find((t: { step: string }) => t.step === 'replayLoans').rows).toBeGreaterThanOrEqual(2);
  });
});

describe('a run whose process died', () => {
  /** A run to the next date cut short after its first step as by a killed process: its row left running, its lock freed. */
  async function cutShort(tenant: TenantRecord): Promise<string> {
    const killed = new Error('killed after the first step');
    await expect(runEndOfDay(server.runtime, tenant.slug, {
      startedBy: 'sandbox-admin', afterCommit: ({ step }) => { if (step === 'expireApplications') throw killed; },
    })).rejects.toBe(killed);
    server.runtime.registry.forget(tenant.slug);
    return (await server.runtime.registry.findBySlug(tenant.slug))!.businessDate;
  }

  it('answers INTERRUPTED, RUNNING while a session holds its lock, and is resumed by runEndOfDay and advanceSandboxClock', { timeout: 300_000 }, async () => {
    const tenant = await createTenant(server.runtime, uniqueSlug('eod-cut'), { sandbox: true, businessDate: '2026-11-08' });
    const token = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'sandbox-admin' });
    const auditor = await devToken(server.runtime, 'auditor', tenant.slug);
    const date = await cutShort(tenant);
    expect(date).toBe('2026-11-09');
    const stored = await poolSql(server.runtime.pool, tenant.schemaName).query((s) => `SELECT status, attempts FROM ${s}.end_of_day_run WHERE business_date = $1`, [date]);
    expect(stored.rows).toEqual([{ status: 'running', attempts: 1 }]);

    const one = `query($date: Date!) { endOfDayRun(businessDate: $date) { businessDate status attempts steps { step } } }`;
    const list = '{ endOfDayRuns(first: 5) { edges { node { businessDate status attempts } } } }';
    const shown = await gql(server.gateway, one, { token: auditor, variables: { date } });
    expect(shown.errors).toBeUndefined();
    expect(shown.data!['endOfDayRun']).toEqual({ businessDate: date, status: 'INTERRUPTED', attempts: 1, steps: [{ step: 'expireApplications' }] });
    const listed = await gql(server.gateway, list, { token: auditor });
    expect(listed.data!['endOfDayRuns'].edges).toEqual([{ node: { businessDate: date, status: 'INTERRUPTED', attempts: 1 } }]);

    // A session holding the tenant's end-of-day lock is a runner at work: the same row answers RUNNING.
    const holder = await server.runtime.pool.connect();
    try {
      await holder.query('SELECT pg_advisory_lock(hashtextextended($1, 0))', [endOfDayLockKey(tenant.id)]);
      const held = await gql(server.gateway, one, { token: auditor, variables: { date } });
      expect(held.data!['endOfDayRun']).toMatchObject({ status: 'RUNNING', attempts: 1 });
      expect((await gql(server.gateway, list, { token: auditor })).data!['endOfDayRuns'].edges[0].node.status).toBe('RUNNING');
      // Looking never took the lock: the holder still has it, and unlocks it.
      expect((await holder.query('SELECT pg_advisory_unlock(hashtextextended($1, 0)) AS unlocked', [endOfDayLockKey(tenant.id)])).rows[0].unlocked).toBe(true);
    } finally {
      holder.release();
    }

    // runEndOfDay to the business date resumes the interrupted run and goes no further.
    const resumed = await gql(server.gateway, RUN, { token, variables: { input: { to: date } } });
    expect(userErrors(resumed, 'runEndOfDay')).toEqual([]);
    expect(resumed.data!['runEndOfDay'].endOfDayRuns).toEqual([{ businessDate: date, previousDate: '2026-11-08', status: 'COMPLETED', startedBy: 'sandbox-admin' }]);
    expect((await gql(server.gateway, one, { token: auditor, variables: { date } })).data!['endOfDayRun']).toMatchObject({ status: 'COMPLETED', attempts: 2 });

    // advanceSandboxClock resumes one first, then moves on by its days.
    const next = await cutShort(tenant);
    expect(next).toBe('2026-11-10');
    expect((await gql(server.gateway, one, { token: auditor, variables: { date: next } })).data!['endOfDayRun']).toMatchObject({ status: 'INTERRUPTED' });
    const advanced = await gql(server.gateway, ADVANCE, { token, variables: { input: { days: 1 } } });
    expect(userErrors(advanced, 'advanceSandboxClock')).toEqual([]);
    expect(advanced.data!['advanceSandboxClock'].tenant.businessDate).toBe('2026-11-11');
    expect(advanced.data!['advanceSandboxClock'].endOfDayRuns.map((r: { businessDate: string; status: string }) => [r.businessDate, r.status]))
      .toEqual([['2026-11-10', 'COMPLETED'], ['2026-11-11', 'COMPLETED']]);
    const runs = await gql(server.gateway, list, { token: auditor });
    expect(runs.data!['endOfDayRuns'].edges.map((e: { node: unknown }) => e.node)).toEqual([
      { businessDate: '2026-11-11', status: 'COMPLETED', attempts: 1 },
      { businessDate: '2026-11-10', status: 'COMPLETED', attempts: 2 },
      { businessDate: '2026-11-09', status: 'COMPLETED', attempts: 2 },
    ]);
    // A row read as running just before its runner completed it and unlocked is not taken for one cut short.
    const db = server.runtime.tenantClients.forSchema(tenant.schemaName);
    const readBefore = { businessDate: dateColumn('2026-11-11'), status: 'running', attempts: 1 };
    expect(await endOfDayRunStatus(server.runtime.pool, db, tenant.id, readBefore)).toBe('running');
  });
});

describe('runEndOfDay and who may start end of day', () => {
  it('runs a real lender\'s end of day, refuses a date in the past and its clock, and names a failed run', { timeout: 300_000 }, async () => {
    const { tenant, loanId } = await tenantWithLoan(server.runtime, 'eod-api-real', { businessDate: '2026-01-05' });
    const token = await devToken(server.runtime, 'tenant-admin', tenant.slug, { subject: 'real-admin' });
    const next = await gql(server.gateway, RUN, { token, variables: { input: {} }, headers: { 'x-request-id': 'eod-by-hand-1' } });
    expect(userErrors(next, 'runEndOfDay')).toEqual([]);
    expect(next.data!['runEndOfDay'].endOfDayRuns).toEqual([{ businessDate: '2026-01-06', previousDate: '2026-01-05', status: 'COMPLETED', startedBy: 'real-admin' }]);
    // Its audit record is tied to the request that asked for it, with the roles it asked with.
    const [completed] = await server.runtime.tenantClients.forSchema(tenant.schemaName).auditRecord.findMany({ where: { action: 'endOfDay.complete', entityId: '2026-01-06' } });
    expect(completed).toMatchObject({ actor: 'real-admin', roles: ['tenant-admin'], requestId: 'eod-by-hand-1' });

    const past = await gql(server.gateway, RUN, { token, variables: { input: { to: '2026-01-01' } } });
    expect(userErrors(past, 'runEndOfDay')).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.to' })]);
    expect(past.data!['runEndOfDay'].endOfDayRuns).toBeNull();

    const farOff = await gql(server.gateway, RUN, { token, variables: { input: { to: '2027-02-01' } } });
    expect(userErrors(farOff, 'runEndOfDay')).toEqual([expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'input.to' })]);

    const clock = await gql(server.gateway, ADVANCE, { token, variables: { input: { days: 1 } } });
    expect(userErrors(clock, 'advanceSandboxClock')).toEqual([expect.objectContaining({ code: 'CONFLICT', reason: 'PRODUCTION_TENANT', field: 'input.days' })]);

    const mend = await breakLoan(server.runtime, tenant, loanId, '2026-01-08');
    const failed = await gql(server.gateway, RUN, { token, variables: { input: { to: '2026-01-09' } } });
    const [refusal] = userErrors(failed, 'runEndOfDay');
    expect(refusal).toMatchObject({ code: 'CONFLICT', reason: 'END_OF_DAY_FAILED' });
    expect(refusal!.message).toContain('2026-01-08');
    expect(refusal!.message).toContain('replayLoans');
    const run = await gql(server.gateway, '{ endOfDayRun(businessDate: "2026-01-08") { status attempts failure { step loanId message } } }', { token });
    expect(run.data!['endOfDayRun']).toMatchObject({ status: 'FAILED', attempts: 1, failure: { step: 'replayLoans', loanId: encodeGlobalID('Loan', loanId) } });
    await mend();
    const resumed = await gql(server.gateway, RUN, { token, variables: { input: { to: '2026-01-09' } } });
    expect(userErrors(resumed, 'runEndOfDay')).toEqual([]);
    expect(resumed.data!['runEndOfDay'].endOfDayRuns.map((r: { businessDate: string }) => r.businessDate)).toEqual(['2026-01-08', '2026-01-09']);
    const again = await gql(server.gateway, '{ endOfDayRun(businessDate: "2026-01-08") { status attempts failure { step } } }', { token });
    expect(again.data!['endOfDayRun']).toEqual({ status: 'COMPLETED', attempts: 2, failure: null });
  });

  it('refuses a loan officer and partners, and reads nothing across tenants', { timeout: 120_000 }, async () => {
    const db = server.runtime.tenantClients.forSchema(sandbox.schemaName);
    const actor = { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' };
    await registerPartner(db, server.runtime.identity, { tenant: sandbox.slug, actor, now: server.runtime.now() }, { code: 'eod-fintech', name: 'Fintech', kind: 'origination' });
    const before = (await server.runtime.registry.findBySlug(sandbox.slug))!.businessDate;
    const callers = [
      await devToken(server.runtime, 'loan-officer', sandbox.slug),
      await devToken(server.runtime, 'origination-partner', sandbox.slug, { partner: { id: 'eod-fintech', kind: 'origination' } }),
    ];
    for (const token of callers) {
      for (const document of [
        '{ endOfDayRuns(first: 5) { edges { node { businessDate } } } }',
        '{ endOfDayRun(businessDate: "2026-02-05") { status } }',
        `mutation { runEndOfDay(input: {}) { endOfDayRuns { businessDate } ${USER_ERRORS} } }`,
        `mutation { advanceSandboxClock(input: { days: 1 }) { tenant { businessDate } ${USER_ERRORS} } }`,
      ]) {
        expect(codes(await gql(server.gateway, document, { token })), document).toEqual(['FORBIDDEN']);
      }
    }
    // Another lender's admin sees only its own runs (none), never the sandbox's.
    const other = await createTenant(server.runtime, uniqueSlug('eod-other'));
    const theirs = await gql(server.gateway, '{ endOfDayRuns(first: 5) { edges { node { businessDate } } } }', { token: await devToken(server.runtime, 'tenant-admin', other.slug) });
    expect(theirs.data!['endOfDayRuns'].edges).toEqual([]);
    server.runtime.registry.forget(sandbox.slug);
    expect((await server.runtime.registry.findBySlug(sandbox.slug))!.businessDate).toBe(before);
  });
});

describe('the business date', () => {
  it('never moves back, not even by a direct UPDATE in the database', async () => {
    const tenant = await createTenant(server.runtime, uniqueSlug('eod-back'), { businessDate: '2026-01-05' });
    await expect(server.runtime.pool.query(`UPDATE platform.tenant SET business_date = '2026-01-04' WHERE id = $1`, [tenant.id]))
      .rejects.toMatchObject({ code: '23514', message: expect.stringContaining('may not move back') });
    await server.runtime.pool.query(`UPDATE platform.tenant SET business_date = '2026-01-05' WHERE id = $1`, [tenant.id]);
    server.runtime.registry.forget(tenant.slug);
    expect((await server.runtime.registry.findBySlug(tenant.slug))!.businessDate).toBe('2026-01-05');
  });
});
