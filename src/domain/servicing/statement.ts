// A loan statement for a period: what the borrower owed at the start, every financial event in the period in
// value-date order with the balance after it, and what the borrower owes at the end. Pure: the loan and its
// transactions in, the statement out; the replay (loanAccount.ts) does all the arithmetic.
//
// Decisions:
// - The opening is the replay as of the day before `from` and the closing the replay as of `to`, both with every
//   transaction known now: a payment that arrived late but is valued before `from` is in the opening.
// - A line's movement is the balance after it less the balance before it, both the replay's, in the replay's
//   order (value date, ties in arrival order, the day's instalments falling due before its transactions). So
//   opening + movements = closing holds exactly by construction, whatever the event did: what a reversal does to
//   the payments after the one it reverses, and kinds of transaction this file has not heard of. A statement
//   whose lines do not end on the closing replay is refused, not printed.
// - Balances are the replay's receivables (all principal; interest once it falls due; fees and penalties once
//   they fall due or are paid early) and the borrower's money held (advance, excess and interest paid before
//   its instalment fell due): the loan's sub-ledger. `totalOwed` is receivables less held money. Interest not
//   yet due is not owed yet, so paying it early shows as paid and raises what is held (lowering `totalOwed`);
//   on the due date the interest becomes owed and what was held for it settles it.
// - A reversed transaction keeps its line on its value date (what the books showed then) and says when it was
//   reversed; the reversal has its own line naming what it reverses, even when that was before `from`, by the id
//   the API answers for it (`LoanTransaction.id`): the words reach callers and the downloaded documents as they are.
// - Instalments falling due get a line (borrowers look for them): their interest and fees become owed, and money
//   held is drawn on. A movement on a day with no event of its own (the replay makes none today) is shown as an
//   adjustment rather than lost.
// - Allocation is per instalment and component, what the event charged, paid or waived there: the replay's own
//   allocation for a repayment, the difference between the replays before and after for anything else.
// - Cost: a replay is linear in the transactions, so one replay per event would make a long loan's statement
//   quadratic (seconds for a few hundred payments). Between two reversals nothing changes the past, so one replay
//   per such stretch gives every day's closing balances from its journals; only days with more than one event,
//   or with a charge, waiver, reversal or unknown kind, replay again to split the day. A day with just one
//   repayment takes the day's whole movement as the payment's: the replay moves nothing on a date by itself
//   except on due dates, which always get their own step.
import { InvalidField } from '../../errors.js';
import { addDays, dateOf } from '../calendar.js';
import { Decimal, minorUnits } from '../money.js';
import { COMPONENTS, type Component } from './allocation.js';
import { globalIdOf } from '../globalId.js';
import { kindInWords } from './transactionWords.js';
import { loanReceivables, STANDARD_MAPPING } from './ledger.js';
import { replayLoan, type Amounts, type LoanAccount, type LoanAccountState, type LoanAccountStatus, type LoanTransaction } from './loanAccount.js';

export interface StatementBalances {
  principal: Decimal;
  interest: Decimal;
  fee: Decimal;
  penalty: Decimal;
  /** The borrower's money the lender holds: advance, excess and interest paid before its instalment fell due. */
  held: Decimal;
  /** principal + interest + fee + penalty − held. */
  totalOwed: Decimal;
}

/** The kinds this file describes; any other transaction kind keeps its own name. */
export type StatementLineKind =
  | 'disbursement'
  | 'instalmentDue'
  | 'repayment'
  | 'reversal'
  | 'charge'
  | 'waiver'
  | 'tranche'
  | 'writeOff'
  | 'restructure'
  | 'adjustment'
  | (string & {});

export interface StatementAllocationLine {
  instalment: number;
  dueDate: string;
  component: Component;
  /** Added to what the instalment asks for (a charge), paid on it, or forgiven. */
  as: 'charged' | 'paid' | 'waived';
  /** Negative when the event undid it (a reversal). */
  amount: Decimal;
}

