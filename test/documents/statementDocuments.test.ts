// A loan statement as CSV and PDF: the CSV parses back (RFC 4180) to the statement's own figures, the PDF is a
// PDF with the loan in it, runs over pages when long, and renders the same bytes twice. Both name the loan and its
// transactions by the ids the API answers for them, never by their database ids.
import { describe, expect, it } from 'vitest';
import { addDays } from '../../src/domain/calendar.js';
import { PENALTIES_FEES_INTEREST_PRINCIPAL } from '../../src/domain/servicing/allocation.js';
import type { LoanAccount, LoanTransaction } from '../../src/domain/servicing/loanAccount.js';
import { loanTerms } from '../../src/domain/servicing/product.js';
import { loanStatement, type LoanStatement, type StatementBalances } from '../../src/domain/servicing/statement.js';
import { csvField, STATEMENT_CSV_COLUMNS, statementCsv } from '../../src/documents/statementCsv.js';
import { statementPdf } from '../../src/documents/statementPdf.js';

/** The API's ids of the loan below and of its transactions (base64 of "Loan:loan-1", "LoanTransaction:p1" …). */
const LOAN_ID = 'TG9hbjpsb2FuLTE=';
const apiId = (transactionId: string | null) => (transactionId === null ? '' : Buffer.from(`LoanTransaction:${transactionId}`).toString('base64'));

const small: LoanAccount = {
  id: 'loan-1',
  terms: loanTerms({ currency: 'USD', annualRatePercent: '12', numberOfRepayments: 3, fees: { perInstalment: '5' } }),
  rule: PENALTIES_FEES_INTEREST_PRINCIPAL,
  principal: '1200',
  disbursementDate: '2026-01-01',
  firstRepaymentDate: '2026-02-01',
};

const SMALL_TRANSACTIONS: LoanTransaction[] = [
  // A payer's reference with everything CSV must quote, and a formula a spreadsheet must not run.
  { kind: 'repayment', id: 'p1', valueDate: '2026-02-01', amount: '413.03', channel: 'bank-transfer', externalRef: 'INV "7", line 2\r\nnext' },
  { kind: 'repayment', id: 'p2', valueDate: '2026-03-05', amount: '200', externalRef: '=1+1' },
  { kind: 'charge', id: 'c1', valueDate: '2026-03-04', component: 'penalty', amount: '10' },
  { kind: 'waiver', id: 'w1', valueDate: '2026-03-10', component: 'penalty', amount: '4' },
  { kind: 'repayment', id: 'p3', valueDate: '2026-03-20', amount: '300' },
  { kind: 'reversal', id: 'r2', reverses: 'p2', valueDate: '2026-03-25' },
  { kind: 'repayment', id: 'p4', valueDate: '2026-03-15', amount: '250' },
];

const statement = loanStatement({ loan: small, transactions: SMALL_TRANSACTIONS, from: '2026-01-01', to: '2026-04-30' });

/** RFC 4180, read independently of the writer: quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let fields: string[] = [];
  let field = '';
  let k = 0;
  while (k < text.length) {
    if (text[k] === '"') {
      k += 1;
      while (k < text.length) {
        if (text[k] === '"' && text[k + 1] === '"') {
          field += '"';
          k += 2;
        } else if (text[k] === '"') {
          k += 1;
          break;
        } else {
          field += text[k];
          k += 1;
        }
      }
    } else if (text[k] === ',') {
      fields.push(field);
      field = '';
      k += 1;
    } else if (text[k] === '\r' && text[k + 1] === '\n') {
      fields.push(field);
      records.push(fields);
      fields = [];
      field = '';
      k += 2;
    } else {
      field += text[k];
      k += 1;
    }
  }
  if (field !== '' || fields.length > 0) records.push([...fields, field]);
  return records;
}

const figures = (b: StatementBalances) => [b.principal, b.interest, b.fee, b.penalty, b.held, b.totalOwed].map((d) => d.toFixed(2));

describe('statement CSV', () => {
  const csv = statementCsv(statement, { lenderName: 'Acme Lending, Ltd.' });
  const records = parseCsv(csv);
  const of = (record: string) => records.filter((r) => r[0] === record);

  it('is RFC 4180: CRLF records, all of one width, quoted only where needed', () => {
    expect(csv.endsWith('\r\n')).toBe(true);
    expect(new Set(records.map((r) => r.length))).toEqual(new Set([STATEMENT_CSV_COLUMNS.length]));
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
  });

  it('has the loan and the period in its header rows, then the column names', () => {
    expect(records.slice(0, 7).map((r) => r.slice(0, 2))).toEqual([
      ['statement', 'Loan statement'],
      ['lender', 'Acme Lending, Ltd.'],
      ['loan', LOAN_ID],
      ['currency', 'USD'],
      ['from', '2026-01-01'],
      ['to', '2026-04-30'],
      ['header', 'Date'],
    ]);
    expect(records[6]).toEqual(['header', ...STATEMENT_CSV_COLUMNS.slice(1)]);
  });

  it('parses back to the statement’s numbers: opening, every line and its allocation, closing, totals', () => {
    expect(of('opening').map((r) => r.slice(9))).toEqual([figures(statement.opening)]);
    const lines = of('line');
    expect(lines.map((r) => [r[1], r[2], r[3], r[8], ...r.slice(9)])).toEqual(
      statement.lines.map((l) => [l.date, l.kind, apiId(l.transactionId), l.amount.toFixed(2), ...figures(l.balance)]),
    );
    expect(of('allocation').map((r) => [r[3], r[5], r[6], r[7], r[8]])).toEqual(
      statement.lines.flatMap((l) => l.allocation.map((a) => [apiId(l.transactionId), String(a.instalment), a.as, a.component, a.amount.toFixed(2)])),
    );
    expect(of('closing').map((r) => r.slice(9))).toEqual([figures(statement.closing)]);
    const totals = of('total');
    expect(totals.find((r) => r[2] === 'received')![8]).toBe('963.03');
    expect(totals.filter((r) => r[2] === 'paid').map((r) => [r[7], r[8]])).toEqual([['penalty', '6.00'], ['fee', '15.00'], ['interest', '24.08'], ['principal', '917.95']]);
    // The running balance in the file adds up the same way the statement does.
    const last = lines.at(-1)!.slice(9);
    expect(last).toEqual(of('closing')[0]!.slice(9));
  });

  it('names each transaction by its API id, the fee and penalty items too, and no database id anywhere', () => {
    expect(of('line').find((r) => r[2] === 'repayment')![3]).toBe('TG9hblRyYW5zYWN0aW9uOnAx');
    expect(of('feeOrPenalty').map((r) => r[3])).toEqual(expect.arrayContaining([apiId('c1'), apiId('w1')]));
    expect(of('line').find((r) => r[2] === 'reversal')![4]).toBe(`Reversal of repayment ${apiId('p2')} of 2026-03-05`);
    for (const raw of ['loan-1', 'p1', 'p2', 'c1', 'w1', 'r2']) expect(records.flat()).not.toContain(raw);
  });

  it('keeps free text intact through quoting, and defuses formulas', () => {
    const descriptions = of('line').map((r) => r[4]);
    expect(descriptions).toContain('Repayment received (by bank-transfer, ref INV "7", line 2\r\nnext)');
    expect(descriptions).toContain('Repayment received (ref =1+1)');
    expect(statementCsv(statement, { loanNumber: '=cmd', lenderName: '+lender' })).toContain("number,'=cmd,");
    expect(statementCsv(statement, { lenderName: '+lender' })).toContain("lender,'+lender,");
  });
});

/** The text a PDF content stream shows, from its hex strings (pdfkit writes text that way), kerning dropped. */
function shownText(pdf: Buffer): string {
  const raw = pdf.toString('latin1');
  return [...raw.matchAll(/\[([^\]]*)\] TJ/g)]
    .map((m) => [...m[1]!.matchAll(/<([0-9a-f]*)>/g)].map((h) => Buffer.from(h[1]!, 'hex').toString('latin1')).join(''))
    .join('\n');
}

