// End of day killed at any point and started again ends with the same books, nothing posted twice (DESIGN.md,
// "End of day"). Two tenants hold the same book (test/support/endOfDayBook.ts). Tenant A runs end of day over 35
// days without a break. Tenant B runs the same dates in child processes that SIGKILL themselves at chosen commit
// points — inside the replay batches, inside the set-based batches, just after a step was recorded, just after
// the date moved — with small batches so there are many, plus one run that fails and is resumed; each time the
// next process simply runs again. Then A and B agree loan by loan: positions and balances, the journals (value
// date, kind, account, debit, credit, as multisets), how many journals, the runs and their steps, the date, the
// collection cases and their timelines, the reminders made, the month closes, the debits presented and posted and
// the files written.
// A second runner for a tenant is refused while one runs.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addDays } from '../../../src/domain/calendar.js';
import type { Runtime } from '../../../src/runtime.js';
import { AppError } from '../../../src/errors.js';
import { ledgerInvariants } from '../../../src/services/servicing/ledger.js';
import { EndOfDayFailure, endOfDayLockKey, runEndOfDay } from '../../../src/services/endOfDay/run.js';
import { checkPositions } from '../../../src/services/endOfDay/positionCheck.js';
import { setReminderRules } from '../../../src/services/reminders/settings.js';
import { registerDebitMandate, setDebitSettings } from '../../../src/services/autoDebit/mandates.js';
import { setChargeOffRule } from '../../../src/services/servicing/writeOffs.js';
import { Decimal } from '../../../src/domain/money.js';
import { poolSql } from '../../../src/tenancy/tenantSql.js';
import type { TenantRecord } from '../../../src/tenancy/registry.js';
import { createTenant, openTestRuntime, uniqueSlug } from '../../support/harness.js';
import { BOOK_LOANS, BOOK_START, payOn, seedBook } from '../../support/endOfDayBook.js';

const BATCH = { positions: 3, replays: 2 };
const MIDWAY = addDays(BOOK_START, 14);
const END = addDays(BOOK_START, 35);

let runtime: Runtime;
let a: TenantRecord;
let b: TenantRecord;

beforeAll(async () => {
  runtime = await openTestRuntime();
});
afterAll(async () => {
  await runtime?.close();
});

interface ChildLine { at?: string; businessDate?: string; step?: string; killed?: boolean; done?: boolean; resumed?: string[]; error?: string; code?: string | null }

/**
 * Runs end of day for `slug` to `to` in a child process that dies at `kill`; what it said and how it ended. A killed
 * child's connections outlive it until PostgreSQL reads their closed sockets, and one of them holds the tenant's
 * runner lock: like an operator starting the next run, this waits for that lock to be free before going on.
 */
async function child(slug: string, to: string, kill: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: ChildLine[]; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_ENV: 'test', DATABASE_URL: inject('databaseUrl'), DATA_DIR: inject('dataDir') };
  delete env['PORT'];
  const ended = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; lines: ChildLine[]; stderr: string }>((resolve) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'test/support/endOfDayChild.ts', slug, to, kill], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    proc.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    proc.once('close', (code, signal) => resolve({
      code, signal, stderr,
      lines: stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as ChildLine),
    }));
  });
  if (ended.signal === 'SIGKILL') await runnerLockFreed(slug);
  return ended;
}

