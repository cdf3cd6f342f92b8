// A lender setting itself up: creating a product with every term the domain supports, cloning one, retiring one
// (src/services/servicing/loanProducts.ts). Refusals name the input path (`input.terms.grace.principalPeriods`).
import { builder } from './builder.js';
import { commandDbOf, commandOf } from './context.js';
import { DisbursementFeeTreatmentEnum } from './enums.js';
import { LateFeeKindEnum, LoanProductRef } from './loanProduct.js';
import { LedgerAccountRoleEnum } from './ledger.js';
import {
  AllocationStrategyEnum, AprMethodEnum, AmortizationAfterInterestOnlyEnum, AmortizationEnum, DaysInMonthEnum, DaysInYearEnum, EqualPrincipalRoundingEnum, FlatInstalmentRoundingEnum, FutureInstalmentsEnum, InterestCalculationEnum, LevelInstalmentBasisEnum,
  InterestTypeEnum, LoanComponentEnum, PrepaymentRescheduleEnum, RepaymentUnitEnum, RoundingModeEnum, ThirtyDayMonthsEnum,
} from './loanTermsEnums.js';
import { objectPayload } from './payloads.js';
import { cloneProduct, createProduct, retireProduct, type LimitsInput, type ProductTermsInput } from '../services/servicing/loanProducts.js';
import { InvalidField } from '../errors.js';
import type { Amortization, LoanTermsInput } from '../domain/servicing/product.js';

const AmortizationInput = builder.inputType('LoanProductAmortizationInput', {
  description: 'How principal is repaid.',
  fields: (t) => ({
    kind: t.field({ type: AmortizationEnum, required: true, description: 'Equal instalments, equal principal, bullet, or interest-only first.' }),
    interestOnlyPeriods: t.int({ required: false, description: 'With INTEREST_ONLY: how many first instalments pay interest only.' }),
    afterInterestOnly: t.field({ type: AmortizationAfterInterestOnlyEnum, required: false, description: 'With INTEREST_ONLY: how principal is repaid afterwards (EQUAL_INSTALMENTS when omitted).' }),
  }),
});

const RepaymentFrequencyInput = builder.inputType('LoanProductRepaymentFrequencyInput', {
  description: 'Repayments every N days, weeks or months.',
  fields: (t) => ({
    every: t.int({ required: true, description: 'N: 1 to 366.' }),
    unit: t.field({ type: RepaymentUnitEnum, required: true, description: 'Days, weeks or months.' }),
  }),
});

const GraceInput = builder.inputType('LoanProductGraceInput', {
  description: 'Grace at the start of the loan.',
  fields: (t) => ({
    principalPeriods: t.int({ required: false, description: 'The first N instalments repay no principal (0 when omitted).' }),
    interestPeriods: t.int({ required: false, description: 'The first N instalments collect no interest: it still accrues and is deferred to the first instalment after the grace, never capitalised (0 when omitted).' }),
  }),
});

const DisbursementFeeInput = builder.inputType('LoanProductDisbursementFeeInput', {
  description: 'A fee charged when the loan is paid out.',
  fields: (t) => ({
    amount: t.field({ type: 'Decimal', required: true, description: 'The fee, in the product\'s currency.' }),
    treatment: t.field({ type: DisbursementFeeTreatmentEnum, required: true, description: 'Deducted from the payout or financed (added to the principal).' }),
  }),
});

const FeesInput = builder.inputType('LoanProductFeesInput', {
  description: 'Fees with the instalments and at disbursement.',
  fields: (t) => ({
    perInstalment: t.field({ type: 'Decimal', required: false, description: 'A fixed fee due with every instalment (0 when omitted).' }),
    disbursement: t.field({ type: DisbursementFeeInput, required: false, description: 'A fee at disbursement; none when omitted.' }),
  }),
});

const FeeOnDateInput = builder.inputType('LoanProductFeeOnDateInput', {
  description: 'A fee due on a date of its own.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'How the borrower\'s statement names it.' }),
    date: t.field({ type: 'Date', required: true, description: 'When it falls due.' }),
    amount: t.field({ type: 'Decimal', required: true, description: 'How much.' }),
  }),
});

