// Co-lending as pure rules: what an arrangement between the lender (originator and servicer) and a co-lending
// partner may say, the rate the borrower pays when both lend, the partner's expected schedule, and how every
// amount the loan moves is split between them to the minor unit. The replay calls the split on each money event
// (replay/participations.ts), so a backdated payment or a reversal re-splits by replaying, like everything else.
//
// Decisions (docs/co-lending.md has them with examples):
// - The partner's principal is always its share of the loan's principal, rounded once: round(s × principal owed).
//   Every movement of the loan's principal (paid out, collected, written off, capitalised) moves the partner's by
//   the difference of that rounded position before and after, so the parts telescope: what the partner funded
//   comes back to the minor unit when the loan closes, whatever the order of payments and reversals.
// - Interest is split per amount collected, rounded half-even: at the partner's share (collection at the partner's
//   share), at its share times its rate over the loan's rate (principal plus interest at the partner's rate), or
//   at its expected schedule's interest over the borrower's (EMI based). The servicing fee (a yearly rate on the
//   partner's principal) is taken out of the partner's interest the same way.
// - Fees and penalties stay with the originator unless the arrangement shares them (then at the share).
// - The originator's part is always the whole less the partners': the parts sum to the whole by construction.
import { InvalidField } from '../../errors.js';
import { AMOUNT_CEILING, Decimal, minorUnits } from '../money.js';
import { generateSchedule, type Schedule, type ScheduleRequest } from './schedule.js';
import type { LoanTerms } from './product.js';

/** The three ways an arrangement splits the borrower's payments (named as lenders in India's co-lending market do). */
export type SplitModel = 'emiBased' | 'collectionShare' | 'principalPlusPartnerRate';
export const SPLIT_MODELS: readonly SplitModel[] = ['emiBased', 'collectionShare', 'principalPlusPartnerRate'];

/** The limits every arrangement is checked against; the lender may set its own (docs/co-lending.md). */
export interface CoLendingRules {
  /** The originator keeps at least this share of every loan. */
  minimumRetentionPercent: Decimal;
  /** A default loss guarantee covers at most this share of the loans it guarantees. */
  maximumGuaranteePercent: Decimal;
  /** A partner may take its share at most this many days after disbursement. */
  assignmentWindowDays: number;
}

/** The Reserve Bank of India's Co-Lending Directions, 2025: 10 % retained, guarantee at most 5 %, transfer within 15 days. */
export const RBI_2025_RULES: CoLendingRules = {
  minimumRetentionPercent: new Decimal(10),
  maximumGuaranteePercent: new Decimal(5),
  assignmentWindowDays: 15,
};

/**
 * The most versions one arrangement holds, rejected ones included. A version is a four-eyes change of terms, a few
 * in a year; the bound lets a page of arrangements be read with every version of each in one query (the API counts
 * each arrangement's versions at this bound: src/graph/limits.ts). Terms revised more often than this belong in a
 * new arrangement.
 */
export const MAX_ARRANGEMENT_VERSIONS = 20;

export interface DefaultLossGuarantee {
  /** The share of the guaranteed loans' disbursed principal the originator makes good at most. */
  capPercent: Decimal;
  /** Invoked for a loan this many days past due. */
  triggerDaysPastDue: number;
}

/** What an arrangement's version says. */
export interface ArrangementTerms {
  sharePercent: Decimal;
  partnerRatePercent: Decimal;
  model: SplitModel;
  /** A yearly rate on the partner's principal that the originator keeps from the partner's interest for servicing. */
  servicingFeePercent: Decimal;
  guarantee: DefaultLossGuarantee | null;
  sharesFees: boolean;
  sharesPenalties: boolean;
  /** Products whose loans it may take a share of; empty: any. */
  productCodes: readonly string[];
  /** The most principal of one loan it takes a share of; null: no limit. */
  maxLoanPrincipal: Decimal | null;
  /** The most it funds in all (its share of principal paid out); null: no limit. */
  totalLimit: Decimal | null;
  validFrom: string;
  validTo: string | null;
  /** What the partner may see of a borrower: nothing, or masked (initials, city, year of birth). */
  borrowerData: 'none' | 'masked';
}

const HUNDRED = new Decimal(100);
const ZERO = new Decimal(0);

function percent(value: Decimal, field: string, { above, atMost }: { above: Decimal; atMost: Decimal }): void {
  if (!value.gt(above) || value.gt(atMost)) throw new InvalidField(field, `${field} must be more than ${above.toFixed()} and at most ${atMost.toFixed()} (a percentage)`);
}

