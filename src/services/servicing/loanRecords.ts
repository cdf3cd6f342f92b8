// A stored loan and its stored transactions, as the pure replay (src/domain/servicing/loanAccount.ts) takes them.
// Both the posting engine (raw SQL rows) and the graph (Prisma rows) read loans; they meet in these shapes.
import { assertValidAllocationRule, type AllocationRule } from '../../domain/servicing/allocation.js';
import type { AccountMapping } from '../../domain/servicing/ledger.js';
import type { LoanAccount, LoanTransaction } from '../../domain/servicing/loanAccount.js';
import { termsFromJson } from '../../domain/servicing/product.js';
import { Decimal } from '../../domain/money.js';
import type { LoanParticipation, SplitModel } from '../../domain/servicing/coLending.js';
import { businessDateOf } from '../../tenancy/dateColumns.js';

export const TRANSACTION_KINDS = ['repayment', 'prepayment', 'payoff', 'refund', 'reversal', 'charge', 'waiver', 'tranche', 'writeOff', 'restructure'] as const;
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
  /** Its co-lending participations as `participationsJson` reads them; absent or empty when the lender funds it alone. */
  participations?: unknown;
}

/** A participation as stored (loan_participation), in the shape `participationsJson` reads it. */
export interface ParticipationRecord {
  partnerCode: string;
  sharePercent: string;
  model: string;
  partnerRatePercent: string;
  servicingFeePercent: string;
  sharesFees: boolean;
  sharesPenalties: boolean;
  emiInterestRatio: string | null;
  from: string;
  /** Bought back under the guarantee on this date; null while the partner holds it. */
  until?: string | null;
  payableAccount: string;
  fundedAccount: string;
  servicingFeeAccount: string;
}

export function participationOf(record: ParticipationRecord): LoanParticipation {
  return {
    partnerCode: record.partnerCode, sharePercent: new Decimal(record.sharePercent), model: record.model as SplitModel,
    partnerRatePercent: new Decimal(record.partnerRatePercent), servicingFeePercent: new Decimal(record.servicingFeePercent),
    sharesFees: record.sharesFees, sharesPenalties: record.sharesPenalties,
    emiInterestRatio: record.emiInterestRatio === null ? null : new Decimal(record.emiInterestRatio), from: record.from, until: record.until ?? null,
    accounts: { payable: record.payableAccount, funded: record.fundedAccount, servicingFee: record.servicingFeeAccount },
  };
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
  /** A restructure's terms (RestructureTerms); absent or null for every other kind. */
  terms?: unknown;
}

/** What a restructure sets, as stored with its transaction and its request. */
export interface RestructureTerms {
  capitaliseArrears: boolean;
  annualRatePercent?: string;
  instalments?: number;
  holidayPeriods?: number;
  holidayInterest?: 'accrue' | 'waive';
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
    participations: ((record.participations ?? []) as ParticipationRecord[]).map(participationOf),
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
    case 'restructure':
      return { kind: 'restructure', ...base, ...(record.terms as RestructureTerms) };
    case 'writeOff':
      return {
        kind: 'writeOff', ...base,
        ...(record.amount === null ? {} : { amount: record.amount, component: record.component as 'principal' | 'interest' | 'fee' | 'penalty' }),
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

/** A participation read through Prisma, as the replay takes it. */
export function participationOfRow(row: {
  partnerCode: string; sharePercent: { toString(): string }; model: string; partnerRatePercent: { toString(): string }; servicingFeePercent: { toString(): string };
  sharesFees: boolean; sharesPenalties: boolean; emiInterestRatio: { toString(): string } | null; fromDate: Date; untilDate: Date | null;
  payableAccount: string; fundedAccount: string; servicingFeeAccount: string;
}): LoanParticipation {
  return participationOf({
    partnerCode: row.partnerCode, sharePercent: row.sharePercent.toString(), model: row.model, partnerRatePercent: row.partnerRatePercent.toString(),
    servicingFeePercent: row.servicingFeePercent.toString(), sharesFees: row.sharesFees, sharesPenalties: row.sharesPenalties,
    emiInterestRatio: row.emiInterestRatio?.toString() ?? null, from: businessDateOf(row.fromDate), until: row.untilDate ? businessDateOf(row.untilDate) : null,
    payableAccount: row.payableAccount, fundedAccount: row.fundedAccount, servicingFeeAccount: row.servicingFeeAccount,
  });
}

/** A transaction read through Prisma, in the replay's shape. */
export function transactionRecordOfRow(row: {
  id: string; kind: string; valueDate: Date; amount: { toString(): string } | null; component: string | null; instalment: number | null;
  reschedule: string | null; reverses: string | null; channel: string | null; externalReference: string | null; terms?: unknown;
}): TransactionRecord {
  return { ...row, valueDate: businessDateOf(row.valueDate), amount: row.amount === null ? null : row.amount.toString() };
}

/**
 * SQL: the transactions of loan `loan` (an alias) as a JSON array of TransactionRecord, in the order they
 * arrived: what the replay takes. One text for every reader of a loan's history.
 */
export function transactionsJson(s: string, loan: string): string {
  return `coalesce((SELECT json_agg(json_build_object(
            'id', t.id, 'loanId', t.loan_id, 'kind', t.kind, 'valueDate', t.value_date, 'amount', t.amount::text, 'component', t.component,
            'instalment', t.instalment, 'reschedule', t.reschedule, 'reverses', t.reverses, 'channel', t.channel,
            'externalReference', t.external_reference, 'terms', t.terms) ORDER BY t.seq)
            FROM ${s}.loan_transaction t WHERE t.loan_id = ${loan}.id), '[]')`;
}

/** SQL: the participations of loan `loan` (an alias) as a JSON array of ParticipationRecord, in the order they were assigned. */
export function participationsJson(s: string, loan: string): string {
  return `coalesce((SELECT json_agg(json_build_object(
            'partnerCode', p.partner_code, 'sharePercent', p.share_percent::text, 'model', p.model, 'partnerRatePercent', p.partner_rate_percent::text,
            'servicingFeePercent', p.servicing_fee_percent::text, 'sharesFees', p.shares_fees, 'sharesPenalties', p.shares_penalties,
            'emiInterestRatio', p.emi_interest_ratio::text, 'from', p.from_date::text, 'until', p.until_date::text, 'payableAccount', p.payable_account,
            'fundedAccount', p.funded_account, 'servicingFeeAccount', p.servicing_fee_account) ORDER BY p.assigned_at, p.id)
            FROM ${s}.loan_participation p WHERE p.loan_id = ${loan}.id), '[]')`;
}

/**
 * SQL: what is posted to loan `loan` per value date and account, as a JSON array of { valueDate, account, net }
 * (debits less credits) — the replay's own journals only: suspense and provisions are end of day's, from the
 * loan's class.
 */
export function postedNetJson(s: string, loan: string): string {
  return `coalesce((SELECT json_agg(json_build_object('valueDate', p.value_date, 'account', p.account, 'net', p.net::text))
            FROM (SELECT jl.value_date, jl.account, sum(jl.debit) - sum(jl.credit) AS net FROM ${s}.journal_line jl
                   WHERE jl.loan_id = ${loan}.id
                     AND NOT EXISTS (SELECT 1 FROM ${s}.journal j WHERE j.id = jl.journal_id AND j.kind IN ('suspense', 'provision'))
                   GROUP BY jl.value_date, jl.account) p), '[]')`;
}
