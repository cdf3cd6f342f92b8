// The portfolio report as of a date (Query.portfolioReport) and each of its sections as a CSV download
// (GET /reports/portfolio/<section>.csv?asOf=YYYY-MM-DD), read with the caller's own token: finance, auditors,
// compliance and tenant admins (`reports.read`); never partners. docs/reports.md has the definitions.
import type { Request, Response } from 'express';
import { builder } from './builder.js';
import { storedEnum } from './enums.js';
import { money } from '../domain/money.js';
import { PAR_MEASURES, type AgingLine, type ClassLine, type PortfolioAtRisk } from '../domain/servicing/portfolio.js';
import { AppError, badInput, InvalidField } from '../errors.js';
import {
  portfolioReport, trialBalanceWithAccruals, type Accruals, type CurrencyPortfolio, type PortfolioReport, type ProductFigures,
} from '../services/reports/portfolio.js';
import { PORTFOLIO_CSV_SECTIONS, portfolioCsv, type PortfolioCsvSection } from '../documents/portfolioCsv.js';
import type { Runtime } from '../runtime.js';
import type { GraphContext } from './context.js';
import { queryParameter, replyWithError, routeContext, type RouteLimits } from './httpRoutes.js';
import { TrialBalanceRef } from './ledger.js';

export const PORTFOLIO_REPORT_PATH = '/reports/portfolio';

/** The report for the caller's tenant as of `asOf` (its business date when omitted). */
export function reportFor(context: GraphContext, asOf: string | null): Promise<PortfolioReport> {
  return portfolioReport(context.db!, context.tenant!.schemaName, { asOf, businessDate: context.tenant!.businessDate });
}

const PortfolioReportSourceEnum = storedEnum('PortfolioReportSource', 'Where a portfolio report\'s figures come from.', {
  positions: 'The loans\' current positions: the report is as of the tenant\'s business date.',
  endOfDay: 'The summary the end of day that closed the date wrote: the report is as of an earlier date.',
});

const PortfolioReportSectionEnum = storedEnum('PortfolioReportSection', 'A section of the portfolio report, downloadable as CSV.', {
  aging: 'Aging by delinquency bucket.',
  par: 'Portfolio at risk.',
  classification: 'Classification and provisions by asset class.',
  accruals: 'Income recognised month to date, interest receivable and in suspense.',
  products: 'The book per product.',
  'trial-balance': 'The trial balance as of the report\'s date.',
});

const ParMeasureEnum = storedEnum('PortfolioAtRiskMeasure', 'A portfolio-at-risk measure: the principal of loans more than N days past due.',
  Object.fromEntries(PAR_MEASURES.map(({ measure, overDays }) => [measure, `Loans more than ${overDays} days past due.`])));

type InCurrency<T> = T & { currency: string };

const PortfolioAtRiskRef = builder.objectRef<InCurrency<PortfolioAtRisk>>('PortfolioAtRisk').implement({
  description: 'Portfolio at risk over N days: the whole principal outstanding of the loans more than N days past due, and its share of the book.',
  authScopes: { can: 'reports.read' },
  fields: (t) => ({
    measure: t.field({ type: ParMeasureEnum, description: 'PAR1, PAR30, PAR60 or PAR90.', resolve: (p) => p.measure }),
    overDays: t.exposeInt('overDays', { description: 'Loans more than this many days past due are at risk.' }),
    loans: t.exposeInt('loans', { description: 'How many loans are at risk.' }),
    principal: t.field({ type: 'Money', description: 'Their principal outstanding (all of it, not only what is overdue).', resolve: (p) => money(p.principal, p.currency) }),
    ratio: t.field({ type: 'Decimal', description: 'That principal over the principal outstanding of the whole book, to 4 places (0.1234 is 12.34%); 0 for an empty book.', resolve: (p) => p.ratio }),
  }),
});

const AgingLineRef = builder.objectRef<InCurrency<AgingLine>>('PortfolioAgingLine').implement({
  description: 'The loans in one delinquency bucket and what they owe.',
  authScopes: { can: 'reports.read' },
  fields: (t) => ({
    delinquencyBucket: t.exposeString('delinquencyBucket', { description: 'The bucket\'s name, as the lender\'s delinquency policy (or the product) names it; "unclassified" when there are no buckets to place a loan in.' }),
    loans: t.exposeInt('loans', { description: 'Loans in the bucket.' }),
    principal: t.field({ type: 'Money', description: 'Principal receivable.', resolve: (l) => money(l.principal, l.currency) }),
    interest: t.field({ type: 'Money', description: 'Interest receivable (fallen due and unpaid).', resolve: (l) => money(l.interest, l.currency) }),
    fee: t.field({ type: 'Money', description: 'Fees receivable.', resolve: (l) => money(l.fee, l.currency) }),
    penalty: t.field({ type: 'Money', description: 'Penalties receivable.', resolve: (l) => money(l.penalty, l.currency) }),
  }),
});