/** Refuses terms the rules do not allow, naming the field. */
export function checkArrangementTerms(terms: ArrangementTerms, rules: CoLendingRules): void {
  // Shares and rates are kept to four places (a share of 66.6667 % is two thirds to the paisa on any loan).
  for (const [field, value] of [['sharePercent', terms.sharePercent], ['partnerRatePercent', terms.partnerRatePercent], ['servicingFeePercent', terms.servicingFeePercent], ['guarantee.capPercent', terms.guarantee?.capPercent ?? ZERO]] as const) {
    if (value.decimalPlaces() > 4) throw new InvalidField(field, `${field} may have at most 4 digits after the point`);
  }
  for (const [field, value] of [['maxLoanPrincipal', terms.maxLoanPrincipal], ['totalLimit', terms.totalLimit]] as const) {
    if (value !== null && (value.decimalPlaces() > 4 || value.gte(AMOUNT_CEILING))) throw new InvalidField(field, `${field} must be below 10^15 with at most 4 digits after the point`);
  }
  const most = Decimal.min(HUNDRED.minus(rules.minimumRetentionPercent), new Decimal('99.9999'));
  if (!terms.sharePercent.gt(0) || terms.sharePercent.gt(most)) {
    throw new InvalidField('sharePercent', `sharePercent must be more than 0 and at most ${most.toFixed()}: the lender keeps at least ${rules.minimumRetentionPercent.toFixed()} % of every loan`);
  }
  if (terms.partnerRatePercent.isNegative() || terms.partnerRatePercent.gt(HUNDRED)) throw new InvalidField('partnerRatePercent', 'partnerRatePercent must be from 0 to 100 (a yearly percentage)');
  if (terms.servicingFeePercent.isNegative() || terms.servicingFeePercent.gt(terms.partnerRatePercent)) {
    throw new InvalidField('servicingFeePercent', 'servicingFeePercent must be from 0 to the partner\'s rate: the fee comes out of the partner\'s interest');
  }
  if (terms.guarantee) {
    percent(terms.guarantee.capPercent, 'guarantee.capPercent', { above: ZERO, atMost: rules.maximumGuaranteePercent });
    if (!Number.isInteger(terms.guarantee.triggerDaysPastDue) || terms.guarantee.triggerDaysPastDue < 1 || terms.guarantee.triggerDaysPastDue > 3650) {
      throw new InvalidField('guarantee.triggerDaysPastDue', 'guarantee.triggerDaysPastDue must be a whole number of days from 1 to 3650');
    }
  }
  terms.productCodes.forEach((code, k) => {
    if (terms.productCodes.indexOf(code) !== k) throw new InvalidField(`productCodes.${k}`, `product ${code} is named twice`);
  });
  if (terms.maxLoanPrincipal !== null && !terms.maxLoanPrincipal.gt(0)) throw new InvalidField('maxLoanPrincipal', 'maxLoanPrincipal must be more than zero');
  if (terms.totalLimit !== null && !terms.totalLimit.gt(0)) throw new InvalidField('totalLimit', 'totalLimit must be more than zero');
  if (terms.validTo !== null && terms.validTo < terms.validFrom) throw new InvalidField('validTo', 'validTo must not be before validFrom');
}

/** The rate the borrower pays: each lender's rate weighted by its share (what the offer discloses and its APR uses). */
export function blendedRatePercent(originatorRatePercent: Decimal, partners: readonly { sharePercent: Decimal; partnerRatePercent: Decimal }[]): Decimal {
  let partnersShare = ZERO;
  let weighted = ZERO;
  for (const p of partners) {
    partnersShare = partnersShare.plus(p.sharePercent);
    weighted = weighted.plus(p.sharePercent.times(p.partnerRatePercent));
  }
  return weighted.plus(HUNDRED.minus(partnersShare).times(originatorRatePercent)).div(HUNDRED).toDecimalPlaces(4);
}

/**
 * The rate the originator earns on its own share when the borrower pays `borrowerRatePercent`: what is left of
 * the borrower's interest once each partner has its rate on its share. Null when the partners alone would take
 * more than the borrower pays.
 */
export function originatorRatePercent(borrowerRatePercent: Decimal, partners: readonly { sharePercent: Decimal; partnerRatePercent: Decimal }[]): Decimal | null {
  let partnersShare = ZERO;
  let weighted = ZERO;
  for (const p of partners) {
    partnersShare = partnersShare.plus(p.sharePercent);
    weighted = weighted.plus(p.sharePercent.times(p.partnerRatePercent));
  }
  const left = borrowerRatePercent.times(HUNDRED).minus(weighted);
  if (left.isNegative()) return null;
  return left.div(HUNDRED.minus(partnersShare)).toDecimalPlaces(4);
}

