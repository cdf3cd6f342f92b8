// NACHA files for auto-debit (docs/auto-debit.md), as values: the PPD debit file a day's presentments make (file
// header, one batch, entries, batch and file controls with the entry hash, blocked to tens of 94-character
// records), the return file a bank sends back (entries with their addenda 99: the R-code and the original trace
// number), read back into returns, and the ABA check of a routing number. Amounts are whole cents.
import { InvalidField } from '../../errors.js';

export const RECORD_LENGTH = 94;

/** The ABA routing number check: 3·d1 + 7·d2 + d3 + 3·d4 + … ≡ 0 (mod 10). */
export function isRoutingNumber(text: string): boolean {
  if (!/^\d{9}$/.test(text)) return false;
  const weights = [3, 7, 1, 3, 7, 1, 3, 7, 1];
  return [...text].reduce((sum, digit, k) => sum + Number(digit) * weights[k]!, 0) % 10 === 0;
}

/** Upper-case ASCII, as the network reads names: accents dropped (Å → A), anything else a space. */
function ascii(text: string): string {
  return text.normalize('NFKD').replace(/[\u0300-\u036f]/g, '').replace(/[^\x20-\x7e]/g, ' ').toUpperCase();
}
const alpha = (text: string, width: number) => ascii(text).slice(0, width).padEnd(width, ' ');
const numeric = (value: number | bigint | string, width: number) => {
  const digits = String(value);
  if (!/^\d+$/.test(digits) || digits.length > width) throw new Error(`${digits} does not fit ${width} digits`);
  return digits.padStart(width, '0');
};

export interface DebitEntry {
  /** 27: checking debit; 37: savings debit. */
  accountType: 'checking' | 'savings';
  routingNumber: string;
  accountNumber: string;
  amountCents: bigint;
  /** The loan's number, for the borrower's statement. */
  individualId: string;
  individualName: string;
  traceNumber: string;
  /** A debit presented again after a return: NACHA asks for it in a batch described `RETRY PYMT`. */
  retry: boolean;
}

export interface DebitFileInput {
  /** The ODFI: the lender's bank, which takes the file. */
  odfiRouting: string;
  odfiName: string;
  companyName: string;
  companyId: string;
  /** YYMMDD and HHMM of creation, from the instant the file is made (in UTC). */
  created: Date;
  effectiveDate: string;
  entries: readonly DebitEntry[];
}

const yymmdd = (date: string) => date.slice(2, 4) + date.slice(5, 7) + date.slice(8, 10);

/**
 * The PPD debit file of `input`'s entries, lines joined by "\n", blocked to tens with "9" records: one batch of first
 * presentments (`LOAN PMT`) and one of debits presented again (`RETRY PYMT`), each only when it has entries.
 */
export function debitFile(input: DebitFileInput): string {
  const odfi8 = input.odfiRouting.slice(0, 8);
  const iso = input.created.toISOString();
  const lines: string[] = [];
  lines.push('1' + '01' + ' ' + input.odfiRouting + alpha(input.companyId, 10) + yymmdd(iso.slice(0, 10)) + iso.slice(11, 13) + iso.slice(14, 16) + 'A' + '094' + '10' + '1'
    + alpha(input.odfiName, 23) + alpha(input.companyName, 23) + alpha('', 8));
  const groups = [
    { description: 'LOAN PMT', entries: input.entries.filter((e) => !e.retry) },
    { description: 'RETRY PYMT', entries: input.entries.filter((e) => e.retry) },
  ].filter((g) => g.entries.length > 0);
  let fileHash = 0n;
  let fileTotal = 0n;
  groups.forEach((group, k) => {
    const batchNumber = numeric(k + 1, 7);
    lines.push('5' + '225' + alpha(input.companyName, 16) + alpha('', 20) + alpha(input.companyId, 10) + 'PPD' + alpha(group.description, 10)
      + alpha('', 6) + yymmdd(input.effectiveDate) + '   ' + '1' + odfi8 + batchNumber);
    let hash = 0n;
    let total = 0n;
    for (const entry of group.entries) {
      lines.push('6' + (entry.accountType === 'checking' ? '27' : '37') + entry.routingNumber.slice(0, 8) + entry.routingNumber.slice(8) + alpha(entry.accountNumber, 17)
        + numeric(entry.amountCents, 10) + alpha(entry.individualId, 15) + alpha(entry.individualName, 22) + '  ' + '0' + numeric(entry.traceNumber, 15));
      hash += BigInt(entry.routingNumber.slice(0, 8));
      total += entry.amountCents;
    }
    lines.push('8' + '225' + numeric(group.entries.length, 6) + numeric(hash % 10_000_000_000n, 10) + numeric(total, 12) + numeric(0, 12) + alpha(input.companyId, 10)
      + alpha('', 19) + alpha('', 6) + odfi8 + batchNumber);
    fileHash += hash;
    fileTotal += total;
  });
  const blocks = Math.ceil((lines.length + 1) / 10);
  lines.push('9' + numeric(groups.length, 6) + numeric(blocks, 6) + numeric(input.entries.length, 8) + numeric(fileHash % 10_000_000_000n, 10) + numeric(fileTotal, 12)
    + numeric(0, 12) + alpha('', 39));
  while (lines.length % 10 !== 0) lines.push('9'.repeat(RECORD_LENGTH));
  return lines.join('\n') + '\n';
}

