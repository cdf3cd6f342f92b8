// Seeding a book of loans for `npm run bench:eod`, set-based: no loan goes through the API or the posting engine
// (a million bookings would take hours), yet every row is what the posting engine would have stored for the same
// history, so the replay — the oracle — reproduces each loan's balances and position (bench/eodCheck.ts proves it
// for a sample before and after end of day).
//
// How: a loan's schedule depends only on its terms, principal and disbursement date, so a few hundred distinct
// "shapes" are generated once in TypeScript with the domain's own `generateSchedule`, and SQL expands them into
// loans by generate_series, in chunks (100,000 loans by default) so memory stays flat. Each loan's history is one
// of two kinds, both reproduced exactly by the replay:
// - it paid every instalment on its due date, or it paid them and then stopped `u` instalments ago (overdue);
// - the money it paid is either one repayment per instalment, split into `parts` repayments on the due date
//   (loans with full history: every `historyEvery`-th loan, and every loan of the age tenants), or one repayment
//   of all of it on the last due date it paid (a borrower who caught up; the others, so that a million loans do not
//   need eighteen million transactions).
// Journals: the disbursement; per instalment paid with full history, the repayment's journal on its due date (the
// instalment's interest falling due netted with the payment, as the engine posts it); per instalment fallen due
// and unpaid, its accrual on its due date. A catch-up repayment's journal carries the interest of every instalment
// it paid straight to income on its date: per loan and account the ledger equals the balances (ledgerInvariants),
// only the dates of that interest income are summarised.
import type pg from 'pg';
import { Decimal, minorUnits } from '../src/domain/money.js';
import { addDays, addMonths } from '../src/domain/calendar.js';
import { generateSchedule } from '../src/domain/servicing/schedule.js';
import { termsFromJson, termsToJson, type LoanTerms } from '../src/domain/servicing/product.js';
import { STANDARD_MAPPING, type AccountMapping } from '../src/domain/servicing/ledger.js';
import { withTenantSql } from '../src/tenancy/tenantSql.js';

/** A product as the tenant stores it: its current version's terms and allocation, and the accounts its loans post to. */
export interface SeedProduct {
  id: string;
  code: string;
  version: number;
  terms: LoanTerms;
  allocation: unknown;
  accounts: AccountMapping;
  currency: string;
}

/** One distinct schedule: every loan of the shape has the same terms, principal, dates and instalments. */
export interface Shape {
  product: SeedProduct;
  principal: Decimal;
  tenor: number;
  disbursementDate: string;
}

interface ExpandedShape {
  shape: number;
  product_id: string;
  product_version: number;
  terms: unknown;
  allocation: unknown;
  accounts: AccountMapping;
  currency: string;
  principal: string;
  tenor: number;
  disbursement_date: string;
  due_dates: string[];
  principal_parts: string[];
  interest_parts: string[];
  fee_parts: string[];
  totals: string[];
  cum_principal: string[];
  cum_interest: string[];
  cum_total: string[];
  /** Instalments due on or before the seeding date. */
  fallen: number;
  tolerance: string;
  late_fee_grace_days: number | null;
  penalty_interest: boolean;
}

/** A product's stored terms, version and account mapping, read from the tenant (as disburseLoan reads them). */
export async function readProduct(pool: pg.Pool, schema: string, code: string): Promise<SeedProduct> {
  return withTenantSql(pool, schema, async (client) => {
    const product = (await client.query<{ id: string; currency: string; current_version: number; account_mapping: Record<string, string> }>(
      'SELECT id, currency, current_version, account_mapping FROM loan_product WHERE code = $1', [code])).rows[0];
    if (!product) throw new Error(`the tenant has no product ${code}`);
    const version = (await client.query<{ terms: unknown; allocation: unknown }>(
      'SELECT terms, allocation FROM loan_product_version WHERE product_id = $1 AND version = $2', [product.id, product.current_version])).rows[0]!;
    const chart = (await client.query<{ role: string; code: string }>('SELECT role, code FROM ledger_account WHERE role IS NOT NULL')).rows;
    // As bookLoan's accountsFor: the standard mapping, the chart's account per role, the product's own mapping.
    const accounts = { ...STANDARD_MAPPING, ...Object.fromEntries(chart.map((a) => [a.role, a.code])), ...product.account_mapping } as AccountMapping;
    return { id: product.id, code, version: product.current_version, terms: termsFromJson(version.terms), allocation: version.allocation, accounts, currency: product.currency };
  });
}

