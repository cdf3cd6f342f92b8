// Co-lending's pure rules: exact cases (the partner's part of one collection under each split model, the blended
// rate, the limits an arrangement is held to) and properties: one collection's parts always sum to the whole, and
// over random loans with random histories (backdated payments, reversals, write-offs, restructures, tranches) the
// replay keeps each partner's principal at its share of the loan's to the minor unit (nothing once bought back under
// the guarantee), never changes what the borrower owes, and pays a partner no more than was collected.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays } from '../../../src/domain/calendar.js';
import { Decimal } from '../../../src/domain/money.js';
import {
  blendedRatePercent,
  checkArrangementTerms,
  interestRatio,
  originatorRatePercent,
  partnerPrincipal,
  partnerSchedule,
  RBI_2025_RULES,
  splitCollection,
  SPLIT_MODELS,
  type ArrangementTerms,
  type LoanParticipation,
} from '../../../src/domain/servicing/coLending.js';
import { loanTerms } from '../../../src/domain/servicing/product.js';
import { generateSchedule } from '../../../src/domain/servicing/schedule.js';
import { replayLoan } from '../../../src/domain/servicing/loanAccount.js';
import { STANDARD_MAPPING, trialBalance } from '../../../src/domain/servicing/ledger.js';
import { InvalidField } from '../../../src/errors.js';
import { coLentLoans, DISBURSED, drafts, transactionsFrom } from '../../support/loanArbitraries.js';

const d = (v: string | number) => new Decimal(v);

function participation(over: Partial<LoanParticipation> = {}): LoanParticipation {
  return {
    partnerCode: 'P', sharePercent: d(80), model: 'collectionShare', partnerRatePercent: d(10), servicingFeePercent: d(0),
    sharesFees: false, sharesPenalties: false, from: '2026-01-01', emiInterestRatio: null,
    accounts: { payable: '2200.P', funded: '2210.P', servicingFee: '4400' }, ...over,
  };
}

describe('one collection split between the lenders', () => {
  it('splits a ₹900 collection ₹600 / ₹300 at a two-thirds share (Frappe Lending\'s collection at the partner\'s percentage)', () => {
    // Frappe Lending's "Collection at partner's percentage": principal and interest both at the partner's share.
    // Two to one (the 1:2 shares its loan-partner change was reviewed with): 66.6667 % (shares keep four places), ₹750 principal of a
    // ₹90,000 loan and ₹150 interest collected.
    const p = participation({ sharePercent: d('66.6667'), model: 'collectionShare' });
    const split = splitCollection([p], { principal: d(750), interest: d(150), fee: d(0), penalty: d(0) }, d(90_000), d(14), 'INR');
    expect(split.partners[0]).toMatchObject({ principal: d(500), interest: d(100) });
    expect(split.partners[0]!.total.toFixed(2)).toBe('600.00');
    expect(split.originator.total.toFixed(2)).toBe('300.00');
  });

  it('gives the partner interest at its own rate on its share (principal plus interest at the partner\'s rate), less the servicing fee', () => {
    // 80 % at 9 % of a loan at 12 %: 0.8 × 9 / 12 = 0.6 of every interest collected; a 0.5 % fee is 0.8 × 0.5 / 12.
    const p = participation({ model: 'principalPlusPartnerRate', partnerRatePercent: d(9), servicingFeePercent: d('0.5') });
    expect(interestRatio(p, d(12)).toFixed()).toBe('0.6');
    const split = splitCollection([p], { principal: d('1000.00'), interest: d('1000.00'), fee: d(25), penalty: d(10) }, d(100_000), d(12), 'USD');
    expect(split.partners[0]).toMatchObject({ principal: d(800), interest: d(600), servicingFee: d('33.33'), fee: d(0), penalty: d(0) });
    expect(split.partners[0]!.total.toFixed(2)).toBe('1366.67');
    expect(split.originator).toMatchObject({ principal: d(200), interest: d(400), servicingFee: d('33.33'), fee: d(25), penalty: d(10) });
    expect(split.originator.total.plus(split.partners[0]!.total).toFixed(2)).toBe('2035.00');
  });

  it('scales the partners\' interest down together when their rates would take more than the loan\'s (a loan restructured below them)', () => {
    // Two partners of 45 % at 20 % on a loan now at 12 %: each would take 0.75 of the interest; together they take it all, half each.
    const a = participation({ partnerCode: 'A', sharePercent: d(45), model: 'principalPlusPartnerRate', partnerRatePercent: d(20) });
    const b = participation({ partnerCode: 'B', sharePercent: d(45), model: 'principalPlusPartnerRate', partnerRatePercent: d(20) });
    const split = splitCollection([a, b], { principal: d(0), interest: d('100.00'), fee: d(0), penalty: d(0) }, d(10_000), d(12), 'USD');
    expect(split.partners.map((x) => x.interest.toFixed(2))).toEqual(['50.00', '50.00']);
    expect(split.originator.interest.toFixed(2)).toBe('0.00');
  });

  it('shares fees and penalties only when the arrangement says so, at the share', () => {
    const p = participation({ sharePercent: d(30), sharesFees: true, sharesPenalties: true });
    const split = splitCollection([p], { principal: d(0), interest: d(0), fee: d('10.01'), penalty: d('3.35') }, d(5_000), d(12), 'USD');
    // 3.003 → 3.00; 1.005 → 1.00 (half to even).
    expect(split.partners[0]).toMatchObject({ fee: d('3.00'), penalty: d('1.00') });
  });

  it('moves the partner\'s principal by its rounded position, so it telescopes to what it funded', () => {
    // A third of 100.00 is 33.33; three payments of 33.33, 33.33 and 33.34 return 11.11, 11.11 and 11.11 to it.
    const share = d('33.3333333333');
    const parts = [['100.00', '66.67'], ['66.67', '33.34'], ['33.34', '0']].map(([before, after]) =>
      splitCollection([participation({ sharePercent: share })], { principal: d(before!).minus(d(after!)), interest: d(0), fee: d(0), penalty: d(0) }, d(before!), d(12), 'USD').partners[0]!.principal.toFixed(2));
    expect(parts).toEqual(['11.11', '11.11', '11.11']);
    expect(partnerPrincipal(share, d(100), 'USD').toFixed(2)).toBe('33.33');
  });
});

