// Allocation of one repayment to a loan's instalments: a pure function of what each instalment still owes, the
// payment, the currency and the product's allocation rule (plain data, snapshotted onto the loan with its terms).
//
// Every unit of money ends up in exactly one place: a component of an instalment (a line that says why), the
// advance (held against instalments not yet due) or the excess (more than the loan owes, refundable). Amounts are
// whole minor units (bigint) inside, so allocated + advance + excess = payment holds exactly, never to within a
// rounding error; Decimals are made only for the result.
//
// Decisions (also in docs/decisions.md, "Allocation"):
// - Overdue first: instalments due on or before the value date ("due") are settled before any instalment due
//   after it ("future"), whatever the rule's component order. Overdue (due before) and due today are one class,
//   as in Apache Fineract, where both are a "late or on-time" repayment of the instalment.
// - `order` must name all four components once: a component left out would never be paid while money went to
//   excess, which no lender wants.
// - Due instalments: `dueDateFirst` settles them one at a time, oldest first, each in `order` (horizontal);
//   `componentFirst` settles the first component of `order` on every due instalment, oldest first, before the
//   next component (vertical).
// - Future instalments take only the components in `futureOrder` (often just principal: interest not yet due is
//   not yet earned on a declining balance). When those are all paid, the rest is excess: the loan's schedule is
//   regenerated from the payment (prepayment, payoff) and what remains is the borrower's money.
// - `reduceEveryInstalment` spreads each future component pro rata to what each future instalment owes of it,
//   rounded down to the minor unit; the minor units left over go one each to the instalments with the largest
//   fractional remainders, the earlier due date winning a tie (largest remainder). No instalment gets more than
//   it owes: its exact share is below what it owes whenever the money does not cover them all.
// - `holdAsAdvance` applies nothing to future instalments; it holds up to what they owe (in `futureOrder`
//   components) as an advance that the next due dates draw on; beyond that it is excess.
import { InvalidField } from '../../errors.js';
import { dateOf, isDate } from '../calendar.js';
import { Decimal, fromMinorUnits, isCurrency, minorUnits } from '../money.js';

export const COMPONENTS = ['penalty', 'fee', 'interest', 'principal'] as const;
export type Component = (typeof COMPONENTS)[number];

export type AllocationStrategy =
  /** Horizontal: instalment by instalment, oldest first, each in the rule's component order. */
  | 'dueDateFirst'
  /** Vertical: one component across every due instalment (oldest first) before the next component. */
  | 'componentFirst';

export type FutureInstalments =
  /** In due-date order, each future instalment in `futureOrder` before the next (Fineract's "in advance"). */
  | 'payNextInstalments'
  /** Latest instalment first, each in `futureOrder`: the tenor shortens, the instalment amount stays. */
  | 'reduceLastInstalments'
  /** Each `futureOrder` component spread pro rata over every future instalment: the tenor stays. */
  | 'reduceEveryInstalment'
  /** Nothing applied to future instalments; kept as an advance for their due dates. */
  | 'holdAsAdvance';

export interface AllocationRule {
  /** All four components, each once, in the order due instalments are settled. */
  order: readonly Component[];
  strategy: AllocationStrategy;
  future: FutureInstalments;
  /** The components future instalments may take, in order; at least one. */
  futureOrder: readonly Component[];
}

export type ComponentAmounts = Record<Component, Decimal>;

export interface InstalmentOwing {
  number: number;
  dueDate: string;
  outstanding: ComponentAmounts;
}

type DecimalInput = Decimal | string;

export interface InstalmentOwingInput {
  number: number;
  dueDate: string;
  outstanding: Partial<Record<Component, DecimalInput>>;
}

export interface AllocationRequest {
  currency: string;
  instalments: readonly InstalmentOwingInput[];
  payment: { amount: DecimalInput; valueDate: string };
  rule: AllocationRule;
}

export interface AllocationLine {
  instalment: number;
  dueDate: string;
  component: Component;
  amount: Decimal;
  reason: string;
}