export interface StatementLine {
  date: string;
  kind: StatementLineKind;
  /** The transaction's id; null for the disbursement, instalments falling due and adjustments. */
  transactionId: string | null;
  description: string;
  /** The event's own amount, as the borrower knows it: paid, charged, waived, disbursed, falling due, reversed. */
  amount: Decimal;
  allocation: StatementAllocationLine[];
  /** What the event changed; positive when the borrower owes more. */
  movement: StatementBalances;
  /** Paid and waived per component by this event (negative when undone). */
  paid: Amounts;
  waived: Amounts;
  /** Balances after this line. */
  balance: StatementBalances;
  /** On a reversal: the transaction it reverses, which may be before the period. */
  reverses: { id: string; kind: string; valueDate: string; amount: Decimal | null } | null;
  /** On a reversed transaction: the reversal, when it is dated within the statement (on or before `to`). */
  reversedBy: { id: string; valueDate: string } | null;
  /** Arrived after a transaction with a later value date: the replay put it back in its place. */
  backdated: boolean;
}

export interface LoanStatement {
  loanId: string;
  currency: string;
  from: string;
  to: string;
  /** Balances at the end of the day before `from`; all zero when the loan was disbursed on or after `from`. */
  opening: StatementBalances;
  lines: StatementLine[];
  closing: StatementBalances;
  totals: {
    /** Repayments dated in the period, less reversals in the period of repayments. */
    received: Decimal;
    /** Paid to each component in the period, from payments and from money held. */
    paid: Amounts;
    waived: Amounts;
    /** Fees and penalties charged in the period (instalments' own fees and interest fall due, they are not charged). */
    charged: Amounts;
  };
  status: LoanAccountStatus;
  daysPastDue: number;
  /** Owed on instalments due on or before `to`. */
  amountDue: Decimal;
  /** The first instalment after `to` that still owes something. */
  nextInstalment: { number: number; dueDate: string; amount: Decimal } | null;
}

export interface StatementRequest {
  loan: LoanAccount;
  /** In arrival order, as the replay takes them. */
  transactions: readonly LoanTransaction[];
  from: string;
  to: string;
}

const ZERO = new Decimal(0);

/** An amount as statements print it: the currency's minor units, never "-0.00". */
export function statementAmount(value: Decimal, currency: string): string {
  return (value.isZero() ? ZERO : value).toFixed(minorUnits(currency));
}
const zeros = (): Amounts => ({ penalty: ZERO, fee: ZERO, interest: ZERO, principal: ZERO });
const BALANCE_FIELDS = ['principal', 'interest', 'fee', 'penalty', 'held', 'totalOwed'] as const;

/** Never a "-0.00" on a statement. */
const minus = (a: Decimal, b: Decimal): Decimal => {
  const difference = a.minus(b);
  return difference.isZero() ? ZERO : difference;
};

function balancesOf(state: LoanAccountState | null): StatementBalances {
  if (!state) return { principal: ZERO, interest: ZERO, fee: ZERO, penalty: ZERO, held: ZERO, totalOwed: ZERO };
  const r = state.totals.receivable;
  const held = state.held.advance.plus(state.held.excess).plus(state.interestInAdvance);
  return {
    principal: r.principal,
    interest: r.interest,
    fee: r.fee,
    penalty: r.penalty,
    held,
    totalOwed: r.principal.plus(r.interest).plus(r.fee).plus(r.penalty).minus(held),
  };
}

const balancesMinus = (a: StatementBalances, b: StatementBalances): StatementBalances =>
  Object.fromEntries(BALANCE_FIELDS.map((f) => [f, minus(a[f], b[f])])) as unknown as StatementBalances;


const AS = ['charged', 'waived', 'paid'] as const;

