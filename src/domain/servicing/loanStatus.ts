// A loan's status and the only moves it may make. Every change of status goes through `nextStatus`, so an
// illegal move is a typed error rather than a row in a state nobody planned for. Written-off and restructured
// are reserved here (their transitions exist) until collections and loan modifications use them.
export const LOAN_STATUSES = ['approved', 'active', 'overdue', 'closed', 'written_off', 'restructured'] as const;
export type LoanStatus = (typeof LOAN_STATUSES)[number];

export type LoanEvent =
  /** The money was paid out: repayments are now expected. */
  | 'disburse'
  /** Something fell due and was not paid by the end of its due date. */
  | 'fall_overdue'
  /** Everything due is paid again (the loan still has instalments to come). */
  | 'cure'
  /** Nothing is owed any more and nothing will fall due: obligations met. */
  | 'settle'
  /** A reversal or backdated change shows obligations were not met after all. */
  | 'reopen'
  | 'write_off'
  | 'restructure';

/** From each status, what each event leads to; anything absent is refused. */
export const LOAN_TRANSITIONS: Readonly<Record<LoanStatus, Partial<Record<LoanEvent, LoanStatus>>>> = {
  approved: { disburse: 'active' },
  active: { fall_overdue: 'overdue', settle: 'closed', restructure: 'restructured' },
  overdue: { cure: 'active', settle: 'closed', write_off: 'written_off', restructure: 'restructured' },
  // A payment reversed after closing reopens the loan: it is again owed, and overdue if anything is past due.
  closed: { reopen: 'active', fall_overdue: 'overdue' },
  written_off: {},
  restructured: {},
};

export class IllegalLoanTransition extends Error {
  constructor(readonly from: LoanStatus, readonly event: LoanEvent) {
    super(`a loan that is ${from.replace('_', ' ')} cannot ${event.replace('_', ' ')}`);
    this.name = 'IllegalLoanTransition';
  }
}

export function nextStatus(from: LoanStatus, event: LoanEvent): LoanStatus {
  const to = LOAN_TRANSITIONS[from][event];
  if (!to) throw new IllegalLoanTransition(from, event);
  return to;
}