const ClassLineRef = builder.objectRef<InCurrency<ClassLine>>('PortfolioClassLine').implement({
  description: 'The loans carrying one regulatory asset class, their exposure, interest in suspense and provision.',
  authScopes: { can: 'reports.read' },
  fields: (t) => ({
    assetClass: t.exposeString('assetClass', { description: 'The class the loans carry (the borrower\'s worst where the regime classifies borrowers), as the lender\'s policy names it.' }),
    loans: t.exposeInt('loans', { description: 'Loans in the class.' }),
    exposure: t.field({ type: 'Money', description: 'What their borrowers owe on the books: principal, interest, fees and penalties receivable.', resolve: (l) => money(l.exposure, l.currency) }),
    interestInSuspense: t.field({ type: 'Money', description: 'Interest receivable held in suspense, not income.', resolve: (l) => money(l.interestSuspense, l.currency) }),
    provision: t.field({ type: 'Money', description: 'The provision held against them.', resolve: (l) => money(l.provision, l.currency) }),
  }),
});

const AccrualsRef = builder.objectRef<InCurrency<Accruals>>('PortfolioAccruals').implement({
  description: 'Income recognised from the first of the month to the report\'s date, by value date, and interest receivable and in suspense at that date.',
  authScopes: { can: 'reports.read' },
  fields: (t) => ({
    from: t.field({ type: 'Date', description: 'First value date counted: the first of the month.', resolve: (a) => a.from }),
    to: t.field({ type: 'Date', description: 'Last value date counted: the report\'s date.', resolve: (a) => a.to }),
    interestIncome: t.field({ type: 'Money', description: 'Interest recognised as income, net of interest moved to or released from suspense.', resolve: (a) => money(a.interestIncome, a.currency) }),
    interestMovedToSuspense: t.field({ type: 'Money', description: 'Interest moved to suspense less interest released from it (negative when more was released).', resolve: (a) => money(a.interestMovedToSuspense, a.currency) }),
    feeIncome: t.field({ type: 'Money', description: 'Fees recognised as income.', resolve: (a) => money(a.feeIncome, a.currency) }),
    penaltyIncome: t.field({ type: 'Money', description: 'Penalties recognised as income.', resolve: (a) => money(a.penaltyIncome, a.currency) }),
    interestReceivable: t.field({ type: 'Money', description: 'Interest receivable at the report\'s date.', resolve: (a) => money(a.interestReceivable, a.currency) }),
    interestInSuspense: t.field({ type: 'Money', description: 'Interest in suspense at the report\'s date.', resolve: (a) => money(a.interestSuspense, a.currency) }),
  }),
});

const ProductLineRef = builder.objectRef<InCurrency<ProductFigures>>('PortfolioProductLine').implement({
  description: 'One product\'s book in one currency.',
  authScopes: { can: 'reports.read' },
  fields: (t) => ({
    productCode: t.exposeString('productCode', { description: 'The product\'s code.' }),
    productName: t.exposeString('productName', { description: 'Its name.' }),
    loans: t.exposeInt('loans', { description: 'Loans in the book (active or overdue).' }),
    principal: t.field({ type: 'Money', description: 'Principal receivable.', resolve: (p) => money(p.principal, p.currency) }),
    interest: t.field({ type: 'Money', description: 'Interest receivable.', resolve: (p) => money(p.interest, p.currency) }),
    fee: t.field({ type: 'Money', description: 'Fees receivable.', resolve: (p) => money(p.fee, p.currency) }),
    penalty: t.field({ type: 'Money', description: 'Penalties receivable.', resolve: (p) => money(p.penalty, p.currency) }),
    portfolioAtRisk: t.field({
      type: [PortfolioAtRiskRef], description: 'PAR1, PAR30, PAR60 and PAR90 of the product.',
      resolve: (p) => p.portfolioAtRisk.map((par) => ({ ...par, currency: p.currency })),
    }),
    interestInSuspense: t.field({ type: 'Money', description: 'Interest in suspense.', resolve: (p) => money(p.interestSuspense, p.currency) }),
    provision: t.field({ type: 'Money', description: 'Provision.', resolve: (p) => money(p.provision, p.currency) }),
  }),
});