/** A participation as the replay needs it: the arrangement's terms snapshotted on the loan, and the partner's accounts. */
export interface LoanParticipation {
  partnerCode: string;
  sharePercent: Decimal;
  model: SplitModel;
  partnerRatePercent: Decimal;
  servicingFeePercent: Decimal;
  sharesFees: boolean;
  sharesPenalties: boolean;
  /** The partner's share counts from this business date (the disbursement, or the day it was assigned). */
  from: string;
  /**
   * The business date the lender bought the share back under its default loss guarantee: from then the partner's
   * principal is paid out (to its payable) and nothing more is shared with it. Absent or null while it holds it.
   */
  until?: string | null;
  /** EMI based: the partner's expected interest over the borrower's, over their whole schedules (fixed at assignment). */
  emiInterestRatio: Decimal | null;
  accounts: { payable: string; funded: string; servicingFee: string };
}

const rounded = (value: Decimal, currency: string) => value.toDecimalPlaces(minorUnits(currency), Decimal.ROUND_HALF_EVEN);

/** The partner's principal when the loan owes `owed` of principal. */
export function partnerPrincipal(sharePercent: Decimal, owed: Decimal, currency: string): Decimal {
  return rounded(owed.times(sharePercent).div(HUNDRED), currency);
}

/** How the partner's principal moves when the loan's moves from `before` to `after` (signed: more owed, more funded). */
export function partnerPrincipalMove(sharePercent: Decimal, before: Decimal, after: Decimal, currency: string): Decimal {
  return partnerPrincipal(sharePercent, after, currency).minus(partnerPrincipal(sharePercent, before, currency));
}

/** The fraction of every interest amount collected that is the partner's (before the servicing fee). */
export function interestRatio(p: Pick<LoanParticipation, 'model' | 'sharePercent' | 'partnerRatePercent' | 'emiInterestRatio'>, loanRatePercent: Decimal): Decimal {
  const share = p.sharePercent.div(HUNDRED);
  let ratio: Decimal;
  switch (p.model) {
    case 'collectionShare':
      ratio = share;
      break;
    case 'principalPlusPartnerRate':
      ratio = loanRatePercent.gt(0) ? share.times(p.partnerRatePercent).div(loanRatePercent) : ZERO;
      break;
    case 'emiBased':
      ratio = p.emiInterestRatio ?? ZERO;
      break;
  }
  return Decimal.min(ratio, new Decimal(1));
}

/**
 * Each participation's fraction of interest collected, scaled down together when the partners' rates would take
 * more than all of it (a loan restructured to a rate below theirs): the partners then share all of the interest in
 * the proportion their rates give, and the lender none.
 */
export function interestRatios(participations: readonly LoanParticipation[], loanRatePercent: Decimal): Map<LoanParticipation, Decimal> {
  const ratios = new Map(participations.map((p) => [p, interestRatio(p, loanRatePercent)]));
  const total = [...ratios.values()].reduce((s, r) => s.plus(r), ZERO);
  if (total.gt(1)) for (const [p, r] of ratios) ratios.set(p, r.div(total));
  return ratios;
}

/** The fraction of every interest amount collected that the originator keeps from the partner's part as servicing fee. */
export function servicingFeeRatio(p: Pick<LoanParticipation, 'sharePercent' | 'servicingFeePercent'>, loanRatePercent: Decimal): Decimal {
  if (!loanRatePercent.gt(0)) return ZERO;
  return p.sharePercent.div(HUNDRED).times(p.servicingFeePercent).div(loanRatePercent);
}

/** The partner's part of an amount of interest collected (signed, for money given back), and the fee kept from it. */
export function partnerInterest(p: LoanParticipation, interest: Decimal, loanRatePercent: Decimal, currency: string, ratio = interestRatio(p, loanRatePercent)): { gross: Decimal; servicingFee: Decimal } {
  const gross = rounded(interest.times(ratio), currency);
  const fee = rounded(interest.times(servicingFeeRatio(p, loanRatePercent)), currency);
  // The fee never takes more than the partner's interest: it is kept out of it.
  return { gross, servicingFee: gross.isNegative() ? Decimal.max(fee, gross) : Decimal.min(fee, gross) };
}

/** The partner's part of a fee, penalty or recovery collected: at its share when the arrangement shares it, else nothing. */
export function partnerPartAtShare(sharePercent: Decimal, amount: Decimal, currency: string): Decimal {
  return rounded(amount.times(sharePercent).div(HUNDRED), currency);
}

/** What one amount collected on a loan comes to for each lender. */
export interface CollectionSplit {
  partners: { partnerCode: string; principal: Decimal; interest: Decimal; servicingFee: Decimal; fee: Decimal; penalty: Decimal; total: Decimal }[];
  originator: { principal: Decimal; interest: Decimal; fee: Decimal; penalty: Decimal; servicingFee: Decimal; total: Decimal };
}

/**
 * One collection split between the lenders: `collected` by component, with the loan owing `owedBefore` of
 * principal before it. The partner's total is what it is paid (its principal, its interest less the servicing fee,
 * its share of fees and penalties when shared); the originator's is the rest, fee included.
 */