const LateFeeInput = builder.inputType('LoanProductLateFeeInput', {
  description: 'A late fee, charged once per instalment still owing more than the tolerance when its grace days are over.',
  fields: (t) => ({
    kind: t.field({ type: LateFeeKindEnum, required: true, description: 'A fixed amount or a percentage of what is overdue.' }),
    amount: t.field({ type: 'Decimal', required: false, description: 'For FIXED: the fee.' }),
    percent: t.field({ type: 'Decimal', required: false, description: 'For PERCENT_OF_OVERDUE: the fee in percent ("2" is 2 %) of what the instalment still owes of principal, interest and fees.' }),
    graceDays: t.int({ required: false, description: 'Days after the due date before it is charged (0 when omitted).' }),
  }),
});

const PrepaymentInput = builder.inputType('LoanProductPrepaymentInput', {
  description: 'What a borrower\'s prepayment may do.',
  fields: (t) => ({
    allowed: t.field({ type: [PrepaymentRescheduleEnum], required: true, description: 'The choices a prepayment may take.' }),
  }),
});

const AllocationInput = builder.inputType('LoanProductAllocationInput', {
  description: 'How repayments are allocated (penalties, fees, interest and principal first, instalment by instalment, paying the next instalments, when omitted).',
  fields: (t) => ({
    order: t.field({ type: [LoanComponentEnum], required: true, description: 'All four components, each once, in the order due instalments are settled.' }),
    strategy: t.field({ type: AllocationStrategyEnum, required: true, description: 'Instalment by instalment, or component by component.' }),
    future: t.field({ type: FutureInstalmentsEnum, required: true, description: 'What money beyond what is due does.' }),
    futureOrder: t.field({ type: [LoanComponentEnum], required: true, description: 'The components it may pay of future instalments, in order; at least one.' }),
  }),
});

export const LoanProductTermsInput = builder.inputType('LoanProductTermsInput', {
  description: 'Every term of a product (docs/products.md); what is omitted takes the default named on the field.',
  fields: (t) => ({
    annualRatePercent: t.field({ type: 'Decimal', required: true, description: 'Nominal annual rate in percent ("14.9").' }),
    numberOfRepayments: t.int({ required: true, description: 'The default number of repayments (the default tenor), within the limits.' }),
    repaymentEvery: t.field({ type: RepaymentFrequencyInput, required: false, description: 'Every 1 month when omitted.' }),
    interestType: t.field({ type: InterestTypeEnum, required: false, description: 'DECLINING_BALANCE when omitted.' }),
    amortization: t.field({ type: AmortizationInput, required: false, description: 'EQUAL_INSTALMENTS when omitted.' }),
    interestCalculation: t.field({ type: InterestCalculationEnum, required: false, description: 'PER_REPAYMENT_PERIOD when omitted.' }),
    daysInYear: t.field({ type: DaysInYearEnum, required: false, description: 'DAYS_365 (Actual/365 Fixed) when omitted.' }),
    daysInMonth: t.field({ type: DaysInMonthEnum, required: false, description: 'ACTUAL when omitted.' }),
    thirtyDayMonths: t.field({ type: ThirtyDayMonthsEnum, required: false, description: 'With DAYS_30: US when omitted.' }),
    grace: t.field({ type: GraceInput, required: false, description: 'No grace when omitted.' }),
    instalmentMultiple: t.field({ type: 'Decimal', required: false, description: 'Instalments are rounded to a multiple of this ("100"); the currency\'s minor unit when omitted.' }),
    roundingMode: t.field({ type: RoundingModeEnum, required: false, description: 'HALF_EVEN when omitted.' }),
    levelInstalmentBasis: t.field({ type: LevelInstalmentBasisEnum, required: false, description: 'PERIODIC_RATE when omitted; PERIOD_DAYS for Apache Fineract\'s progressive schedules.' }),
    equalPrincipalRounding: t.field({ type: EqualPrincipalRoundingEnum, required: false, description: 'MULTIPLE when omitted; MINOR_UNIT for Apache Fineract\'s equal-principal schedules.' }),
    flatInstalmentRounding: t.field({ type: FlatInstalmentRoundingEnum, required: false, description: 'INSTALMENT when omitted; PRINCIPAL_AND_INTEREST for Apache Fineract\'s flat schedules.' }),
    aprMethod: t.field({ type: AprMethodEnum, required: false, description: 'How offers on the product state their APR: EU when omitted; US (Regulation Z) for loans the Truth in Lending Act covers.' }),
    fees: t.field({ type: FeesInput, required: false, description: 'No fees when omitted.' }),
    feesOnDates: t.field({ type: [FeeOnDateInput], required: false, description: 'Fees due on dates of their own.' }),
    lateFee: t.field({ type: LateFeeInput, required: false, description: 'No late fee when omitted.' }),
    penaltyRatePercent: t.field({ type: 'Decimal', required: false, description: 'Annual penalty interest on overdue principal, in percent (0 when omitted).' }),
    prepayment: t.field({ type: PrepaymentInput, required: false, description: 'Both reschedules allowed when omitted.' }),
    underpaymentTolerance: t.field({ type: 'Decimal', required: false, description: 'An instalment owing no more than this is not late (0 when omitted).' }),
    allocation: t.field({ type: AllocationInput, required: false, description: 'How repayments are allocated.' }),
  }),
});

