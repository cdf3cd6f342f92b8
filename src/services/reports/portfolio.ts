// The portfolio report as of a date, per currency: portfolio at risk, aging by delinquency bucket,
// classification and provisions, accruals month to date, a breakdown per product, and the trial balance as of
// the same date. As of the tenant's business date it is read from the loans' current positions; as of an
// earlier date, from the summary the end of day that closed that date wrote (docs/reports.md).
import { InvalidField } from '../../errors.js';
import { assertNotAfterBusinessDate, isBusinessDate } from '../../domain/businessDate.js';
import { Decimal } from '../../domain/money.js';
import { bookFigures, monthStartOf, splitBy, type BookFigures, type BookGroup } from '../../domain/servicing/portfolio.js';
import type { TenantDb, Tx } from '../../tenancy/tenantClients.js';
import { tenantSql } from '../../tenancy/tenantSql.js';
import { dateColumn } from '../../tenancy/dateColumns.js';
import { trialBalance, type TrialBalanceLine } from '../servicing/ledger.js';
import { liveSummary, storedSummary } from './endOfDaySummary.js';

export type ReportSource = 'positions' | 'endOfDay';

export interface Accruals {
  /** First and last value date of the period: the first of asOf's month to asOf. */
  from: string;
  to: string;
  /** Interest recognised as income in the period, net of what was moved to (or released from) suspense. */
  interestIncome: Decimal;
  /** Interest moved to suspense in the period, less what was released from it (negative when more was released). */
  interestMovedToSuspense: Decimal;
  feeIncome: Decimal;
  penaltyIncome: Decimal;
  /** Interest receivable and interest held in suspense, as of asOf. */
  interestReceivable: Decimal;
  interestSuspense: Decimal;
}

export interface ProductFigures extends BookFigures {
  productId: string;
  productCode: string;
  productName: string;
}

export interface CurrencyPortfolio extends BookFigures {
  currency: string;
  accruals: Accruals;
  products: ProductFigures[];
}

export interface PortfolioReport {
  asOf: string;
  businessDate: string;
  source: ReportSource;
  currencies: CurrencyPortfolio[];
}

interface IncomeRow {
  currency: string;
  interest: string;
  fee: string;
  penalty: string;
  suspense: string;
}

/**
 * Income recognised between `from` and `to` by value date, per currency, from the income accounts each loan
 * posts to. Suspense journals are taken apart: what they move to the suspense account is taken off interest
 * income, whichever account their other side is (so the figure is net of suspense either way), and their lines on
 * the income accounts are not counted twice.
 */
async function incomeOf(db: Tx, schemaName: string, from: string, to: string): Promise<Map<string, IncomeRow>> {
  // The accounts are the loans' own (a product may map a role to another account); naming them lets the
  // account and value-date index find the month's lines instead of reading the whole ledger.
  const rows = await tenantSql(db, schemaName).query<IncomeRow[]>((s) => `
    WITH income_accounts AS (
      SELECT DISTINCT unnest(ARRAY[accounts->>'interestIncome', accounts->>'feeIncome', accounts->>'penaltyIncome', accounts->>'interestSuspense']) AS account
        FROM ${s}.loan
    )
    SELECT j.currency::text AS currency,
           coalesce(sum(j.credit - j.debit) FILTER (WHERE jr.kind <> 'suspense' AND j.account = l.accounts->>'interestIncome'), 0)::text AS interest,
           coalesce(sum(j.credit - j.debit) FILTER (WHERE jr.kind <> 'suspense' AND j.account = l.accounts->>'feeIncome'), 0)::text AS fee,
           coalesce(sum(j.credit - j.debit) FILTER (WHERE jr.kind <> 'suspense' AND j.account = l.accounts->>'penaltyIncome'), 0)::text AS penalty,
           coalesce(sum(j.credit - j.debit) FILTER (WHERE jr.kind = 'suspense' AND j.account = l.accounts->>'interestSuspense'), 0)::text AS suspense
      FROM ${s}.journal_line j
      JOIN ${s}.journal jr ON jr.id = j.journal_id
      JOIN ${s}.loan l ON l.id = j.loan_id
     WHERE j.account IN (SELECT account FROM income_accounts WHERE account IS NOT NULL)
       AND j.value_date BETWEEN $1::date AND $2::date
       AND j.account IN (l.accounts->>'interestIncome', l.accounts->>'feeIncome', l.accounts->>'penaltyIncome', l.accounts->>'interestSuspense')
     GROUP BY j.currency`, from, to);
  return new Map(rows.map((row) => [row.currency, row]));
}

