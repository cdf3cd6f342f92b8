// A posting carried on from the loan's checkpoint leaves exactly the books a replay from scratch leaves (the
// oracle), for random loans (random terms, rules, late fees, penalty interest, fees on dates, tranches, co-lenders) and
// random histories posted over random business dates: transactions of every kind arriving in a random order with
// random value dates (backdated ones and reversals of earlier ones are common), and days with no transaction on
// which the loan is only brought forward — by end of day's replay, or by its set-based step, which posts the
// replay's accruals and leaves the checkpoint behind. Two books are kept side by side, one
// posting through the checkpoint whenever it may, one always from scratch; after every posting the journals each
// posts (kind, date, narrative, lines), the loan's balances, status, days past due, position and the checkpoint
// it stores must be the same.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays } from '../../../src/domain/calendar.js';
import { Decimal } from '../../../src/domain/money.js';
import { journalsToPost, type JournalToPost, type PostedNet } from '../../../src/domain/servicing/journalsToPost.js';
import { replayLoan, type LoanAccount, type LoanTransaction } from '../../../src/domain/servicing/loanAccount.js';
import { needsHistory, replayForPosting, type LoanOnRecord, type PostingReplay } from '../../../src/domain/servicing/postingReplay.js';
import type { ReplayCheckpoint } from '../../../src/domain/servicing/replay/checkpoint.js';
import { InvalidField } from '../../../src/errors.js';
import { coLentLoans, DISBURSED, drafts, loans, transactionsFrom } from '../../support/loanArbitraries.js';

/** One side's books: what it has posted (netted per date and account), how far, and its checkpoint. */
class Books {
  readonly ledger = new Map<string, Decimal>();
  replayedTo = DISBURSED;
  transactions: LoanTransaction[] = [];
  checkpoint: ReplayCheckpoint | null = null;
  resumed = 0;

  constructor(readonly loan: LoanAccount, readonly useCheckpoint: boolean) {}

  posted(): PostedNet[] {
    return [...this.ledger].filter(([, net]) => !net.isZero()).map(([key, net]) => {
      const [valueDate, account] = key.split('|') as [string, string];
      return { valueDate, account, net };
    });
  }

  /** The first date on which the loan must be replayed rather than brought forward set-based (the position's `replayOn`). */
  replayOn: string | null = null;

  /**
   * Posts `fresh` as of `businessDate`. `setBased`: the day is end of day's set-based step, which posts what the
   * replay posts but leaves the checkpoint as it was.
   */
  post(fresh: readonly LoanTransaction[], businessDate: string, setBased = false): { replay: PostingReplay; journals: JournalToPost[] } {
    const onRecord: LoanOnRecord = {
      account: this.loan, replayedTo: this.replayedTo, transactionCount: this.transactions.length, checkpoint: this.useCheckpoint ? this.checkpoint : null,
    };
    // The side on the checkpoint is given the stored history only when it asks for it.
    const history = needsHistory(onRecord, fresh) ? { transactions: this.transactions, posted: this.posted() } : null;
    const replay = replayForPosting(onRecord, fresh, businessDate, history);
    if (replay.resumed) this.resumed += 1;
    const journals = journalsToPost(
      { disbursementDate: this.loan.disbursementDate, replayedTo: this.replayedTo, posted: replay.posted, booking: replay.booking },
      replay.journals, fresh.map((t) => ({ id: t.id, kind: t.kind, valueDate: t.valueDate })), businessDate,
    );
    for (const journal of journals) {
      for (const line of journal.lines) {
        const key = `${journal.valueDate}|${line.account}`;
        this.ledger.set(key, (this.ledger.get(key) ?? new Decimal(0)).plus(line.debit).minus(line.credit));
      }
    }
    this.transactions.push(...fresh);
    this.replayedTo = businessDate;
    this.replayOn = replay.state.position.replayOn;
    if (!setBased) this.checkpoint = replay.checkpoint;
    return { replay, journals };
  }
}

/** What a caller of the posting sees and stores of a replay: everything but the explanations. */
function shown(replay: PostingReplay) {
  const s = replay.state;
  return JSON.stringify({
    status: s.status, daysPastDue: s.daysPastDue, totals: s.totals, held: s.held, interestInAdvance: s.interestInAdvance,
    instalments: s.instalments, position: s.position, checkpoint: replay.checkpoint,
  });
}

const histories = fc.record({
  // A loan shared with co-lenders posts their parts beside its own journals: the checkpoint must carry those too.
  loan: fc.oneof({ weight: 3, arbitrary: loans }, { weight: 1, arbitrary: coLentLoans }),
  drafts,
  // Days between one posting's business date and the next, and days with nothing posted (the loan brought forward).
  gaps: fc.array(fc.integer({ min: 0, max: 40 }), { minLength: 14, maxLength: 14 }),
  idle: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 14, maxLength: 14 }),
});

describe('posting from a checkpoint', () => {
  it('leaves the same journals, balances, position and checkpoint as the replay from scratch, posting after posting', () => {
    let resumed = 0;
    let postings = 0;
    fc.assert(
      fc.property(histories, ({ loan, drafts: list, gaps, idle }) => {
        // The transactions as they would be accepted by their last business date; each arrives on a business date on
        // or after its value date, and is left out if the loan refuses it then.
        const planned = transactionsFrom(loan, list, [addDays(DISBURSED, 400)]);
        const fast = new Books(loan, true);
        const slow = new Books(loan, false);
        const both = (fresh: LoanTransaction[], date: string, setBased = false) => {
          const a = fast.post(fresh, date, setBased);
          const b = slow.post(fresh, date, setBased);
          expect(JSON.stringify(a.journals)).toBe(JSON.stringify(b.journals));
          expect(shown(a.replay)).toBe(shown(b.replay));
          expect(fast.posted().map((p) => `${p.valueDate}|${p.account}|${p.net.toFixed()}`).sort())
            .toEqual(slow.posted().map((p) => `${p.valueDate}|${p.account}|${p.net.toFixed()}`).sort());
          postings += 1;
        };
        both([], DISBURSED);
        let businessDate = DISBURSED;
        planned.forEach((t, k) => {
          // Days on which nothing is posted: the loan is brought forward, as end of day replays it.
          // End of day brings a loan forward set-based (leaving its checkpoint behind) until its position asks for a replay.
          for (let d = 0; d < (idle[k % idle.length] ?? 0); d += 1) {
            businessDate = addDays(businessDate, 1 + (gaps[(k + d + 1) % gaps.length] ?? 0) % 7);
            const replayOn = slow.replayOn;
            both([], businessDate, (d + k) % 2 === 0 && (replayOn === null || replayOn > businessDate));
          }
          const arrival = addDays(t.valueDate > businessDate ? t.valueDate : businessDate, (gaps[k % gaps.length] ?? 0) % 3 === 0 ? 0 : gaps[k % gaps.length]! % 5);
          try {
            replayLoan(loan, [...slow.transactions, t], arrival);
          } catch (error) {
            if (error instanceof InvalidField) return;
            throw error;
          }
          businessDate = arrival;
          both([t], businessDate);
        });
        both([], addDays(businessDate, 45));
        resumed += fast.resumed;
        expect(slow.resumed).toBe(0);
      }),
      { numRuns: 120 },
    );
    // The checkpoint is really taken: most postings carry on from it.
    expect(resumed).toBeGreaterThan(postings / 4);
  });
});
