// The closed sets a product's terms are made of (src/domain/servicing/product.ts, dayCount.ts, dueDates.ts,
// allocation.ts), as GraphQL enums over the values the terms store, so stored terms and loan snapshots never change.
// Shared by the product's terms (loanProduct.ts), the product set-up mutations (loanProductSetup.ts) and loans.
import { builder } from './builder.js';
import { storedEnum } from './enums.js';

export const InterestTypeEnum = storedEnum('InterestType', 'What interest is charged on.', {
  'declining-balance': 'On the principal still outstanding, period by period.',
  flat: 'On the original principal for the whole term, spread evenly over the instalments.',
});

export const AmortizationEnum = storedEnum('Amortization', 'How principal is repaid over the instalments.', {
  'equal-instalments': 'One level instalment of principal and interest (an annuity).',
  'equal-principal': 'The same principal in every instalment, interest on top: instalments fall as the balance does.',
  bullet: 'All principal with the last instalment; interest as it falls due.',
  'interest-only': 'Interest only for the first `interestOnlyPeriods` instalments, then amortizing as `afterInterestOnly` says.',
});

export const AmortizationAfterInterestOnlyEnum = storedEnum('AmortizationAfterInterestOnly', 'How an interest-only loan repays principal once its interest-only instalments are over.', {
  'equal-instalments': 'Level instalments of principal and interest.',
  'equal-principal': 'The same principal in every instalment, interest on top.',
});

export const InterestCalculationEnum = storedEnum('InterestCalculation', 'How a repayment period\'s interest is worked out.', {
  'per-repayment-period': 'Each whole period earns the periodic rate (annual rate × months / 12, × weeks / 52, or × days / days in year) whatever its calendar length; a broken first period earns by the day count.',
  'per-day': 'Each period earns a daily rate (annual rate / days in year) for each day the day count gives it.',
});

export const RepaymentUnitEnum = storedEnum('RepaymentUnit', 'The unit repayments are spaced in: every N of them.', {
  days: 'Every N days.',
  weeks: 'Every N weeks (7·N days).',
  months: 'Every N calendar months, on the same day of the month (the month\'s last day where it has no such day).',
});

// Days in the year and in the month are stored as the numbers the day count reads (365, 30) or `actual`; an enum
// value name cannot be a number, so these two map names to the stored values themselves rather than through storedEnum.
export const DaysInYearEnum = builder.enumType('DaysInYear', {
  description: 'The year a day\'s interest is a fraction of: with days in month, the day-count convention.',
  values: {
    ACTUAL: {
      value: 'actual',
      description: 'Actual/Actual (ISDA): each day in a 365-day year earns 1/365 and each day in a leap year 1/366 of the annual rate, a period across New Year split at it. Not Apache Fineract\'s "actual", which its cumulative schedule treats as a fixed 365 (use DAYS_365 for that).',
    },
    DAYS_360: { value: 360, description: 'A year of 360 days: Actual/360 with actual days in the month (a day earns 1/360), 30/360 with 30-day months.' },
    DAYS_364: { value: 364, description: 'A year of 364 days (52 weeks): Actual/364, or 30/364 with 30-day months.' },
    DAYS_365: { value: 365, description: 'A fixed year of 365 days, leap years included: Actual/365 (Fixed), or 30/365 with 30-day months. The default.' },
    FINERACT_CUMULATIVE_ACTUAL: {
      value: 'fineract-cumulative-actual',
      description: 'Apache Fineract\'s "Actual" in its cumulative schedule engine: every year counts 365 days, leap years too (the same figures as DAYS_365, named for lenders migrating from Fineract).',
    },
    FINERACT_PROGRESSIVE_ACTUAL: {
      value: 'fineract-progressive-actual',
      description: 'Apache Fineract\'s "Actual" in its progressive engine: days of a leap year earn 1/366, as ISDA, but a period across a year end is split at 31 December, not 1 January.',
    },
  } as const,
});

export const AprMethodEnum = storedEnum('AprMethod', 'How an offer\'s APR is worked out and disclosed (docs/origination-rules.md).', {
  eu: 'The European Consumer Credit Directive\'s annual effective rate (2008/48/EC Annex I), disclosed to one decimal: the default.',
  us: 'Regulation Z\'s actuarial method (12 CFR 1026 Appendix J), a nominal rate disclosed to two decimals, for loans the Truth in Lending Act covers.',
});

