// The replay a posting needs, and what the ledger already holds for the same span: from the loan's checkpoint when
// nothing posted reaches before it (replay/checkpoint.ts), else from scratch over the loan's whole stored history.
// Either way the caller posts the difference (journalsToPost) and stores the new checkpoint, so the two paths
// leave the same books: the properties in test/domain show it for random histories. Values in, values out.
import type { Journal } from './ledger.js';
import type { LoanAccount, LoanAccountState, LoanTransaction } from './loanAccount.js';
import type { PostedNet } from './journalsToPost.js';
import { Decimal } from '../money.js';
import { stateOf } from './replay/accountState.js';
import { checkpointOf, penaltyAccrues, resumedState, resumesFrom, type ReplayCheckpoint } from './replay/checkpoint.js';
import { carryForward, replayWorking } from './replay/replay.js';
import type { WorkingState } from './replay/workingState.js';

export interface LoanOnRecord {
  account: LoanAccount;
  /** The business date the ledger holds the loan's replay to (its `as_of`). */
  replayedTo: string;
  /** Its transactions so far, in arrival order. */
  transactionCount: number;
  checkpoint: ReplayCheckpoint | null;
}

/** What only the replay from scratch needs: every stored transaction (arrival order) and what is posted per date and account. */
export interface StoredHistory {
  transactions: readonly LoanTransaction[];
  posted: readonly PostedNet[];
}

export interface PostingReplay {
  /** The loan as of the date. Resumed, its explanations and journals are those of what was replayed (since the checkpoint). */
  state: LoanAccountState;
  /** The replayed journals to bring the ledger to, beside `posted`: what the ledger holds for the same span. */
  journals: readonly Journal[];
  posted: readonly PostedNet[];
  /** Nothing is posted for the loan yet: it is being booked. */
  booking: boolean;
  checkpoint: ReplayCheckpoint;
  resumed: boolean;
}

/** Whether appending `fresh` needs the loan's whole stored history (the replay from scratch). */
export function needsHistory(loan: LoanOnRecord, fresh: readonly LoanTransaction[]): boolean {
  return !resumesFrom(loan.checkpoint, loan.transactionCount, fresh);
}

/** The loan with `fresh` appended, as of `asOf` (the business date). `history` is needed when `needsHistory` says so. */
export function replayForPosting(loan: LoanOnRecord, fresh: readonly LoanTransaction[], asOf: string, history: StoredHistory | null): PostingReplay {
  const covers = loan.transactionCount + fresh.length;
  const { checkpoint } = loan;
  if (!resumesFrom(checkpoint, loan.transactionCount, fresh)) {
    if (!history) throw new Error(`the replay of loan ${loan.account.id} needs its stored history`);
    const { working, state, effective } = replayWorking(loan.account, [...history.transactions, ...fresh], asOf);
    return {
      state, journals: state.journals, posted: history.posted, booking: history.posted.length === 0,
      checkpoint: checkpointOf(working, asOf, covers, effective.some((t) => t.valueDate === asOf)), resumed: false,
    };
  }
  // In the replay's order: value date, then arrival (every covered transaction arrived before them).
  const ordered = fresh.map((t, k) => ({ t, k })).sort((a, b) => (a.t.valueDate < b.t.valueDate ? -1 : a.t.valueDate > b.t.valueDate ? 1 : a.k - b.k)).map(({ t }) => t);
  const transactedOn = ordered.some((t) => t.valueDate === asOf) || (checkpoint.asOf === asOf && checkpoint.transactedOn);
  // What the ledger holds since the checkpoint is the checkpoint carried to `replayedTo`. When everything new is
  // valued on or after that date, the same pass goes on from there — unless penalty interest accrues over
  // `replayedTo` and the replay from scratch would not stop on it: then the new books are made in a pass of their own.
  const before = resumedState(loan.account, checkpoint);
  carryForward(before, [], loan.replayedTo);
  const first = ordered[0];
  const onePass = (first === undefined || first.valueDate >= loan.replayedTo) && (first?.valueDate === loan.replayedTo || !penaltyAccrues(before));
  const posted = netsOf(before.journals);
  let working: WorkingState;
  let journals: readonly Journal[];
  if (onePass) {
    carryForward(before, ordered, asOf);
    working = before;
    journals = before.journals;
  } else {
    working = resumedState(loan.account, checkpoint);
    carryForward(working, ordered, asOf);
    journals = working.journals;
  }
  return {
    state: stateOf(working, asOf), journals, posted, booking: false,
    checkpoint: checkpointOf(working, asOf, covers, transactedOn), resumed: true,
  };
}

/** Journals netted per value date and account (debits less credits), as the ledger is read. */
function netsOf(journals: readonly Journal[]): PostedNet[] {
  const nets = new Map<string, PostedNet>();
  for (const journal of journals) {
    for (const line of journal.lines) {
      const key = `${journal.valueDate}|${line.account}`;
      const net = nets.get(key) ?? { valueDate: journal.valueDate, account: line.account, net: new Decimal(0) };
      net.net = net.net.plus(line.debit).minus(line.credit);
      nets.set(key, net);
    }
  }
  return [...nets.values()];
}
