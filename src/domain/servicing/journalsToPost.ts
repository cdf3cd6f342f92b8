// What a replay changes for a loan already on the books: the journals to post and the status to store. The ledger
// is append-only and must always equal the replay, so what is posted is the replayed books less what the ledger
// already holds, netted per value date and account: a plain repayment posts its own journal; a backdated one or a
// reversal also posts corrections dated where the replayed books differ; instalments that fell due since the loan
// was last replayed post accruals. Values in, values out: the posting engine reads and writes around it.
import { Decimal } from '../money.js';
import type { JournalLine, Journal } from './ledger.js';
import type { LoanAccountStatus, LoanTransaction } from './loanAccount.js';
import { nextStatus, type LoanEvent, type LoanStatus } from './loanStatus.js';

export type TransactionKind = LoanTransaction['kind'];

/** What the ledger holds for one loan on one value date in one account: debits less credits. */
export interface PostedNet {
  valueDate: string;
  account: string;
  net: Decimal;
}

/** A transaction being appended now: its journal is named after it and carries its id. */
export interface NewTransaction {
  id: string;
  kind: TransactionKind;
  valueDate: string;
  externalReference?: string | null;
}

export type PostingKind = 'disbursement' | 'posting' | 'accrual' | 'correction';

export interface JournalToPost {
  kind: PostingKind;
  valueDate: string;
  narrative: string;
  /** The transaction the journal posts, or for a correction the newest transaction that caused it. */
  transactionId: string | null;
  /** By account code; each account once, on the side its net amount falls. */
  lines: JournalLine[];
}

export interface LoanOnTheBooks {
  disbursementDate: string;
  /** The business date the loan was last replayed to: anything the replay adds after it has newly fallen due. */
  replayedTo: string;
  /** What is posted so far (or since a checkpoint); none means the loan is being booked, unless `booking` says otherwise. */
  posted: readonly PostedNet[];
  booking?: boolean;
}

const ZERO = new Decimal(0);

const NARRATIVE: Record<TransactionKind, string> = {
  repayment: 'Repayment', prepayment: 'Prepayment', payoff: 'Payoff', refund: 'Refund of excess',
  reversal: 'Reversal', charge: 'Charge', waiver: 'Waiver', tranche: 'Tranche disbursed', writeOff: 'Write-off', restructure: 'Restructure',
};

const keyOf = (valueDate: string, account: string) => `${valueDate}|${account}`;

/**
 * The journals that bring the ledger from what `loan.posted` holds to what the replayed `journals` hold, oldest
 * value date first. `fresh` are the transactions appended in this posting, in the order they were given;
 * `businessDate` dates the narrative of a correction that no new transaction caused, unless `cause` names it.
 */
export function journalsToPost(
  loan: LoanOnTheBooks, replayed: readonly Journal[], fresh: readonly NewTransaction[], businessDate: string,
  /** What changed the loan's books when no transaction did (a co-lender's share taken or bought back): names its corrections. */
  cause?: string,
): JournalToPost[] {
  const target = new Map<string, Decimal>();
  for (const journal of replayed) {
    for (const line of journal.lines) {
      const key = keyOf(journal.valueDate, line.account);
      target.set(key, (target.get(key) ?? ZERO).plus(line.debit).minus(line.credit));
    }
  }
  const already = new Map<string, Decimal>();
  for (const { valueDate, account, net } of loan.posted) {
    const key = keyOf(valueDate, account);
    already.set(key, (already.get(key) ?? ZERO).plus(net));
  }
  const byDate = new Map<string, { account: string; net: Decimal }[]>();
  for (const key of new Set([...target.keys(), ...already.keys()])) {
    const net = (target.get(key) ?? ZERO).minus(already.get(key) ?? ZERO);
    if (net.isZero()) continue;
    const [valueDate, account] = key.split('|') as [string, string];
    byDate.set(valueDate, [...(byDate.get(valueDate) ?? []), { account, net }]);
  }

  // A loan with nothing posted yet is being booked: its first journals are the disbursement and accruals.
  const booking = loan.booking ?? loan.posted.length === 0;
  const latest = fresh.at(-1);
  return [...byDate.keys()].sort().map((valueDate) => {
    const own = fresh.find((t) => t.valueDate === valueDate);
    // A later tranche is money paid out, as the booking's was: its journal is a disbursement too.
    const kind: PostingKind = booking && valueDate === loan.disbursementDate ? 'disbursement'
      : own ? (own.kind === 'tranche' ? 'disbursement' : 'posting')
        : valueDate > loan.replayedTo || booking ? 'accrual' : 'correction';
    const narrative = kind === 'disbursement' && !own ? 'Disbursement'
      : kind === 'posting' || kind === 'disbursement' ? `${NARRATIVE[own!.kind]}${own!.externalReference ? ` ${own!.externalReference}` : ''}`
        : kind === 'accrual' ? 'Instalments falling due'
          : !latest && cause ? cause : `Replayed after ${NARRATIVE[latest?.kind ?? 'repayment'].toLowerCase()} valued ${latest?.valueDate ?? businessDate}`;
    const lines = byDate.get(valueDate)!
      .sort((a, b) => a.account.localeCompare(b.account))
      .map(({ account, net }) => ({ account, debit: net.gt(0) ? net : ZERO, credit: net.lt(0) ? net.negated() : ZERO }));
    return { kind, valueDate, narrative, transactionId: own?.id ?? (kind === 'correction' ? latest?.id ?? null : null), lines };
  });
}

/**
 * The status a stored loan moves to when its replay says it is active, overdue, closed or written off, walked
 * through the transition table so a move the table refuses is an IllegalLoanTransition rather than a silent
 * overwrite.
 */
export function statusAfterReplay(from: LoanStatus, replayed: LoanAccountStatus): LoanStatus {
  let status = from;
  for (let step = 0; status !== replayed && step < 4; step += 1) {
    const event: LoanEvent = status === 'approved' ? 'disburse'
      : status === 'written_off' ? 'reinstate'
        : status === 'closed' ? (replayed === 'overdue' ? 'fall_overdue' : 'reopen')
          : replayed === 'written_off' ? 'write_off'
            : replayed === 'overdue' ? 'fall_overdue'
              : replayed === 'closed' ? 'settle' : 'cure';
    status = nextStatus(status, event);
  }
  return status;
}