export interface Allocation {
  currency: string;
  payment: Decimal;
  valueDate: string;
  /** In the order the money was applied. */
  lines: AllocationLine[];
  /** What went to each component over all instalments. */
  totals: ComponentAmounts;
  allocated: Decimal;
  /** Held against instalments not yet due (only with `holdAsAdvance`). */
  advance: Decimal;
  /** Beyond everything the loan owes under the rule: the borrower's money, refundable. */
  excess: Decimal;
  /** Why money was held, when it was: `advance` and `excess` explain themselves like the lines. */
  held: { advance?: string; excess?: string };
  /** Every instalment, in the order given, with what it still owes after this payment. */
  instalments: InstalmentOwing[];
}

// Lenders' classic rules, named as they name them. Fineract's strategy each one matches is cited beside it and
// in docs/decisions.md ("Allocation").

/** A rule as frozen data; future instalments take components in the same order unless told otherwise. */
function preset(order: readonly Component[], strategy: AllocationStrategy, future: FutureInstalments, futureOrder: readonly Component[] = order): AllocationRule {
  return Object.freeze({ order: Object.freeze([...order]), strategy, future, futureOrder: Object.freeze([...futureOrder]) });
}

/** Fineract "Penalties, Fees, Interest, Principal order" (mifos-standard-strategy; Creocore behaves the same). */
export const PENALTIES_FEES_INTEREST_PRINCIPAL = preset(['penalty', 'fee', 'interest', 'principal'], 'dueDateFirst', 'payNextInstalments');

/** Fineract "Interest, Principal, Penalties, Fees Order". */
export const INTEREST_PRINCIPAL_PENALTIES_FEES = preset(['interest', 'principal', 'penalty', 'fee'], 'dueDateFirst', 'payNextInstalments');

/** Fineract "Principal, Interest, Penalties, Fees Order". */
export const PRINCIPAL_INTEREST_PENALTIES_FEES = preset(['principal', 'interest', 'penalty', 'fee'], 'dueDateFirst', 'payNextInstalments');

/** Fineract "Due penalty, fee, interest, principal, In advance principal, penalty, fee, interest". */
export const DUE_PENALTY_FEE_INTEREST_PRINCIPAL_IN_ADVANCE_PRINCIPAL_PENALTY_FEE_INTEREST = preset(['penalty', 'fee', 'interest', 'principal'], 'dueDateFirst', 'payNextInstalments', ['principal', 'penalty', 'fee', 'interest']);

/** Fineract "Due penalty, interest, principal, fee, In advance penalty, interest, principal, fee". */
export const DUE_PENALTY_INTEREST_PRINCIPAL_FEE_IN_ADVANCE_PENALTY_INTEREST_PRINCIPAL_FEE = preset(['penalty', 'interest', 'principal', 'fee'], 'dueDateFirst', 'payNextInstalments');

/**
 * Overdue and due charges and interest on every due instalment before any principal (the Reserve Bank of
 * India's rule as Fineract's "RBI (India)" / "Overdue/Due Fee/Int,Principal" strategy applies it); money left
 * then repays principal of the next instalments in turn. Fineract settles penalty, fee and interest of one due
 * instalment before the next one's penalty; here all due penalties come before all due fees. The two agree
 * whenever at most one kind of charge is owed (see the RBI example in the tests).
 */
export const OVERDUE_INTEREST_BEFORE_PRINCIPAL_RBI = preset(['penalty', 'fee', 'interest', 'principal'], 'componentFirst', 'payNextInstalments', ['principal']);

/** Everything due first, penalties to principal per instalment; a prepayment shortens the tenor. */
export const PENALTIES_FEES_INTEREST_PRINCIPAL_THEN_REDUCE_TENOR = preset(['penalty', 'fee', 'interest', 'principal'], 'dueDateFirst', 'reduceLastInstalments', ['principal']);

/** Everything due first, penalties to principal per instalment; a prepayment lowers every later instalment. */
export const PENALTIES_FEES_INTEREST_PRINCIPAL_THEN_REDUCE_INSTALMENT = preset(['penalty', 'fee', 'interest', 'principal'], 'dueDateFirst', 'reduceEveryInstalment', ['principal']);