/** Waits until no session holds `slug`'s end-of-day lock (a killed runner's backend has gone). */
async function runnerLockFreed(slug: string): Promise<void> {
  const tenant = (await runtime.registry.findBySlug(slug))!;
  const client = await runtime.pool.connect();
  try {
    for (let waited = 0; ; waited += 50) {
      const { rows } = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS locked', [endOfDayLockKey(tenant.id)]);
      if (rows[0]!.locked) {
        await client.query('SELECT pg_advisory_unlock(hashtextextended($1, 0))', [endOfDayLockKey(tenant.id)]);
        return;
      }
      if (waited > 30_000) throw new Error(`the end-of-day lock of ${slug} is still held 30 s after its runner was killed`);
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    client.release();
  }
}

const sqlOf = (t: TenantRecord) => poolSql(runtime.pool, t.schemaName);

/** Where a killed run stopped, checked against the database rather than taken from the child's word. */
async function classify(t: TenantRecord, last: ChildLine): Promise<string> {
  const sql = sqlOf(t);
  if (last.at === 'dateMoved') {
    runtime.registry.forget(t.slug);
    const date = (await runtime.registry.findBySlug(t.slug))!.businessDate;
    const { rows: runs } = await sql.query<{ status: string }>((s) => `SELECT status FROM ${s}.end_of_day_run WHERE business_date = $1`, [date]);
    const { rows: steps } = await sql.query((s) => `SELECT 1 FROM ${s}.end_of_day_step WHERE business_date = $1`, [date]);
    return runs[0]?.status === 'running' && steps.length === 0 ? 'dateMoved' : 'dateMoved?';
  }
  const { rows } = await sql.query((s) => `SELECT 1 FROM ${s}.end_of_day_step WHERE business_date = $1 AND step = $2 AND part = 0`, [last.businessDate, last.step]);
  return `${rows.length > 0 ? 'recorded' : 'inside'}:${last.step}`;
}

/**
 * Runs B toward `to` in processes killed at each of `kills` in turn, then (with `finish`) one left to finish;
 * returns where they died.
 */
async function crashingRun(to: string, kills: string[], finish: boolean): Promise<string[]> {
  const stops: string[] = [];
  for (const kill of finish ? [...kills, 'none'] : kills) {
    const run = await child(b.slug, to, kill);
    const last = run.lines.at(-1);
    if (run.signal === 'SIGKILL') {
      expect(last?.killed, JSON.stringify(run.lines.slice(-3))).toBe(true);
      stops.push(await classify(b, last!));
      continue;
    }
    expect({ code: run.code, stderr: run.stderr.slice(0, 2000), last }).toMatchObject({ code: 0, last: { done: true } });
    if (kill === 'none') return stops;
    // The point asked for never came (that work was already done): the run finished; nothing more to kill.
    stops.push(`finished before ${kill}`);
    return stops;
  }
  return stops;
}

async function dateOf(t: TenantRecord): Promise<string> {
  runtime.registry.forget(t.slug);
  return (await runtime.registry.findBySlug(t.slug))!.businessDate;
}

/** What must be the same in A and B, loan by loan number (ids differ, numbers follow booking order). */
async function books(t: TenantRecord) {
  const sql = sqlOf(t);
  const { rows: loans } = await sql.query<{ number: number; row: Record<string, unknown> }>((s) => `SELECT number, to_jsonb(l) AS row FROM ${s}.loan l ORDER BY number`);
  const positions = loans.map((l) => Object.fromEntries(Object.entries(l.row).filter(([key]) => !/^id$|_id$|_at$/.test(key)).sort(([x], [y]) => x.localeCompare(y))));
  const { rows: journals } = await sql.query<{ line: string }>((s) => `
    SELECT concat_ws(' ', l.number, j.value_date, j.kind, jl.account, jl.debit, jl.credit) AS line
      FROM ${s}.journal j JOIN ${s}.journal_line jl ON jl.journal_id = j.id LEFT JOIN ${s}.loan l ON l.id = j.loan_id
     ORDER BY 1`);
  const { rows: counts } = await sql.query<{ number: number | null; journals: number }>((s) => `
    SELECT l.number, count(*)::int AS journals FROM ${s}.journal j LEFT JOIN ${s}.loan l ON l.id = j.loan_id GROUP BY l.number ORDER BY l.number`);
  const { rows: runs } = await sql.query((s) => `SELECT business_date::text, previous_date::text, status FROM ${s}.end_of_day_run ORDER BY business_date`);
  const { rows: steps } = await sql.query((s) => `SELECT business_date::text, step, part FROM ${s}.end_of_day_step ORDER BY business_date, step, part`);
  const { rows: changes } = await sql.query((s) => `SELECT l.number, c.business_date::text, c.days_past_due, c.bucket_before, c.bucket_after, c.class_before, c.class_after
      FROM ${s}.loan_delinquency_change c JOIN ${s}.loan l ON l.id = c.loan_id ORDER BY 1, 2`);
  const { rows: summary } = await sql.query((s) => `SELECT to_jsonb(x) - 'product_id' || jsonb_build_object('product', p.code) AS row
      FROM ${s}.end_of_day_summary x JOIN ${s}.loan_product p ON p.id = x.product_id ORDER BY (to_jsonb(x) - 'product_id' || jsonb_build_object('product', p.code))::text`);
  const { rows: events } = await sql.query((s) => `SELECT type, count(*)::int AS n FROM ${s}.outbox_event GROUP BY type ORDER BY type`);
  // Collections and reminders: the cases with their timelines, the messages, the month closes.
  const { rows: cases } = await sql.query((s) => `
    SELECT l.number, c.status, c.opened_on::text, c.opened_days_past_due, c.opened_bucket, c.closed_on::text, c.close_reason, c.escalation_level,
           (SELECT string_agg(e.kind, ',' ORDER BY e.seq) FROM ${s}.collection_case_entry e WHERE e.case_id = c.id) AS timeline
      FROM ${s}.collection_case c JOIN ${s}.loan l ON l.id = c.loan_id ORDER BY 1, 3`);
  const { rows: messages } = await sql.query((s) => `
    SELECT l.number, m.trigger, m.days, m.due_date::text, m.business_date::text, m.channel, m.status, m.reason, m.body
      FROM ${s}.loan_message m JOIN ${s}.loan l ON l.id = m.loan_id ORDER BY 1, 2, 3, 4, 6`);
  const { rows: presentments } = await sql.query((s) => `
    SELECT l.number, p.due_date::text, p.attempt, p.amount::text, p.presented_on::text, p.status, t.amount::text AS posted, t.value_date::text AS posted_on
      FROM ${s}.debit_presentment p JOIN ${s}.loan l ON l.id = p.loan_id LEFT JOIN ${s}.loan_transaction t ON t.id = p.transaction_id ORDER BY 1, 2, 3`);
  const { rows: debitFiles } = await sql.query((s) => `SELECT business_date::text, entries, total::text FROM ${s}.debit_file ORDER BY 1`);
  const { rows: monthEnds } = await sql.query((s) => `SELECT l.number, b.month_end::text, b.bucket FROM ${s}.loan_month_end_bucket b JOIN ${s}.loan l ON l.id = b.loan_id ORDER BY 1, 2`);
  return {
    positions, journals: journals.map((j) => j.line), counts, runs, steps, changes, summary: summary.map((r) => r['row']), events, cases, messages, monthEnds, presentments, debitFiles,
    date: await dateOf(t),
  };
}

describe('end of day killed and run again', () => {
  it('ends with the same books as a run never interrupted, nothing posted twice', { timeout: 1_200_000 }, async () => {
    a = await createTenant(runtime, uniqueSlug('eod-whole'), { businessDate: BOOK_START });
    b = await createTenant(runtime, uniqueSlug('eod-crash'), { businessDate: BOOK_START });
    await seedBook(runtime, a.slug, a.schemaName);
    await seedBook(runtime, b.slug, b.schemaName);
    // Reminders and auto-debit on both (templates without the lender's name, which differs between them); a mandate
    // on every third loan.
    for (const t of [a, b]) {
      const setup = { tenant: t.slug, now: runtime.now(), actor: { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' } };
      const tdb = runtime.tenantClients.forSchema(t.schemaName);
      // Loans 25 days past due are charged off (written off in full) by end of day.
      await setChargeOffRule(tdb, setup, { productCode: null, atDays: 25 });
      await setDebitSettings(tdb, setup, { companyName: 'Crash Lending', companyId: '1234567890', odfiRouting: '121000358', odfiName: 'Crash Bank', returnFee: new Decimal('25'), productReturnFees: [] });
      for (const l of await tdb.loan.findMany({ orderBy: { number: 'asc' } })) {
        if (l.number % 3 === 0 && ['active', 'overdue'].includes(l.status)) {
          await registerDebitMandate(tdb, runtime.dataKey, setup, { loanId: l.id, holderName: 'Crash Holder', routingNumber: '021000021', accountNumber: `1000${l.number}`, accountType: 'checking' });
        }
      }
      await setReminderRules(runtime.tenantClients.forSchema(t.schemaName), setup, {
        quietHoursStart: '21:00', quietHoursEnd: '08:00',
        rules: [
          { trigger: 'beforeDue', days: 2, channel: 'sms', template: '{{amountDue}} on {{loanNumber}} falls due on {{dueDate}}.', productCode: null },
          { trigger: 'pastDue', days: 3, channel: 'email', template: '{{loanNumber}}: {{daysPastDue}} days past due.', productCode: null },
        ],
      });
    }

    // A, in one go — paused at its first commit while a second runner for the same tenant is refused.
    let tried = false;
    const first = await runEndOfDay(runtime, a.slug, {
      to: MIDWAY, startedBy: 'test', batchSize: BATCH,
      async afterCommit() {
        if (tried) return;
        tried = true;
        const second = await runEndOfDay(runtime, a.slug, { to: MIDWAY, startedBy: 'someone else' }).then(() => null, (error: unknown) => error);
        expect(second).toBeInstanceOf(AppError);
        expect((second as AppError).code).toBe('CONFLICT');
      },
    });
    expect(tried).toBe(true);
    expect(first.map((o) => o.businessDate)).toEqual(Array.from({ length: 14 }, (_, k) => addDays(BOOK_START, k + 1)));

    // B, killed again and again on the way to the same date.
    const stops = await crashingRun(MIDWAY, ['inside:replayLoans:1', 'inside:advancePositions:2', 'recorded:replayLoans:2', 'dateMoved:2', 'commit:9', 'inside:replayLoans:3'], false);

    // A run that fails mid-step is left 'failed', and the next run resumes it.
    let failedOn: string | null = null;
    const failing = await runEndOfDay(runtime, b.slug, {
      to: MIDWAY, startedBy: 'test', batchSize: BATCH,
      async afterCommit(where) {
        const { rows } = await sqlOf(b).query((s) => `SELECT 1 FROM ${s}.end_of_day_step WHERE business_date = $1 AND step = $2 AND part = 0`, [where.businessDate, where.step]);
        if (where.step === 'advancePositions' && rows.length === 0) {
          failedOn = where.businessDate;
          throw new Error('the power went out');
        }
      },
    }).then(() => null, (error: unknown) => error);
    // B may already be at MIDWAY if the last child finished: then there is nothing to fail yet (checked in phase two).
    if (failing !== null) {
      expect(failing).toBeInstanceOf(EndOfDayFailure);
      const { rows } = await sqlOf(b).query<{ status: string; failure: { step: string; message: string } }>((s) => `SELECT status, failure FROM ${s}.end_of_day_run WHERE business_date = $1`, [failedOn]);
      expect(rows[0]).toMatchObject({ status: 'failed', failure: { step: 'advancePositions' } });
      expect(rows[0]!.failure.message).not.toMatch(/power/);
    }
    stops.push(...await crashingRun(MIDWAY, [], true));

    expect(await dateOf(a)).toBe(MIDWAY);
    expect(await dateOf(b)).toBe(MIDWAY);
    await payOn(runtime, a.slug, a.schemaName, MIDWAY);
    await payOn(runtime, b.slug, b.schemaName, MIDWAY);

    await runEndOfDay(runtime, a.slug, { to: END, startedBy: 'test', batchSize: BATCH });

    // Phase two: a failed run first, resumed by the next process, then more kills.
    let failedLater: string | null = null;
    const failure = await runEndOfDay(runtime, b.slug, {
      to: END, startedBy: 'test', batchSize: BATCH,
      async afterCommit(where) {
        const { rows } = await sqlOf(b).query((s) => `SELECT 1 FROM ${s}.end_of_day_step WHERE business_date = $1 AND step = $2 AND part = 0`, [where.businessDate, where.step]);
        if (where.step === 'advancePositions' && rows.length === 0 && where.businessDate > addDays(MIDWAY, 2)) {
          failedLater = where.businessDate;
          throw new Error('the power went out');
        }
      },
    }).then(() => null, (error: unknown) => error);
    expect(failure).toBeInstanceOf(EndOfDayFailure);
    const { rows: failedRuns } = await sqlOf(b).query<{ status: string }>((s) => `SELECT status FROM ${s}.end_of_day_run WHERE business_date = $1`, [failedLater]);
    expect(failedRuns[0]!.status).toBe('failed');
    const resumedFirst = await child(b.slug, END, 'inside:advancePositions:2');
    expect(resumedFirst.signal).toBe('SIGKILL');
    expect(resumedFirst.lines.find((l) => l.businessDate)).toMatchObject({ businessDate: failedLater });
    stops.push(await classify(b, resumedFirst.lines.at(-1)!));
    stops.push(...await crashingRun(END, ['recorded:advancePositions:3', 'inside:replayLoans:2', 'dateMoved:1', 'commit:15', 'recorded:expireApplications:4', 'recorded:collections:3', 'inside:advancePositions:7', 'recorded:presentments:4', 'recorded:reminders:5', 'recorded:chargeOff:2'], true));

    // The kills landed where they were meant to, checked against the database.
    expect(stops.some((s) => s === 'inside:replayLoans'), stops.join(', ')).toBe(true);
    expect(stops.some((s) => s === 'inside:advancePositions'), stops.join(', ')).toBe(true);
    expect(stops.some((s) => s.startsWith('recorded:')), stops.join(', ')).toBe(true);
    expect(stops.includes('dateMoved'), stops.join(', ')).toBe(true);
    expect(stops.filter((s) => !s.startsWith('finished')).length).toBeGreaterThanOrEqual(8);

    // The same books.
    const [booksA, booksB] = [await books(a), await books(b)];
    expect(booksB.date).toBe(END);
    expect(booksA.date).toBe(END);
    expect(booksA.positions).toHaveLength(BOOK_LOANS);
    expect(booksB.positions).toEqual(booksA.positions);
    expect(booksB.counts).toEqual(booksA.counts);
    expect(booksB.journals).toEqual(booksA.journals);
    expect(booksB.runs).toEqual(booksA.runs);
    expect(booksA.runs).toEqual(Array.from({ length: 35 }, (_, k) => ({ business_date: addDays(BOOK_START, k + 1), previous_date: addDays(BOOK_START, k), status: 'completed' })));
    expect(booksB.steps).toEqual(booksA.steps);
    expect(booksB.changes).toEqual(booksA.changes);
    expect(booksB.summary).toEqual(booksA.summary);
    expect(booksB.events).toEqual(booksA.events);
    expect(booksB.cases).toEqual(booksA.cases);
    expect(booksB.messages).toEqual(booksA.messages);
    expect(booksB.monthEnds).toEqual(booksA.monthEnds);
    expect(booksB.presentments).toEqual(booksA.presentments);
    expect(booksB.debitFiles).toEqual(booksA.debitFiles);
    // Each presentment posted once, on its date, for its amount; and there were some.
    expect(booksA.presentments.length).toBeGreaterThan(0);
    for (const p of booksA.presentments as { amount: string; posted: string; presented_on: string; posted_on: string }[]) expect([p.posted, p.posted_on]).toEqual([p.amount, p.presented_on]);
    // Collections and reminders did happen: cases opened, messages made; loans were charged off, each once.
    expect(booksA.cases.length).toBeGreaterThan(0);
    expect(booksA.positions.some((p) => p['status'] === 'written_off')).toBe(true);
    for (const t of [a, b]) {
      const { rows: twice } = await sqlOf(t).query((s) => `SELECT loan_id FROM ${s}.loan_transaction WHERE kind = 'writeOff' GROUP BY loan_id HAVING count(*) > 1`);
      expect(twice).toEqual([]);
    }
    expect(booksA.messages.length).toBeGreaterThan(0);
    // The book did move: journals from end of day, loans overdue, and B was resumed more than once.
    expect(booksA.journals.length).toBeGreaterThan(BOOK_LOANS * 4);
    expect(booksA.positions.some((p) => p['status'] === 'overdue')).toBe(true);
    const { rows: attempts } = await sqlOf(b).query<{ n: number }>((s) => `SELECT count(*)::int AS n FROM ${s}.end_of_day_run WHERE attempts > 1`);
    expect(attempts[0]!.n).toBeGreaterThan(1);

    // And both are what a replay from scratch says, with a balanced ledger.
    for (const t of [a, b]) {
      const db = runtime.tenantClients.forSchema(t.schemaName);
      const { rows: ids } = await sqlOf(t).query<{ id: string }>((s) => `SELECT id::text FROM ${s}.loan`);
      expect(await checkPositions(db, t.schemaName, ids.map((r) => r.id), END)).toEqual([]);
      expect(await ledgerInvariants(db, t.schemaName)).toMatchObject({ unbalancedJournals: 0, loansOffLedger: 0, controlAccountsOff: 0, negativeBalances: 0 });
    }
  });
});

describe('what a resumed run records', () => {
  const totals: Record<string, Record<string, number>> = {};

  it('interrupts one run inside its set-based batches and resumes it, beside a twin run whole', { timeout: 600_000 }, async () => {
    const whole = await createTenant(runtime, uniqueSlug('eod-totals-whole'), { businessDate: BOOK_START });
    const broken = await createTenant(runtime, uniqueSlug('eod-totals-broken'), { businessDate: BOOK_START });
    await seedBook(runtime, whole.slug, whole.schemaName);
    await seedBook(runtime, broken.slug, broken.schemaName);
    await runEndOfDay(runtime, whole.slug, { startedBy: 'test', batchSize: BATCH });
    let cut = false;
    const failure = await runEndOfDay(runtime, broken.slug, {
      startedBy: 'test', batchSize: BATCH,
      async afterCommit(where) {
        if (!cut && where.step === 'advancePositions') {
          cut = true;
          throw new Error('the power went out');
        }
      },
    }).then(() => null, (error: unknown) => error);
    expect(failure).toBeInstanceOf(EndOfDayFailure);
    const [resumed] = await runEndOfDay(runtime, broken.slug, { startedBy: 'test', batchSize: BATCH });
    expect(resumed!.resumed).toBe(true);
    for (const t of [whole, broken]) {
      const { rows } = await sqlOf(t).query<{ totals: Record<string, number> }>((s) => `SELECT totals FROM ${s}.end_of_day_run WHERE business_date = $1`, [addDays(BOOK_START, 1)]);
      totals[t === whole ? 'whole' : 'broken'] = rows[0]!.totals;
    }
    // The day had more than one batch to move, so the cut left work for the resumed attempt.
    expect(totals['whole']!['advancePositions']).toBeGreaterThan(BATCH.positions);
    expect((await books(broken)).positions).toEqual((await books(whole)).positions);
  });

  // Each batch records its rows with its writes, so the day's totals count the work of every attempt once.
  it('counts the whole day\'s work in the resumed run\'s totals, as in the run never interrupted', () => {
    expect(totals['broken']).toEqual(totals['whole']);
  });
});
