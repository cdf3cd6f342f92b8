// Random loans and random transaction lists for the replay's property tests: loans with random terms, allocation
// rules and charges by rule; transactions of every kind arriving in a random order with random value dates, so
// backdated transactions and reversals of earlier ones are common; write-offs in full and in part (money after a
// write-off in full is a recovery), restructures (arrears capitalised or not, new rates and tenors, holidays) and
// returned auto-debits (a repayment reversed and a return fee charged). A transaction the replay would refuse is left
// out, as the posting service refuses it.
import fc from 'fast-check';
import { dayNumber, formatDate, fromDayNumber, parseDate } from '../../src/domain/calendar.js';
import { Decimal, minorUnits } from '../../src/domain/money.js';
import {
  COMPONENTS,
  INTEREST_PRINCIPAL_PENALTIES_FEES,
  OVERDUE_INTEREST_BEFORE_PRINCIPAL_RBI,
  PENALTIES_FEES_INTEREST_PRINCIPAL,
  PENALTIES_FEES_INTEREST_PRINCIPAL_HOLD_ADVANCE,
  PENALTIES_FEES_INTEREST_PRINCIPAL_THEN_REDUCE_INSTALMENT,
  PENALTIES_FEES_INTEREST_PRINCIPAL_THEN_REDUCE_TENOR,
  type AllocationRule,
} from '../../src/domain/servicing/allocation.js';
import { payoffQuote, replayLoan, type LoanAccount, type LoanTransaction } from '../../src/domain/servicing/loanAccount.js';
import { loanTerms } from '../../src/domain/servicing/product.js';
import { emiInterestRatio, SPLIT_MODELS, type LoanParticipation } from '../../src/domain/servicing/coLending.js';
import { InvalidField } from '../../src/errors.js';

export const DISBURSED = '2026-01-15';
export const dayAfter = (days: number) => formatDate(fromDayNumber(dayNumber(parseDate(DISBURSED)) + days));

const randomRule: fc.Arbitrary<AllocationRule> = fc.record({
  order: fc.shuffledSubarray([...COMPONENTS], { minLength: 4, maxLength: 4 }),
  strategy: fc.constantFrom('dueDateFirst' as const, 'componentFirst' as const),
  future: fc.constantFrom('payNextInstalments' as const, 'reduceLastInstalments' as const, 'reduceEveryInstalment' as const, 'holdAsAdvance' as const),
  futureOrder: fc.shuffledSubarray([...COMPONENTS], { minLength: 1 }),
});

const rules = fc.oneof(
  fc.constantFrom(
    PENALTIES_FEES_INTEREST_PRINCIPAL,
    INTEREST_PRINCIPAL_PENALTIES_FEES,
    OVERDUE_INTEREST_BEFORE_PRINCIPAL_RBI,
    PENALTIES_FEES_INTEREST_PRINCIPAL_THEN_REDUCE_TENOR,
    PENALTIES_FEES_INTEREST_PRINCIPAL_THEN_REDUCE_INSTALMENT,
    PENALTIES_FEES_INTEREST_PRINCIPAL_HOLD_ADVANCE,
  ),
  randomRule,
);