describe('the borrower\'s rate and the partner\'s expected schedule', () => {
  it('blends the lenders\' rates by share, and finds the originator\'s rate from the borrower\'s', () => {
    // 80 % at 10 % and the lender's 20 % at 14 %: 10.8 %.
    expect(blendedRatePercent(d(14), [{ sharePercent: d(80), partnerRatePercent: d(10) }]).toFixed()).toBe('10.8');
    expect(originatorRatePercent(d('10.8'), [{ sharePercent: d(80), partnerRatePercent: d(10) }])!.toFixed()).toBe('14');
    expect(originatorRatePercent(d(5), [{ sharePercent: d(80), partnerRatePercent: d(10) }])).toBeNull();
  });

  it('gives each model\'s expected schedule: principal at the share, interest by the model; EMI based is its own level schedule', () => {
    const terms = loanTerms({ currency: 'INR', annualRatePercent: '12', numberOfRepayments: 12, repaymentEvery: { every: 1, unit: 'months' } });
    const schedule = generateSchedule(terms, { principal: '100000', disbursementDate: '2026-01-01' });
    const share = participation({ model: 'collectionShare' });
    const rows = partnerSchedule(share, terms, schedule);
    expect(rows.reduce((s, r) => s.plus(r.principal), d(0)).toFixed(2)).toBe('80000.00');
    expect(rows[0]!.interest.toFixed(2)).toBe(schedule.instalments[0]!.interest.times('0.8').toFixed(2));
    const emi = partnerSchedule(participation({ model: 'emiBased', partnerRatePercent: d(10) }), terms, schedule);
    const level = generateSchedule({ ...terms, annualRatePercent: d(10) }, { principal: '80000', disbursementDate: '2026-01-01' });
    expect(emi.map((r) => r.principal.plus(r.interest).toFixed(2))).toEqual(level.instalments.map((i) => i.principal.plus(i.interest).toFixed(2)));
  });
});

describe('the limits an arrangement is held to', () => {
  const terms = (over: Partial<ArrangementTerms> = {}): ArrangementTerms => ({
    sharePercent: d(80), partnerRatePercent: d(10), model: 'collectionShare', servicingFeePercent: d('0.5'),
    guarantee: { capPercent: d(5), triggerDaysPastDue: 90 }, sharesFees: false, sharesPenalties: false,
    productCodes: [], maxLoanPrincipal: null, totalLimit: null, validFrom: '2026-01-01', validTo: null, borrowerData: 'none', ...over,
  });
  const refusal = (t: ArrangementTerms, rules = RBI_2025_RULES) => {
    try {
      checkArrangementTerms(t, rules);
      return null;
    } catch (error) {
      if (error instanceof InvalidField) return error.field;
      throw error;
    }
  };

  it('keeps the Reserve Bank of India\'s 2025 values by default: 10 % retained, a guarantee of at most 5 %', () => {
    expect(refusal(terms())).toBeNull();
    expect(refusal(terms({ sharePercent: d(90) }))).toBeNull();
    expect(refusal(terms({ sharePercent: d('90.01') }))).toBe('sharePercent');
    expect(refusal(terms({ sharePercent: d('33.33333') }))).toBe('sharePercent');
    expect(refusal(terms({ guarantee: { capPercent: d('5.5'), triggerDaysPastDue: 90 } }))).toBe('guarantee.capPercent');
    expect(refusal(terms({ guarantee: { capPercent: d(5), triggerDaysPastDue: 0 } }))).toBe('guarantee.triggerDaysPastDue');
    expect(refusal(terms({ servicingFeePercent: d(11) }))).toBe('servicingFeePercent');
    expect(refusal(terms({ validTo: '2025-12-31' }))).toBe('validTo');
    expect(refusal(terms({ productCodes: ['PL-STD', 'SME-WC'] }))).toBeNull();
    expect(refusal(terms({ productCodes: ['PL-STD', 'SME-WC', 'PL-STD'] }))).toBe('productCodes.2');
  });

  it('holds a lender to its own rules when it sets them', () => {
    const own = { ...RBI_2025_RULES, minimumRetentionPercent: d(25), maximumGuaranteePercent: d(2) };
    expect(refusal(terms({ sharePercent: d(80) }), own)).toBe('sharePercent');
    // Keeping nothing is the lender's to choose, but a partner never holds the whole loan.
    expect(refusal(terms({ sharePercent: d(100) }), { ...own, minimumRetentionPercent: d(0) })).toBe('sharePercent');
    expect(refusal(terms({ sharePercent: d(75), guarantee: { capPercent: d(3), triggerDaysPastDue: 60 } }), own)).toBe('guarantee.capPercent');
  });
});

