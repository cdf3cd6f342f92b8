// A loan's replay kept as of a date, so a posting that touches nothing before that date carries the loan on from
// there instead of replaying it from its disbursement: the cost of a posting then follows what it touches, not
// how long the loan has lived. The replay from scratch stays the oracle; a checkpoint only ever stands for what
// the replay from scratch would have reached (the properties in test/domain show it), so it is kept only where
// carrying on from it is exactly the same:
// - it covers the loan's transactions in arrival order up to `covers`, every one valued on or before `asOf`; a
//   later transaction valued on or after `asOf` applies after them in the replay's order (value date, then arrival);
// - penalty interest is recognised whenever the replay stops on a date, so stopping on `asOf` changes the books
//   when overdue principal bears it — unless the replay stops there anyway (a transaction valued that day).
//   Such a state is kept but marked not `resumable`.
// Stored as JSON text with amounts as strings (the loan's `replay_checkpoint`); the format has a version.
import { Decimal } from '../../money.js';
import type { Amounts, LoanAccount, LoanTransaction } from '../loanAccount.js';
import { openingOf } from './replay.js';
import { outstandingOf, WorkingState, ZERO, type WorkingFields, type WorkingInstalment } from './workingState.js';

/** Penalty, fee, interest, principal. */
type AmountsRow = [string, string, string, string];
/**
 * number, from, due, charged, paid, waived, recognised, added [fee, penalty], accrual [from, interest, earnedBefore],
 * fallen, lateFeeChecked, and written off when anything is (absent in checkpoints written before write-offs existed).
 */
type InstalmentRow = [number, string, string, AmountsRow, AmountsRow, AmountsRow, AmountsRow, [string, string], [string, string, string], boolean, boolean, AmountsRow?];

export interface ReplayCheckpoint {
  version: 1;
  /** The working state is the loan as of the end of this date. */
  asOf: string;
  /** How many of the loan's transactions, in arrival order, it has taken in. */
  covers: number;
  /** A transaction in effect among those it covers is valued `asOf`: the replay from scratch stops there too. */
  transactedOn: boolean;
  /** Carrying on from it equals the replay from scratch (see above). */
  resumable: boolean;
  state: {
    instalments: InstalmentRow[];
    level: string | null;
    held: string;
    paidOff: boolean;
    /** A write-off in full: [date, total, recovered]. */
    writtenOff?: [string, string, string] | null;
    /** A restructure's terms: [date, annual rate]. */
    restructured?: [string, string] | null;
    penaltyFrom: string;
    nextFeeOnDate: number;
    tranches: [string, string, string][];
  };
}

// Most amounts a working state holds are the one zero it starts from (see `amount` below): written without arithmetic.
const text = (d: Decimal) => (d === ZERO ? '0' : d.toFixed());
const amountsRow = (a: Amounts): AmountsRow => [text(a.penalty), text(a.fee), text(a.interest), text(a.principal)];
// Most amounts a checkpoint keeps are nothing yet (paid, waived, added on instalments to come): one zero serves them all.
const amount = (t: string) => (t === '0' ? ZERO : new Decimal(t));
const amountsOf = (row: AmountsRow): Amounts => ({ penalty: amount(row[0]), fee: amount(row[1]), interest: amount(row[2]), principal: amount(row[3]) });

const NOTHING: AmountsRow = ['0', '0', '0', '0'];
const nothingIn = (a: Amounts) => a.penalty.isZero() && a.fee.isZero() && a.interest.isZero() && a.principal.isZero();

function instalmentRow(w: WorkingInstalment): InstalmentRow {
  const row: InstalmentRow = [
    w.number, w.fromDate, w.dueDate, amountsRow(w.charged), amountsRow(w.paid), amountsRow(w.waived), amountsRow(w.recognised),
    [text(w.added.fee), text(w.added.penalty)], [w.accrual.from, text(w.accrual.interest), text(w.accrual.earnedBefore)], w.fallen, w.lateFeeChecked,
  ];
  if (!nothingIn(w.writtenOff)) row.push(amountsRow(w.writtenOff));
  return row;
}

function instalmentOf(row: InstalmentRow): WorkingInstalment {
  const [number, fromDate, dueDate, charged, paid, waived, recognised, added, accrual, fallen, lateFeeChecked, writtenOff] = row;
  return {
    number, fromDate, dueDate, charged: amountsOf(charged), paid: amountsOf(paid), waived: amountsOf(waived), writtenOff: amountsOf(writtenOff ?? NOTHING),
    recognised: amountsOf(recognised),
    added: { fee: amount(added[0]), penalty: amount(added[1]) },
    accrual: { from: accrual[0], interest: amount(accrual[1]), earnedBefore: amount(accrual[2]) },
    fallen, lateFeeChecked,
  };
}

