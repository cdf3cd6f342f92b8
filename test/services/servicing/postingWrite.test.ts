// The posting statement takes its rows as four JSON arrays. They are written out as each slice of a payment file is
// replayed (so the slice's objects can go), and joined when the part is sent: what is joined must be exactly the
// arrays of every slice's rows in turn, with journals numbered across all of them (their insertion order, which the
// journal's posting sequence follows). And a refusal from a posting's replay reaches the caller named by the caller's
// own input, never by the id its new transaction was just given.
import { describe, expect, it } from 'vitest';
import { asInputError, postingWrite, type PostingRows } from '../../../src/services/servicing/postings.js';
import { InvalidField } from '../../../src/errors.js';

let ids = 0;
function rowsOf(loan: string, journals: number, linesEach: number): PostingRows {
  const made: PostingRows = { transactions: [], journals: [], lines: [], loans: [] };
  made.transactions.push({
    id: `t-${ids++}`, loanId: loan, seq: 1, kind: 'repayment', valueDate: '2026-12-01', amount: '1.50', component: null, instalment: null, reschedule: null,
    reverses: null, channel: null, externalReference: null, reason: 'a "quoted", text\nwith a newline', batchId: null, enteredBy: 'agent',
    enteredAt: '2026-12-01T00:00:00.000Z', terms: null,
  });
  for (let k = 0; k < journals; k += 1) {
    const id = `j-${ids++}`;
    made.journals.push({
      id, loan_id: loan, transaction_id: null, kind: 'posting', currency: 'USD', value_date: '2026-12-01', narrative: `journal ${k} of ${loan}`,
      posted_by: 'agent', posted_at: '2026-12-01T00:00:00.000Z', ord: k,
    });
    for (let line = 1; line <= linesEach; line += 1) {
      made.lines.push({ journal_id: id, line, account: '1100', debit: '1.50', credit: '0', loan_id: loan, currency: 'USD', value_date: '2026-12-01' });
    }
  }
  made.loans.push({ id: loan, status: 'active', upcoming_due_dates: ['2027-01-01', '2027-02-01'], replay_checkpoint: '{"version":1,"state":{"held":"0"}}' });
  return made;
}

describe('the posting statement', () => {
  it('takes every part\'s rows in turn, journals numbered across the parts', () => {
    const parts = [rowsOf('a', 2, 2), rowsOf('b', 0, 0), rowsOf('c', 3, 1), rowsOf('d', 1, 4)];
    const statement = postingWrite(parts);
    const [transactions, journals, lines, loans] = statement.values.map((value) => JSON.parse(value as string) as Record<string, unknown>[]);
    expect(transactions).toEqual(parts.flatMap((p) => p.transactions));
    expect(lines).toEqual(parts.flatMap((p) => p.lines));
    expect(loans).toEqual(parts.flatMap((p) => p.loans));
    const all = parts.flatMap((p) => p.journals);
    expect(journals).toEqual(all.map((journal, ord) => ({ ...journal, ord })));
    // The callers' rows are left as they were.
    expect(parts[2]!.journals.map((j) => j.ord)).toEqual([0, 1, 2]);
    expect(statement.prepared).toEqual({ shape: 'posting-write', types: ['jsonb', 'jsonb', 'jsonb', 'jsonb'] });
  });

  it('numbers journals by their place, whatever numbers the rows came with', () => {
    const renumbered = rowsOf('h', 2, 1);
    renumbered.journals.forEach((journal, k) => { journal.ord = 5 + k; });
    const [, journals] = postingWrite([rowsOf('i', 1, 1), renumbered]).values.map((value) => JSON.parse(value as string) as { ord: number }[]);
    expect(journals!.map((j) => j.ord)).toEqual([0, 1, 2]);
    expect(renumbered.journals.map((j) => j.ord)).toEqual([5, 6]);
  });

  it('writes the same text as the whole rows written at once', () => {
    const one = rowsOf('e', 2, 3);
    const values = postingWrite([one]).values;
    expect(values).toEqual([JSON.stringify(one.transactions), JSON.stringify(one.journals), JSON.stringify(one.lines), JSON.stringify(one.loans)]);
  });

  it('writes empty arrays when a list has no rows in any part', () => {
    const values = postingWrite([rowsOf('f', 0, 0), rowsOf('g', 0, 0)]).values;
    expect(JSON.parse(values[1] as string)).toEqual([]);
    expect(JSON.parse(values[2] as string)).toEqual([]);
    expect(JSON.parse(values[0] as string)).toHaveLength(2);
  });
});

describe('a replay\'s refusal as the caller reads it', () => {
  const draft = (id: string, field: string) => ({ id, field, loanId: 'loan', kind: 'repayment' as const, valueDate: '2026-12-01' });
  const one = draft('0193a3c2-7d4e-7a00-8000-000000000001', 'repayments.1.');
  const other = draft('0193a3c2-7d4e-7a00-8000-000000000002', 'repayments.2.');

  it('names the input\'s field and leaves the new transaction\'s id, which the caller never saw, out of the message', () => {
    const refused = asInputError(new InvalidField(`transactions.${one.id}.amount`, `transactions.${one.id}.amount must be more than zero`), [other, one]);
    expect(refused.field).toBe('repayments.1.amount');
    expect(refused.message).toBe('amount must be more than zero');
    const named = asInputError(new InvalidField('transactions', `transaction ${other.id} is valued before the disbursement`), [one, other]);
    expect(named.field).toBe('repayments.2.valueDate');
    expect(named.message).toBe('the transaction is valued before the disbursement');
  });
});
