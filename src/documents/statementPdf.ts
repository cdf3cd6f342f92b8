// A loan statement as a PDF a borrower can keep: A4, the lender, the loan and the period, the opening balances, a
// table of every line with the balance after it (continued over as many pages as it takes, its header repeated),
// the closing balances and the period's totals.
//
// The same statement renders the same bytes: the creation date is an argument (pdfkit would read the clock, and
// it derives the file ID from the document info), and only the standard PDF fonts are used, so nothing is
// embedded or subset under a generated name. Those fonts cover Latin-1 (WinAnsi) only; text outside it prints
// wrongly, a limit to lift with an embedded Unicode font when a lender needs one.
//
// The loan and its transactions are named by the ids the API answers for them (`Loan.id`, `LoanTransaction.id`),
// as in the CSV, beside the loan's number.
import PDFDocument from 'pdfkit';
import { COMPONENTS, type Component } from '../domain/servicing/allocation.js';
import type { Decimal } from '../domain/money.js';
import { feesAndPenalties } from '../domain/servicing/statementFees.js';
import { statementAmount, type LoanStatement, type StatementBalances, type StatementLine } from '../domain/servicing/statement.js';
import { globalIdOf } from '../domain/globalId.js';
import { statusInWords } from '../errors.js';

export interface StatementPdfOptions {
  lenderName: string;
  /** Recorded as the document's creation date; the clock is never read. */
  createdAt: Date;
  /** The loan's number (L-000123), printed with the loan. */
  loanNumber?: string;
  /** The borrower's legal name; left out when null or absent. */
  borrowerName?: string | null;
  /** Deflate page contents (the default); tests turn it off to read the text. */
  compress?: boolean;
}

const MARGIN = 40;
const FONT = 'Helvetica';
const BOLD = 'Helvetica-Bold';
const SIZE = 7.5;
const COMPONENT_NAMES: Record<Component, string> = { principal: 'principal', interest: 'interest', fee: 'fee', penalty: 'penalty' };

/** Column: heading, width in points, right-aligned when it holds amounts. */
const COLUMNS = [
  { heading: 'Date', width: 50, numeric: false },
  { heading: 'Description', width: 150, numeric: false },
  { heading: 'Amount', width: 52, numeric: true },
  { heading: 'Principal', width: 55, numeric: true },
  { heading: 'Interest', width: 44, numeric: true },
  { heading: 'Fees', width: 40, numeric: true },
  { heading: 'Penalties', width: 40, numeric: true },
  { heading: 'Held', width: 40, numeric: true },
  { heading: 'Total owed', width: 54, numeric: true },
] as const;
const PADDING = 3;

