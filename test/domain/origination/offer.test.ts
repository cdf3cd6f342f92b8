// Offers: exact figures for two products, the amount cut to the grade's and the product's maximum, refusals
// naming the field, and the terms snapshot. The figures were recomputed independently with exact fractions
// (Python `fractions`, half-even cents, the last instalment taking the remainder) and the APRs by bisection in
// Python `decimal` at 50 digits over the same cash flows; the arithmetic is next to each case.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidField } from '../../../src/errors.js';
import { Decimal } from '../../../src/domain/money.js';
import { loanTerms, termsFromJson, type LoanProductVersion, type LoanTermsInput } from '../../../src/domain/servicing/product.js';
import { makeOffer, SANDBOX_PRICING, termsForAffordability, type OfferRequest } from '../../../src/domain/origination/offer.js';

function product(terms: Partial<LoanTermsInput> = {}): LoanProductVersion {
  return {
    code: 'personal',
    version: 3,
    terms: loanTerms({ currency: 'USD', annualRatePercent: '10', numberOfRepayments: 12, ...terms }),
    limits: {
      currency: 'USD',
      minPrincipal: new Decimal('1000'),
      maxPrincipal: new Decimal('20000'),
      minTenorMonths: 6,
      maxTenorMonths: 60,
      annualRatePercent: { min: new Decimal('5'), max: new Decimal('36') },
    },
  };
}

const APPROVED_B = { policy: 'sandbox-personal-loan', version: 1, outcome: 'APPROVE' as const, riskGrade: 'B', maxAmount: '25000.00' };

function request(change: Partial<OfferRequest> = {}): OfferRequest {
  return {
    product: product({ fees: { perInstalment: '2.00', disbursement: { amount: '100.00', treatment: 'deducted' } } }),
    decision: APPROVED_B,
    pricing: SANDBOX_PRICING,
    requestedAmount: '10000.00',
    numberOfRepayments: 12,
    decisionDate: '2025-03-10',
    validForDays: 30,
    ...change,
  };
}

describe('offers with exact figures', () => {
  it('grade B: 10,000 over 12 months at 12.9 %, 100 deducted, 2.00 with every instalment', () => {
    // r = 0.129 / 12 = 0.01075; PMT = 10000·r / (1 − (1 + r)^−12) = 892.6988… → 892.70, + 2.00 fee = 894.70.
    // Interest sums to 712.44; the last instalment is 892.74 + 2.00 = 894.74. Total 12 × 2 + 10000 + 712.44 =
    // 10736.44; the borrower receives 9900.00, so the credit costs 836.44.
    // APR over +9900 at 0 and −(instalment) at k/12 years: EU 16.35685652 % (annual effective), US (monthly unit
    // period, nominal) 15.24519069 %.
    const offer = makeOffer(request());
    expect(offer).toMatchObject({
      product: { code: 'personal', version: 3 },
      decision: { policy: 'sandbox-personal-loan', version: 1, outcome: 'APPROVE' },
      riskGrade: 'B',
      pricingVersion: 1,
      currency: 'USD',
      requestedAmount: '10000.00',
      amount: '10000.00',
      amountCutTo: null,
      annualRatePercent: '12.9',
      numberOfRepayments: 12,
      repaymentEvery: { every: 1, unit: 'months' },
      fees: { disbursement: { amount: '100.00', treatment: 'deducted' }, perInstalment: '2.00' },
      netDisbursement: '9900.00',
      financedPrincipal: '10000.00',
      firstInstalment: { dueDate: '2025-04-10', amount: '894.70' },
      totalRepayable: '10736.44',
      totalCostOfCredit: '836.44',
      apr: { method: 'eu', disclosed: '16.4' },
      decisionDate: '2025-03-10',
      disbursementDate: '2025-03-10',
      validUntil: '2025-04-09',
    });
    expect(new Decimal(offer.apr.percent).toFixed(6)).toBe('16.356857');
    const us = makeOffer(request({ aprMethod: 'us' }));
    expect(us.apr).toMatchObject({ method: 'us', disclosed: '15.25' });
    expect(new Decimal(us.apr.percent).toFixed(6)).toBe('15.245191');
    // The product's terms choose the method; a request may still name one.
    const fees = { perInstalment: '2.00', disbursement: { amount: '100.00', treatment: 'deducted' as const } };
    const onUsTerms = makeOffer(request({ product: product({ fees, aprMethod: 'us' }) }));
    expect(onUsTerms.apr).toEqual(us.apr);
    expect(makeOffer(request({ product: product({ fees, aprMethod: 'us' }), aprMethod: 'eu' })).apr).toEqual(offer.apr);
  });

  it('grade D: 8,000 asked, 5,000 offered over 24 months at 21.9 %, 150 financed, a 25 annual fee', () => {
    // Financed 5150 at r = 0.219 / 12 = 0.01825: PMT 266.9166… → 266.92; interest 1256.04; last 266.88.
    // Total 5150 + 1256.04 + 25 = 6431.04; received 5000.00; cost 1431.04. The annual fee falls on 2026-03-10,
    // 12 whole months after disbursement. APR US 25.43906423 %, EU 28.62509069 %.
    const offer = makeOffer(
      request({
        product: product({ fees: { disbursement: { amount: '150.00', treatment: 'financed' } }, feesOnDates: [{ date: '2026-03-10', amount: '25.00', name: 'Annual fee' }] }),
        decision: { ...APPROVED_B, riskGrade: 'D', maxAmount: '5000.00' },
        requestedAmount: '8000.00',
        numberOfRepayments: 24,
        aprMethod: 'us',
        validForDays: 14,
      }),
    );
    expect(offer).toMatchObject({
      riskGrade: 'D',
      requestedAmount: '8000.00',
      amount: '5000.00',
      amountCutTo: 'grade-maximum',
      annualRatePercent: '21.9',
      netDisbursement: '5000.00',
      financedPrincipal: '5150.00',
      firstInstalment: { dueDate: '2025-04-10', amount: '266.92' },
      totalRepayable: '6431.04',
      totalCostOfCredit: '1431.04',
      apr: { method: 'us', disclosed: '25.44' },
      validUntil: '2025-03-24',
    });
    expect(new Decimal(offer.apr.percent).toFixed(6)).toBe('25.439064');
    const eu = makeOffer({ ...request(), product: product({ fees: { disbursement: { amount: '150.00', treatment: 'financed' } }, feesOnDates: [{ date: '2026-03-10', amount: '25.00', name: 'Annual fee' }] }), decision: { ...APPROVED_B, riskGrade: 'D', maxAmount: '5000.00' }, requestedAmount: '8000.00', numberOfRepayments: 24 });
    expect(new Decimal(eu.apr.percent).toFixed(6)).toBe('28.625091');
  });

  it("cuts the amount to the product's maximum when the grade allows more", () => {
    const offer = makeOffer(request({ decision: { ...APPROVED_B, riskGrade: 'A', maxAmount: '50000.00' }, requestedAmount: '30000.00' }));
    expect(offer).toMatchObject({ amount: '20000.00', amountCutTo: 'product-maximum', annualRatePercent: '9.9' });
  });

  it('offers on a referral once an underwriter approved it', () => {
    const offer = makeOffer(request({ decision: { ...APPROVED_B, outcome: 'REFER' }, referralApproved: true }));
    expect(offer.decision.outcome).toBe('REFER');
    expect(offer.amount).toBe('10000.00');
  });

  it('is plain data, and its terms are the priced terms as the loan will be booked', () => {
    const offer = makeOffer(request());
    expect(JSON.parse(JSON.stringify(offer))).toEqual(offer);
    const booked = termsFromJson(offer.terms);
    expect(booked.annualRatePercent.toString()).toBe('12.9');
    expect(booked.numberOfRepayments).toBe(12);
    expect(booked.fees.disbursement).toEqual({ amount: new Decimal('100'), treatment: 'deducted' });
  });
});

