// Each section of the portfolio report as CSV (RFC 4180) for a spreadsheet or an auditor's tools: a header row,
// then one record per line of the section, with the report's date and the currency on every record so sections
// of several dates and currencies can be pasted together. Amounts are plain decimals at the currency's minor
// units ("-200.00", no grouping, never "-0.00"); ratios have 4 places. Quoting is the loan statement's
// (csvField: quoted when a field holds a comma, a quote, CR or LF, quotes doubled; CRLF line ends), and text the
// lender names (buckets, classes, products, accounts) that a spreadsheet would run as a formula gets a leading
// apostrophe. docs/reports.md lists the columns.
import type { Decimal } from '../domain/money.js';
import { statementAmount } from '../domain/servicing/statement.js';
import type { PortfolioReport } from '../services/reports/portfolio.js';
import type { TrialBalanceLine } from '../services/servicing/ledger.js';
import { csvField } from './statementCsv.js';

export const PORTFOLIO_CSV_SECTIONS = ['aging', 'par', 'classification', 'accruals', 'products', 'trial-balance'] as const;
export type PortfolioCsvSection = (typeof PORTFOLIO_CSV_SECTIONS)[number];

export const PORTFOLIO_CSV_COLUMNS: Readonly<Record<PortfolioCsvSection, readonly string[]>> = {
  aging: ['As of', 'Currency', 'Delinquency bucket', 'Loans', 'Principal', 'Interest', 'Fee', 'Penalty'],
  par: ['As of', 'Currency', 'Measure', 'Days past due over', 'Loans', 'Principal at risk', 'Principal', 'Ratio'],
  classification: ['As of', 'Currency', 'Asset class', 'Loans', 'Exposure', 'Interest in suspense', 'Provision'],
  accruals: ['As of', 'Currency', 'From', 'To', 'Interest income', 'Interest moved to suspense', 'Fee income', 'Penalty income', 'Interest receivable', 'Interest in suspense'],
  products: ['As of', 'Currency', 'Product', 'Product name', 'Loans', 'Principal', 'Interest', 'Fee', 'Penalty', 'PAR1', 'PAR30', 'PAR60', 'PAR90', 'Interest in suspense', 'Provision'],
  'trial-balance': ['As of', 'Currency', 'Account', 'Name', 'Kind', 'Debits', 'Credits', 'Balance'],
};

/** Free text, defused for spreadsheets that would evaluate it (as the loan statement does). */
function text(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

function csv(section: PortfolioCsvSection, records: string[][]): string {
  return [PORTFOLIO_CSV_COLUMNS[section], ...records].map((fields) => fields.map(csvField).join(',')).join('\r\n') + '\r\n';
}

/** One section of the report as CSV; `trial-balance` takes the trial balance as of the report's date. */
export function portfolioCsv(report: PortfolioReport, section: PortfolioCsvSection, trialBalance: readonly TrialBalanceLine[] = []): string {
  const records: string[][] = [];
  const { asOf } = report;
  if (section === 'trial-balance') {
    for (const line of trialBalance) {
      const amount = (value: Decimal) => statementAmount(value, line.currency);
      records.push([asOf, line.currency, text(line.account), text(line.name), line.kind, amount(line.debits), amount(line.credits), amount(line.balance)]);
    }
    return csv(section, records);
  }
  for (const c of report.currencies) {
    const amount = (value: Decimal) => statementAmount(value, c.currency);
    switch (section) {
      case 'aging':
        for (const line of c.aging) {
          records.push([asOf, c.currency, text(line.delinquencyBucket), String(line.loans), amount(line.principal), amount(line.interest), amount(line.fee), amount(line.penalty)]);
        }
        break;
      case 'par':
        for (const par of c.portfolioAtRisk) {
          records.push([asOf, c.currency, par.measure, String(par.overDays), String(par.loans), amount(par.principal), amount(c.principal), par.ratio]);
        }
        break;
      case 'classification':
        for (const line of c.classification) {
          records.push([asOf, c.currency, text(line.assetClass), String(line.loans), amount(line.exposure), amount(line.interestSuspense), amount(line.provision)]);
        }
        break;
      case 'accruals': {
        const a = c.accruals;
        records.push([asOf, c.currency, a.from, a.to, amount(a.interestIncome), amount(a.interestMovedToSuspense), amount(a.feeIncome), amount(a.penaltyIncome),
          amount(a.interestReceivable), amount(a.interestSuspense)]);
        break;
      }
      case 'products':
        for (const p of c.products) {
          records.push([asOf, c.currency, text(p.productCode), text(p.productName), String(p.loans), amount(p.principal), amount(p.interest), amount(p.fee), amount(p.penalty),
            ...p.portfolioAtRisk.map((par) => amount(par.principal)), amount(p.interestSuspense), amount(p.provision)]);
        }
        break;
    }
  }
  return csv(section, records);
}
