// A book end of day has work in on most days, seeded the same way into any tenant: products whose terms make end
// of day replay (late fees, penalty interest, a fee on a date, per-instalment fees, held advances) or move
// positions by statement, loans booked in a fixed order on fixed dates (some long enough ago to be overdue on
// the first day), and payments. Two tenants seeded with it hold the same book, loan by loan number.
import { randomUUID } from 'node:crypto';
import { Decimal } from '../../src/domain/money.js';
import { addDays } from '../../src/domain/calendar.js';
import { loanTerms, termsToJson, type LoanTermsInput } from '../../src/domain/servicing/product.js';
import { PENALTIES_FEES_INTEREST_PRINCIPAL, PENALTIES_FEES_INTEREST_PRINCIPAL_HOLD_ADVANCE } from '../../src/domain/servicing/allocation.js';
import type { Runtime } from '../../src/runtime.js';
import { disburseLoan, postLoanTransaction } from '../../src/services/servicing/loans.js';
import { tenantSql } from '../../src/tenancy/tenantSql.js';

export const BOOK_START = '2026-01-05';

const PRODUCTS: { code: string; terms: Omit<LoanTermsInput, 'currency'>; holdAdvance?: boolean }[] = [
  { code: 'PLAIN', terms: { annualRatePercent: '14.9', numberOfRepayments: 6 } },
  { code: 'LATEFEE', terms: { annualRatePercent: '12', numberOfRepayments: 6, lateFee: { kind: 'fixed', amount: '15', graceDays: 3 }, underpaymentTolerance: '2' } },
  { code: 'PENALTY', terms: { annualRatePercent: '18', numberOfRepayments: 4, penaltyRatePercent: '24' } },
  { code: 'WEEKLY', terms: { annualRatePercent: '20', numberOfRepayments: 8, repaymentEvery: { every: 1, unit: 'weeks' }, fees: { perInstalment: '3' } } },
  { code: 'ONDATES', terms: { annualRatePercent: '10', numberOfRepayments: 5, feesOnDates: [{ date: '2026-01-25', amount: '40', name: 'Annual fee' }] } },
  { code: 'ADVANCE', terms: { annualRatePercent: '16', numberOfRepayments: 5 }, holdAdvance: true },
];

export const BOOK_LOANS = 30;

function command(slug: string) {
  return { tenant: slug, now: new Date(), actor: { subject: 'officer', roles: [], partner: null, clientId: null, requestId: randomUUID() } };
}

/** Products and 30 loans booked in order on `BOOK_START` (disbursed on it or up to 7 weeks before), some paid. */
export async function seedBook(runtime: Runtime, slug: string, schema: string): Promise<void> {
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
  const db = runtime.tenantClients.forSchema(schema);
  for (let i = 0; i < BOOK_LOANS; i += 1) {
    const { loanId } = await disburseLoan(db, command(slug), BOOK_START, {
      productCode: PRODUCTS[i % PRODUCTS.length]!.code, principal: new Decimal(800 + 137 * i),
      disbursementDate: addDays(BOOK_START, -((i * 11) % 50)),
    });
    // Every third loan pays something on the day (ahead, or part of what is overdue); the rest are left to fall due.
    if (i % 3 === 0) {
      await postLoanTransaction(db, command(slug), BOOK_START, { loanId, kind: 'repayment', valueDate: BOOK_START, amount: new Decimal(150 + 10 * i), channel: 'test' });
    }
  }
}

/** Payments on `date` (the tenant's business date), some backdated: the same in every tenant seeded with the book. */
export async function payOn(runtime: Runtime, slug: string, schema: string, date: string): Promise<void> {
  const db = runtime.tenantClients.forSchema(schema);
  const loans = await tenantSql(db, schema).query<{ id: string; number: number; status: string; d: string }[]>((s) =>
    `SELECT id::text, number, status, disbursement_date::text AS d FROM ${s}.loan ORDER BY number`);
  for (const loan of loans) {
    if (loan.status === 'closed' || loan.number % 4 !== 1) continue;
    const valueDate = loan.number % 8 === 1 ? addDays(date, -3) : date;
    if (valueDate < loan.d) continue;
    await postLoanTransaction(db, command(slug), date, { loanId: loan.id, kind: 'repayment', valueDate, amount: new Decimal(90 + loan.number), channel: 'test' });
  }
}