const sumUp = (values: Decimal[]) => {
  let total = new Decimal(0);
  return values.map((v) => (total = total.plus(v)).toFixed());
};

/** The shape's schedule from the domain's generator, and what has fallen due by `seedDate`. */
function expand(shape: Shape, index: number, seedDate: string): ExpandedShape {
  const terms: LoanTerms = { ...shape.product.terms, numberOfRepayments: shape.tenor };
  const schedule = generateSchedule(terms, { principal: shape.principal, disbursementDate: shape.disbursementDate });
  if (!schedule.disbursementFee.isZero() || schedule.instalments.some((i) => !i.fee.isZero())) {
    // Fees would need their own receivable and income lines in the seeded journals; the products seeded have none.
    throw new Error(`product ${shape.product.code} charges fees: the seeding writes no fee journals`);
  }
  if (terms.feesOnDates?.length || terms.lateFee || (terms.penaltyRatePercent ?? new Decimal(0)).gt(0)) {
    throw new Error(`product ${shape.product.code} has charges by rule: the seeded histories would not replay to the seeded balances`);
  }
  const instalments = schedule.instalments;
  const fallen = instalments.filter((i) => i.dueDate <= seedDate).length;
  return {
    shape: index, product_id: shape.product.id, product_version: shape.product.version, terms: termsToJson(terms), allocation: shape.product.allocation,
    accounts: shape.product.accounts, currency: shape.product.currency, principal: schedule.financedPrincipal.toFixed(), tenor: shape.tenor,
    disbursement_date: shape.disbursementDate, due_dates: instalments.map((i) => i.dueDate),
    principal_parts: instalments.map((i) => i.principal.toFixed()), interest_parts: instalments.map((i) => i.interest.toFixed()),
    fee_parts: instalments.map((i) => i.fee.toFixed()), totals: instalments.map((i) => i.total.toFixed()),
    cum_principal: sumUp(instalments.map((i) => i.principal)), cum_interest: sumUp(instalments.map((i) => i.interest)), cum_total: sumUp(instalments.map((i) => i.total)),
    fallen, tolerance: (terms.underpaymentTolerance ?? new Decimal(0)).toFixed(), late_fee_grace_days: null, // no late fee: refused above
    penalty_interest: (terms.penaltyRatePercent ?? new Decimal(0)).gt(0),
  };
}

