// The oracle for `npm run bench:eod`: for a sample of loans, the replay from scratch (the domain's replayLoan on
// the loan's terms and transactions) as of a date must equal the position stored in the loan row, field by field,
// and each loan's journal lines must add up to its stored figures (ledgerInvariants' per-loan rule, the same SQL). Run after
// seeding (as of the seeding date) and after each end of day (as of the date it brought the books to). `as_of` is
// not compared: end of day leaves a loan with nothing falling due and nothing overdue untouched, its position as
// good on the new date as on the old.
import type pg from 'pg';
import { Decimal } from '../src/domain/money.js';
import { addDays } from '../src/domain/calendar.js';
import { replayLoan, type LoanAccountState } from '../src/domain/servicing/loanAccount.js';
import { loanAccountOf, loanTransactionOf, transactionsJson, type LoanRecord, type TransactionRecord } from '../src/services/servicing/loanRecords.js';
import { poolSql } from '../src/tenancy/tenantSql.js';
import type { TenantDb } from '../src/tenancy/tenantClients.js';
import { checkPositions, type PositionMismatch } from '../src/services/endOfDay/positionCheck.js';
import { perLoanLedgerMatch } from '../src/services/servicing/ledger.js';

/** What the position columns hold, as text (amounts and dates exactly as stored). */
export interface StoredPosition {
  status: string;
  daysPastDue: number;
  principalReceivable: string;
  interestReceivable: string;
  feeReceivable: string;
  penaltyReceivable: string;
  held: string;
  interestInAdvance: string;
  oldestDueDate: string | null;
  nextDueDate: string | null;
  lastDueDate: string | null;
  lastDueOwing: string;
  upcomingDueDates: string[];
  upcomingInterest: string[];
  upcomingFee: string[];
  upcomingPenalty: string[];
  upcomingOwing: string[];
}

type Expected = { [K in keyof StoredPosition]: StoredPosition[K] };

const AMOUNTS = new Set<keyof StoredPosition>(['principalReceivable', 'interestReceivable', 'feeReceivable', 'penaltyReceivable', 'held', 'interestInAdvance', 'lastDueOwing']);
const AMOUNT_LISTS = new Set<keyof StoredPosition>(['upcomingInterest', 'upcomingFee', 'upcomingPenalty', 'upcomingOwing']);

/** The position the replay says the loan has on `asOf` (the instalments due after `asOf` are the upcoming ones). */
export function positionOf(state: LoanAccountState, asOf: string): Expected {
  const sum = (a: { principal: Decimal; interest: Decimal; fee: Decimal; penalty: Decimal }) => a.principal.plus(a.interest).plus(a.fee).plus(a.penalty);
  const upcoming = state.instalments.filter((i) => i.dueDate > asOf);
  const fallen = state.instalments.filter((i) => i.dueDate <= asOf);
  const last = fallen.at(-1);
  // Days past due count from the oldest instalment still owing beyond the tolerance.
  const oldest = state.daysPastDue > 0 ? addDays(asOf, -state.daysPastDue) : null;
  const r = state.totals.receivable;
  return {
    status: state.status, daysPastDue: state.daysPastDue,
    principalReceivable: r.principal.toFixed(), interestReceivable: r.interest.toFixed(), feeReceivable: r.fee.toFixed(), penaltyReceivable: r.penalty.toFixed(),
    held: state.held.advance.plus(state.held.excess).toFixed(), interestInAdvance: state.interestInAdvance.toFixed(),
    oldestDueDate: oldest,
    nextDueDate: upcoming[0]?.dueDate ?? null,
    lastDueDate: last?.dueDate ?? null, lastDueOwing: last ? sum(last.outstanding).toFixed() : '0',
    upcomingDueDates: upcoming.map((i) => i.dueDate),
    // Not yet recognised: what each will charge when it falls due.
    upcomingInterest: upcoming.map((i) => i.charged.interest.toFixed()), upcomingFee: upcoming.map((i) => i.charged.fee.toFixed()),
    upcomingPenalty: upcoming.map((i) => i.charged.penalty.toFixed()), upcomingOwing: upcoming.map((i) => sum(i.outstanding).toFixed()),
  };
}