export const loans: fc.Arbitrary<LoanAccount> = fc
  .record({
    currency: fc.constantFrom('USD', 'JPY'),
    principalMinor: fc.integer({ min: 10_000, max: 500_000 }),
    ratePercent: fc.integer({ min: 0, max: 300 }),
    n: fc.integer({ min: 1, max: 6 }),
    unit: fc.constantFrom('months' as const, 'weeks' as const),
    perInstalmentFee: fc.constantFrom(0, 0, 150, 500),
    disbursementFee: fc.option(fc.record({ minor: fc.integer({ min: 1, max: 5_000 }), treatment: fc.constantFrom('financed' as const, 'deducted' as const) })),
    rule: rules,
    amortization: fc.constantFrom('equal-instalments' as const, 'equal-instalments' as const, 'equal-principal' as const, 'bullet' as const),
    interestCalculation: fc.constantFrom('per-repayment-period' as const, 'per-day' as const),
    toleranceMinor: fc.constantFrom(0, 0, 50, 2_000),
    lateFee: fc.option(fc.oneof(
      fc.record({ kind: fc.constant('fixed' as const), minor: fc.integer({ min: 1, max: 3_000 }), graceDays: fc.integer({ min: 0, max: 10 }) }),
      fc.record({ kind: fc.constant('percentOfOverdue' as const), percent: fc.integer({ min: 1, max: 50 }), graceDays: fc.integer({ min: 0, max: 10 }) }),
    )),
    penaltyRatePercent: fc.constantFrom(0, 0, 24, 36),
    feeOnDay: fc.option(fc.record({ day: fc.integer({ min: 0, max: 200 }), minor: fc.integer({ min: 1, max: 5_000 }) })),
    interestGrace: fc.constantFrom(0, 0, 0, 1, 2),
    // Day 76 is 2026-03-31: monthly loans then fall due on month-ends the month-end rule shortens.
    firstRepaymentDay: fc.option(fc.constantFrom(10, 45, 76)),
    // Approved for more than the first tranche: later tranches may pay the rest out.
    undisbursedMinor: fc.option(fc.integer({ min: 1, max: 400_000 })),
  })
  .map(({ currency, principalMinor, ratePercent, n, unit, perInstalmentFee, disbursementFee, rule, amortization, interestCalculation, toleranceMinor, lateFee, penaltyRatePercent, feeOnDay, interestGrace, firstRepaymentDay, undisbursedMinor }) => {
    const scale = new Decimal(10).pow(minorUnits(currency));
    const amount = (minor: number) => new Decimal(minor).div(scale).toFixed();
    return {
      id: 'loan-p',
      terms: loanTerms({
        currency,
        annualRatePercent: new Decimal(ratePercent).div(10).toFixed(),
        numberOfRepayments: n,
        repaymentEvery: { every: unit === 'months' ? 1 : 2, unit },
        fees: {
          perInstalment: amount(perInstalmentFee),
          disbursement: disbursementFee ? { amount: amount(disbursementFee.minor), treatment: disbursementFee.treatment } : null,
        },
        amortization: { kind: amortization },
        grace: { interestPeriods: Math.min(interestGrace, n - 1) },
        interestCalculation,
        underpaymentTolerance: amount(toleranceMinor),
        lateFee: lateFee === null ? null
          : lateFee.kind === 'fixed' ? { kind: 'fixed', amount: amount(lateFee.minor), graceDays: lateFee.graceDays }
          : { kind: 'percentOfOverdue', percent: String(lateFee.percent / 10), graceDays: lateFee.graceDays },
        penaltyRatePercent: String(penaltyRatePercent),
        feesOnDates: feeOnDay ? [{ date: dayAfter(feeOnDay.day), amount: amount(feeOnDay.minor), name: 'Maintenance fee' }] : [],
      }),
      rule,
      principal: amount(principalMinor),
      ...(undisbursedMinor === null ? {} : { approvedPrincipal: amount(principalMinor + undisbursedMinor) }),
      disbursementDate: DISBURSED,
      firstRepaymentDate: firstRepaymentDay === null ? undefined : dayAfter(firstRepaymentDay),
    };
  });

/** A transaction before ids and reversal targets are settled; value dates are days after disbursement. */
export type Draft =
  | { kind: 'repayment'; day: number; minor: number }
  | { kind: 'charge'; day: number; component: 'fee' | 'penalty'; minor: number }
  | { kind: 'waiver'; day: number; component: 'interest' | 'fee' | 'penalty'; minor: number; instalment: number | null }
  | { kind: 'reversal'; day: number; pick: number }
  /** Refunds `percent` of the excess held on its date (the whole of it at 100). */
  | { kind: 'refund'; day: number; percent: number }
  | { kind: 'prepayment'; day: number; minor: number; reschedule: 'reduceInstalment' | 'reduceTenor' }
  /** Pays the quote for its date plus `extraMinor`. */
  | { kind: 'payoff'; day: number; extraMinor: number }
  /** Pays out a later tranche of `minor` (refused, and so left out, beyond the approved amount). */
  | { kind: 'tranche'; day: number; minor: number }
  /** Writes the loan off in full (`part` null) or `minor` of one component (refused beyond what may be). */
  | { kind: 'writeOff'; day: number; part: { component: 'principal' | 'interest' | 'fee' | 'penalty'; minor: number } | null }
  /** New terms from its date: arrears capitalised or not, maybe a new rate, instalments and a holiday. */
  | { kind: 'restructure'; day: number; capitalise: boolean; ratePermille: number | null; instalments: number | null; holiday: number; holidayInterest: 'accrue' | 'waive' }
  /** An auto-debit returned: the repayment it posted reversed and the return fee charged, both on the return's date. */
  | { kind: 'returnedDebit'; day: number; pick: number; feeMinor: number };

