// A stored loan and its stored transactions, as the pure replay (src/domain/servicing/loanAccount.ts) takes them.
// Both the posting engine (raw SQL rows) and the graph (Prisma rows) read loans; they meet in these shapes.
import { assertValidAllocationRule, type AllocationRule } from '../../domain/servicing/allocation.js';
import type { AccountMapping } from '../../domain/servicing/ledger.js';
import type { LoanAccount, LoanTransaction } from '../../domain/servicing/loanAccount.js';
import { termsFromJson } from '../../domain/servicing/product.js';
import type { Decimal } from '../../domain/money.js';
import { businessDateOf } from '../../tenancy/dateColumns.js';

export const TRANSACTION_KINDS = ['repayment', 'prepayment', 'payoff', 'refund', 'reversal', 'charge', 'waiver', 'tranche'] as const;
export type TransactionKind = (typeof TRANSACTION_KINDS)[number];

export interface LoanRecord {
  id: string;
  terms: unknown;
  allocation: unknown;
  accounts: unknown;
  principal: string;
  /** What the loan is approved for (at least `principal`, the first tranche). */
  approvedPrincipal: string;
  disbursementDate: string;
  firstRepaymentDate: string | null;
}

export interface TransactionRecord {
  id: string;
  kind: string;
  valueDate: string;
  /** Text as stored; a Decimal when the transaction is being posted, as the API parsed it. */
  amount: string | Decimal | null;
  component: string | null;
  instalment: number | null;
  reschedule: string | null;
  reverses: string | null;
  channel: string | null;
  externalReference: string | null;
}

export function loanAccountOf(record: LoanRecord): LoanAccount {
  const rule = record.allocation as AllocationRule;
  assertValidAllocationRule(rule);
  return {
    id: record.id,
    terms: termsFromJson(record.terms),
    rule,
    principal: record.principal,
    approvedPrincipal: record.approvedPrincipal,
    disbursementDate: record.disbursementDate,
    firstRepaymentDate: record.firstRepaymentDate ?? undefined,
    accounts: record.accounts as AccountMapping,
  };
}

export function loanTransactionOf(record: TransactionRecord): LoanTransaction {
  const base = { id: record.id, valueDate: record.valueDate };
  switch (record.kind) {
    case 'reversal':
      return { kind: 'reversal', ...base, reverses: record.reverses! };
    case 'charge':
      return { kind: 'charge', ...base, component: record.component as 'fee' | 'penalty', amount: record.amount! };
    case 'waiver':
      return {
        kind: 'waiver', ...base, component: record.component as 'interest' | 'fee' | 'penalty', amount: record.amount!,
        ...(record.instalment === null ? {} : { instalment: record.instalment }),
      };
    default:
      // Money in or out: repayment, prepayment (with its rescheduling choice), payoff, refund, a later tranche.
      return {
        kind: record.kind, ...base, amount: record.amount!,
        ...(record.reschedule ? { reschedule: record.reschedule } : {}),
        ...(record.channel ? { channel: record.channel } : {}),
        ...(record.externalReference ? { externalRef: record.externalReference } : {}),
      } as LoanTransaction;
  }
}

/** A loan read through Prisma, in the replay's shape. */
export function loanRecordOfRow(row: {
  id: string; terms: unknown; allocation: unknown; accounts: unknown; principal: { toString(): string }; approvedPrincipal: { toString(): string };
  disbursementDate: Date; firstRepaymentDate: Date | null;
}): LoanRecord {
  return {
    id: row.id, terms: row.terms, allocation: row.allocation, accounts: row.accounts, principal: row.principal.toString(), approvedPrincipal: row.approvedPrincipal.toString(),
    disbursementDate: businessDateOf(row.disbursementDate), firstRepaymentDate: row.firstRepaymentDate ? businessDateOf(row.firstRepaymentDate) : null,
  };
}

/** A transaction read through Prisma, in the replay's shape. */
export function transactionRecordOfRow(row: {
  id: string; kind: string; valueDate: Date; amount: { toString(): string } | null; component: string | null; instalment: number | null;
  reschedule: string | null; reverses: string | null; channel: string | null; externalReference: string | null;
}): TransactionRecord {
  return { ...row, valueDate: businessDateOf(row.valueDate), amount: row.amount === null ? null : row.amount.toString() };
}
