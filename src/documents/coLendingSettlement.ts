// A settlement with a co-lending partner as the partner and the lender's treasury read it: the statement as CSV
// (RFC 4180, the same quoting as loan statements) and PDF (A4, the standard fonts, the same bytes for the same
// settlement: the creation date is an argument), and the escrow transfer instruction as CSV — one transfer from
// the escrow account to the partner's account, for the settlement's amount, referenced by the settlement.
import PDFDocument from 'pdfkit';
import { Decimal, minorUnits } from '../domain/money.js';
import { csvField } from './statementCsv.js';

export interface SettlementDocument {
  lenderName: string;
  partnerCode: string;
  partnerName: string;
  number: number;
  currency: string;
  through: string;
  businessDate: string;
  collections: Decimal;
  adjustments: Decimal;
  amount: Decimal;
  /** Per loan and date: what the partner was owed (negative for a correction back), and whether it adjusts a period already settled. */
  lines: { loanNumber: string; valueDate: string; amount: Decimal; adjustment: boolean }[];
}

const plain = (value: Decimal, currency: string) => value.toFixed(minorUnits(currency));
const record = (fields: string[]) => `${fields.map(csvField).join(',')}\r\n`;

/** The statement: key records, a header, one record per line, then the totals. */
export function settlementCsv(doc: SettlementDocument): string {
  const money = (value: Decimal) => plain(value, doc.currency);
  return [
    record(['settlement', String(doc.number)]), record(['lender', doc.lenderName]), record(['partner', doc.partnerCode]),
    record(['currency', doc.currency]), record(['through', doc.through]), record(['date', doc.businessDate]),
    record(['Record', 'Loan', 'Value date', 'Kind', 'Amount']),
    ...doc.lines.map((l) => record(['line', l.loanNumber, l.valueDate, l.adjustment ? 'adjustment' : 'collection', money(l.amount)])),
    record(['total', '', '', 'collections', money(doc.collections)]),
    record(['total', '', '', 'adjustments', money(doc.adjustments)]),
    record(['total', '', '', 'settled', money(doc.amount)]),
  ].join('');
}

export interface EscrowInstruction {
  reference: string;
  escrowAccount: string;
  beneficiaryName: string;
  beneficiaryAccount: string;
  beneficiaryBankCode: string;
}

/** One transfer: from the escrow account to the partner, value the settlement's business date. */
export function escrowInstructionCsv(doc: SettlementDocument, instruction: EscrowInstruction): string {
  return [
    record(['Reference', 'Value date', 'Debit account', 'Beneficiary', 'Beneficiary account', 'Beneficiary bank code', 'Currency', 'Amount', 'Narrative']),
    record([instruction.reference, doc.businessDate, instruction.escrowAccount, instruction.beneficiaryName, instruction.beneficiaryAccount, instruction.beneficiaryBankCode,
      doc.currency, plain(doc.amount, doc.currency), `Settlement ${doc.number} to ${doc.partnerCode} through ${doc.through}`]),
  ].join('');
}

/** The statement as PDF: heading, one row per line (continued over pages), totals. */
export function settlementPdf(doc: SettlementDocument, options: { createdAt: Date; compress?: boolean }): Promise<Buffer> {
  const money = (value: Decimal) => plain(value, doc.currency);
  const pdf = new PDFDocument({
    size: 'A4', margin: 40, compress: options.compress ?? true, font: 'Helvetica',
    info: {
      Title: `Settlement ${doc.number} to ${doc.partnerCode}`, Author: doc.lenderName, Subject: `Co-lending settlement through ${doc.through}`,
      Creator: 'Lendgraph', Producer: 'Lendgraph', CreationDate: options.createdAt, ModDate: options.createdAt,
    },
  });
  const chunks: Buffer[] = [];
  const done = new Promise<Buffer>((resolve, reject) => {
    pdf.on('data', (chunk: Buffer) => chunks.push(chunk));
    pdf.on('end', () => resolve(Buffer.concat(chunks)));
    pdf.on('error', reject);
  });
  pdf.font('Helvetica-Bold').fontSize(12).text(`${doc.lenderName}: co-lending settlement ${doc.number}`);
  pdf.font('Helvetica').fontSize(9)
    .text(`Partner: ${doc.partnerName} (${doc.partnerCode})`)
    .text(`Collections valued through ${doc.through}, settled on ${doc.businessDate}, in ${doc.currency}`)
    .moveDown();
  const columns = [{ x: 40, w: 120, t: 'Loan' }, { x: 160, w: 90, t: 'Value date' }, { x: 250, w: 90, t: 'Kind' }, { x: 340, w: 100, t: 'Amount', right: true }];
  const row = (cells: string[], bold = false) => {
    if (pdf.y > pdf.page.height - 60) pdf.addPage();
    const y = pdf.y;
    pdf.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(8);
    columns.forEach((c, k) => pdf.text(cells[k] ?? '', c.x, y, { width: c.w, align: c.right ? 'right' : 'left', lineBreak: false }));
    pdf.x = 40;
    pdf.y = y + 12;
  };
  row(columns.map((c) => c.t), true);
  for (const l of doc.lines) row([l.loanNumber, l.valueDate, l.adjustment ? 'adjustment' : 'collection', money(l.amount)]);
  pdf.moveDown();
  row(['', '', 'Collections', money(doc.collections)], true);
  row(['', '', 'Adjustments', money(doc.adjustments)], true);
  row(['', '', 'Settled', money(doc.amount)], true);
  pdf.end();
  return done;
}
