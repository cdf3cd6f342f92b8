// The offer an approved application gets: how much, at what rate, for how long, with which fees, what the borrower
// pays each time and in all, the APR, and until when it stands. Plain data with the priced loan terms snapshotted,
// so the offer the borrower accepted is exactly what is booked at disbursement, whatever the product does later.
//
// Decisions:
// - The amount is the requested amount, cut to the risk grade's maximum and to the product's; never more than asked.
// - The rate comes from the product's pricing by risk grade (data, versioned like the credit policy); a grade
//   priced null takes the product's current rate; either must lie within the product's rate limits.
// - The fees are the pricing's when it sets them, else the product's current terms' fees.
// - Instalments and totals come from the servicing schedule generator on the product's terms at the offered rate,
//   assuming disbursement on the decision date unless told otherwise (the figures are illustrative until then).
// - No offer is made on a schedule that booking would refuse (newLoanSchedule.ts: one repaying 10^15 or more in all,
//   a multiple too coarse for the loan, instalments repaying no principal before the last …): the approval is
//   referred instead (NO_OFFER_POSSIBLE).
// - The APR is over the schedule's real cash flows: the net disbursement against every instalment (with its fee)
//   and every fee due on a date of its own (apr.ts).
import { InvalidField } from '../../errors.js';
import { addDays, isDate } from '../calendar.js';
import { Decimal, minorUnits } from '../money.js';
import { assertValidTerms, assertWithinProduct, termsToJson, type LoanProductVersion, type LoanTerms } from '../servicing/product.js';
import { totalRepayable, type Schedule } from '../servicing/schedule.js';
import { newLoanSchedule, type NewLoan } from '../servicing/newLoanSchedule.js';
import { blendedRatePercent } from '../servicing/coLending.js';
import { annualPercentageRate, scheduleCashFlows, type AprMethod } from './apr.js';
import type { PolicyDecision } from './creditPolicy.js';
import type { PricingFees } from './pricing.js';

/** One version of a product's pricing (pricing.ts), as an offer reads it. */
export interface PricingTable {
  version: number;
  /** Nominal annual rate in percent, as decimal text, by grade: { "A": "9.9" }; null takes the product's current rate. */
  ratesByGrade: Record<string, string | null>;
  /** The fees an offer carries; null or absent: the product's current terms' fees. */
  fees?: PricingFees | null;
  /** How long an offer stands, in days from the decision. */
  offerValidityDays: number;
}

/**
 * The pricing sandbox tenants start with (as their first active version, in the tenant's currency: it names no
 * amounts), for the grades of SANDBOX_CREDIT_POLICY; fees follow the product's terms.
 */
export const SANDBOX_PRICING: PricingTable = Object.freeze({
  version: 1,
  ratesByGrade: Object.freeze({ A: '9.9', B: '12.9', C: '16.9', D: '21.9' }) as Record<string, string>,
  fees: null,
  offerValidityDays: 30,
});

/** A grade's rate in a pricing table: its own, or the product's current rate where the table says null. */
function gradeRate(pricing: PricingTable, grade: string, productRate: Decimal): Decimal | undefined {
  const priced = pricing.ratesByGrade[grade];
  if (priced === undefined) return undefined;
  return priced === null ? productRate : new Decimal(priced);
}

/** The fees a priced loan carries: the pricing's when it sets any, otherwise the product's terms'. */
function pricedFees(pricing: PricingTable, productFees: LoanTerms['fees']): LoanTerms['fees'] {
  return pricing.fees
    ? {
      perInstalment: new Decimal(pricing.fees.perInstalment),
      disbursement: pricing.fees.disbursement ? { amount: new Decimal(pricing.fees.disbursement.amount), treatment: pricing.fees.disbursement.treatment } : null,
    }
    : productFees;
}

/**
 * The terms the credit policy's debt-to-income rule prices the applied-for loan at, before any decision: the
 * pricing's rate for the grade the applicant's score falls in, or, with no grade (no score, below every band, not
 * priced), the table's highest rate, so the ratio is never understated; the pricing's fees as an offer carries them.
 * Without pricing, the product's own terms.
 */
export function termsForAffordability(productTerms: LoanTerms, pricing: PricingTable | null, grade: string | null, numberOfRepayments: number): LoanTerms {
  if (!pricing) return { ...productTerms, numberOfRepayments };
  const productRate = new Decimal(productTerms.annualRatePercent);
  const rates = Object.keys(pricing.ratesByGrade).map((g) => gradeRate(pricing, g, productRate)!);
  const rate = (grade === null ? undefined : gradeRate(pricing, grade, productRate)) ?? (rates.length > 0 ? Decimal.max(...rates) : productRate);
  return { ...productTerms, annualRatePercent: rate, numberOfRepayments, fees: pricedFees(pricing, productTerms.fees) };
}