/** Everything due first, penalties to principal per instalment; money paid early waits for its due dates. */
export const PENALTIES_FEES_INTEREST_PRINCIPAL_HOLD_ADVANCE = preset(['penalty', 'fee', 'interest', 'principal'], 'dueDateFirst', 'holdAsAdvance');

const STRATEGIES: readonly AllocationStrategy[] = ['dueDateFirst', 'componentFirst'];
const FUTURES: readonly FutureInstalments[] = ['payNextInstalments', 'reduceLastInstalments', 'reduceEveryInstalment', 'holdAsAdvance'];

function componentList(value: unknown, field: string, allFour: boolean): Component[] {
  if (!Array.isArray(value) || value.length === 0) throw new InvalidField(field, `${field} must list components`);
  const seen = new Set<Component>();
  for (const item of value) {
    if (!(COMPONENTS as readonly unknown[]).includes(item)) {
      throw new InvalidField(field, `${field}: unknown component ${String(item)}; components are penalty, fee, interest and principal`);
    }
    if (seen.has(item as Component)) throw new InvalidField(field, `${field} names ${String(item)} twice`);
    seen.add(item as Component);
  }
  if (allFour && seen.size !== COMPONENTS.length) {
    throw new InvalidField(field, `${field} must name penalty, fee, interest and principal, each once`);
  }
  return value as Component[];
}

/** Throws InvalidField naming the first part of the rule that cannot allocate a payment. */
export function assertValidAllocationRule(rule: AllocationRule, prefix = 'rule'): void {
  if (rule === null || typeof rule !== 'object') throw new InvalidField(prefix, 'an allocation rule is required');
  componentList(rule.order, `${prefix}.order`, true);
  if (!STRATEGIES.includes(rule.strategy)) throw new InvalidField(`${prefix}.strategy`, 'strategy must be dueDateFirst or componentFirst');
  if (!FUTURES.includes(rule.future)) {
    throw new InvalidField(`${prefix}.future`, 'future must be payNextInstalments, reduceLastInstalments, reduceEveryInstalment or holdAsAdvance');
  }
  componentList(rule.futureOrder, `${prefix}.futureOrder`, false);
}

/**
 * Minor units of amounts already converted, by the amount itself (a Decimal never changes). A replay allocates each
 * payment against the loan's instalments as they stand, and what an instalment still owes is the same object from
 * one payment to the next until something is paid off it: converting each again was most of an allocation's cost.
 */
const convertedAmounts = new WeakMap<Decimal, { places: number; minor: bigint }>();

/** The minor units of an amount seen before, or of nothing; undefined when it must be converted and checked. */
function knownMinor(value: DecimalInput | undefined, places: number): bigint | undefined {
  if (!(value instanceof Decimal)) return undefined;
  if (value.isZero() && !value.isNegative()) return 0n;
  const known = convertedAmounts.get(value);
  return known !== undefined && known.places === places ? known.minor : undefined;
}

/**
 * A field's name, or the instalment and component an amount it owes is for: the name is written out only for a
 * refusal (a replay checks every amount of every instalment on every payment).
 */
type FieldName = string | { instalment: number; component: Component };
const nameOf = (field: FieldName) => (typeof field === 'string' ? field : `instalments[${field.instalment}].outstanding.${field.component}`);

/** `value` as an amount, checked: refused naming `field` when it is not zero or more in whole minor units. */
function checkedAmount(value: DecimalInput | undefined, places: number, currency: string, field: FieldName): Decimal {
  let amount: Decimal;
  if (value instanceof Decimal) {
    amount = value;
  } else {
    try {
      amount = new Decimal(value ?? 0);
    } catch {
      const name = nameOf(field);
      throw new InvalidField(name, `${name} must be an amount`);
    }
  }
  if (!amount.isFinite() || amount.isNegative() || amount.decimalPlaces() > places) {
    const name = nameOf(field);
    throw new InvalidField(name, `${name} must be zero or more, in whole minor units of ${currency}`);
  }
  return amount;
}