export const LoanProductLimitsInput = builder.inputType('LoanProductLimitsInput', {
  description: 'What a loan on the product may be.',
  fields: (t) => ({
    minAmount: t.field({ type: 'Decimal', required: true, description: 'The smallest principal.' }),
    maxAmount: t.field({ type: 'Decimal', required: true, description: 'The largest principal.' }),
    minTenorMonths: t.int({ required: true, description: 'The shortest tenor in months (checked where repayments fall every N months).' }),
    maxTenorMonths: t.int({ required: true, description: 'The longest tenor in months.' }),
  }),
});

const AccountMappingInput = builder.inputType('LoanProductAccountMappingInput', {
  description: 'A role the product posts to another account than the chart\'s default.',
  fields: (t) => ({
    role: t.field({ type: LedgerAccountRoleEnum, required: true, description: 'The posting role.' }),
    account: t.string({ required: true, description: 'The ledger account\'s code.' }),
  }),
});

type Maybe<T> = T | null | undefined;
const given = <T>(value: Maybe<T>): T | undefined => (value === null || value === undefined ? undefined : value);
const text = (value: Maybe<unknown>): string | undefined => (value === null || value === undefined ? undefined : String(value));

interface TermsArg {
  annualRatePercent: unknown;
  numberOfRepayments: number;
  repaymentEvery?: Maybe<{ every: number; unit: string }>;
  interestType?: Maybe<string>;
  amortization?: Maybe<{ kind: string; interestOnlyPeriods?: Maybe<number>; afterInterestOnly?: Maybe<string> }>;
  interestCalculation?: Maybe<string>;
  daysInYear?: Maybe<string | number>;
  daysInMonth?: Maybe<string | number>;
  thirtyDayMonths?: Maybe<string>;
  grace?: Maybe<{ principalPeriods?: Maybe<number>; interestPeriods?: Maybe<number> }>;
  instalmentMultiple?: Maybe<unknown>;
  roundingMode?: Maybe<string>;
  levelInstalmentBasis?: Maybe<string>;
  equalPrincipalRounding?: Maybe<string>;
  flatInstalmentRounding?: Maybe<string>;
  aprMethod?: Maybe<string>;
  fees?: Maybe<{ perInstalment?: Maybe<unknown>; disbursement?: Maybe<{ amount: unknown; treatment: string }> }>;
  feesOnDates?: Maybe<{ name: string; date: unknown; amount: unknown }[]>;
  lateFee?: Maybe<{ kind: string; amount?: Maybe<unknown>; percent?: Maybe<unknown>; graceDays?: Maybe<number> }>;
  penaltyRatePercent?: Maybe<unknown>;
  prepayment?: Maybe<{ allowed: string[] }>;
  underpaymentTolerance?: Maybe<unknown>;
  allocation?: Maybe<{ order: string[]; strategy: string; future: string; futureOrder: string[] }>;
}