describe('refusals name the field', () => {
  it.each([
    ['a declined decision', { decision: { ...APPROVED_B, outcome: 'DECLINE' as const } }, 'decision'],
    ['a referral nobody approved', { decision: { ...APPROVED_B, outcome: 'REFER' as const } }, 'decision'],
    ['no grade', { decision: { ...APPROVED_B, riskGrade: null } }, 'decision.riskGrade'],
    ['a grade the pricing does not know', { decision: { ...APPROVED_B, riskGrade: 'E' } }, 'pricing.ratesByGrade.E'],
    ['a rate above the product limit', { pricing: { version: 2, ratesByGrade: { B: '39.9' } } }, 'annualRatePercent'],
    ['a tenor outside the product', { numberOfRepayments: 72 }, 'numberOfRepayments'],
    ['a grade maximum under the product minimum', { decision: { ...APPROVED_B, maxAmount: '500.00' } }, 'amount'],
    ['a requested amount in tenths of a cent', { requestedAmount: '100.001' }, 'requestedAmount'],
    ['an offer valid for no days', { validForDays: 0 }, 'validForDays'],
    ['a bad decision date', { decisionDate: '2025-02-30' }, 'decisionDate'],
    ['disbursement before the decision', { disbursementDate: '2025-03-09' }, 'disbursementDate'],
    // What booking refuses of the schedule (newLoanSchedule.ts) no offer promises.
    ['a multiple too coarse for the loan', { product: product({ instalmentMultiple: '1000' }) }, 'amount'],
    ['a fee the terms date before the disbursement', { product: product({ feesOnDates: [{ date: '2025-03-01', amount: '25.00', name: 'Annual fee' }] }) }, 'disbursementDate'],
    // 12.9 % over 1,200 months: the annuity on 10,000 is 107.50, exactly a month's interest.
    ['instalments that repay no principal before the last', { product: { ...product(), limits: { ...product().limits, maxTenorMonths: 1200 } }, numberOfRepayments: 1200 }, 'numberOfRepayments'],
  ] as [string, Partial<OfferRequest>, string][])('%s', (_name, change, field) => {
    expect(() => makeOffer(request(change))).toThrow(InvalidField);
    expect(() => makeOffer(request(change))).toThrow(expect.objectContaining({ field }) as unknown as Error);
  });
});

