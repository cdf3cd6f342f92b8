// A statement's fees and penalties, item by item: what a borrower disputes is a single charge, so a statement
// names each one (charged by hand, or by the loan's rules), each waiver of one and each payment to one, rather
// than only the balances they moved. The items are the statement's own allocation lines, so they add up to its
// totals by construction.
import type { Decimal } from '../money.js';
import type { LoanStatement, StatementLineKind } from './statement.js';

export interface FeeOrPenaltyItem {
  date: string;
  /** The statement line it belongs to: `charge`, `waiver`, `repayment`, `reversal`, `instalmentDue`, … */
  kind: StatementLineKind;
  transactionId: string | null;
  description: string;
  instalment: number;
  dueDate: string;
  component: 'fee' | 'penalty';
  as: 'charged' | 'paid' | 'waived';
  /** Negative when the line undid it (a reversal). */
  amount: Decimal;
}

/** Every fee and penalty charged, waived or paid in the period, in the statement's order. */
export function feesAndPenalties(statement: LoanStatement): FeeOrPenaltyItem[] {
  const items: FeeOrPenaltyItem[] = [];
  for (const line of statement.lines) {
    for (const a of line.allocation) {
      if (a.component !== 'fee' && a.component !== 'penalty') continue;
      items.push({
        date: line.date, kind: line.kind, transactionId: line.transactionId, description: line.description,
        instalment: a.instalment, dueDate: a.dueDate, component: a.component, as: a.as, amount: a.amount,
      });
    }
  }
  return items;
}