const pageCount = (pdf: Buffer) => (pdf.toString('latin1').match(/\/Type \/Page\b(?!s)/g) ?? []).length;

function long(): LoanStatement {
  // 36 monthly instalments and a payment of 100 every three days: 364 payments, 36 due dates, a disbursement.
  const loan: LoanAccount = { ...small, id: 'loan-long', terms: loanTerms({ currency: 'USD', annualRatePercent: '12', numberOfRepayments: 36 }), principal: '100000' };
  const transactions: LoanTransaction[] = Array.from({ length: 364 }, (_, k) => ({ kind: 'repayment', id: `p${k}`, valueDate: addDays('2026-01-05', 3 * k), amount: '100' }));
  return loanStatement({ loan, transactions, from: '2026-01-01', to: '2029-01-31' });
}

describe('statement PDF', () => {
  const createdAt = new Date('2026-05-01T09:30:00Z');

  it('is a PDF that carries the loan, the lender and the lines', async () => {
    const pdf = await statementPdf(statement, { lenderName: 'Acme Lending', createdAt, compress: false });
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(pdf.toString('latin1')).toContain(`(Loan statement ${LOAN_ID})`);
    const text = shownText(pdf);
    // A cell wraps long words onto its next lines: read the text as one run to find an id.
    const run = text.replaceAll('\n', '');
    expect(text).toContain(LOAN_ID);
    expect(text).toContain('Acme Lending');
    expect(run).toContain(`Reversal of repayment ${apiId('p2')} of 2026-03-05 [${apiId('r2')}]`);
    expect(run).toContain(`reversed on 2026-03-25 by ${apiId('r2')}`);
    for (const raw of ['loan-1', '[p1]', ' p2 ', 'by r2']) expect(run).not.toContain(raw);
    expect(text).toContain('282.05');
    expect(pageCount(pdf)).toBe(1);
  });

  it('renders the same bytes for the same statement and date', async () => {
    const first = await statementPdf(statement, { lenderName: 'Acme Lending', createdAt });
    const second = await statementPdf(statement, { lenderName: 'Acme Lending', createdAt });
    expect(first.equals(second)).toBe(true);
    const later = await statementPdf(statement, { lenderName: 'Acme Lending', createdAt: new Date('2026-05-02T09:30:00Z') });
    expect(later.equals(first)).toBe(false);
  });

  it('runs over several pages for 400 lines, the table header and page numbers on each', async () => {
    const statement = long();
    expect(statement.lines).toHaveLength(401);
    const pdf = await statementPdf(statement, { lenderName: 'Acme Lending', createdAt, compress: false });
    const pages = pageCount(pdf);
    expect(pages).toBeGreaterThan(5);
    const text = shownText(pdf);
    expect(text).toContain(`page ${pages} of ${pages}`);
    // Every page the table runs onto starts with its header.
    const pagesWithRows = pdf
      .toString('latin1')
      .split('endstream')
      .map((stream) => shownText(Buffer.from(stream, 'latin1')))
      .filter((page) => page.includes('Repayment received'));
    expect(pagesWithRows.length).toBeGreaterThan(5);
    expect(pagesWithRows[0]!.split('\n')).toContain('Date');
    for (const page of pagesWithRows.slice(1)) expect(page.split('\n')[0]).toBe('Date');
    expect(text.replaceAll('\n', '')).toContain(`Repayment received [${apiId('p363')}]`);
    expect(text).toContain('Closing balance');
  });
});