/**
 * An amount checked (`checkedAmount`) in whole minor units, converted at once: a payment's own amount, or an amount
 * given as text or a number rather than a Decimal the replay keeps (neither is asked again, so neither is kept).
 */
function convertedMinor(value: DecimalInput | undefined, places: number, currency: string, field: FieldName): bigint {
  if (value instanceof Decimal && value.isZero() && !value.isNegative()) return 0n;
  const amount = checkedAmount(value, places, currency, field);
  return amount.isZero() ? 0n : minorOf(amount, places);
}

/**
 * A non-negative amount with no more places than `places`, in minor units. Exact: written out with `places` digits
 * after the point, then the point dropped, is × 10^places. Its plain text is cheaper to write than `toFixed`'s; that
 * uses an exponent only far beyond any amount a loan holds (from 10^21), which goes by `toFixed` instead.
 */
function minorOf(amount: Decimal, places: number): bigint {
  const text = amount.toString();
  if (text.includes('e')) return BigInt(amount.toFixed(places).replace('.', ''));
  const point = text.indexOf('.');
  return point < 0 ? BigInt(text + '0'.repeat(places)) : BigInt(text.slice(0, point) + text.slice(point + 1).padEnd(places, '0'));
}


/** Dates already found real; bounded, since every instalment of every loan allocated against passes here. */
const realDates = new Set<string>();

function isRealDate(text: unknown): text is string {
  if (typeof text !== 'string') return false;
  if (realDates.has(text)) return true;
  if (!isDate(text)) return false;
  if (realDates.size >= 10_000) realDates.clear();
  realDates.add(text);
  return true;
}


interface Owing {
  index: number;
  number: number;
  dueDate: string;
  /** In minor units, once known: an amount checked but not yet converted is in `unconverted`. */
  owed: Partial<Record<Component, bigint>>;
  unconverted: Partial<Record<Component, Decimal>>;
}

/**
 * What `instalment` owes of `component`, in minor units. Every amount is checked before anything is allocated;
 * it is converted when the allocation first reaches it: a payment is spent on the oldest instalments and most of
 * a loan's instalments are never reached (a replay resumed from its checkpoint has amounts never converted before).
 */
function owedOf(instalment: Owing, component: Component, places: number): bigint {
  const known = instalment.owed[component];
  if (known !== undefined) return known;
  const amount = instalment.unconverted[component]!;
  const minor = minorOf(amount, places);
  // The replay hands the same Decimal to the next allocation until something is paid off it.
  convertedAmounts.set(amount, { places, minor });
  instalment.owed[component] = minor;
  return minor;
}

function listed(components: readonly Component[]): string {
  return components.join(', ');
}

/** "penalty, fee and interest". */
function inWords(components: readonly Component[]): string {
  return components.length < 2 ? components.join('') : `${components.slice(0, -1).join(', ')} and ${components.at(-1)!}`;
}

function before(component: Component, order: readonly Component[]): string {
  const earlier = order.slice(0, order.indexOf(component));
  return earlier.length === 0 ? `${component} first` : `${component} after ${inWords(earlier)}`;
}