function same(field: keyof StoredPosition, stored: unknown, expected: unknown): boolean {
  if (AMOUNTS.has(field)) return new Decimal(stored as string).eq(expected as string);
  if (AMOUNT_LISTS.has(field)) {
    const a = stored as string[];
    const b = expected as string[];
    return a.length === b.length && a.every((v, k) => new Decimal(v).eq(b[k]!));
  }
  return JSON.stringify(stored) === JSON.stringify(expected);
}

export interface Mismatch {
  loanNumber: number;
  field: string;
  stored: unknown;
  replayed: unknown;
}

export interface CheckResult {
  asOf: string;
  loans: number;
  /** Loans whose stored position differs from the replay in some field. */
  loansOff: number;
  mismatches: Mismatch[];
  /** Fields that differ, and in how many loans. */
  byField: Record<string, number>;
  /** Loans whose journal lines do not add up to their stored balances (ledgerInvariants' rule). */
  loansOffLedger: number;
  /**
   * End of day's own oracle (src/services/endOfDay/positionCheck.ts) over the sampled loans with full history: it
   * also compares the journals per value date, which only those reproduce exactly.
   */
  engineCheck: { loans: number; mismatches: PositionMismatch[] };
  /** Sample loans overdue, and with an instalment due on `asOf`, as the replay sees them. */
  overdue: number;
  dueToday: number;
  replayMs: number;
}

/** Replays each sampled loan as of `asOf` and compares with what is stored; and its journals with its balances. */
/**
 * Replays each sampled loan as of `asOf` and compares with what is stored; and its journals with its balances.
 * `fullHistory`: the sampled loans whose journals are what the engine would have posted date by date.
 */
export async function checkSample(pool: pg.Pool, db: TenantDb, schema: string, loanIds: readonly string[], asOf: string, fullHistory: readonly string[]): Promise<CheckResult> {
  const sql = poolSql(pool, schema);
  const rows = (await sql.query<LoanRecord & StoredPosition & { number: number; transactions: TransactionRecord[] }>((s) => `
    SELECT l.id::text, l.number, l.terms, l.allocation, l.accounts, l.principal::text, l.approved_principal::text AS "approvedPrincipal",
           l.disbursement_date::text AS "disbursementDate", l.first_repayment_date::text AS "firstRepaymentDate",
           l.status, l.days_past_due AS "daysPastDue",
           l.principal_receivable::text AS "principalReceivable", l.interest_receivable::text AS "interestReceivable",
           l.fee_receivable::text AS "feeReceivable", l.penalty_receivable::text AS "penaltyReceivable", l.held::text,
           l.interest_in_advance::text AS "interestInAdvance", l.oldest_due_date::text AS "oldestDueDate",
           l.next_due_date::text AS "nextDueDate", l.last_due_date::text AS "lastDueDate", l.last_due_owing::text AS "lastDueOwing",
           -- The instalments still to fall due: the arrays from the cursor on (end of day moves the cursor, not the arrays).
           coalesce(l.upcoming_due_dates[l.next_instalment:]::text[], '{}') AS "upcomingDueDates",
           coalesce(l.upcoming_interest[l.next_instalment:]::text[], '{}') AS "upcomingInterest",
           coalesce(l.upcoming_fee[l.next_instalment:]::text[], '{}') AS "upcomingFee",
           coalesce(l.upcoming_penalty[l.next_instalment:]::text[], '{}') AS "upcomingPenalty",
           coalesce(l.upcoming_owing[l.next_instalment:]::text[], '{}') AS "upcomingOwing",
           ${transactionsJson(s, 'l')} AS transactions
      FROM ${s}.loan l WHERE l.id = ANY($1::uuid[]) ORDER BY l.number`, [loanIds])).rows;
  const mismatches: Mismatch[] = [];
  const off = new Set<number>();
  const byField: Record<string, number> = {};
  let overdue = 0;
  let dueToday = 0;
  const started = performance.now();
  for (const row of rows) {
    const state = replayLoan(loanAccountOf(row), row.transactions.map(loanTransactionOf), asOf);
    const expected = positionOf(state, asOf);
    if (state.status === 'overdue') overdue += 1;
    if (state.instalments.some((i) => i.dueDate === asOf)) dueToday += 1;
    for (const field of Object.keys(expected) as (keyof StoredPosition)[]) {
      if (!same(field, row[field], expected[field])) {
        off.add(row.number);
        byField[field] = (byField[field] ?? 0) + 1;
        mismatches.push({ loanNumber: row.number, field, stored: row[field], replayed: expected[field] });
      }
    }
  }
  const replayMs = performance.now() - started;
  if (rows.length !== loanIds.length) throw new Error(`the sample names ${loanIds.length} loans, ${rows.length} found`);
  const ledger = (await sql.query<{ off: number }>((s) => `
    SELECT count(*) FILTER (WHERE NOT matches)::int AS off FROM (${perLoanLedgerMatch(s, 'WHERE l.id = ANY($1::uuid[])')}) per_loan`, [loanIds])).rows[0]!;
  const engineCheck = { loans: fullHistory.length, mismatches: await checkPositions(db, schema, fullHistory, asOf) };
  return { asOf, loans: rows.length, loansOff: off.size, mismatches, byField, loansOffLedger: ledger.off, engineCheck, overdue, dueToday, replayMs };
}

