// End of day against its oracle: random books (loans on products with late fees, penalty interest, fees on dates,
// per-instalment fees, tolerance and held money), random end-of-day runs, payments on the day and backdated,
// and reversals. After every run each loan's stored position (balances, days past due, overdue date, what falls
// due next) and its posted journals (per value date and account) equal a replay from scratch as of the date,
// and the ledger's invariants hold.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Decimal } from '../../../src/domain/money.js';
import { addDays } from '../../../src/domain/calendar.js';
import { loanTerms, termsToJson, type LoanTermsInput } from '../../../src/domain/servicing/product.js';
import { PENALTIES_FEES_INTEREST_PRINCIPAL, PENALTIES_FEES_INTEREST_PRINCIPAL_HOLD_ADVANCE } from '../../../src/domain/servicing/allocation.js';
import type { Runtime } from '../../../src/runtime.js';
import { disburseLoan, postLoanTransaction } from '../../../src/services/servicing/loans.js';
import { ledgerInvariants } from '../../../src/services/servicing/ledger.js';
import { runEndOfDay } from '../../../src/services/endOfDay/run.js';
import { checkPositions } from '../../../src/services/endOfDay/positionCheck.js';
import { tenantSql } from '../../../src/tenancy/tenantSql.js';
import { classify, type ClassState } from '../../../src/domain/servicing/classification.js';
import { bucketOf } from '../../../src/domain/servicing/delinquencyBuckets.js';
import { exposureOf, provisionFor } from '../../../src/domain/servicing/provisioning.js';
import { suspenseFor } from '../../../src/domain/servicing/classification.js';
import { delinquencyPolicyOf, type DelinquencyPolicy } from '../../../src/services/servicing/delinquencyPolicy.js';
import { replayLoan } from '../../../src/domain/servicing/loanAccount.js';
import { loanAccountOf, loanTransactionOf, transactionsJson, type LoanRecord, type TransactionRecord } from '../../../src/services/servicing/loanRecords.js';
import { createTenant, openTestRuntime, uniqueSlug } from '../../support/harness.js';

let runtime: Runtime;
beforeAll(async () => {
  runtime = await openTestRuntime();
});
afterAll(async () => {
  await runtime.close();
});

const START = '2026-01-05';

/** Products whose terms make end of day do something different: each a reason to replay, or not. */
const PRODUCTS: { code: string; terms: Omit<LoanTermsInput, 'currency'>; holdAdvance?: boolean }[] = [
  { code: 'PLAIN', terms: { annualRatePercent: '14.9', numberOfRepayments: 6 } },
  { code: 'LATEFEE', terms: { annualRatePercent: '12', numberOfRepayments: 6, lateFee: { kind: 'fixed', amount: '15', graceDays: 3 }, underpaymentTolerance: '2' } },
  { code: 'PENALTY', terms: { annualRatePercent: '18', numberOfRepayments: 4, penaltyRatePercent: '24' } },
  { code: 'WEEKLY', terms: { annualRatePercent: '20', numberOfRepayments: 8, repaymentEvery: { every: 1, unit: 'weeks' }, fees: { perInstalment: '3' } } },
  { code: 'ONDATES', terms: { annualRatePercent: '10', numberOfRepayments: 5, feesOnDates: [{ date: '2026-02-20', amount: '40', name: 'Annual fee' }] } },
  { code: 'ADVANCE', terms: { annualRatePercent: '16', numberOfRepayments: 5 }, holdAdvance: true },
];

async function seedProducts(schema: string, currency: string) {
  const sql = tenantSql(runtime.tenantClients.forSchema(schema), schema);
  for (const p of PRODUCTS) {
    const id = randomUUID();
    const terms = loanTerms({ currency, ...p.terms } as LoanTermsInput);
    await sql.execute((s) => `INSERT INTO ${s}.loan_product (id, code, name, currency, min_amount, max_amount, min_tenor_months, max_tenor_months, annual_rate, current_version)
      VALUES ($1::uuid, $2, $2, $4, 100, 100000, 1, 60, $3::numeric, 1)`, id, p.code, new Decimal(p.terms.annualRatePercent).div(100).toFixed(6), currency);
    await sql.execute((s) => `INSERT INTO ${s}.loan_product_version (product_id, version, terms, allocation, created_by, created_at)
      VALUES ($1::uuid, 1, $2::jsonb, $3::jsonb, 'test', now())`, id, JSON.stringify(termsToJson(terms)),
    JSON.stringify(p.holdAdvance ? PENALTIES_FEES_INTEREST_PRINCIPAL_HOLD_ADVANCE : PENALTIES_FEES_INTEREST_PRINCIPAL));
  }
}

