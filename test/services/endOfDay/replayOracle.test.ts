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

async function seedProducts(schema: string) {
  const sql = tenantSql(runtime.tenantClients.forSchema(schema), schema);
  for (const p of PRODUCTS) {
    const id = randomUUID();
    const terms = loanTerms({ currency: 'USD', ...p.terms } as LoanTermsInput);
    await sql.execute((s) => `INSERT INTO ${s}.loan_product (id, code, name, currency, min_amount, max_amount, min_tenor_months, max_tenor_months, annual_rate, current_version)
      VALUES ($1::uuid, $2, $2, 'USD', 100, 100000, 1, 60, $3::numeric, 1)`, id, p.code, new Decimal(p.terms.annualRatePercent).div(100).toFixed(6));
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
  expect({ ...invariants, loans: 0, journals: 0 }).toEqual({ unbalancedJournals: 0, loansOffLedger: 0, controlAccountsOff: 0, negativeBalances: 0, loans: 0, journals: 0 });
}

/** Across all runs: loans moved by statement and loans replayed, so the test shows both paths were taken. */
const paths = { advancePositions: 0, replayLoans: 0 };

describe('end of day and the replay', () => {
  it('leaves every loan as a replay from scratch leaves it, day after day', { timeout: 600_000 }, async () => {
    await fc.assert(fc.asyncProperty(fc.array(dayArbitrary, { minLength: 8, maxLength: 14 }), async (days) => {
      const slug = uniqueSlug('eod-oracle');
      const tenant = await createTenant(runtime, slug, { businessDate: START });
      await seedProducts(tenant.schemaName);
      const db = runtime.tenantClients.forSchema(tenant.schemaName);
      const command = () => ({ tenant: slug, now: runtime.now(), actor: { subject: 'officer', roles: [], partner: null, clientId: null, requestId: randomUUID() } });
      const loans: string[] = [];
      const repayments: { loanId: string; id: string }[] = [];
      let date = START;
      for (const day of days) {
        if (day.book || loans.length === 0) {
          const { product, principal } = day.book ?? { product: 0, principal: 1000 };
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
        const target = addDays(date, day.days);
        const outcomes = await runEndOfDay(runtime, slug, { to: target, startedBy: 'test', batchSize: { positions: 2, replays: 2 } });
        expect(outcomes.map((o) => o.businessDate)).toEqual(Array.from({ length: day.days }, (_, k) => addDays(date, k + 1)));
        for (const o of outcomes) for (const step of o.steps) if (step.step in paths) paths[step.step as keyof typeof paths] += step.rows;
        date = target;
        await check(tenant.schemaName, loans, date);
      }
    }), { numRuns: Number(process.env["ORACLE_RUNS"] ?? 4), endOnFailure: true });
    expect(paths.advancePositions).toBeGreaterThan(0);
    expect(paths.replayLoans).toBeGreaterThan(0);
  });
});