/** The rows of the book as of `asOf`, and where they came from; refuses a date no report can be given for. */
async function bookAsOf(db: Tx, schemaName: string, asOf: string, businessDate: string): Promise<{ source: ReportSource; groups: BookGroup[] }> {
  if (!isBusinessDate(asOf)) throw new InvalidField('asOf', 'asOf must be a business date (YYYY-MM-DD)');
  assertNotAfterBusinessDate(asOf, businessDate, 'asOf');
  if (asOf === businessDate) return { source: 'positions', groups: await liveSummary(db, schemaName) };
  const run = await db.endOfDayRun.findUnique({ where: { businessDate: dateColumn(asOf) } });
  if (run?.status !== 'completed') throw new InvalidField('asOf', `no end of day closed on ${asOf}: a past date is reported from its end-of-day summary`);
  return { source: 'endOfDay', groups: await storedSummary(db, schemaName, asOf) };
}

/**
 * The portfolio report as of `asOf` (the business date when omitted). Amounts are per currency and never added
 * across currencies; ratios are to 4 places.
 */
export async function portfolioReport(db: TenantDb, schemaName: string, options: { asOf?: string | null; businessDate: string }): Promise<PortfolioReport> {
  const { businessDate } = options;
  const asOf = options.asOf ?? businessDate;
  const from = monthStartOf(asOf);
  // One snapshot: the book, the month's income and the products' names are read as of the same commit.
  const { source, groups, income, products } = await db.$transaction(async (tx) => {
    const book = await bookAsOf(tx, schemaName, asOf, businessDate);
    const income = await incomeOf(tx, schemaName, from, asOf);
    const products = await tx.loanProduct.findMany({ where: { id: { in: [...new Set(book.groups.map((g) => g.productId))] } }, select: { id: true, code: true, name: true } });
    return { ...book, income, products };
  }, { isolationLevel: 'RepeatableRead', timeout: 120_000 });
  const productById = new Map(products.map((p) => [p.id, p]));
  const currencies = new Set([...groups.map((g) => g.currency), ...income.keys()]);
  const byCurrency = splitBy(groups, 'currency');
  return {
    asOf,
    businessDate,
    source,
    currencies: [...currencies].sort().map((currency) => {
      const inCurrency = byCurrency.get(currency) ?? [];
      const figures = bookFigures(inCurrency);
      const row = income.get(currency);
      const moved = new Decimal(row?.suspense ?? 0);
      return {
        currency,
        ...figures,
        accruals: {
          from,
          to: asOf,
          interestIncome: new Decimal(row?.interest ?? 0).minus(moved),
          interestMovedToSuspense: moved,
          feeIncome: new Decimal(row?.fee ?? 0),
          penaltyIncome: new Decimal(row?.penalty ?? 0),
          interestReceivable: figures.interest,
          interestSuspense: figures.interestSuspense,
        },
        products: [...splitBy(inCurrency, 'productId').entries()]
          .map(([productId, list]) => ({
            productId, productCode: productById.get(productId)?.code ?? productId, productName: productById.get(productId)?.name ?? '', ...bookFigures(list),
          }))
          .sort((a, b) => (a.productCode < b.productCode ? -1 : a.productCode > b.productCode ? 1 : 0)),
      };
    }),
  };
}

/**
 * The trial balance as of `asOf`, for the report: the ledger's own, unchanged. It already holds every accrual
 * journal end of day posted by that date (interest is recognised when its instalment falls due), and the
 * suspense and provision journals; nothing is estimated or added here.
 */
export async function trialBalanceWithAccruals(db: TenantDb, asOf: string): Promise<{ asOf: string; lines: TrialBalanceLine[] }> {
  return { asOf, lines: await trialBalance(db, asOf) };
}