function amortizationOf(input: NonNullable<TermsArg['amortization']>): Amortization {
  if (input.kind !== 'interest-only') {
    if (input.interestOnlyPeriods != null) throw new InvalidField('terms.amortization.interestOnlyPeriods', 'interest-only periods go with INTEREST_ONLY amortization');
    return { kind: input.kind } as Amortization;
  }
  if (input.interestOnlyPeriods == null) throw new InvalidField('terms.amortization.interestOnlyPeriods', 'INTEREST_ONLY amortization needs the number of interest-only periods');
  return { kind: 'interest-only', periods: input.interestOnlyPeriods, then: (input.afterInterestOnly ?? 'equal-instalments') as 'equal-instalments' };
}

function lateFeeOf(input: NonNullable<TermsArg['lateFee']>): LoanTermsInput['lateFee'] {
  const graceDays = given(input.graceDays);
  if (input.kind === 'fixed') {
    if (input.amount == null) throw new InvalidField('terms.lateFee.amount', 'a FIXED late fee needs its amount');
    if (input.percent != null) throw new InvalidField('terms.lateFee.percent', 'a FIXED late fee has an amount, not a percent');
    return { kind: 'fixed', amount: String(input.amount), ...(graceDays === undefined ? {} : { graceDays }) };
  }
  if (input.percent == null) throw new InvalidField('terms.lateFee.percent', 'a PERCENT_OF_OVERDUE late fee needs its percent');
  if (input.amount != null) throw new InvalidField('terms.lateFee.amount', 'a PERCENT_OF_OVERDUE late fee has a percent, not an amount');
  return { kind: 'percentOfOverdue', percent: String(input.percent), ...(graceDays === undefined ? {} : { graceDays }) };
}

/** The input's terms as the service takes them: omitted fields stay absent so the domain's defaults apply. */
export function productTermsOf(input: TermsArg): ProductTermsInput {
  const terms: Record<string, unknown> = {
    annualRatePercent: String(input.annualRatePercent),
    numberOfRepayments: input.numberOfRepayments,
    repaymentEvery: given(input.repaymentEvery),
    interestType: given(input.interestType),
    amortization: input.amortization ? amortizationOf(input.amortization) : undefined,
    interestCalculation: given(input.interestCalculation),
    daysInYear: given(input.daysInYear),
    daysInMonth: given(input.daysInMonth),
    thirtyDayMonths: given(input.thirtyDayMonths),
    grace: input.grace ? { principalPeriods: given(input.grace.principalPeriods), interestPeriods: given(input.grace.interestPeriods) } : undefined,
    instalmentMultiple: text(input.instalmentMultiple),
    roundingMode: given(input.roundingMode),
    levelInstalmentBasis: given(input.levelInstalmentBasis),
    equalPrincipalRounding: given(input.equalPrincipalRounding),
    flatInstalmentRounding: given(input.flatInstalmentRounding),
    aprMethod: given(input.aprMethod),
    fees: input.fees
      ? { perInstalment: text(input.fees.perInstalment), disbursement: input.fees.disbursement ? { amount: String(input.fees.disbursement.amount), treatment: input.fees.disbursement.treatment } : null }
      : undefined,
    feesOnDates: input.feesOnDates?.map((fee) => ({ name: fee.name, date: String(fee.date), amount: String(fee.amount) })),
    lateFee: input.lateFee ? lateFeeOf(input.lateFee) : undefined,
    penaltyRatePercent: text(input.penaltyRatePercent),
    prepayment: input.prepayment ? { allowed: input.prepayment.allowed } : undefined,
    underpaymentTolerance: text(input.underpaymentTolerance),
    allocation: given(input.allocation),
  };
  return JSON.parse(JSON.stringify(terms)) as ProductTermsInput;
}

function limitsOf(input: { minAmount: unknown; maxAmount: unknown; minTenorMonths: number; maxTenorMonths: number }): LimitsInput {
  return { minAmount: String(input.minAmount), maxAmount: String(input.maxAmount), minTenorMonths: input.minTenorMonths, maxTenorMonths: input.maxTenorMonths };
}