/** Allocates one repayment; the instalments are not changed (the result carries what they owe afterwards). */
export function allocateRepayment(request: AllocationRequest): Allocation {
  const { currency, rule } = request;
  if (!isCurrency(currency)) throw new InvalidField('currency', 'currency must be an ISO 4217 code');
  assertValidAllocationRule(rule);
  const places = minorUnits(currency);
  const payment = convertedMinor(request.payment?.amount, places, currency, 'payment.amount');
  if (payment === 0n) throw new InvalidField('payment.amount', 'a repayment must be more than zero');
  const valueDate = dateOf(request.payment.valueDate, 'payment.valueDate');
  if (!Array.isArray(request.instalments)) throw new InvalidField('instalments', 'instalments must be a list');

  const numbers = new Set<number>();
  // A field's name is written out only when it is refused or its value is new: a replay passes here for every
  // instalment of every payment, with values and dates already seen.
  const owing: Owing[] = request.instalments.map((instalment, index) => {
    if (!Number.isInteger(instalment.number) || instalment.number < 1) throw new InvalidField(`instalments[${index}].number`, 'an instalment number is a whole number from 1');
    if (numbers.has(instalment.number)) throw new InvalidField(`instalments[${index}].number`, `instalment ${instalment.number} is listed twice`);
    numbers.add(instalment.number);
    const dueDate = isRealDate(instalment.dueDate) ? instalment.dueDate : dateOf(instalment.dueDate, `instalments[${index}].dueDate`);
    const owed: Owing['owed'] = {};
    const unconverted: Owing['unconverted'] = {};
    for (const component of COMPONENTS) {
      const value = instalment.outstanding?.[component];
      const known = knownMinor(value, places);
      if (known !== undefined) owed[component] = known;
      else if (value instanceof Decimal) unconverted[component] = checkedAmount(value, places, currency, { instalment: index, component });
      else owed[component] = convertedMinor(value, places, currency, { instalment: index, component });
    }
    return { index, number: instalment.number, dueDate, owed, unconverted };
  });

  // Due-date order, the instalment number breaking ties, whatever order the caller listed them in.
  const byDueDate = [...owing].sort((a, b) => (a.dueDate < b.dueDate ? -1 : a.dueDate > b.dueDate ? 1 : a.number - b.number));
  const due = byDueDate.filter((i) => i.dueDate <= valueDate);
  const future = byDueDate.filter((i) => i.dueDate > valueDate);

  const lines: { instalment: Owing; component: Component; amount: bigint; reason: string }[] = [];
  let remaining = payment;
  // The reason is written only for a line that is paid: most instalment-component pairs a payment passes get nothing.
  const pay = (instalment: Owing, component: Component, most: bigint, reason: () => string): void => {
    if (remaining === 0n) return;
    const owed = owedOf(instalment, component, places);
    let amount = remaining < most ? remaining : most;
    if (owed < amount) amount = owed;
    if (amount <= 0n) return;
    instalment.owed[component] = owed - amount;
    remaining -= amount;
    lines.push({ instalment, component, amount, reason: reason() });
  };
  const dueness = (i: Owing) => (i.dueDate < valueDate ? `overdue since ${i.dueDate}` : `due today (${i.dueDate})`);
  const order = rule.order;

  if (rule.strategy === 'dueDateFirst') {
    for (const instalment of due) {
      if (remaining === 0n) break;
      for (const component of order) {
        pay(instalment, component, remaining, () => `${dueness(instalment)}; oldest due instalment first, ${before(component, order)} per rule order (${listed(order)})`);
      }
    }
  } else {
    for (const component of order) {
      const earlier = order.slice(0, order.indexOf(component));
      const after = earlier.length === 0 ? ', before anything else' : `, after all due ${inWords(earlier)}`;
      for (const instalment of due) {
        pay(instalment, component, remaining, () => `${dueness(instalment)}; ${component} of every due instalment, oldest first${after}, per rule order (${listed(order)})`);
      }
    }
  }

  const futureOrder = rule.futureOrder;
  const notDue = (i: Owing) => `not due until ${i.dueDate}; everything due is paid`;
  let advance = 0n;
  if (remaining > 0n && future.length > 0) {
    if (rule.future === 'payNextInstalments') {
      for (const instalment of future) {
        for (const component of futureOrder) {
          pay(instalment, component, remaining, () => `${notDue(instalment)}, so the next instalment is paid in advance, ${before(component, futureOrder)} (in-advance order ${listed(futureOrder)})`);
        }
      }
    } else if (rule.future === 'reduceLastInstalments') {
      for (const instalment of [...future].reverse()) {
        for (const component of futureOrder) {
          pay(instalment, component, remaining, () => `${notDue(instalment)}, so the prepayment reduces the last instalments first and shortens the tenor (${listed(futureOrder)})`);
        }
      }
    } else if (rule.future === 'reduceEveryInstalment') {
      for (const component of futureOrder) {
        const shares = proRata(remaining, future.map((i) => owedOf(i, component, places)));
        future.forEach((instalment, k) => {
          pay(instalment, component, shares[k]!, () => `${notDue(instalment)}, so the prepayment is spread over every future instalment pro rata to its ${component} and keeps the tenor`);
        });
      }
    } else {
      let owedAhead = 0n;
      for (const instalment of future) for (const component of futureOrder) owedAhead += owedOf(instalment, component, places);
      advance = remaining < owedAhead ? remaining : owedAhead;
      remaining -= advance;
    }
  }
  const excess = remaining;

  const toDecimal = (minor: bigint) => fromMinorUnits(minor, places);
  const totals = Object.fromEntries(COMPONENTS.map((c) => [c, 0n])) as Record<Component, bigint>;
  for (const line of lines) totals[line.component] += line.amount;
  const held: Allocation['held'] = {};
  if (advance > 0n) held.advance = `instalments from ${future[0]!.dueDate} are not yet due; held as an advance for their due dates, per rule`;
  if (excess > 0n) {
    held.excess = future.length > 0 && futureOrder.length < COMPONENTS.length
      ? `more than everything due and the ${listed(futureOrder)} of future instalments; held as excess, refundable`
      : 'more than everything the loan owes; held as excess, refundable';
  }
  const allocated = payment - advance - excess;
  return new MadeAllocation({
    currency,
    payment: toDecimal(payment),
    valueDate,
    lines: lines.map((line) => ({
      instalment: line.instalment.number,
      dueDate: line.instalment.dueDate,
      component: line.component,
      amount: toDecimal(line.amount),
      reason: line.reason,
    })),
    totals: Object.fromEntries(COMPONENTS.map((c) => [c, toDecimal(totals[c])])) as ComponentAmounts,
    allocated: toDecimal(allocated),
    advance: toDecimal(advance),
    excess: toDecimal(excess),
    held,
  }, owing, places);
}