export function splitCollection(
  participations: readonly LoanParticipation[], collected: { principal: Decimal; interest: Decimal; fee: Decimal; penalty: Decimal },
  owedBefore: Decimal, loanRatePercent: Decimal, currency: string,
): CollectionSplit {
  const ratios = interestRatios(participations, loanRatePercent);
  const partners = participations.map((p) => {
    const principal = partnerPrincipalMove(p.sharePercent, owedBefore.minus(collected.principal), owedBefore, currency);
    const { gross, servicingFee } = partnerInterest(p, collected.interest, loanRatePercent, currency, ratios.get(p));
    const fee = p.sharesFees ? partnerPartAtShare(p.sharePercent, collected.fee, currency) : ZERO;
    const penalty = p.sharesPenalties ? partnerPartAtShare(p.sharePercent, collected.penalty, currency) : ZERO;
    return { partnerCode: p.partnerCode, principal, interest: gross, servicingFee, fee, penalty, total: principal.plus(gross).minus(servicingFee).plus(fee).plus(penalty) };
  });
  const taken = (pick: (x: (typeof partners)[number]) => Decimal) => partners.reduce((s, x) => s.plus(pick(x)), ZERO);
  const originator = {
    principal: collected.principal.minus(taken((x) => x.principal)),
    interest: collected.interest.minus(taken((x) => x.interest)),
    fee: collected.fee.minus(taken((x) => x.fee)),
    penalty: collected.penalty.minus(taken((x) => x.penalty)),
    servicingFee: taken((x) => x.servicingFee),
    total: ZERO,
  };
  originator.total = originator.principal.plus(originator.interest).plus(originator.fee).plus(originator.penalty).plus(originator.servicingFee);
  return { partners, originator };
}

/** One instalment of the partner's expected schedule. */
export interface PartnerInstalment {
  number: number;
  dueDate: string;
  principal: Decimal;
  interest: Decimal;
  servicingFee: Decimal;
  /** What the partner expects to be paid: principal and interest less the servicing fee. */
  total: Decimal;
}

/**
 * What the partner expects from a loan paid as scheduled. EMI based: its own level schedule on its share at its
 * rate; otherwise the borrower's schedule split as collections would be.
 */
export function partnerSchedule(p: LoanParticipation, terms: LoanTerms, schedule: Schedule): PartnerInstalment[] {
  const { currency } = terms;
  if (p.model === 'emiBased') {
    const own = generateSchedule({ ...terms, annualRatePercent: p.partnerRatePercent, fees: { perInstalment: ZERO, disbursement: null } }, {
      principal: partnerPrincipal(p.sharePercent, schedule.financedPrincipal, currency),
      disbursementDate: schedule.instalments[0]!.fromDate,
      firstRepaymentDate: schedule.instalments[0]!.dueDate,
    });
    return own.instalments.map((i) => {
      const fee = rounded(i.interest.times(p.servicingFeePercent).div(p.partnerRatePercent.gt(0) ? p.partnerRatePercent : 1), currency);
      const servicingFee = Decimal.min(fee, i.interest);
      return { number: i.number, dueDate: i.dueDate, principal: i.principal, interest: i.interest, servicingFee, total: i.principal.plus(i.interest).minus(servicingFee) };
    });
  }
  let owed = schedule.financedPrincipal;
  return schedule.instalments.map((i) => {
    const principal = partnerPrincipalMove(p.sharePercent, owed.minus(i.principal), owed, currency);
    owed = owed.minus(i.principal);
    const { gross, servicingFee } = partnerInterest(p, i.interest, terms.annualRatePercent, currency);
    return { number: i.number, dueDate: i.dueDate, principal, interest: gross, servicingFee, total: principal.plus(gross).minus(servicingFee) };
  });
}

/** EMI based: the partner's expected interest over the borrower's, over their whole schedules. */
export function emiInterestRatio(sharePercent: Decimal, partnerRatePercent: Decimal, terms: LoanTerms, request: ScheduleRequest): Decimal {
  const borrower = generateSchedule(terms, request);
  const borrowerInterest = borrower.instalments.reduce((s, i) => s.plus(i.interest), ZERO);
  if (!borrowerInterest.gt(0)) return ZERO;
  const own = generateSchedule({ ...terms, annualRatePercent: partnerRatePercent, fees: { perInstalment: ZERO, disbursement: null } }, {
    principal: partnerPrincipal(sharePercent, borrower.financedPrincipal, terms.currency),
    disbursementDate: request.disbursementDate,
    firstRepaymentDate: borrower.instalments[0]!.dueDate,
  });
  const partnerInterestTotal = own.instalments.reduce((s, i) => s.plus(i.interest), ZERO);
  return partnerInterestTotal.div(borrowerInterest).toDecimalPlaces(10);
}