const CurrencyPortfolioRef = builder.objectRef<CurrencyPortfolio>('PortfolioCurrency').implement({
  description: 'The book in one currency (amounts in different currencies are never added).',
  authScopes: { can: 'reports.read' },
  fields: (t) => ({
    currency: t.exposeString('currency', { description: 'ISO 4217 code.' }),
    loans: t.exposeInt('loans', { description: 'Loans in the book: those active or overdue.' }),
    principal: t.field({ type: 'Money', description: 'Principal receivable: the gross loan portfolio.', resolve: (c) => money(c.principal, c.currency) }),
    interest: t.field({ type: 'Money', description: 'Interest receivable.', resolve: (c) => money(c.interest, c.currency) }),
    fee: t.field({ type: 'Money', description: 'Fees receivable.', resolve: (c) => money(c.fee, c.currency) }),
    penalty: t.field({ type: 'Money', description: 'Penalties receivable.', resolve: (c) => money(c.penalty, c.currency) }),
    overduePrincipal: t.field({
      type: 'Money', description: 'Principal receivable of the loans more than 0 days past due (an approximation of the principal of instalments due and unpaid; docs/reports.md).',
      resolve: (c) => money(c.overduePrincipal, c.currency),
    }),
    interestInSuspense: t.field({ type: 'Money', description: 'Interest in suspense.', resolve: (c) => money(c.interestSuspense, c.currency) }),
    provision: t.field({ type: 'Money', description: 'Provisions held.', resolve: (c) => money(c.provision, c.currency) }),
    portfolioAtRisk: t.field({
      type: [PortfolioAtRiskRef], description: 'PAR1, PAR30, PAR60 and PAR90.',
      resolve: (c) => c.portfolioAtRisk.map((par) => ({ ...par, currency: c.currency })),
    }),
    aging: t.field({ type: [AgingLineRef], description: 'Aging by delinquency bucket, from the least overdue bucket to the most.', resolve: (c) => c.aging.map((l) => ({ ...l, currency: c.currency })) }),
    classification: t.field({ type: [ClassLineRef], description: 'Classification and provisions by asset class, from the best class to the worst.', resolve: (c) => c.classification.map((l) => ({ ...l, currency: c.currency })) }),
    accruals: t.field({ type: AccrualsRef, description: 'Income month to date and interest receivable and in suspense.', resolve: (c) => ({ ...c.accruals, currency: c.currency }) }),
    products: t.field({ type: [ProductLineRef], description: 'The book per product, by product code.', resolve: (c) => c.products.map((p) => ({ ...p, currency: c.currency })) }),
  }),
});

const PortfolioReportRef = builder.objectRef<PortfolioReport>('PortfolioReport').implement({
  description: 'The loan book as of a date: portfolio at risk, aging, classification and provisions, accruals, per product, and the trial balance.',
  authScopes: { can: 'reports.read' },
  fields: (t) => ({
    asOf: t.field({ type: 'Date', description: 'The date the report is as of.', resolve: (r) => r.asOf }),
    businessDate: t.field({ type: 'Date', description: 'The tenant\'s business date when the report was made.', resolve: (r) => r.businessDate }),
    source: t.field({ type: PortfolioReportSourceEnum, description: 'Current positions (as of the business date) or an end of day\'s summary (an earlier date).', resolve: (r) => r.source }),
    currencies: t.field({ type: [CurrencyPortfolioRef], description: 'The book per currency, by currency code.', resolve: (r) => r.currencies }),
    trialBalance: t.field({
      type: TrialBalanceRef,
      description: 'The ledger\'s trial balance as of the same date: it holds every accrual, suspense and provision journal posted by then; nothing is added to it.',
      authScopes: { can: 'reports.read' },
      resolve: (r, _args, context) => trialBalanceWithAccruals(context.db!, r.asOf),
    }),
    csvPath: t.string({
      description: 'GET it (with the same Authorization header) for a section of this report as CSV.',
      args: { section: t.arg({ type: PortfolioReportSectionEnum, required: true, description: 'The section.' }) },
      resolve: (r, args) => `${PORTFOLIO_REPORT_PATH}/${args.section}.csv?asOf=${r.asOf}`,
    }),
  }),
});

builder.queryFields((t) => ({
  portfolioReport: t.field({
    type: PortfolioReportRef,
    description: 'The portfolio report as of a date: the business date (from current positions) or a date an end of day closed (from its summary).',
    authScopes: { can: 'reports.read' },
    args: { asOf: t.arg({ type: 'Date', required: false, description: 'The date; the tenant\'s business date when omitted. Never after it.' }) },
    resolve: async (_root, args, context) => {
      try {
        return await reportFor(context, args.asOf ?? null);
      } catch (error) {
        // An argument, not an input object's field: named as the caller wrote it.
        if (error instanceof InvalidField) throw badInput(error.field, error.message);
        throw error;
      }
    },
  }),
}));

/** GET /reports/portfolio/<section>.csv?asOf=YYYY-MM-DD (asOf defaults to the business date). */
export function portfolioReportDownload(runtime: Runtime, tenantHeader: string, limits: RouteLimits) {
  return async (req: Request, res: Response) => {
    try {
      const match = /^([a-z-]{1,40})\.csv$/.exec(String(req.params['file'] ?? ''));
      const section = match && (PORTFOLIO_CSV_SECTIONS as readonly string[]).includes(match[1]!) ? (match[1] as PortfolioCsvSection) : null;
      if (!section) throw new AppError('NOT_FOUND', 'no such report section');
      const context = await routeContext(runtime, tenantHeader, req, res, 'reports.read', limits);
      const report = await reportFor(context, queryParameter(req, 'asOf') ?? null);
      const lines = section === 'trial-balance' ? (await trialBalanceWithAccruals(context.db!, report.asOf)).lines : [];
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      res.setHeader('content-disposition', `attachment; filename="portfolio-${section}-${report.asOf}.csv"`);
      res.send(portfolioCsv(report, section, lines));
    } catch (error) {
      replyWithError(runtime, res, error, 'portfolio report download');
    }
  };
}