const CreateLoanProductInput = builder.inputType('CreateLoanProductInput', {
  description: 'A new product: its code, name, currency, terms and limits, and where it posts if not to the chart\'s defaults.',
  fields: (t) => ({
    code: t.string({ required: true, description: 'The lender\'s product code (1–40 letters, digits, dots, dashes, underscores), unique in the tenant.' }),
    name: t.string({ required: true, description: 'Name shown to people.' }),
    currency: t.string({ required: true, description: 'ISO 4217 currency of its loans.' }),
    terms: t.field({ type: LoanProductTermsInput, required: true, description: 'Every term of its first version.' }),
    limits: t.field({ type: LoanProductLimitsInput, required: true, description: 'What a loan on it may be.' }),
    accountMapping: t.field({ type: [AccountMappingInput], required: false, description: 'Roles posted elsewhere than the chart\'s default accounts; none when omitted.' }),
  }),
});

const CloneLoanProductInput = builder.inputType('CloneLoanProductInput', {
  description: 'A new product from another product\'s current version: its terms, allocation, limits and account mapping, unless given here.',
  fields: (t) => ({
    fromCode: t.string({ required: true, description: 'The product to copy (a retired one may be copied).' }),
    code: t.string({ required: true, description: 'The new product\'s code.' }),
    name: t.string({ required: true, description: 'The new product\'s name.' }),
    terms: t.field({ type: LoanProductTermsInput, required: false, description: 'The new product\'s whole terms; the source\'s current terms when omitted.' }),
    limits: t.field({ type: LoanProductLimitsInput, required: false, description: 'The new product\'s limits; the source\'s when omitted.' }),
  }),
});

const RetireLoanProductInput = builder.inputType('RetireLoanProductInput', {
  description: 'The product to stop offering.',
  fields: (t) => ({
    code: t.string({ required: true, description: 'The product.' }),
  }),
});

const CreateLoanProductPayload = objectPayload('createLoanProduct', 'loanProduct', LoanProductRef, 'The product, with its first version of terms.');
const CloneLoanProductPayload = objectPayload('cloneLoanProduct', 'loanProduct', LoanProductRef, 'The new product, with its first version of terms.');
const RetireLoanProductPayload = objectPayload('retireLoanProduct', 'loanProduct', LoanProductRef, 'The product, retired.');

builder.mutationFields((t) => ({
  createLoanProduct: t.field({
    type: CreateLoanProductPayload,
    description: 'Creates a loan product with its first version of terms; loans and applications may name it at once. Sent again with a taken code and the same details as that product\'s first version, it answers the product as it stands and writes nothing; with other details it is a CONFLICT naming each field that differs.',
    authScopes: { can: 'products.manage' },
    args: { input: t.arg({ type: CreateLoanProductInput, required: true, description: 'The product.' }) },
    resolve: async (_root, { input }, context) => ({
      loanProduct: await createProduct(commandDbOf(context), commandOf(context), {
        code: input.code, name: input.name, currency: input.currency, terms: productTermsOf(input.terms), limits: limitsOf(input.limits),
        accountMapping: (input.accountMapping ?? []).map((m) => ({ role: m.role, account: m.account })),
      }),
    }),
  }),
  cloneLoanProduct: t.field({
    type: CloneLoanProductPayload,
    description: 'Creates a product from another product\'s current version, with the terms or limits given; the source is unchanged. Sent again with a taken code, it answers that product as it stands and writes nothing when it is what this request would make; otherwise it is a CONFLICT naming what differs (`fromCode` for what comes from the source).',
    authScopes: { can: 'products.manage' },
    args: { input: t.arg({ type: CloneLoanProductInput, required: true, description: 'The source and the new product.' }) },
    resolve: async (_root, { input }, context) => ({
      loanProduct: await cloneProduct(commandDbOf(context), commandOf(context), {
        fromCode: input.fromCode, code: input.code, name: input.name,
        ...(input.terms ? { terms: productTermsOf(input.terms) } : {}), ...(input.limits ? { limits: limitsOf(input.limits) } : {}),
      }),
    }),
  }),
  retireLoanProduct: t.field({
    type: RetireLoanProductPayload,
    description: 'Stops offering a product: no new applications or bookings name it from now on; loans booked on it are unaffected.',
    authScopes: { can: 'products.manage' },
    args: { input: t.arg({ type: RetireLoanProductInput, required: true, description: 'The product.' }) },
    resolve: async (_root, { input }, context) => ({ loanProduct: await retireProduct(commandDbOf(context), commandOf(context), input.code) }),
  }),
}));