/** Overdue principal is bearing penalty interest: the books depend on the dates the replay stops on. */
export function penaltyAccrues(state: WorkingState): boolean {
  if (!(state.terms.penaltyRatePercent ?? new Decimal(0)).gt(0) || state.chargesStopped) return false;
  return state.instalments.some((w) => w.fallen && outstandingOf(w).principal.gt(0));
}

/**
 * The checkpoint of `state`, the loan as of `asOf` having taken in its first `covers` transactions;
 * `transactedOn` says whether one of them in effect is valued `asOf` (the replay stops there anyway).
 */
export function checkpointOf(state: WorkingState, asOf: string, covers: number, transactedOn: boolean): ReplayCheckpoint {
  const fields = state.fields();
  return {
    version: 1,
    asOf,
    covers,
    transactedOn,
    resumable: transactedOn || !penaltyAccrues(state),
    state: {
      instalments: fields.instalments.map(instalmentRow),
      level: fields.level === null ? null : text(fields.level),
      held: text(fields.held),
      paidOff: fields.paidOff,
      writtenOff: fields.writtenOff && [fields.writtenOff.on, text(fields.writtenOff.total), text(fields.writtenOff.recovered)],
      restructured: fields.restructured && [fields.restructured.on, text(fields.restructured.annualRatePercent)],
      penaltyFrom: fields.penaltyFrom,
      nextFeeOnDate: fields.nextFeeOnDate,
      tranches: fields.paidTranches.map((t) => [t.trancheId, t.valueDate, text(t.amount)]),
    },
  };
}

/** The working state a checkpoint keeps, for `loan` (its terms, rule and accounts), with no journal yet. */
export function resumedState(loan: LoanAccount, checkpoint: ReplayCheckpoint): WorkingState {
  const { request, feesOnDates } = openingOf(loan);
  const s = checkpoint.state;
  const fields: WorkingFields = {
    instalments: s.instalments.map(instalmentOf),
    level: s.level === null ? null : new Decimal(s.level),
    held: amount(s.held),
    paidOff: s.paidOff,
    writtenOff: s.writtenOff ? { on: s.writtenOff[0], total: new Decimal(s.writtenOff[1]), recovered: new Decimal(s.writtenOff[2]) } : null,
    restructured: s.restructured ? { on: s.restructured[0], annualRatePercent: new Decimal(s.restructured[1]) } : null,
    penaltyFrom: s.penaltyFrom,
    nextFeeOnDate: s.nextFeeOnDate,
    paidTranches: s.tranches.map(([trancheId, valueDate, amount]) => ({ trancheId, valueDate, amount: new Decimal(amount) })),
  };
  return new WorkingState(loan, request, feesOnDates, { resumed: fields });
}

/** A checkpoint as it is stored: JSON text. */
export function checkpointToJson(checkpoint: ReplayCheckpoint): string {
  return JSON.stringify(checkpoint);
}

/** A checkpoint read back from its stored JSON text, or null when there is none or it is not one this code writes. */
export function checkpointFromJson(stored: string | null): ReplayCheckpoint | null {
  if (!stored) return null;
  let value: unknown;
  try {
    value = JSON.parse(stored);
  } catch {
    return null;
  }
  if (!value || typeof value !== 'object') return null;
  const c = value as Partial<ReplayCheckpoint>;
  return c.version === 1 && typeof c.asOf === 'string' && typeof c.covers === 'number' && c.state ? (c as ReplayCheckpoint) : null;
}

/**
 * Whether appending `fresh` to a loan whose checkpoint is `checkpoint` and which has `transactionCount`
 * transactions can carry on from the checkpoint: it covers them all, is resumable, and nothing new reaches before
 * it — no transaction valued before its date, no reversal (it takes a transaction out of the history from its
 * start) and no later tranche (checked against every tranche before it).
 */
export function resumesFrom(checkpoint: ReplayCheckpoint | null, transactionCount: number, fresh: readonly LoanTransaction[]): checkpoint is ReplayCheckpoint {
  return checkpoint !== null && checkpoint.resumable && checkpoint.covers === transactionCount
    && fresh.every((t) => t.valueDate >= checkpoint.asOf && t.kind !== 'reversal' && t.kind !== 'tranche');
}