/** What happens on one business day before its end of day. */
const dayArbitrary = fc.record({
  book: fc.option(fc.record({ product: fc.integer({ min: 0, max: PRODUCTS.length - 1 }), principal: fc.integer({ min: 500, max: 5000 }) }), { freq: 3 }),
  payments: fc.array(fc.record({ loan: fc.nat(), amount: fc.integer({ min: 1, max: 1200 }), backdate: fc.integer({ min: 0, max: 12 }) }), { maxLength: 3 }),
  reverse: fc.option(fc.nat(), { freq: 6 }),
  days: fc.integer({ min: 1, max: 9 }),
});

async function check(schema: string, loans: string[], asOf: string) {
  const db = runtime.tenantClients.forSchema(schema);
  expect(await checkPositions(db, schema, loans, asOf)).toEqual([]);
  const invariants = await ledgerInvariants(db, schema);
  expect({ ...invariants, loans: 0, journals: 0 }).toEqual({ unbalancedJournals: 0, loansOffLedger: 0, controlAccountsOff: 0, negativeBalances: 0, participationsOffLedger: 0, coLenderPayablesOff: 0, loans: 0, journals: 0 });
}

interface Classified {
  id: string; status: string; days_past_due: number; delinquency_bucket: string | null; own_class: string; asset_class: string; npa_since: string | null;
  principal_receivable: string; interest_receivable: string; fee_receivable: string; penalty_receivable: string; interest_suspense: string; provision: string; currency: string;
}

/**
 * The classification's oracle: each open loan's class folded day by day by the pure calculator from the days past
 * due the replay gives (checked equal just before), its bucket, and suspense and provision from the domain's rules.
 */
/** Days past due of every open loan as of each of `dates`, from a replay of what the books hold now. */
async function replayedDaysPastDue(schema: string, dates: string[]): Promise<Map<string, number>[]> {
  const rows = await tenantSql(runtime.tenantClients.forSchema(schema), schema).query<(LoanRecord & { status: string; transactions: TransactionRecord[] })[]>((s) => `
    SELECT l.id::text, l.terms, l.allocation, l.accounts, l.principal::text, l.approved_principal::text AS "approvedPrincipal", l.status,
           l.disbursement_date::text AS "disbursementDate", l.first_repayment_date::text AS "firstRepaymentDate",
           ${transactionsJson(s, 'l')} AS transactions
      FROM ${s}.loan l`);
  return dates.map((date) => new Map(rows.filter((r) => r.disbursementDate <= date).map((r) => {
    const state = replayLoan(loanAccountOf(r), r.transactions.map(loanTransactionOf), date);
    return [r.id, state.status === 'closed' ? -1 : state.daysPastDue];
  })));
}

async function checkClassification(schema: string, policy: DelinquencyPolicy, expected: Map<string, ClassState>, asOf: string, skipped: string[]) {
  // Dates a catch-up ran through without a look: fold them from the replay as of each.
  for (const [k, byLoan] of (await replayedDaysPastDue(schema, skipped)).entries()) {
    for (const [id, dpd] of byLoan) {
      if (dpd < 0) continue;
      expected.set(id, classify(policy, expected.get(id) ?? { ownClass: 'STANDARD', npaSince: null, classSince: null }, { daysPastDue: dpd }, skipped[k]!));
    }
  }
  const rows = await tenantSql(runtime.tenantClients.forSchema(schema), schema).query<Classified[]>((s) => `
    SELECT id::text, status, days_past_due, delinquency_bucket, own_class, asset_class, npa_since::text, principal_receivable::text, interest_receivable::text,
           fee_receivable::text, penalty_receivable::text, interest_suspense::text, provision::text, currency FROM ${s}.loan`);
  for (const loan of rows) {
    if (loan.status !== 'active' && loan.status !== 'overdue') continue;
    const before = expected.get(loan.id) ?? { ownClass: 'STANDARD', npaSince: null, classSince: null };
    const now = classify(policy, before, { daysPastDue: loan.days_past_due }, asOf);
    expected.set(loan.id, now);
    const suspense = suspenseFor(policy, now.ownClass, new Decimal(loan.interest_receivable), loan.days_past_due);
    const exposure = exposureOf({
      principalReceivable: new Decimal(loan.principal_receivable), interestReceivable: new Decimal(loan.interest_receivable),
      feeReceivable: new Decimal(loan.fee_receivable), penaltyReceivable: new Decimal(loan.penalty_receivable), interestSuspense: suspense,
    });
    expect({ loan: loan.id, asOf, bucket: loan.delinquency_bucket, own: loan.own_class, carried: loan.asset_class, npaSince: loan.npa_since, suspense: loan.interest_suspense, provision: loan.provision })
      .toEqual({
        loan: loan.id, asOf, bucket: bucketOf(policy.buckets, loan.days_past_due), own: now.ownClass, carried: now.ownClass, npaSince: now.npaSince,
        suspense: suspense.toFixed(4), provision: provisionFor(policy.provisions, now.ownClass, exposure, loan.currency).toFixed(4),
      });
  }
}