// The allocation's fields are its own, assigned from what was made.
interface MadeAllocation extends Omit<Allocation, 'instalments'> {}

/**
 * An allocation whose instalments are written out when read: the replay applies payments by the lines and never
 * reads them. A class, not an object literal with a getter: V8 gives every such literal a hidden class of its own,
 * made in the old generation and holding the getter's closure, so everything the closure reached (the request, the
 * instalments) outlived the young generation and was copied by every collection until a full one.
 */
class MadeAllocation implements Allocation {
  readonly #owing: readonly Owing[];
  readonly #places: number;

  constructor(made: Omit<Allocation, 'instalments'>, owing: readonly Owing[], places: number) {
    Object.assign(this, made);
    this.#owing = owing;
    this.#places = places;
  }

  get instalments(): InstalmentOwing[] {
    const places = this.#places;
    return this.#owing.map((i) => ({
      number: i.number,
      dueDate: i.dueDate,
      outstanding: Object.fromEntries(COMPONENTS.map((c) => [c, fromMinorUnits(owedOf(i, c, places), places)])) as ComponentAmounts,
    }));
  }
}

/**
 * `money` split pro rata to `owed`, in whole minor units: each share rounded down, the units left over one each
 * to the largest fractional remainders, the earlier (lower index) winning a tie. Covers everything when money
 * reaches the total. No share exceeds its owed amount.
 */
export function proRata(money: bigint, owed: readonly bigint[]): bigint[] {
  const total = owed.reduce((a, b) => a + b, 0n);
  if (total === 0n) return owed.map(() => 0n);
  if (money >= total) return [...owed];
  const shares = owed.map((o) => (money * o) / total);
  const remainders = owed.map((o, k) => ({ k, rest: (money * o) % total }));
  let left = money - shares.reduce((a, b) => a + b, 0n);
  remainders.sort((a, b) => (a.rest > b.rest ? -1 : a.rest < b.rest ? 1 : a.k - b.k));
  for (const { k, rest } of remainders) {
    if (left === 0n) break;
    if (rest === 0n) continue;
    shares[k]! += 1n;
    left -= 1n;
  }
  return shares;
}