describe('properties', () => {
  const amount = fc.integer({ min: 0, max: 10_000_000 }).map((minor) => d(minor).div(100));

  it('one collection\'s parts always sum to the whole, per component, each part within what was collected', () => {
    fc.assert(fc.property(
      fc.array(fc.record({ share: fc.integer({ min: 1, max: 450 }), model: fc.constantFrom(...SPLIT_MODELS), rate: fc.integer({ min: 0, max: 300 }), fee: fc.integer({ min: 0, max: 20 }), fees: fc.boolean(), penalties: fc.boolean() }), { minLength: 1, maxLength: 2 }),
      amount, amount, amount, amount, amount, fc.integer({ min: 1, max: 400 }),
      (partners, principal, interest, fee, penalty, owedExtra, loanRateTenths) => {
        const ps = partners.map((x, k) => participation({
          partnerCode: `P${k}`, sharePercent: d(x.share).div(10), model: x.model, partnerRatePercent: d(x.rate).div(10),
          servicingFeePercent: Decimal.min(d(x.fee).div(10), d(x.rate).div(10)), sharesFees: x.fees, sharesPenalties: x.penalties,
          emiInterestRatio: x.model === 'emiBased' ? d(x.share).div(1000).times('0.9') : null,
        }));
        const collected = { principal, interest, fee, penalty };
        const split = splitCollection(ps, collected, principal.plus(owedExtra), d(loanRateTenths).div(10), 'USD');
        for (const c of ['principal', 'interest', 'fee', 'penalty'] as const) {
          const total = split.partners.reduce((s, x) => s.plus(x[c]), split.originator[c]);
          expect(total.toFixed(2)).toBe(collected[c].toFixed(2));
          for (const x of split.partners) expect(x[c].gte(0) && x[c].lte(collected[c])).toBe(true);
        }
        const whole = principal.plus(interest).plus(fee).plus(penalty);
        expect(split.partners.reduce((s, x) => s.plus(x.total), split.originator.total).toFixed(2)).toBe(whole.toFixed(2));
      },
    ), { numRuns: 500 });
  });

  it('over random histories, each partner\'s principal is its share of the loan\'s, the borrower\'s loan is unchanged, and no partner is paid more than was collected', () => {
    fc.assert(fc.property(coLentLoans, drafts, fc.integer({ min: 0, max: 400 }), (loan, list, days) => {
      const asOf = addDays(DISBURSED, days);
      const transactions = transactionsFrom(loan, list, [asOf]);
      const shared = replayLoan(loan, transactions, asOf);
      const alone = replayLoan({ ...loan, participations: [] }, transactions, asOf);
      // Co-lending never changes what the borrower owes, paid or was told.
      expect(JSON.stringify({ ...shared, journals: null })).toBe(JSON.stringify({ ...alone, journals: null }));
      const balances = new Map(trialBalance(shared.journals, asOf).map((r) => [r.account, r.balance]));
      const balance = (account: string) => balances.get(account) ?? d(0);
      const principalOwed = balance(STANDARD_MAPPING.principalReceivable);
      const cashIn = shared.journals.flatMap((j) => j.lines).filter((l) => l.account === STANDARD_MAPPING.cash).reduce((s, l) => s.plus(l.debit), d(0));
      for (const p of loan.participations!) {
        const funded = balance(p.accounts.funded).negated();
        const holds = p.from <= asOf && (p.until == null || asOf < p.until);
        expect(funded.toFixed(2)).toBe(holds ? partnerPrincipal(p.sharePercent, principalOwed, loan.terms.currency).toFixed(2) : '0.00');
        // Collections alone never pay a partner more than came in; a buy-back pays its principal on top.
        const payable = balance(p.accounts.payable).negated();
        if (p.until == null || p.until > asOf) expect(payable.lte(cashIn)).toBe(true);
      }
    }), { numRuns: 200 });
  });
});