/** A small deterministic generator (mulberry32): the same book every run. */
export function randomSource(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The main book's shapes: tenors 12–60 months, a spread of principals, disbursed 1 to tenor−1 months before the
 * run date and 0–29 days earlier still, so about one loan in thirty has an instalment due on the run date (the
 * shapes with no day offset) and none has matured.
 */
export function bookShapes(count: number, products: SeedProduct[], runDate: string, seedDate: string): Shape[] {
  const random = randomSource(20261204);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const tenors = [12, 18, 24, 36, 48, 60];
  const principals: Record<string, string[]> = { 'PL-STD': ['2000', '5000', '8000', '12000', '20000', '35000'], 'AUTO-NEW': ['15000', '25000', '40000', '60000'] };
  const shapes: Shape[] = [];
  for (let i = 0; i < count; i += 1) {
    const product = products[i % 5 === 4 && products.length > 1 ? 1 : 0]!;
    const tenor = pick(tenors);
    const months = 1 + Math.floor(random() * (tenor - 1));
    const offset = i % 30;
    const disbursementDate = addDays(addMonths(runDate, -months), -offset);
    if (disbursementDate >= seedDate) continue;
    shapes.push({ product, principal: new Decimal(pick(principals[product.code] ?? ['10000'])), tenor, disbursementDate });
  }
  return shapes;
}

export interface SeedOptions {
  schema: string;
  /** The tenant's business date: the date the stored positions are as of. */
  seedDate: string;
  shapes: Shape[];
  loans: number;
  /** Loans per chunk (one transaction each). */
  chunk: number;
  /** Chunks written at once, each on its own connection. */
  workers: number;
  /** Loans in a thousand that stopped paying (then 1–7 instalments unpaid, at most what has fallen due). */
  overduePerMille: number;
  /** Every Nth loan has one repayment per instalment; the rest one catch-up repayment. 1: all of them. */
  historyEvery: number;
  /** Repayments each paid instalment is split into, on its due date, in loans with full history. */
  parts: number;
  /**
   * Write without the database's per-row foreign-key checks and per-statement journal balance check (needs a
   * superuser, as the embedded server's is); `verifyBook` then checks the same over the whole book.
   */
  bulkLoad: boolean;
  /** Borrowers per loan: fewer borrowers than loans, so some hold several. */
  partiesPerLoan: number;
  now: Date;
  say?: (text: string) => void;
}

export interface SeedReport {
  loans: number;
  parties: number;
  transactions: number;
  journals: number;
  lines: number;
  seconds: number;
  /** Seconds per phase, summed over the chunks (so over the workers too). */
  phases: Record<string, number>;
}

/** Writes `loans` loans, their borrowers, transactions and journals into the tenant's schema, chunk by chunk. */
export async function seedBook(pool: pg.Pool, options: SeedOptions): Promise<SeedReport> {
  const started = performance.now();
  const shapes = options.shapes.map((shape, index) => expand(shape, index, options.seedDate));
  const currencies = new Set(shapes.map((s) => s.currency));
  if (currencies.size !== 1) throw new Error('the seeded book is in one currency');
  const places = minorUnits([...currencies][0]!);
  const accounts = shapes[0]!.accounts;
  for (const s of shapes) {
    for (const role of ['cash', 'principalReceivable', 'interestReceivable', 'interestIncome'] as const) {
      if (s.accounts[role] !== accounts[role]) throw new Error('the seeded products post to the same accounts');
    }
  }
  const parties = Math.max(1, Math.ceil(options.loans * options.partiesPerLoan));
  const phases: Record<string, number> = {};
  const timed = async <T>(phase: string, work: () => Promise<T>): Promise<T> => {
    const at = performance.now();
    const result = await work();
    phases[phase] = (phases[phase] ?? 0) + (performance.now() - at) / 1000;
    return result;
  };
  const counts = { transactions: 0, journals: 0, lines: 0 };
  const now = options.now.toISOString();

  for (let lo = 1; lo <= parties; lo += options.chunk) {
    const hi = Math.min(parties, lo + options.chunk - 1);
    await timed('parties', () => withTenantSql(pool, options.schema, (client) => client.query(
      `INSERT INTO party (id, kind, legal_name, created_at, updated_at)
       SELECT md5('bench-party-' || i)::uuid, 'PERSON', 'Bench borrower ' || i, $3::timestamptz, $3::timestamptz
         FROM generate_series($1::int, $2::int) i`, [lo, hi, now])));
  }

  // Accounts in code order: a journal's lines are numbered in that order, as journalsToPost numbers them.
  const roles = (['cash', 'principalReceivable', 'interestReceivable', 'interestIncome'] as const)
    .map((role) => ({ role, code: accounts[role] })).sort((a, b) => a.code.localeCompare(b.code));

  const chunks: [number, number][] = [];
  for (let lo = 1; lo <= options.loans; lo += options.chunk) chunks.push([lo, Math.min(options.loans, lo + options.chunk - 1)]);
  const seedChunk = (lo: number, hi: number) => withTenantSql(pool, options.schema, async (client) => {
    await client.query(`SET LOCAL work_mem = '256MB'`);
    // As pg_restore --disable-triggers does for a bulk load: no per-row foreign-key checks nor the per-statement
    // balance check while writing rows made consistent by construction; `verifyBook` checks both afterwards.
    if (options.bulkLoad) await client.query(`SET LOCAL session_replication_role = replica`);
    await timed('plan', async () => {
      await client.query(
        `CREATE TEMP TABLE bench_shape ON COMMIT DROP AS
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS s(shape int, product_id uuid, product_version int, terms jsonb, allocation jsonb,
                accounts jsonb, currency text, principal numeric, tenor int, disbursement_date date, due_dates date[], principal_parts numeric[],
                interest_parts numeric[], fee_parts numeric[], totals numeric[], cum_principal numeric[], cum_interest numeric[], cum_total numeric[],
                fallen int, tolerance numeric, late_fee_grace_days int, penalty_interest boolean)`, [JSON.stringify(shapes)]);
      // Each loan: its shape, how many instalments it left unpaid (u), whether it has full history, its borrower.
      // paid = fallen − u; the oldest unpaid instalment is paid + 1, overdue once its due date is before the seeding date.
      await client.query(
        `CREATE TEMP TABLE bench_plan ON COMMIT DROP AS
         WITH base AS (
           SELECT j AS number, (j % $3::int) AS shape,
                  (hashtext('overdue-' || j)::bigint + 2147483648) % 1000 AS h_overdue,
                  (hashtext('unpaid-' || j)::bigint + 2147483648) % 7 AS h_unpaid,
                  1 + (hashtext('party-' || j)::bigint + 2147483648) % $4::bigint AS party
             FROM generate_series($1::int, $2::int) j
         ), planned AS (
           SELECT b.number, md5('bench-loan-' || b.number)::uuid AS id, b.shape, s.fallen,
                  least(s.fallen, CASE WHEN b.h_overdue < $5::int THEN 1 + b.h_unpaid ELSE 0 END)::int AS unpaid,
                  (b.number % $6::int = 0) AS history, md5('bench-party-' || b.party)::uuid AS party_id
             FROM base b JOIN bench_shape s USING (shape)
         )
         SELECT p.*, p.fallen - p.unpaid AS paid,
                CASE WHEN p.unpaid > 0 AND s.due_dates[p.fallen - p.unpaid + 1] < $7::date THEN s.due_dates[p.fallen - p.unpaid + 1] END AS oldest_due
           FROM planned p JOIN bench_shape s USING (shape)`,
        [lo, hi, shapes.length, parties, options.overduePerMille, options.historyEvery, options.seedDate]);
    });
    await timed('loans', () => client.query(
      `INSERT INTO loan (id, number, product_id, product_version, terms, allocation, accounts, currency, principal, approved_principal,
              disbursement_date, borrower_party_id, status, as_of, days_past_due,
              principal_receivable, interest_receivable, fee_receivable, penalty_receivable, held, interest_in_advance,
              oldest_due_date, upcoming_due_dates, upcoming_interest, upcoming_fee, upcoming_penalty, upcoming_owing,
              next_instalment, next_due_date, last_due_date, last_due_owing, tolerance, late_fee_grace_days, penalty_interest, replay_on,
              transaction_count, created_by, created_at, updated_at)
       SELECT p.id, p.number, s.product_id, s.product_version, s.terms, s.allocation, s.accounts, s.currency, s.principal, s.principal,
              s.disbursement_date, p.party_id, CASE WHEN p.oldest_due IS NULL THEN 'active' ELSE 'overdue' END, $1::date,
              coalesce($1::date - p.oldest_due, 0),
              s.principal - coalesce(s.cum_principal[p.paid], 0),
              coalesce(s.cum_interest[p.fallen], 0) - coalesce(s.cum_interest[p.paid], 0), 0, 0, 0, 0,
              p.oldest_due,
              -- The position: the instalments not yet fallen due (fallen + 1 .. tenor), in order.
              s.due_dates[p.fallen + 1 : s.tenor], s.interest_parts[p.fallen + 1 : s.tenor], s.fee_parts[p.fallen + 1 : s.tenor],
              array_fill(0::numeric, ARRAY[s.tenor - p.fallen]), s.totals[p.fallen + 1 : s.tenor],
              -- next_instalment is the cursor into those arrays (end of day moves it on as instalments fall due).
              1, s.due_dates[p.fallen + 1], s.due_dates[p.fallen],
              CASE WHEN p.unpaid > 0 THEN s.totals[p.fallen] ELSE 0 END,
              s.tolerance, s.late_fee_grace_days, s.penalty_interest, NULL,
              CASE WHEN p.history THEN p.paid * $2::int WHEN p.paid > 0 THEN 1 ELSE 0 END,
              'bench-seed', $3::timestamptz, $3::timestamptz
         FROM bench_plan p JOIN bench_shape s USING (shape)`, [options.seedDate, options.parts, now]));
    const transactions = await timed('transactions', async () => {
      // A catch-up repayment of every instalment it paid, on the last due date it paid.
      const lump = await client.query(
        `INSERT INTO loan_transaction (id, loan_id, seq, kind, value_date, amount, channel, entered_by, entered_at)
         SELECT md5('bench-tx-' || p.number)::uuid, p.id, 1, 'repayment', s.due_dates[p.paid], s.cum_total[p.paid], 'bench', 'bench-seed', $1::timestamptz
           FROM bench_plan p JOIN bench_shape s USING (shape) WHERE NOT p.history AND p.paid > 0`, [now]);
      // Full history: each paid instalment in `parts` repayments on its due date, the last taking the remainder.
      const full = await client.query(
        `INSERT INTO loan_transaction (id, loan_id, seq, kind, value_date, amount, channel, entered_by, entered_at)
         SELECT md5('bench-tx-' || p.number || '-' || i || '-' || q)::uuid, p.id, (i - 1) * $2::int + q, 'repayment', s.due_dates[i],
                CASE WHEN q < $2::int THEN trunc(s.totals[i] / $2::int, $3::int) ELSE s.totals[i] - ($2::int - 1) * trunc(s.totals[i] / $2::int, $3::int) END,
                'bench', 'bench-seed', $1::timestamptz
           FROM bench_plan p JOIN bench_shape s USING (shape)
           CROSS JOIN LATERAL generate_series(1, p.paid) i CROSS JOIN LATERAL generate_series(1, $2::int) q
          WHERE p.history`, [now, options.parts, places]);
      return (lump.rowCount ?? 0) + (full.rowCount ?? 0);
    });
    const journals = await timed('journals', async () => {
      // Each journal as the nets it posts per account role (debit positive), then written as journal + lines.
      await client.query(
        `CREATE TEMP TABLE bench_journal ON COMMIT DROP AS
         SELECT md5('bench-j-' || p.number || '-d')::uuid AS id, p.id AS loan_id, NULL::uuid AS transaction_id, 'disbursement' AS kind,
                s.disbursement_date AS value_date, 'Disbursement' AS narrative,
                -s.principal AS cash, s.principal AS principal_receivable, 0::numeric AS interest_receivable, 0::numeric AS interest_income
           FROM bench_plan p JOIN bench_shape s USING (shape)
         UNION ALL
         SELECT md5('bench-j-' || p.number || '-c')::uuid, p.id, md5('bench-tx-' || p.number)::uuid, 'posting', s.due_dates[p.paid], 'Repayment',
                s.cum_total[p.paid], -s.cum_principal[p.paid], 0, -s.cum_interest[p.paid]
           FROM bench_plan p JOIN bench_shape s USING (shape) WHERE NOT p.history AND p.paid > 0
         UNION ALL
         SELECT md5('bench-j-' || p.number || '-h-' || i)::uuid, p.id, md5('bench-tx-' || p.number || '-' || i || '-1')::uuid, 'posting', s.due_dates[i],
                'Repayment', s.totals[i], -s.principal_parts[i], 0, -s.interest_parts[i]
           FROM bench_plan p JOIN bench_shape s USING (shape) CROSS JOIN LATERAL generate_series(1, p.paid) i WHERE p.history
         UNION ALL
         SELECT md5('bench-j-' || p.number || '-a-' || i)::uuid, p.id, NULL, 'accrual', s.due_dates[i], 'Instalments falling due',
                0, 0, s.interest_parts[i], -s.interest_parts[i]
           FROM bench_plan p JOIN bench_shape s USING (shape) CROSS JOIN LATERAL generate_series(p.paid + 1, p.fallen) i`);
      const written = await client.query(
        `INSERT INTO journal (id, loan_id, transaction_id, kind, currency, value_date, narrative, posted_by, posted_at)
         SELECT j.id, j.loan_id, j.transaction_id, j.kind, $1, j.value_date, j.narrative, 'bench-seed', $2::timestamptz
           FROM bench_journal j`, [[...currencies][0], now]);
      return written.rowCount ?? 0;
    });
    const lines = await timed('lines', async () => {
      // A line's number is 1 + the lines before it in code order that carry an amount: no sort of the lines.
      const column = { cash: 'cash', principalReceivable: 'principal_receivable', interestReceivable: 'interest_receivable', interestIncome: 'interest_income' } as const;
      const rows = roles.map(({ role }, k) => {
        const before = roles.slice(0, k).map((r) => `(j.${column[r.role]} <> 0)::int`).join(' + ');
        return `(1${before ? ` + ${before}` : ''}, $${k + 1}, j.${column[role]})`;
      });
      const written = await client.query(
        `INSERT INTO journal_line (journal_id, line, account, debit, credit, loan_id, currency, value_date)
         SELECT j.id, a.line, a.account, greatest(a.net, 0), greatest(-a.net, 0), j.loan_id, $5, j.value_date
           FROM bench_journal j CROSS JOIN LATERAL (VALUES ${rows.join(', ')}) AS a(line, account, net)
          WHERE a.net <> 0`,
        [...roles.map((r) => r.code), [...currencies][0]]);
      return written.rowCount ?? 0;
    });
    counts.transactions += transactions;
    counts.journals += journals;
    counts.lines += lines;
    options.say?.(`  seeded loans ${lo.toLocaleString('en-US')}–${hi.toLocaleString('en-US')} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    });
  // Chunks on `workers` connections at once (PostgreSQL does the work: one core each).
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(options.workers, chunks.length) }, async () => {
    while (next < chunks.length) {
      const [lo, hi] = chunks[next++]!;
      await seedChunk(lo, hi);
    }
  }));
  await timed('finish', () => withTenantSql(pool, options.schema, (client) => client.query(
    `SELECT setval('loan_number', (SELECT coalesce(max(number), 0) + 1 FROM loan), false)`)));
  return { loans: options.loans, parties, ...counts, seconds: (performance.now() - started) / 1000, phases };
}

export interface BookVerification {
  unbalancedJournals: number;
  linesWithoutJournal: number;
  journalsWithoutLoan: number;
  journalsWithoutTransaction: number;
  transactionsWithoutLoan: number;
  loansWithoutBorrower: number;
  linesOnUnknownAccounts: number;
  seconds: number;
}

/** What the skipped checks would have refused, counted over the whole book: every count must be 0. */
export async function verifyBook(pool: pg.Pool, schema: string): Promise<BookVerification> {
  const started = performance.now();
  const row = await withTenantSql(pool, schema, async (client) => {
    await client.query(`SET LOCAL work_mem = '256MB'`);
    return (await client.query<Omit<BookVerification, 'seconds'>>(`
      SELECT
        (SELECT count(*) FROM (SELECT journal_id FROM journal_line GROUP BY journal_id, currency HAVING sum(debit) <> sum(credit)) u)::int AS "unbalancedJournals",
        (SELECT count(*) FROM journal_line jl WHERE NOT EXISTS (SELECT 1 FROM journal j WHERE j.id = jl.journal_id))::int AS "linesWithoutJournal",
        (SELECT count(*) FROM journal j WHERE j.loan_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM loan l WHERE l.id = j.loan_id))::int AS "journalsWithoutLoan",
        (SELECT count(*) FROM journal j WHERE j.transaction_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM loan_transaction t WHERE t.id = j.transaction_id))::int AS "journalsWithoutTransaction",
        (SELECT count(*) FROM loan_transaction t WHERE NOT EXISTS (SELECT 1 FROM loan l WHERE l.id = t.loan_id))::int AS "transactionsWithoutLoan",
        (SELECT count(*) FROM loan l WHERE l.borrower_party_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM party p WHERE p.id = l.borrower_party_id))::int AS "loansWithoutBorrower",
        (SELECT count(*) FROM journal_line jl WHERE NOT EXISTS (SELECT 1 FROM ledger_account a WHERE a.code = jl.account))::int AS "linesOnUnknownAccounts"`)).rows[0]!;
  });
  return { ...row, seconds: (performance.now() - started) / 1000 };
}