/** Instalment by instalment; on each, charged, then waived, then paid, components in the loan's order. */
function arranged(lines: StatementAllocationLine[], order: readonly Component[]): StatementAllocationLine[] {
  return [...lines].sort((a, b) => a.instalment - b.instalment || AS.indexOf(a.as) - AS.indexOf(b.as) || order.indexOf(a.component) - order.indexOf(b.component));
}

/** Per instalment and component, what changed between two replays. */
function allocationBetween(before: LoanAccountState, after: LoanAccountState, order: readonly Component[]): StatementAllocationLine[] {
  const earlier = new Map(before.instalments.map((i) => [i.number, i]));
  const later = new Map(after.instalments.map((i) => [i.number, i]));
  const lines: StatementAllocationLine[] = [];
  for (const number of new Set([...later.keys(), ...earlier.keys()])) {
    const now = later.get(number);
    const then = earlier.get(number);
    const dueDate = (now ?? then)!.dueDate;
    for (const as of AS) {
      for (const component of COMPONENTS) {
        const amount = minus(now?.[as][component] ?? ZERO, then?.[as][component] ?? ZERO);
        if (!amount.isZero()) lines.push({ instalment: number, dueDate, component, as, amount });
      }
    }
  }
  return arranged(lines, order);
}

const COMPONENT_NAMES: Record<Component, string> = { principal: 'Principal', interest: 'Interest', fee: 'Fee', penalty: 'Penalty' };

/** A transaction's own amount, for kinds that carry one (new kinds included). */
function amountOf(t: LoanTransaction): Decimal | null {
  const value: unknown = (t as { amount?: unknown }).amount;
  if (value === undefined || value === null) return null;
  try {
    return new Decimal(value as string);
  } catch {
    return null;
  }
}


