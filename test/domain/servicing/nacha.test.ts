// NACHA files as values: the routing number's check digit, a PPD debit file read back by moov-io/ach (a reader from
// the Go module proxy, not our own) field by field with its controls and blocking, the return file's reading and
// its refusals naming the line, and what each R-code does.
import { describe, expect, it } from 'vitest';
import { debitFile, isRoutingNumber, readReturns, returnAction, RECORD_LENGTH } from '../../../src/domain/servicing/nacha.js';
import { hasAchcli, readWithMoov, returnFile } from '../../support/nacha.js';
import { refusalOf } from '../../support/refusal.js';

const input = {
  odfiRouting: '121000358', odfiName: 'Bank of Lenders', companyName: 'Acme Lending', companyId: '1234567890', created: new Date('2026-02-05T00:05:00Z'), effectiveDate: '2026-02-05',
  entries: [
    { accountType: 'checking' as const, routingNumber: '021000021', accountNumber: '12345678', amountCents: 53617n, individualId: 'L-000001', individualName: 'Åsa Öberg', traceNumber: '121000350000001', retry: false },
    { accountType: 'savings' as const, routingNumber: '011000015', accountNumber: '99887766554', amountCents: 100n, individualId: 'L-000002', individualName: 'Otto', traceNumber: '121000350000002', retry: false },
  ],
};

describe('routing numbers', () => {
  it('pass the ABA check digit or not', () => {
    expect(['021000021', '011000015', '121000358', '026009593'].map(isRoutingNumber)).toEqual([true, true, true, true]);
    expect(['021000022', '12100035', '1210003580', 'abcdefghi'].map(isRoutingNumber)).toEqual([false, false, false, false]);
  });
});

describe('the debit file', () => {
  const file = debitFile(input);
  it('is 94-character records blocked to tens', () => {
    const lines = file.trimEnd().split('\n');
    expect(lines.every((l) => l.length === RECORD_LENGTH)).toBe(true);
    expect(lines).toHaveLength(10);
    expect(lines.map((l) => l[0]).join('')).toBe('1566899999');
    expect(lines.slice(6)).toEqual(Array(4).fill('9'.repeat(94)));
  });

  it.skipIf(!hasAchcli())('is read by moov-io/ach as written, totals and entry hash included', () => {
    const read = readWithMoov(file);
    expect(read.batches).toHaveLength(1);
    const [batch] = read.batches;
    expect(batch!.entryDetails.map((e) => [e['transactionCode'], e['RDFIIdentification'], e['checkDigit'], e['DFIAccountNumber'], e['amount'], (e['individualName'] as string).trim(), e['traceNumber']])).toEqual([
      [27, '02100002', '1', '12345678', 53617, 'ASA OBERG', '121000350000001'],
      [37, '01100001', '5', '99887766554', 100, 'OTTO', '121000350000002'],
    ]);
    // The entry hash: the receiving banks' first eight digits summed (02100002 + 01100001).
    expect(batch!.batchControl).toMatchObject({ entryAddendaCount: 2, entryHash: 3200003, totalDebit: 53717, totalCredit: 0 });
    expect(read.fileControl).toMatchObject({ batchCount: 1, blockCount: 1, entryAddendaCount: 2, entryHash: 3200003, totalDebit: 53717 });
  });
});

describe('a file with debits presented again', () => {
  it.skipIf(!hasAchcli())('puts them in a batch of their own described RETRY PYMT, the file control counting both', () => {
    const file = debitFile({ ...input, entries: [input.entries[0]!, { ...input.entries[1]!, retry: true }] });
    const read = readWithMoov(file);
    expect(read.batches.map((b) => [b.batchHeader['companyEntryDescription'], b.batchHeader['batchNumber'], b.entryDetails.length, b.batchControl['entryHash'], b.batchControl['totalDebit']]))
      .toEqual([['LOAN PMT', 1, 1, 2100002, 53617], ['RETRY PYMT', 2, 1, 1100001, 100]]);
    expect(read.fileControl).toMatchObject({ batchCount: 2, entryAddendaCount: 2, entryHash: 3200003, totalDebit: 53717 });
  });
});

describe('return files', () => {
  const returns = returnFile(debitFile(input), [{ trace: '121000350000002', code: 'R03' }, { trace: '121000350000001', code: 'R01' }]);
  it.skipIf(!hasAchcli())('are read alike by moov-io/ach and by us', () => {
    const moov = readWithMoov(returns).batches[0]!.entryDetails.map((e) => [(e['addenda99'] as { returnCode: string; originalTrace: string }).returnCode, (e['addenda99'] as { originalTrace: string }).originalTrace, BigInt(e['amount'] as number)]);
    expect(readReturns(returns).map((r) => [r.code, r.originalTrace, r.amountCents])).toEqual(moov);
    expect(moov).toEqual([['R03', '121000350000002', 100n], ['R01', '121000350000001', 53617n]]);
  });

  it('refuse what is not a return file, naming the line', () => {
    expect(refusalOf(() => readReturns('hello'))).toEqual({ field: 'file', message: 'line 1 is 5 characters; NACHA records are 94' });
    const lines = returns.split('\n');
    expect(refusalOf(() => readReturns([lines[0], lines[1], lines[3]].join('\n')))?.message).toBe('line 3: a return addenda follows no entry');
    expect(refusalOf(() => readReturns(returns.replace('R03', 'X03')))?.message).toBe('line 4: X03 is not a return reason code');
    expect(refusalOf(() => readReturns(returns.replace(/^5/m, '3')))?.message).toBe('line 2: record type 3 is not one of a NACHA file');
  });

  it('say what each code does', () => {
    const money = { fee: true, represent: true, revokeMandate: false };
    const ends = { fee: false, represent: false, revokeMandate: true };
    const only = { fee: false, represent: false, revokeMandate: false };
    expect(['R01', 'R09', 'R02', 'R03', 'R04', 'R05', 'R07', 'R10', 'R16', 'R20', 'R29', 'R06', 'R08', 'R11'].map(returnAction))
      .toEqual([money, money, ends, ends, ends, ends, ends, ends, ends, ends, ends, only, only, only]);
  });
});