/** Across all runs: loans moved by statement and loans replayed, so the test shows both paths were taken. */
const paths = { advancePositions: 0, replayLoans: 0 };

describe('end of day and the replay', () => {
  it('leaves every loan as a replay from scratch leaves it, day after day', { timeout: 600_000 }, async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom('USD', 'INR'), fc.array(dayArbitrary, { minLength: 8, maxLength: 14 }), async (currency, days) => {
      const slug = uniqueSlug('eod-oracle');
      // INR lenders classify by RBI's IRAC by default, others by the US charge-off policy.
      const tenant = await createTenant(runtime, slug, { businessDate: START, currency });
      await seedProducts(tenant.schemaName, currency);
      const policy = await delinquencyPolicyOf(runtime.tenantClients.forSchema(tenant.schemaName), currency);
      const classes = new Map<string, ClassState>();
      const db = runtime.tenantClients.forSchema(tenant.schemaName);
      const command = () => ({ tenant: slug, now: runtime.now(), actor: { subject: 'officer', roles: [], partner: null, clientId: null, requestId: randomUUID() } });
      const loans: string[] = [];
      const repayments: { loanId: string; id: string }[] = [];
      let date = START;
      for (const day of days) {
        if (day.book || loans.length === 0) {
          const { principal } = day.book ?? { principal: 1000 };
          // A product whose fee falls on a fixed date cannot book a loan after that date (booking refuses it).
          const product = day.book && !(PRODUCTS[day.book.product]!.terms.feesOnDates?.some((f) => f.date < date)) ? day.book.product : 0;
          const { loanId } = await disburseLoan(db, command(), date, { productCode: PRODUCTS[product]!.code, principal: new Decimal(principal), disbursementDate: date });
          loans.push(loanId);
        }
        for (const p of day.payments) {
          const loanId = loans[p.loan % loans.length]!;
          const valueDate = addDays(date, -p.backdate);
          const [loan] = await tenantSql(db, tenant.schemaName).query<{ d: string; status: string }[]>((s) => `SELECT disbursement_date::text AS d, status FROM ${s}.loan WHERE id = $1::uuid`, loanId);
          if (loan!.status === 'closed' || valueDate < loan!.d) continue;
          const { transactionId } = await postLoanTransaction(db, command(), date, { loanId, kind: 'repayment', valueDate, amount: new Decimal(p.amount), channel: 'test' });
          repayments.push({ loanId, id: transactionId });
        }
        if (day.reverse !== null && repayments.length > 0) {
          const target = repayments.splice(day.reverse % repayments.length, 1)[0]!;
          await postLoanTransaction(db, command(), date, { loanId: target.loanId, kind: 'reversal', valueDate: date, reverses: target.id }).catch((error: Error) => {
            // A reversal the replay refuses (it would undo money since refunded) is the caller's problem, not end of day's.
            if (!/refund|reverse/i.test(error.message)) throw error;
          });
        }
        await check(tenant.schemaName, loans, date);
        // Some days one run at a time (the classification's oracle folds day by day), others caught up in one call.
        const oneByOne = day.days % 2 === 1;
        const target = addDays(date, day.days);
        for (let next = addDays(date, oneByOne ? 1 : day.days); ; next = addDays(next, 1)) {
          const outcomes = await runEndOfDay(runtime, slug, { to: next, startedBy: 'test', batchSize: { positions: 2, replays: 2 } });
          expect(outcomes.at(-1)!.businessDate).toBe(next);
          for (const o of outcomes) for (const step of o.steps) if (step.step in paths) paths[step.step as keyof typeof paths] += step.rows;
          await check(tenant.schemaName, loans, next);
          await checkClassification(tenant.schemaName, policy, classes, next, oneByOne ? [] : Array.from({ length: day.days - 1 }, (_, k) => addDays(date, k + 1)));
          if (next >= target) break;
        }
        date = target;
      }
    }), { numRuns: Number(process.env["ORACLE_RUNS"] ?? 4), endOnFailure: true });
    expect(paths.advancePositions).toBeGreaterThan(0);
    expect(paths.replayLoans).toBeGreaterThan(0);
  });
});