const day = fc.integer({ min: 0, max: 220 });
export const restructureDraft = (on: fc.Arbitrary<number>) => fc.record({
  kind: fc.constant('restructure' as const), day: on, capitalise: fc.boolean(), ratePermille: fc.option(fc.integer({ min: 0, max: 300 })),
  instalments: fc.option(fc.integer({ min: 1, max: 8 })), holiday: fc.constantFrom(0, 0, 1, 2), holidayInterest: fc.constantFrom('accrue' as const, 'waive' as const),
});
export const drafts: fc.Arbitrary<Draft[]> = fc.array(
  fc.oneof(
    { weight: 5, arbitrary: fc.record({ kind: fc.constant('repayment' as const), day, minor: fc.integer({ min: 1, max: 300_000 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('charge' as const), day, component: fc.constantFrom('fee' as const, 'penalty' as const), minor: fc.integer({ min: 1, max: 5_000 }) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('waiver' as const), day, component: fc.constantFrom('interest' as const, 'fee' as const, 'penalty' as const), minor: fc.integer({ min: 1, max: 5_000 }), instalment: fc.option(fc.integer({ min: 1, max: 6 })) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('reversal' as const), day, pick: fc.nat() }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('refund' as const), day, percent: fc.constantFrom(100, 100, 50, 101) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('prepayment' as const), day, minor: fc.integer({ min: 1, max: 300_000 }), reschedule: fc.constantFrom('reduceInstalment' as const, 'reduceTenor' as const) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('payoff' as const), day, extraMinor: fc.constantFrom(0, 0, 1, 2_500) }) },
    { weight: 2, arbitrary: fc.record({ kind: fc.constant('tranche' as const), day, minor: fc.integer({ min: 1, max: 250_000 }) }) },
    {
      weight: 2,
      arbitrary: fc.record({
        kind: fc.constant('writeOff' as const), day,
        part: fc.option(fc.record({
          component: fc.constantFrom('principal' as const, 'principal' as const, 'interest' as const, 'fee' as const, 'penalty' as const),
          minor: fc.integer({ min: 1, max: 60_000 }),
        })),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('returnedDebit' as const), day, pick: fc.nat(), feeMinor: fc.constantFrom(0, 2_500) }) },
    { weight: 2, arbitrary: restructureDraft(day) },
  ),
  { maxLength: 14 },
);

/**
 * The transactions in arrival order: a reversal reverses one earlier, not yet reversed transaction. Each is kept
 * only if the replays the properties take (as of `dates`, the as-of date first) still accept the list with it, as a
 * posting service would refuse it otherwise.
 */
export function transactionsFrom(loan: LoanAccount, list: Draft[], dates: readonly string[]): LoanTransaction[] {
  const scale = new Decimal(10).pow(minorUnits(loan.terms.currency));
  const amount = (minor: number) => new Decimal(minor).div(scale).toFixed();
  const out: LoanTransaction[] = [];
  const reversible: string[] = [];
  const repayments: string[] = [];
  const [asOf, ...earlier] = dates;
  const accepts = (candidate: LoanTransaction[]) => {
    try {
      replayLoan(loan, candidate, asOf!);
      // Replay is causal in value date: as of an earlier date it sees a prefix of what it saw as of the later one,
      // unless a reversal entered in between still let the reversed transaction count then.
      for (const date of earlier) {
        if (candidate.some((t) => t.kind === 'reversal' && t.valueDate > date && t.valueDate <= asOf!)) replayLoan(loan, candidate, date);
      }
      return true;
    } catch (error) {
      if (error instanceof InvalidField) return false;
      throw error;
    }
  };
  list.forEach((draft, k) => {
    const id = `t${k}`;
    const valueDate = dayAfter(draft.day);
    let t: LoanTransaction;
    let target: string | undefined;
    if (draft.kind === 'returnedDebit') {
      // Only a repayment still in effect can come back; its reversal and the fee go in together or not at all.
      const open = repayments.filter((r) => reversible.includes(r));
      if (open.length === 0) return;
      const returned = open[draft.pick % open.length]!;
      const reversal: LoanTransaction = { kind: 'reversal', id, reverses: returned, valueDate };
      const fee: LoanTransaction[] = draft.feeMinor > 0 ? [{ kind: 'charge', id: `${id}f`, valueDate, component: 'fee', amount: amount(draft.feeMinor) }] : [];
      if (!accepts([...out, reversal, ...fee])) return;
      out.push(reversal, ...fee);
      reversible.splice(reversible.indexOf(returned), 1);
      if (fee.length > 0) reversible.push(`${id}f`);
      return;
    }
    if (draft.kind === 'reversal') {
      if (reversible.length === 0) return;
      target = reversible[draft.pick % reversible.length]!;
      t = { kind: 'reversal', id, reverses: target, valueDate };
    } else if (draft.kind === 'repayment') t = { kind: 'repayment', id, valueDate, amount: amount(draft.minor) };
    else if (draft.kind === 'charge') t = { kind: 'charge', id, valueDate, component: draft.component, amount: amount(draft.minor) };
    else if (draft.kind === 'refund') {
      let excess: number;
      try {
        excess = replayLoan(loan, out, valueDate).held.excess.times(scale).toNumber();
      } catch (error) {
        if (error instanceof InvalidField) return;
        throw error;
      }
      // 101 % asks for a unit more than is held: refused, and so left out.
      const minor = Math.ceil((excess * draft.percent) / 100);
      if (minor === 0) return;
      t = { kind: 'refund', id, valueDate, amount: amount(minor) };
    }
    else if (draft.kind === 'prepayment') t = { kind: 'prepayment', id, valueDate, amount: amount(draft.minor), reschedule: draft.reschedule };
    else if (draft.kind === 'tranche') t = { kind: 'tranche', id, valueDate, amount: amount(draft.minor) };
    else if (draft.kind === 'restructure') {
      t = {
        kind: 'restructure', id, valueDate, capitaliseArrears: draft.capitalise, holidayPeriods: draft.holiday, holidayInterest: draft.holidayInterest,
        ...(draft.ratePermille === null ? {} : { annualRatePercent: new Decimal(draft.ratePermille).div(10).toFixed() }),
        ...(draft.instalments === null ? {} : { instalments: draft.instalments }),
      };
    }
    else if (draft.kind === 'writeOff') {
      t = draft.part === null ? { kind: 'writeOff', id, valueDate } : { kind: 'writeOff', id, valueDate, component: draft.part.component, amount: amount(draft.part.minor) };
    }
    else if (draft.kind === 'payoff') {
      let quote: number;
      try {
        quote = payoffQuote(loan, out, valueDate).total.times(scale).toNumber();
      } catch (error) {
        // The list so far is accepted as of the properties' dates, not necessarily as of this one.
        if (error instanceof InvalidField) return;
        throw error;
      }
      if (quote + draft.extraMinor === 0) return;
      t = { kind: 'payoff', id, valueDate, amount: amount(quote + draft.extraMinor) };
    } else {
      t = { kind: 'waiver', id, valueDate, component: draft.component, amount: amount(draft.minor) };
      if (draft.instalment !== null) t.instalment = Math.min(draft.instalment, loan.terms.numberOfRepayments);
    }
    if (!accepts([...out, t])) return;
    out.push(t);
    if (target !== undefined) reversible.splice(reversible.indexOf(target), 1);
    else reversible.push(id);
    if (t.kind === 'repayment') repayments.push(id);
  });
  return out;
}


/**
 * A loan shared with one or two co-lending partners (random shares up to 90 % in all, split models, partner rates,
 * servicing fees, fees and penalties shared or not), each from the disbursement or assigned some days after, and
 * some bought back under a default loss guarantee later.
 */
export const coLentLoans: fc.Arbitrary<LoanAccount> = fc
  .record({
    loan: loans,
    partners: fc.array(fc.record({
      shareTenths: fc.integer({ min: 1, max: 450 }),
      model: fc.constantFrom(...SPLIT_MODELS),
      partnerRateTenths: fc.integer({ min: 0, max: 250 }),
      feeTenths: fc.constantFrom(0, 0, 5, 10),
      sharesFees: fc.boolean(),
      sharesPenalties: fc.boolean(),
      fromDay: fc.constantFrom(0, 0, 0, 3, 15),
      // Bought back under a default loss guarantee this many days after its share began, or never.
      boughtBackAfter: fc.option(fc.integer({ min: 1, max: 200 }), { freq: 3 }),
    }), { minLength: 1, maxLength: 2 }),
  })
  .map(({ loan, partners }) => ({
    ...loan,
    participations: partners.map((p, k): LoanParticipation => {
      const sharePercent = new Decimal(p.shareTenths).div(10);
      const partnerRatePercent = new Decimal(p.partnerRateTenths).div(10);
      return {
        partnerCode: `P${k}`, sharePercent, model: p.model, partnerRatePercent,
        servicingFeePercent: Decimal.min(new Decimal(p.feeTenths).div(10), partnerRatePercent),
        sharesFees: p.sharesFees, sharesPenalties: p.sharesPenalties, from: dayAfter(p.fromDay),
        until: p.boughtBackAfter === null ? null : dayAfter(p.fromDay + p.boughtBackAfter),
        emiInterestRatio: p.model === 'emiBased'
          ? emiInterestRatio(sharePercent, partnerRatePercent, loan.terms, { principal: loan.principal, disbursementDate: loan.disbursementDate, firstRepaymentDate: loan.firstRepaymentDate })
          : null,
        accounts: { payable: `2200.P${k}`, funded: `2210.P${k}`, servicingFee: '4400' },
      };
    }),
  }));
