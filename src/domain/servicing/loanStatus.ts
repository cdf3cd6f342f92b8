// A loan's status and the only moves it may make. Every change of status goes through `nextStatus`, so an
// illegal move is a typed error rather than a row in a state nobody planned for. A restructured loan keeps its
// status (active or overdue, as its money says); that it was restructured is a fact of its own, not a status.
import { statusInWords } from '../../errors.js';

export const LOAN_STATUSES = ['approved', 'active', 'overdue', 'closed', 'written_off'] as const;
export type LoanStatus = (typeof LOAN_STATUSES)[number];

export const LOAN_EVENTS = ['disburse', 'fall_overdue', 'cure', 'settle', 'reopen', 'write_off', 'reinstate'] as const;
export type LoanEvent = (typeof LOAN_EVENTS)[number];
// disburse: the money was paid out, repayments are now expected. fall_overdue: something fell due and was not paid
// by the end of its due date. cure: everything due is paid again (instalments still to come). settle: nothing is
// owed and nothing will fall due. reopen: a reversal or backdated change shows obligations were not met after all.
// write_off: everything owed is given up. reinstate: the write-off was reversed, so the loan is owed again.

/** From each status, what each event leads to; anything absent is refused. */
export const LOAN_TRANSITIONS: Readonly<Record<LoanStatus, Partial<Record<LoanEvent, LoanStatus>>>> = {
  approved: { disburse: 'active' },
  // A loan may be written off before it is overdue (a borrower's death, fraud): the lender decides, not the calendar.
  active: { fall_overdue: 'overdue', settle: 'closed', write_off: 'written_off' },
  overdue: { cure: 'active', settle: 'closed', write_off: 'written_off' },
  // A payment reversed after closing reopens the loan: it is again owed, and overdue if anything is past due.
  closed: { reopen: 'active', fall_overdue: 'overdue' },
  // Money after a write-off is a recovery and moves no status; only reversing the write-off brings the loan back.
  written_off: { reinstate: 'active' },
};

export class IllegalLoanTransition extends Error {
  constructor(readonly from: LoanStatus, readonly event: LoanEvent) {
    super(`a loan that is ${statusInWords(from)} cannot ${statusInWords(event)}`);
    this.name = 'IllegalLoanTransition';
  }
}

export function nextStatus(from: LoanStatus, event: LoanEvent): LoanStatus {
  const to = LOAN_TRANSITIONS[from][event];
  if (!to) throw new IllegalLoanTransition(from, event);
  return to;
}
