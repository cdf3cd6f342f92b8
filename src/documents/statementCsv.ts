// A loan statement as CSV (RFC 4180) for a spreadsheet or an auditor's tools. Every record has the same fields,
// so one parse reads the whole file; the first column says what a record is:
//   statement/lender/loan/currency/from/to  key and value in the first two fields
//   header     the column names of the records below
//   opening    balances at the start of the period
//   line       one financial event, its amount and the balances after it
//   allocation one instalment/component the line above charged, paid or waived (negative when undone)
//   closing    balances at the end of the period
//   total      received, and paid/waived/charged per component, over the period
//   feeOrPenalty one fee or penalty charged, waived or paid in the period (the same items as the allocation
//              records, gathered so a borrower can check each one)
// The loan's number and the borrower's name follow `loan` as `number` and `borrower` when the caller gives them.
// The loan (`loan`) and each transaction (the Transaction column) are named by the ids the API answers for them,
// `Loan.id` and `LoanTransaction.id`, so a row matches what a caller read, was sent in an event or passes back to a
// mutation (reverseLoanTransaction); the loan's number is the one people read out.
// Amounts are plain decimals at the currency's minor units ("-200.00", no grouping), so they parse back exactly.
//
// Quoting is written here (no CSV library in the project): a field is quoted when it holds a comma, a quote, CR
// or LF, with quotes doubled; records end in CRLF. Text that a spreadsheet would run as a formula (starting with
// =, +, -, @, tab or CR) gets a leading apostrophe — descriptions carry payers' references. Amounts never do.
import { COMPONENTS } from '../domain/servicing/allocation.js';
import { statementAmount, type LoanStatement, type StatementBalances } from '../domain/servicing/statement.js';
import type { Decimal } from '../domain/money.js';
import { feesAndPenalties } from '../domain/servicing/statementFees.js';
import { globalIdOf } from '../domain/globalId.js';

export const STATEMENT_CSV_COLUMNS = [
  'Record',
  'Date',
  'Kind',
  'Transaction',
  'Description',
  'Instalment',
  'As',
  'Component',
  'Amount',
  'Principal',
  'Interest',
  'Fee',
  'Penalty',
  'Held',
  'Total owed',
] as const;

const WIDTH = STATEMENT_CSV_COLUMNS.length;

/** One field, quoted only when it has to be. */
export function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** Free text, defused for spreadsheets that would evaluate it. */
function text(value: string): string {
  return /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
}

export function statementCsv(statement: LoanStatement, options: { lenderName?: string; loanNumber?: string; borrowerName?: string | null } = {}): string {
  const money = (value: Decimal) => statementAmount(value, statement.currency);
  const balances = (b: StatementBalances) => [money(b.principal), money(b.interest), money(b.fee), money(b.penalty), money(b.held), money(b.totalOwed)];
  const records: string[][] = [];
  const record = (fields: string[]) => records.push([...fields, ...Array<string>(WIDTH - fields.length).fill('')]);
  const transaction = (id: string | null) => (id === null ? '' : globalIdOf('LoanTransaction', id));

  record(['statement', 'Loan statement']);
  if (options.lenderName !== undefined) record(['lender', text(options.lenderName)]);
  record(['loan', globalIdOf('Loan', statement.loanId)]);
  if (options.loanNumber !== undefined) record(['number', text(options.loanNumber)]);
  if (options.borrowerName != null) record(['borrower', text(options.borrowerName)]);
  record(['currency', statement.currency]);
  record(['from', statement.from]);
  record(['to', statement.to]);
  record(['header', ...STATEMENT_CSV_COLUMNS.slice(1)]);
  record(['opening', statement.from, '', '', 'Opening balance', '', '', '', '', ...balances(statement.opening)]);
  for (const line of statement.lines) {
    const id = transaction(line.transactionId);
    record(['line', line.date, line.kind, id, text(line.description), '', '', '', money(line.amount), ...balances(line.balance)]);
    for (const a of line.allocation) {
      record(['allocation', line.date, line.kind, id, '', String(a.instalment), a.as, a.component, money(a.amount)]);
    }
  }
  record(['closing', statement.to, '', '', 'Closing balance', '', '', '', '', ...balances(statement.closing)]);
  record(['total', statement.to, 'received', '', 'Received in the period', '', '', '', money(statement.totals.received)]);
  for (const as of ['paid', 'waived', 'charged'] as const) {
    for (const component of COMPONENTS) {
      record(['total', statement.to, as, '', `${as[0]!.toUpperCase()}${as.slice(1)} in the period`, '', as, component, money(statement.totals[as][component])]);
    }
  }
  for (const item of feesAndPenalties(statement)) {
    const id = transaction(item.transactionId);
    record(['feeOrPenalty', item.date, item.kind, id, text(item.description), String(item.instalment), item.as, item.component, money(item.amount)]);
  }
  return records.map((fields) => fields.map(csvField).join(',')).join('\r\n') + '\r\n';
}