export const LevelInstalmentBasisEnum = storedEnum('LevelInstalmentBasis', 'How a level (equal-instalment) payment is derived.', {
  'periodic-rate': 'From the periodic rate (annual rate × months / 12, × weeks / 52, or × days / days in year): Lendgraph\'s default.',
  'period-days': 'From each period\'s own day-count rate, then adjusted as Apache Fineract\'s progressive engine does (its EMI on actual days).',
});

export const EqualPrincipalRoundingEnum = storedEnum('EqualPrincipalRounding', 'What the instalment multiple rounds on an equal-principal loan.', {
  multiple: 'The equal principal parts are rounded to the instalment multiple: Lendgraph\'s default.',
  'minor-unit': 'The principal parts are rounded to the currency\'s minor unit only, as Apache Fineract does (its multiple does not apply to equal principal).',
});

export const FlatInstalmentRoundingEnum = storedEnum('FlatInstalmentRounding', 'How a flat loan\'s instalment meets the instalment multiple.', {
  instalment: 'The whole instalment is rounded to the multiple: Lendgraph\'s default.',
  'principal-and-interest': 'Principal and interest shares are rounded to the multiple separately and added, as Apache Fineract does; the interest due stays unrounded.',
});

export const DaysInMonthEnum = builder.enumType('DaysInMonth', {
  description: 'How the days between two dates are counted.',
  values: {
    ACTUAL: { value: 'actual', description: 'The calendar days between the dates. The default.' },
    DAYS_30: { value: 30, description: 'Every month counts 30 days (by `thirtyDayMonths`); needs a fixed year (DAYS_360, DAYS_364 or DAYS_365), not ACTUAL.' },
  } as const,
});

export const ThirtyDayMonthsEnum = storedEnum('ThirtyDayMonths', 'Which 30-day-month rule counts broken periods when months are 30 days.', {
  us: '30/360 US (30U/360): the 31st counts as the 30th when the period started on the 30th or 31st; the last day of February as the 30th when the period starts on it. The default.',
  european: '30E/360 (Eurobond basis): any 31st counts as the 30th; February is left alone.',
});

export const RoundingModeEnum = storedEnum('RoundingMode', 'How amounts that are not a whole instalment multiple or minor unit are rounded.', {
  'half-even': 'To the nearest; a half goes to the even neighbour (banker\'s rounding). The default.',
  'half-up': 'To the nearest; a half goes away from zero.',
  down: 'Towards zero.',
  up: 'Away from zero.',
});

export const PrepaymentRescheduleEnum = storedEnum('PrepaymentReschedule', 'What a prepayment does to the rest of the schedule.', {
  reduceInstalment: 'The tenor stays; every later instalment is lower.',
  reduceTenor: 'The instalment stays; fewer instalments are left.',
});

export const LoanComponentEnum = builder.enumType('LoanComponent', {
  description: 'A part of what a loan owes.',
  values: {
    PRINCIPAL: { value: 'principal', description: 'Principal.' },
    INTEREST: { value: 'interest', description: 'Interest.' },
    FEE: { value: 'fee', description: 'Fees.' },
    PENALTY: { value: 'penalty', description: 'Penalties.' },
  } as const,
});

export const AllocationStrategyEnum = storedEnum('AllocationStrategy', 'How a repayment is spread over instalments that are due.', {
  dueDateFirst: 'Instalment by instalment, oldest first, each in the rule\'s component order (horizontal).',
  componentFirst: 'One component across every due instalment, oldest first, before the next component (vertical).',
});

export const FutureInstalmentsEnum = storedEnum('FutureInstalments', 'What money beyond what is due does to instalments not yet due.', {
  payNextInstalments: 'Pays the next instalments in due-date order, each in the rule\'s future order.',
  reduceLastInstalments: 'Pays the latest instalments first: the tenor shortens, the instalment stays.',
  reduceEveryInstalment: 'Spread pro rata over every future instalment: the tenor stays, each instalment is lower.',
  holdAsAdvance: 'Nothing applied yet: kept as an advance for the instalments\' due dates.',
});