/** The highest APR an offer states (its column holds 99,999.9999): beyond it, fees have swallowed the loan. */
export const MAX_OFFER_APR_PERCENT = new Decimal('99999.9999');

export interface OfferRequest {
  product: LoanProductVersion;
  /** The credit decision (creditPolicy.ts) the offer follows from. */
  decision: Pick<PolicyDecision, 'policy' | 'version' | 'outcome' | 'riskGrade' | 'maxAmount'>;
  /** A referred application may get an offer once an underwriter approved it (approvalAuthority.ts). */
  referralApproved?: boolean;
  pricing: PricingTable;
  requestedAmount: Decimal | string;
  numberOfRepayments: number;
  decisionDate: string;
  /** The offer stands until the decision date plus this many days (the pricing's `offerValidityDays` when absent). */
  validForDays?: number;
  /** The decision date when absent. */
  disbursementDate?: string;
  firstRepaymentDate?: string;
  /** `eu` (Directive 2008/48/EC) unless the product's jurisdiction says `us` (Regulation Z). */
  aprMethod?: 'eu' | 'us';
  /**
   * Co-lent: the partners' shares and rates. The priced rate is then the lender's own, and the borrower is offered
   * (and the APR computed on) the blend of the lenders' rates by share (coLending.ts, `blendedRatePercent`).
   */
  coLending?: { partners: readonly { sharePercent: Decimal; partnerRatePercent: Decimal }[] } | null;
}

export interface Offer {
  product: { code: string; version: number };
  decision: { policy: string; version: number; outcome: PolicyDecision['outcome'] };
  riskGrade: string;
  pricingVersion: number;
  currency: string;
  requestedAmount: string;
  /** The principal offered. */
  amount: string;
  /** Why the amount is less than asked, if it is. */
  amountCutTo: null | 'grade-maximum' | 'product-maximum';
  annualRatePercent: string;
  /** Co-lent: the lender's own rate and each partner's share and rate that `annualRatePercent` blends; null when the lender lends alone. */
  blendedFrom: { lenderRatePercent: string; partners: { sharePercent: string; partnerRatePercent: string }[] } | null;
  numberOfRepayments: number;
  repaymentEvery: LoanTerms['repaymentEvery'];
  fees: { disbursement: { amount: string; treatment: 'financed' | 'deducted' } | null; perInstalment: string };
  /** What the borrower receives. */
  netDisbursement: string;
  /** What the schedule repays: the amount plus a financed fee. */
  financedPrincipal: string;
  firstInstalment: { dueDate: string; amount: string };
  /** Every instalment with its fees, and fees due on dates of their own. */
  totalRepayable: string;
  /** What the credit costs: total repayable less what the borrower receives. */
  totalCostOfCredit: string;
  apr: { method: 'eu' | 'us'; percent: string; disclosed: string };
  decisionDate: string;
  disbursementDate: string;
  validUntil: string;
  /** The priced loan terms as booked if the offer is accepted (termsToJson). */
  terms: Record<string, unknown>;
}

/** The schedule booking would start the loan on, its refusals naming the offer's `amount` where booking's name the principal. */
function offeredSchedule(terms: LoanTerms, loan: NewLoan): Schedule {
  try {
    return newLoanSchedule(terms, loan);
  } catch (error) {
    if (error instanceof InvalidField && error.field === 'principal') throw new InvalidField('amount', error.message);
    throw error;
  }
}