/** "1234567.50" → "1,234,567.50": grouped on the string, never through a JS number. */
function grouped(plain: string): string {
  const [whole, fraction] = plain.split('.');
  const sign = whole!.startsWith('-') ? '-' : '';
  const digits = whole!.replace('-', '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${digits}${fraction === undefined ? '' : `.${fraction}`}`;
}

/** What a line's allocation did, in a few words a borrower can follow. */
function allocationText(line: StatementLine, money: (value: Decimal) => string): string {
  const groups = new Map<string, string[]>();
  for (const a of line.allocation) {
    const key = `${a.as} instalment ${a.instalment}`;
    groups.set(key, [...(groups.get(key) ?? []), `${COMPONENT_NAMES[a.component]} ${money(a.amount)}`]);
  }
  return [...groups].map(([key, parts]) => `${key[0]!.toUpperCase()}${key.slice(1)}: ${parts.join(', ')}`).join('; ');
}

export function statementPdf(statement: LoanStatement, options: StatementPdfOptions): Promise<Buffer> {
  const money = (value: Decimal) => grouped(statementAmount(value, statement.currency));
  const loanId = globalIdOf('Loan', statement.loanId);
  const transactionId = (id: string) => globalIdOf('LoanTransaction', id);
  const title = `Loan statement ${options.loanNumber ?? loanId}`;
  const doc = new PDFDocument({
    size: 'A4',
    margin: MARGIN,
    compress: options.compress ?? true,
    bufferPages: true,
    font: FONT,
    info: {
      Title: title,
      Author: options.lenderName,
      Subject: `Loan ${loanId}, ${statement.from} to ${statement.to}`,
      Creator: 'Lendgraph',
      Producer: 'Lendgraph',
      CreationDate: options.createdAt,
      ModDate: options.createdAt,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });

  const left = MARGIN;
  const width = doc.page.width - 2 * MARGIN;
  // Room kept free at the foot of every page for its page number.
  const bottom = () => doc.page.height - MARGIN - 14;

  // Title block.
  doc.font(BOLD).fontSize(16).text('Loan statement', left, MARGIN, { width });
  doc.font(FONT).fontSize(10).text(options.lenderName, { width });
  doc.moveDown(0.6);
  const facts: [string, string][] = [
    ...(options.borrowerName != null ? [['Borrower', options.borrowerName] as [string, string]] : []),
    ...(options.loanNumber !== undefined ? [['Loan number', options.loanNumber] as [string, string]] : []),
    ['Loan', loanId],
    ['Currency', statement.currency],
    ['Period', `${statement.from} to ${statement.to}`],
    ['Status at the end of the period', statement.daysPastDue > 0 ? `${statusInWords(statement.status)}, ${statement.daysPastDue} days past due` : statusInWords(statement.status)],
  ];
  doc.fontSize(9);
  for (const [label, value] of facts) {
    const y = doc.y;
    doc.font(BOLD).text(label, left, y, { width: 170 });
    doc.font(FONT).text(value, left + 175, y, { width: width - 175 });
  }
  doc.moveDown(0.8);

  const balanceBlock = (heading: string, b: StatementBalances) => {
    doc.font(BOLD).fontSize(10).text(heading, left, doc.y, { width });
    doc.font(FONT).fontSize(9);
    const parts: [string, Decimal][] = [['Principal', b.principal], ['Interest', b.interest], ['Fees', b.fee], ['Penalties', b.penalty], ['Held for you', b.held]];
    doc.text(parts.map(([label, value]) => `${label} ${money(value)}`).join('    '), left, doc.y, { width });
    doc.font(BOLD).text(`Total owed ${money(b.totalOwed)} ${statement.currency}`, left, doc.y, { width });
    doc.font(FONT).moveDown(0.6);
  };
  const firstLine = statement.lines[0];
  const disbursedInPeriod = firstLine?.kind === 'disbursement' && firstLine.date >= statement.from;
  balanceBlock(disbursedInPeriod ? 'Opening balance (before the loan was disbursed)' : `Opening balance (end of the day before ${statement.from})`, statement.opening);

  // The table.
  const row = (cells: string[], font: string, y: number, sub?: string): number => {
    doc.font(font).fontSize(SIZE);
    let x = left;
    let height = 0;
    COLUMNS.forEach((column, k) => {
      const cellWidth = column.width - 2 * PADDING;
      const text = cells[k] ?? '';
      const options = { width: cellWidth, align: column.numeric ? ('right' as const) : ('left' as const) };
      height = Math.max(height, doc.heightOfString(text, options));
      doc.text(text, x + PADDING, y, options);
      x += column.width;
    });
    if (sub) {
      const options = { width: COLUMNS[1].width + COLUMNS[2].width + COLUMNS[3].width + COLUMNS[4].width - 2 * PADDING };
      doc.font(FONT).fontSize(SIZE - 1).fillColor('#555555');
      doc.text(sub, left + COLUMNS[0].width + PADDING, y + height + 1, options);
      height += doc.heightOfString(sub, options) + 1;
      doc.fillColor('black');
    }
    return height + 3;
  };
  const measure = (cells: string[], sub?: string): number => {
    doc.fontSize(SIZE);
    let height = 0;
    COLUMNS.forEach((column, k) => {
      height = Math.max(height, doc.heightOfString(cells[k] ?? '', { width: column.width - 2 * PADDING }));
    });
    if (sub) {
      doc.fontSize(SIZE - 1);
      height += doc.heightOfString(sub, { width: COLUMNS[1].width + COLUMNS[2].width + COLUMNS[3].width + COLUMNS[4].width - 2 * PADDING }) + 1;
    }
    return height + 3;
  };
  const tableHeader = () => {
    const y = doc.y;
    const height = row(COLUMNS.map((c) => c.heading), BOLD, y);
    doc.moveTo(left, y + height - 1).lineTo(left + width, y + height - 1).lineWidth(0.5).stroke();
    doc.y = y + height + 3;
  };
  const cellsOf = (date: string, description: string, amount: string, b: StatementBalances) => [
    date, description, amount, money(b.principal), money(b.interest), money(b.fee), money(b.penalty), money(b.held), money(b.totalOwed),
  ];

  doc.font(BOLD).fontSize(10).text('Transactions', left, doc.y, { width });
  doc.moveDown(0.3);
  tableHeader();
  const rows: { cells: string[]; font: string; sub?: string }[] = [
    { cells: cellsOf(statement.from, 'Opening balance', '', statement.opening), font: BOLD },
    ...statement.lines.map((line) => {
      const notes = [
        line.backdated ? 'backdated' : '',
        line.reversedBy ? `reversed on ${line.reversedBy.valueDate} by ${transactionId(line.reversedBy.id)}` : '',
      ].filter(Boolean);
      const description = `${line.description}${line.transactionId ? ` [${transactionId(line.transactionId)}]` : ''}${notes.length ? ` (${notes.join('; ')})` : ''}`;
      const sub = allocationText(line, money);
      return { cells: cellsOf(line.date, description, money(line.amount), line.balance), font: FONT, ...(sub ? { sub } : {}) };
    }),
    { cells: cellsOf(statement.to, 'Closing balance', '', statement.closing), font: BOLD },
  ];
  for (const r of rows) {
    if (doc.y + measure(r.cells, r.sub) > bottom()) {
      doc.addPage();
      doc.y = MARGIN;
      tableHeader();
    }
    doc.y += row(r.cells, r.font, doc.y, r.sub);
  }
  doc.moveDown(0.8);

  // Closing and totals; kept together on one page.
  if (doc.y + 150 > bottom()) {
    doc.addPage();
    doc.y = MARGIN;
  }
  balanceBlock(`Closing balance (end of ${statement.to})`, statement.closing);
  doc.font(BOLD).fontSize(10).text('In this period', left, doc.y, { width });
  doc.font(FONT).fontSize(9);
  doc.text(`Received ${money(statement.totals.received)}`, left, doc.y, { width });
  for (const as of ['paid', 'waived', 'charged'] as const) {
    const amounts = statement.totals[as];
    if (COMPONENTS.every((c) => amounts[c].isZero())) continue;
    const parts = COMPONENTS.filter((c) => !amounts[c].isZero()).map((c) => `${COMPONENT_NAMES[c]} ${money(amounts[c])}`);
    doc.text(`${as[0]!.toUpperCase()}${as.slice(1)}: ${parts.join(', ')}`, left, doc.y, { width });
  }
  const items = feesAndPenalties(statement);
  if (items.length > 0) {
    doc.moveDown(0.4);
    doc.font(BOLD).fontSize(10).text('Fees and penalties', left, doc.y, { width });
    doc.font(FONT).fontSize(9);
    for (const item of items) {
      if (doc.y + 14 > bottom()) {
        doc.addPage();
        doc.y = MARGIN;
      }
      doc.text(`${item.date}  ${COMPONENT_NAMES[item.component]} ${item.as} ${money(item.amount)} on instalment ${item.instalment} (due ${item.dueDate}): ${item.description}`, left, doc.y, { width });
    }
    doc.moveDown(0.4);
  }
  if (!statement.amountDue.isZero()) doc.font(BOLD).text(`Due now ${money(statement.amountDue)} ${statement.currency}`, left, doc.y, { width }).font(FONT);
  if (statement.nextInstalment) {
    const next = statement.nextInstalment;
    doc.text(`Next instalment: number ${next.number}, ${money(next.amount)} ${statement.currency} due on ${next.dueDate}`, left, doc.y, { width });
  }

  // Page numbers, once the count is known.
  const pages = doc.bufferedPageRange();
  for (let k = 0; k < pages.count; k += 1) {
    doc.switchToPage(pages.start + k);
    // Below the bottom margin, where pdfkit would otherwise start a new page.
    doc.page.margins.bottom = 0;
    doc.font(FONT).fontSize(7).fillColor('#555555');
    doc.text(`${title} · page ${k + 1} of ${pages.count}`, left, doc.page.height - MARGIN - 8, { width, align: 'right', lineBreak: false });
    doc.fillColor('black');
  }
  doc.end();
  return done;
}