export interface DebitReturn {
  /** R01, R09, … */
  code: string;
  /** The trace number of the presentment it returns. */
  originalTrace: string;
  amountCents: bigint;
}

/**
 * The returns in a return file: each entry with addenda 99 gives its R-code and the original entry's trace number.
 * Refuses a file that is not 94-character records (line numbers named as `file`, from 1), and an addenda 99 that does
 * not follow an entry.
 */
export function readReturns(text: string): DebitReturn[] {
  const lines = text.split(/\r?\n/).filter((line) => line.length > 0);
  const returns: DebitReturn[] = [];
  let entry: { amountCents: bigint } | null = null;
  lines.forEach((line, k) => {
    if (line.length !== RECORD_LENGTH) throw new InvalidField('file', `line ${k + 1} is ${line.length} characters; NACHA records are ${RECORD_LENGTH}`);
    const type = line[0];
    if (k === 0 && type !== '1') throw new InvalidField('file', 'line 1 is not a file header (record type 1)');
    if (type === '6') {
      if (!/^\d{10}$/.test(line.slice(29, 39))) throw new InvalidField('file', `line ${k + 1}: the amount is not 10 digits`);
      entry = { amountCents: BigInt(line.slice(29, 39)) };
    } else if (type === '7' && line.slice(1, 3) === '99') {
      if (entry === null) throw new InvalidField('file', `line ${k + 1}: a return addenda follows no entry`);
      const code = line.slice(3, 6);
      const originalTrace = line.slice(6, 21);
      if (!/^R\d{2}$/.test(code)) throw new InvalidField('file', `line ${k + 1}: ${code} is not a return reason code`);
      if (!/^\d{15}$/.test(originalTrace)) throw new InvalidField('file', `line ${k + 1}: the original trace number is not 15 digits`);
      returns.push({ code, originalTrace, amountCents: (entry as { amountCents: bigint }).amountCents });
      entry = null;
    } else if (!'15789'.includes(type!)) {
      throw new InvalidField('file', `line ${k + 1}: record type ${type} is not one of a NACHA file`);
    }
  });
  return returns;
}

/**
 * What a return does. R01 and R09 (no money now) are charged the return fee and may be presented again. A return
 * that says the account cannot be debited, or that the borrower did not or no longer authorises it, ends the
 * mandate: R02 (closed), R03 (no account), R04 (invalid number), R05 (unauthorised consumer debit), R07
 * (authorisation revoked), R10 (not authorised), R16 (frozen), R20 (non-transaction account), R29 (corporate:
 * not authorised). Any other only reverses the repayment.
 */
export function returnAction(code: string): { fee: boolean; represent: boolean; revokeMandate: boolean } {
  if (code === 'R01' || code === 'R09') return { fee: true, represent: true, revokeMandate: false };
  if (MANDATE_ENDING.has(code)) return { fee: false, represent: false, revokeMandate: true };
  return { fee: false, represent: false, revokeMandate: false };
}
const MANDATE_ENDING = new Set(['R02', 'R03', 'R04', 'R05', 'R07', 'R10', 'R16', 'R20', 'R29']);

/** A presentment may be made again at most twice, within 180 days of the first. */
export const MAX_ATTEMPTS = 3;
export const REPRESENT_WITHIN_DAYS = 180;