export function loanStatement(request: StatementRequest): LoanStatement {
  const { loan, transactions } = request;
  const from = dateOf(request.from, 'from');
  const to = dateOf(request.to, 'to');
  if (from > to) throw new InvalidField('from', 'a statement period starts on or before its end');
  if (to < loan.disbursementDate) throw new InvalidField('to', `the loan was disbursed on ${loan.disbursementDate}, after the period`);
  const places = minorUnits(loan.terms.currency);
  const accounts = loan.accounts ?? STANDARD_MAPPING;
  const start = from > loan.disbursementDate ? from : loan.disbursementDate;
  const openingState = from > loan.disbursementDate ? replayLoan(loan, transactions, addDays(from, -1)) : null;

  const byId = new Map(transactions.map((t) => [t.id, t]));
  const arrival = new Map(transactions.map((t, position) => [t.id, position]));
  const reversalOf = new Map<string, { id: string; valueDate: string }>();
  for (const t of transactions) if (t.kind === 'reversal') reversalOf.set(t.reverses, { id: t.id, valueDate: t.valueDate });
  const backdated = new Set<string>();
  let latest = '';
  for (const t of transactions) {
    if (t.valueDate < latest) backdated.add(t.id);
    if (t.valueDate > latest) latest = t.valueDate;
  }

  // Between two reversals the replay as of the later day, cut at any earlier day, is that day's replay (nothing
  // changes the past in between), so one replay per stretch gives every day-end balance from its journals.
  const stretchStarts = [...new Set([start, ...transactions.filter((t) => t.kind === 'reversal' && t.valueDate > start && t.valueDate <= to).map((t) => t.valueDate)])].sort();
  const stretches = new Map<number, LoanAccountState>();
  const stretchOf = (date: string): LoanAccountState => {
    let k = 0;
    while (k + 1 < stretchStarts.length && stretchStarts[k + 1]! <= date) k += 1;
    let state = stretches.get(k);
    if (!state) {
      state = replayLoan(loan, transactions, k + 1 < stretchStarts.length ? addDays(stretchStarts[k + 1]!, -1) : to);
      stretches.set(k, state);
    }
    return state;
  };
  const dayEnd = (date: string): StatementBalances => {
    const owed = loanReceivables(stretchOf(date).journals, loan.id, date, accounts);
    return {
      principal: owed.principal,
      interest: owed.interest,
      fee: owed.fee,
      penalty: owed.penalty,
      held: owed.excess.plus(owed.interestInAdvance),
      totalOwed: owed.principal.plus(owed.interest).plus(owed.fee).plus(owed.penalty).minus(owed.excess).minus(owed.interestInAdvance),
    };
  };

  /**
   * The transactions as the replay should see them just after the one at `through` (arrival position) on
   * `date`; -1 for the day's opening. A reversal whose target is left out is left out too: it can have had no
   * effect yet, and the replay refuses a reversal of nothing.
   */
  const knownAt = (date: string, through: number): LoanTransaction[] => {
    const kept = transactions.filter((t, position) => t.valueDate < date || (t.valueDate === date && position <= through));
    const ids = new Set(kept.map((t) => t.id));
    return kept.filter((t) => t.kind !== 'reversal' || ids.has(t.reverses));
  };

  const order = [...loan.rule.order, ...COMPONENTS.filter((c) => !loan.rule.order.includes(c))];
  const paidBy = (state: LoanAccountState, repaymentId: string | null, date: string): StatementAllocationLine[] =>
    arranged(
      state.allocations
        .filter((a) => a.repaymentId === repaymentId && a.valueDate === date)
        .flatMap((a) => a.lines.map((l) => ({ instalment: l.instalment, dueDate: l.dueDate, component: l.component, as: 'paid' as const, amount: l.amount }))),
      order,
    );

  const closingState = stretchOf(to);
  const dueDates = [...(openingState?.instalments ?? []), ...closingState.instalments].map((i) => i.dueDate).filter((d) => d >= start && d <= to);
  const inPeriod = transactions.filter((t) => t.valueDate >= start && t.valueDate <= to);
  const dates = [...new Set([start, to, ...dueDates, ...inPeriod.map((t) => t.valueDate)])].sort();

  const lines: StatementLine[] = [];
  let balance = balancesOf(openingState);
  let received = ZERO;
  type LineFields = Pick<StatementLine, 'date' | 'kind' | 'transactionId' | 'description' | 'amount'> & Partial<Pick<StatementLine, 'reverses' | 'reversedBy' | 'backdated'>>;
  const add = (fields: LineFields, after: StatementBalances, allocation: StatementAllocationLine[]) => {
    const sumOf = (as: StatementAllocationLine['as']) => {
      const amounts = zeros();
      for (const a of allocation) if (a.as === as) amounts[a.component] = amounts[a.component].plus(a.amount);
      return amounts;
    };
    lines.push({
      reverses: null,
      reversedBy: null,
      backdated: false,
      ...fields,
      allocation,
      movement: balancesMinus(after, balance),
      paid: sumOf('paid'),
      waived: sumOf('waived'),
      balance: after,
    });
    balance = after;
  };

  /** What the date itself brings, before its transactions: the disbursement, instalments falling due. */
  const openDay = (date: string, state: LoanAccountState, after: StatementBalances) => {
    const falling = state.schedule.instalments.filter((i) => i.dueDate === date);
    if (date === loan.disbursementDate && openingState === null) {
      const fee = loan.terms.fees.disbursement;
      const kept = fee?.treatment === 'deducted' ? `, fee of ${fee.amount.toFixed(places)} kept back` : fee?.treatment === 'financed' ? `, fee of ${fee.amount.toFixed(places)} financed` : '';
      add({ date, kind: 'disbursement', transactionId: null, description: `Loan disbursed${kept}`, amount: after.principal }, after, []);
    } else if (falling.length > 0) {
      const numbers = falling.map((i) => i.number);
      const description = numbers.length === 1 ? `Instalment ${numbers[0]} due` : `Instalments ${numbers.join(', ')} due`;
      const amount = falling.reduce((total, i) => total.plus(i.total), ZERO);
      add({ date, kind: 'instalmentDue', transactionId: null, description, amount }, after, paidBy(state, null, date));
    } else {
      const movement = balancesMinus(after, balance);
      if (BALANCE_FIELDS.some((f) => !movement[f].isZero())) {
        add({ date, kind: 'adjustment', transactionId: null, description: 'Adjustment made by the replay', amount: movement.totalOwed.abs() }, after, paidBy(state, null, date));
      }
    }
  };

  const describe = (t: LoanTransaction, before: LoanAccountState, after: LoanAccountState | null, allocation: StatementAllocationLine[]): LineFields => {
    const reversal = reversalOf.get(t.id);
    const common = {
      date: t.valueDate,
      kind: t.kind as StatementLineKind,
      transactionId: t.id,
      backdated: backdated.has(t.id),
      reversedBy: reversal && reversal.valueDate <= to ? reversal : null,
    };
    switch (t.kind) {
      case 'repayment': {
        const via = [t.channel ? `by ${t.channel}` : '', t.externalRef ? `ref ${t.externalRef}` : ''].filter(Boolean).join(', ');
        // A day's last repayment is described without its own replay: the stretch's replay says whether it was a recovery.
        const what = (after ?? stretchOf(t.valueDate)).recoveries.some((r) => r.repaymentId === t.id) ? 'Recovery received on the loan written off' : 'Repayment received';
        return { ...common, description: via ? `${what} (${via})` : what, amount: new Decimal(t.amount) };
      }
      case 'restructure': {
        const explained = after?.restructures.find((r) => r.restructureId === t.id);
        const capitalised = explained ? COMPONENTS.reduce((s, c) => s.plus(explained.capitalised[c]), ZERO) : ZERO;
        const parts = [
          capitalised.gt(0) ? `arrears of ${capitalised.toFixed(places)} capitalised` : 'arrears left due',
          ...(explained ? [`${explained.after.instalments} instalments to ${explained.after.maturityDate}`, `at ${explained.annualRatePercent.toFixed()} %`] : []),
          ...(explained && explained.holidayPeriods > 0 ? [`after a holiday of ${explained.holidayPeriods} period${explained.holidayPeriods === 1 ? '' : 's'}`] : []),
        ];
        return { ...common, description: `Restructured: ${parts.join(', ')}`, amount: capitalised };
      }
      case 'writeOff': {
        const explained = after?.writeOffs.find((w) => w.writeOffId === t.id);
        const total = explained ? COMPONENTS.reduce((s, c) => s.plus(explained.amounts[c]), ZERO) : new Decimal(t.amount ?? 0);
        const description = t.amount === undefined
          ? 'Written off in full: principal, interest (earned to this date), fees and penalties given up'
          : `${COMPONENT_NAMES[t.component!]} written off`;
        return { ...common, description, amount: total };
      }
      case 'reversal': {
        const target = byId.get(t.reverses);
        const amount = target ? amountOf(target) : null;
        return {
          ...common,
          description: `Reversal of ${target ? kindInWords(target.kind).toLowerCase() : 'transaction'} ${globalIdOf('LoanTransaction', t.reverses)}${target ? ` of ${target.valueDate}` : ''}`,
          amount: amount ?? ZERO,
          reverses: target ? { id: target.id, kind: target.kind, valueDate: target.valueDate, amount } : null,
        };
      }
      case 'charge': {
        const onto = allocation.find((a) => a.as === 'charged' && a.component === t.component);
        return { ...common, description: `${COMPONENT_NAMES[t.component]} charged${onto ? `, due with instalment ${onto.instalment}` : ''}`, amount: new Decimal(t.amount) };
      }
      case 'waiver': {
        const explained = after?.waivers.find((w) => w.waiverId === t.id);
        const short = explained && explained.notWaived.gt(0) ? ` (${explained.notWaived.toFixed(places)} no longer owed, not waived)` : '';
        return { ...common, description: `${COMPONENT_NAMES[t.component]} waived${short}`, amount: new Decimal(t.amount) };
      }
      case 'tranche': {
        const explained = after?.tranches.find((x) => x.trancheId === t.id);
        const level = explained?.after.level;
        return {
          ...common,
          description: `Tranche paid out${t.externalRef ? ` (ref ${t.externalRef})` : ''}${explained ? `; ${explained.after.instalments} instalments regenerated${level ? `, now ${level.toFixed(places)} each` : ''}` : ''}`,
          amount: new Decimal(t.amount),
        };
      }
      default: {
        const other = t as { kind: string };
        const movement = after ? balancesMinus(balancesOf(after), balancesOf(before)) : null;
        return { ...common, kind: other.kind, description: kindInWords(other.kind), amount: amountOf(t) ?? movement?.totalOwed.abs() ?? ZERO };
      }
    }
  };

  for (const date of dates) {
    const todays = inPeriod.filter((t) => t.valueDate === date);
    const only = todays.length === 1 ? todays[0]! : null;
    const opensSomething = date === loan.disbursementDate || closingState.schedule.instalments.some((i) => i.dueDate === date);
    if (todays.length === 0) {
      openDay(date, stretchOf(date), dayEnd(date));
      continue;
    }
    if (only?.kind === 'repayment' && !opensSomething) {
      // The usual day, one payment: its allocation from the replay, its balance from the day's journals.
      add(describe(only, stretchOf(date), null, []), dayEnd(date), paidBy(stretchOf(date), only.id, date));
      received = received.plus(new Decimal(only.amount));
      continue;
    }
    let before = replayLoan(loan, knownAt(date, -1), date);
    openDay(date, before, balancesOf(before));
    todays.forEach((t, k) => {
      if (t.kind === 'repayment') received = received.plus(new Decimal(t.amount));
      if (t.kind === 'reversal') {
        const target = byId.get(t.reverses);
        const amount = target ? amountOf(target) : null;
        if (target?.kind === 'repayment' && amount) received = received.minus(amount);
      }
      if (t.kind === 'repayment' && k === todays.length - 1) {
        const reference = stretchOf(date);
        add(describe(t, before, null, []), dayEnd(date), paidBy(reference, t.id, date));
        return;
      }
      const after = replayLoan(loan, knownAt(date, arrival.get(t.id)!), date);
      const allocation = t.kind === 'repayment' ? paidBy(after, t.id, date) : allocationBetween(before, after, order);
      add(describe(t, before, after, allocation), balancesOf(after), allocation);
      before = after;
    });
  }

  const closing = balancesOf(closingState);
  const unexplained = balancesMinus(closing, balance);
  if (BALANCE_FIELDS.some((f) => !unexplained[f].isZero())) {
    throw new Error(`statement of ${loan.id} does not reconcile: lines end at ${balance.totalOwed.toFixed(places)}, the replay as of ${to} at ${closing.totalOwed.toFixed(places)}`);
  }
  const totalOf = (as: StatementAllocationLine['as']) => {
    const amounts = zeros();
    for (const l of lines) for (const a of l.allocation) if (a.as === as) amounts[a.component] = amounts[a.component].plus(a.amount);
    return amounts;
  };
  const next = closingState.instalments.find((i) => i.dueDate > to && COMPONENTS.some((c) => i.outstanding[c].gt(0)));
  return {
    loanId: loan.id,
    currency: closingState.currency,
    from,
    to,
    opening: balancesOf(openingState),
    lines,
    closing,
    totals: { received, paid: totalOf('paid'), waived: totalOf('waived'), charged: totalOf('charged') },
    status: closingState.status,
    daysPastDue: closingState.daysPastDue,
    amountDue: COMPONENTS.reduce((total, c) => total.plus(closingState.totals.due[c]), ZERO),
    nextInstalment: next ? { number: next.number, dueDate: next.dueDate, amount: COMPONENTS.reduce((total, c) => total.plus(next.outstanding[c]), ZERO) } : null,
  };
}
