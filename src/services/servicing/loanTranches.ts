// A stored loan's tranches as a lender reads them: the plan it was booked with against what was paid out (the
// booking's tranche and every `tranche` transaction not reversed). The arithmetic is the domain's (tranches.ts).
import { Decimal } from '../../domain/money.js';
import { tranchesOf, type PaidTranche, type TranchesOfLoan } from '../../domain/servicing/tranches.js';
import { businessDateOf } from '../../tenancy/dateColumns.js';

interface StoredLoan {
  principal: { toString(): string };
  approvedPrincipal: { toString(): string };
  tranchePlan: unknown;
  disbursementDate: Date;
}

interface StoredTransaction {
  id: string;
  kind: string;
  valueDate: Date;
  amount: { toString(): string } | null;
  reverses: string | null;
}

export function loanTranchesOf(loan: StoredLoan, transactions: readonly StoredTransaction[]): TranchesOfLoan {
  const disbursementDate = businessDateOf(loan.disbursementDate);
  const stored = Array.isArray(loan.tranchePlan) ? (loan.tranchePlan as { expectedDate: string; amount: string }[]) : null;
  const plan = {
    approvedPrincipal: new Decimal(loan.approvedPrincipal.toString()),
    tranches: stored ? stored.map((t) => ({ expectedDate: t.expectedDate, amount: new Decimal(t.amount) })) : [{ expectedDate: disbursementDate, amount: new Decimal(loan.principal.toString()) }],
  };
  const reversed = new Set(transactions.flatMap((t) => (t.kind === 'reversal' && t.reverses ? [t.reverses] : [])));
  const paid: PaidTranche[] = [
    { transactionId: null, valueDate: disbursementDate, amount: new Decimal(loan.principal.toString()) },
    ...transactions.filter((t) => t.kind === 'tranche' && !reversed.has(t.id)).map((t) => ({ transactionId: t.id, valueDate: businessDateOf(t.valueDate), amount: new Decimal(t.amount!.toString()) })),
  ];
  return tranchesOf(plan, paid);
}