describe('an offer that would repay 10^15 or more in all', () => {
  // 100 % a year over 360 months repays about 30 times the principal: 10^14 would repay about 3 × 10^15, beyond what
  // any amount the API answers or a column holds. No offer is made (the assessment refers it: NO_OFFER_POSSIBLE).
  const large = (requestedAmount: string) => request({
    product: { ...product(), limits: { ...product().limits, maxPrincipal: new Decimal('999999999999999'), maxTenorMonths: 360, annualRatePercent: { min: new Decimal('0'), max: new Decimal('1000') } } },
    decision: { ...APPROVED_B, maxAmount: '999999999999999' }, pricing: { version: 2, ratesByGrade: { B: '100' }, offerValidityDays: 30 }, requestedAmount, numberOfRepayments: 360,
  });

  it('is refused naming the amount, with what it would repay', () => {
    expect(() => makeOffer(large('100000000000000'))).toThrow(expect.objectContaining({
      field: 'amount', message: expect.stringMatching(/^100000000000000 USD on these terms would repay 3\d{15}(\.\d+)? USD in all \(.* of interest\): what a loan repays must be less than 10\^15$/),
    }) as unknown as Error);
  });

  it('is made when what it repays stays below the ceiling', () => {
    const offer = makeOffer(large('10000000000000'));
    expect(new Decimal(offer.totalRepayable).lt('1e15')).toBe(true);
  });
});

describe('offer properties', () => {
  it('never offers more than asked, than the grade allows or than the product lends, and charges an APR above the rate', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100_000, max: 6_000_000 }),
        fc.constantFrom('A', 'B', 'C', 'D'),
        fc.integer({ min: 100_000, max: 6_000_000 }),
        fc.integer({ min: 6, max: 36 }),
        (requestedCents, grade, maxCents, months) => {
          const requested = new Decimal(requestedCents).div(100);
          const gradeMax = new Decimal(maxCents).div(100);
          const offer = makeOffer(request({ requestedAmount: requested.toFixed(2), decision: { ...APPROVED_B, riskGrade: grade, maxAmount: gradeMax.toFixed(2) }, numberOfRepayments: months }));
          const amount = new Decimal(offer.amount);
          expect(amount.lte(requested) && amount.lte(gradeMax) && amount.lte(20000)).toBe(true);
          expect(amount.eq(Decimal.min(requested, gradeMax, 20000))).toBe(true);
          expect(new Decimal(offer.apr.percent).gt(offer.annualRatePercent)).toBe(true);
          expect(new Decimal(offer.totalCostOfCredit).eq(new Decimal(offer.totalRepayable).minus(offer.netDisbursement))).toBe(true);
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe('the terms the debt-to-income rule prices an application at', () => {
  const terms = product({ fees: { perInstalment: '2.00', disbursement: null } }).terms;
  const pricing = { version: 2, ratesByGrade: { A: '9.9', B: null, C: '16.9' }, offerValidityDays: 30 };

  it('takes the grade\'s priced rate, the product\'s rate where the grade is priced null, and the highest rate without a grade', () => {
    expect(termsForAffordability(terms, pricing, 'A', 24).annualRatePercent.toString()).toBe('9.9');
    expect(termsForAffordability(terms, pricing, 'B', 24).annualRatePercent.toString()).toBe('10');
    expect(termsForAffordability(terms, pricing, null, 24).annualRatePercent.toString()).toBe('16.9');
    expect(termsForAffordability(terms, pricing, 'Z', 24).annualRatePercent.toString()).toBe('16.9');
    expect(termsForAffordability(terms, { ...pricing, ratesByGrade: { A: '4', B: null } }, null, 24).annualRatePercent.toString()).toBe('10');
    expect(termsForAffordability(terms, pricing, 'A', 24).numberOfRepayments).toBe(24);
  });

  it('carries the pricing\'s fees when it sets any, the product\'s otherwise; without pricing, the product\'s terms', () => {
    expect(termsForAffordability(terms, pricing, 'A', 24).fees.perInstalment.toString()).toBe('2');
    const feed = termsForAffordability(terms, { ...pricing, fees: { perInstalment: '5', disbursement: null } }, 'A', 24);
    expect(feed.fees.perInstalment.toString()).toBe('5');
    expect(termsForAffordability(terms, null, 'A', 18)).toEqual({ ...terms, numberOfRepayments: 18 });
  });

  it('prices at the rate an offer at the same grade gets', () => {
    const offer = makeOffer(request({ product: product({ fees: { perInstalment: '2.00', disbursement: null } }) }));
    const affordability = termsForAffordability(product({ fees: { perInstalment: '2.00', disbursement: null } }).terms, SANDBOX_PRICING, 'B', 12);
    expect(affordability.annualRatePercent.toString()).toBe(offer.annualRatePercent);
  });
});