/**
 * The loans to follow through the run: some at random, some overdue, some with an instalment falling due on the
 * run date, some with full history (one repayment per instalment). Chosen once, before the run.
 */
export async function chooseSample(pool: pg.Pool, schema: string, runDate: string, size: number, historyEvery: number): Promise<{ ids: string[]; fullHistory: string[] }> {
  const sql = poolSql(pool, schema);
  const quarter = Math.max(1, Math.round(size / 4));
  const pick = async (where: string, count: number, values: unknown[] = []) =>
    (await sql.query<{ id: string }>((s) => `SELECT id::text FROM ${s}.loan WHERE ${where} ORDER BY random() LIMIT ${count}`, values)).rows.map((r) => r.id);
  const ids = new Set<string>([
    ...(await pick('oldest_due_date IS NOT NULL', quarter)),
    ...(await pick('next_due_date = $1::date', quarter, [runDate])),
    ...(await pick('number % $1::int = 0', Math.round(quarter / 2), [historyEvery])),
  ]);
  // The rest at random: numbers drawn here, so no sort of the whole book.
  const { max } = (await sql.query<{ max: number }>((s) => `SELECT coalesce(max(number), 0) AS max FROM ${s}.loan`)).rows[0]!;
  const numbers = Array.from({ length: Math.max(0, size - ids.size) }, () => 1 + Math.floor(Math.random() * max));
  for (const { id } of (await sql.query<{ id: string }>((s) => `SELECT id::text FROM ${s}.loan WHERE number = ANY($1::int[])`, [numbers])).rows) ids.add(id);
  const fullHistory = (await sql.query<{ id: string }>((s) => `SELECT id::text FROM ${s}.loan WHERE id = ANY($1::uuid[]) AND number % $2::int = 0`, [[...ids], historyEvery])).rows.map((r) => r.id);
  return { ids: [...ids], fullHistory };
}

export function describeCheck(result: CheckResult): string {
  const fields = Object.entries(result.byField).map(([f, n]) => `${f} ${n}`).join(', ');
  return `${result.loans} loans replayed as of ${result.asOf} (${result.overdue} overdue, ${result.dueToday} with an instalment due that day; `
    + `${result.replayMs.toFixed(0)} ms of replay): ${result.loansOff} off the replay${fields ? ` (${fields})` : ''}, ${result.loansOffLedger} off their journals`
    + `; checkPositions on the ${result.engineCheck.loans} with full history: ${result.engineCheck.mismatches.length} mismatches`;
}