/** The offer for an approved decision; throws InvalidField naming what stands in the way. */
export function makeOffer(request: OfferRequest): Offer {
  const { product, decision, pricing } = request;
  if (decision.outcome === 'DECLINE') throw new InvalidField('decision', 'a declined application gets no offer');
  if (decision.outcome === 'REFER' && request.referralApproved !== true) {
    throw new InvalidField('decision', 'a referred application gets an offer only once an underwriter has approved it');
  }
  const grade = decision.riskGrade;
  if (grade === null) throw new InvalidField('decision.riskGrade', 'an offer is priced by risk grade; the decision has none');
  const priced = pricing.ratesByGrade[grade];
  if (priced === undefined || (priced !== null && !/^\d+(\.\d+)?$/.test(priced))) throw new InvalidField(`pricing.ratesByGrade.${grade}`, `the pricing has no rate for grade ${grade}`);
  const rate = gradeRate(pricing, grade, new Decimal(product.terms.annualRatePercent))!;
  if (!isDate(request.decisionDate)) throw new InvalidField('decisionDate', 'the decision date is a business date (YYYY-MM-DD)');
  const validForDays = request.validForDays ?? pricing.offerValidityDays;
  if (!Number.isInteger(validForDays) || validForDays < 1 || validForDays > 366) {
    throw new InvalidField('validForDays', 'an offer stands for a whole number of days from 1 to 366');
  }
  const disbursementDate = request.disbursementDate ?? request.decisionDate;
  if (!isDate(disbursementDate) || disbursementDate < request.decisionDate) {
    throw new InvalidField('disbursementDate', 'the disbursement date is a business date on or after the decision date');
  }
  assertValidTerms(product.terms);
  const currency = product.terms.currency;
  const places = minorUnits(currency);

  let requested: Decimal;
  try {
    requested = new Decimal(request.requestedAmount);
  } catch {
    throw new InvalidField('requestedAmount', 'the requested amount is a decimal number');
  }
  if (!requested.isFinite() || !requested.gt(0) || requested.decimalPlaces() > places) {
    throw new InvalidField('requestedAmount', `the requested amount must be more than zero, in whole minor units of ${currency}`);
  }
  const gradeMaximum = new Decimal(decision.maxAmount);
  let amount = requested;
  let amountCutTo: Offer['amountCutTo'] = null;
  if (amount.gt(gradeMaximum)) [amount, amountCutTo] = [gradeMaximum, 'grade-maximum'];
  if (amount.gt(product.limits.maxPrincipal)) [amount, amountCutTo] = [product.limits.maxPrincipal, 'product-maximum'];

  const fees = pricedFees(pricing, product.terms.fees);
  const partners = request.coLending?.partners ?? [];
  const blended = partners.length > 0 ? blendedRatePercent(rate, partners) : null;
  const terms: LoanTerms = { ...product.terms, annualRatePercent: blended ?? rate, numberOfRepayments: request.numberOfRepayments, fees };
  // Below the product's minimum, name the offer's amount (what the request and the decision allow), not a principal nobody gave.
  if (amount.lt(product.limits.minPrincipal)) {
    throw new InvalidField('amount', `the most this decision allows, ${amount.toFixed(places)}, is below the product's minimum of ${product.limits.minPrincipal.toFixed(places)}`);
  }
  assertWithinProduct(product.limits, { principal: amount, numberOfRepayments: terms.numberOfRepayments, every: terms.repaymentEvery, annualRatePercent: terms.annualRatePercent });
  const schedule = offeredSchedule(terms, { principal: amount, disbursementDate, firstRepaymentDate: request.firstRepaymentDate });
  const feesOnDates = terms.feesOnDates ?? [];
  // The product's terms say which method (EU when they do not); a request may name one for a what-if.
  const method: AprMethod =
    (request.aprMethod ?? terms.aprMethod ?? 'eu') === 'us' ? { kind: 'us', unitPeriod: terms.repaymentEvery } : { kind: 'eu', period: terms.repaymentEvery.unit === 'weeks' ? 'week' : 'month' };
  const apr = annualPercentageRate(scheduleCashFlows(schedule, disbursementDate, feesOnDates), method);
  if (apr.percent.gt(MAX_OFFER_APR_PERCENT)) {
    throw new InvalidField('apr', `the APR would be ${apr.disclosed} %, more than the ${MAX_OFFER_APR_PERCENT.toFixed()} % an offer can state: the fees are out of proportion to the amount`);
  }
  const repayable = totalRepayable(schedule, feesOnDates);
  const first = schedule.instalments[0]!;
  const disbursementFee = terms.fees.disbursement;
  return {
    product: { code: product.code, version: product.version },
    decision: { policy: decision.policy, version: decision.version, outcome: decision.outcome },
    riskGrade: grade,
    pricingVersion: pricing.version,
    currency,
    requestedAmount: requested.toFixed(places),
    amount: amount.toFixed(places),
    amountCutTo,
    annualRatePercent: terms.annualRatePercent.toString(),
    blendedFrom: blended === null ? null : {
      lenderRatePercent: new Decimal(rate).toString(),
      partners: partners.map((p) => ({ sharePercent: p.sharePercent.toString(), partnerRatePercent: p.partnerRatePercent.toString() })),
    },
    numberOfRepayments: terms.numberOfRepayments,
    repaymentEvery: { ...terms.repaymentEvery },
    fees: {
      disbursement: disbursementFee ? { amount: disbursementFee.amount.toFixed(places), treatment: disbursementFee.treatment } : null,
      perInstalment: terms.fees.perInstalment.toFixed(places),
    },
    netDisbursement: schedule.netDisbursement.toFixed(places),
    financedPrincipal: schedule.financedPrincipal.toFixed(places),
    firstInstalment: { dueDate: first.dueDate, amount: first.total.toFixed(places) },
    totalRepayable: repayable.toFixed(places),
    totalCostOfCredit: repayable.minus(schedule.netDisbursement).toFixed(places),
    apr: { method: apr.method, percent: apr.percent.toFixed(8), disclosed: apr.disclosed },
    decisionDate: request.decisionDate,
    disbursementDate,
    validUntil: addDays(request.decisionDate, validForDays),
    terms: termsToJson(terms),
  };
}
