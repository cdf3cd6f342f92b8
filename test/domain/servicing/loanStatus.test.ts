// The loan's transition table, whole: every status against every event, allowed moves land where the table says,
// every other pair is a typed IllegalLoanTransition.
import { describe, expect, it } from 'vitest';
import { IllegalLoanTransition, LOAN_EVENTS, LOAN_STATUSES, nextStatus, type LoanEvent, type LoanStatus } from '../../../src/domain/servicing/loanStatus.js';

const EVENTS: LoanEvent[] = ['disburse', 'fall_overdue', 'cure', 'settle', 'reopen', 'write_off', 'reinstate'];

// Written out in full, independently of LOAN_TRANSITIONS, so a change to the table must change this too.
const ALLOWED: Record<string, LoanStatus> = {
  'approved disburse': 'active',
  'active fall_overdue': 'overdue',
  'active settle': 'closed',
  'active write_off': 'written_off',
  'overdue cure': 'active',
  'overdue settle': 'closed',
  'overdue write_off': 'written_off',
  'closed reopen': 'active',
  'closed fall_overdue': 'overdue',
  'written_off reinstate': 'active',
};

describe('loan status transitions', () => {
  const pairs = LOAN_STATUSES.flatMap((status) => EVENTS.map((event) => [status, event] as const));
  it('covers every status and event (35 pairs)', () => {
    expect([...EVENTS].sort()).toEqual([...LOAN_EVENTS].sort());
    expect(pairs).toHaveLength(35);
  });

  it.each(pairs)('%s + %s', (status, event) => {
    const expected = ALLOWED[`${status} ${event}`];
    if (expected) {
      expect(nextStatus(status, event)).toBe(expected);
    } else {
      expect(() => nextStatus(status, event)).toThrow(IllegalLoanTransition);
    }
  });

  it('says in words what was refused', () => {
    expect(() => nextStatus('written_off', 'cure')).toThrow('a loan that is written off cannot cure');
  });
});
