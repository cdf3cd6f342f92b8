// LoanProduct: the catalogue of what the lender offers, each product with versioned terms (src/services/servicing/loanProducts.ts).
import { termsUnderCashRounding } from '../services/currencies.js';
import { builder } from './builder.js';
import { Decimal, money } from '../domain/money.js';
import { commandDbOf, commandOf, type GraphContext } from './context.js';
import { badInput, inputPath, InvalidField } from '../errors.js';
import { totalRepayable, type Instalment, type Schedule } from '../domain/servicing/schedule.js';
import { newLoanSchedule } from '../domain/servicing/newLoanSchedule.js';
import { productLimitsOf, productVersion, reviseTerms, type ProductVersion, type TermsRevision } from '../services/servicing/loanProducts.js';
import { assertWithinProduct, type FeeOnDate, type LateFee } from '../domain/servicing/product.js';
import { DisbursementFeeTreatmentEnum, storedEnum } from './enums.js';
import {
  AllocationStrategyEnum, AprMethodEnum, AmortizationAfterInterestOnlyEnum, AmortizationEnum, DaysInMonthEnum, DaysInYearEnum, EqualPrincipalRoundingEnum, FlatInstalmentRoundingEnum, FutureInstalmentsEnum, InterestCalculationEnum, LevelInstalmentBasisEnum,
  InterestTypeEnum, LoanComponentEnum, PrepaymentRescheduleEnum, RepaymentUnitEnum, RoundingModeEnum, ThirtyDayMonthsEnum,
} from './loanTermsEnums.js';
import { conventionName } from '../domain/servicing/dayCount.js';
import { between, checkRange, countedConnectionTypes, listPage, orderEnum, orderingOf, type SortKey } from './lists.js';
import type { Prisma } from '../generated/prisma/client.js';
import { objectPayload } from './payloads.js';
import type { LoanProductRow } from './productRows.js';


export const LoanProductRef = builder.objectRef<LoanProductRow>('LoanProduct');

builder.node(LoanProductRef, {
  id: { resolve: (row) => row.id },
  loadMany: (ids, context: GraphContext) => ids.map((id) => context.loaders.loanProductById.load(id)),
  description: 'A loan product the lender offers.',
  authScopes: { can: 'products.read' },
  fields: (t) => ({
    code: t.exposeString('code', { description: 'The lender\'s product code.' }),
    name: t.exposeString('name', { description: 'Name shown to people.' }),
    currency: t.exposeString('currency', { description: 'ISO 4217 currency of its loans.' }),
    minAmount: t.field({ type: 'Money', description: 'Smallest amount lent.', resolve: (p) => money(p.minAmount, p.currency) }),
    maxAmount: t.field({ type: 'Money', description: 'Largest amount lent.', resolve: (p) => money(p.maxAmount, p.currency) }),
    minTenorMonths: t.exposeInt('minTenor', { description: 'Shortest tenor, in months.' }),
    maxTenorMonths: t.exposeInt('maxTenor', { description: 'Longest tenor, in months.' }),
    annualRatePercent: t.field({ type: 'Decimal', description: 'Nominal annual rate in percent ("14.9"), as its current terms say.', resolve: (p) => new Decimal(p.annualRate.toString()).times(100).toFixed() }),
    retiredAt: t.field({ type: 'DateTime', nullable: true, description: 'When the lender retired it: no new applications or bookings since; loans booked on it carry on. Null while it is offered.', resolve: (p) => p.retiredAt }),
  }),
});

const PRODUCT_ORDER = {
  CODE: { field: 'code', kind: 'text', label: 'code' },
  NAME: { field: 'name', kind: 'text', label: 'name' },
  CREATED_AT: { field: 'createdAt', kind: 'time', label: 'when it was created' },
} as const satisfies Record<string, SortKey>;
const LoanProductOrderEnum = orderEnum('LoanProduct', PRODUCT_ORDER);

builder.queryField('loanProducts', (t) =>
  t.connection({
    type: LoanProductRef,
    description: 'The tenant\'s loan products, by code unless `orderBy` says otherwise, narrowed by the filters given.',
    authScopes: { can: 'products.read' },
    args: {
      orderBy: t.arg({ type: LoanProductOrderEnum, required: false, description: 'The order of the list; `CODE_ASC` when absent.' }),
      currency: t.arg.string({ required: false, description: 'Only products lending in this currency (ISO 4217).' }),
      createdFrom: t.arg({ type: 'DateTime', required: false, description: 'Only products created at or after this.' }),
      createdTo: t.arg({ type: 'DateTime', required: false, description: 'Only products created at or before this.' }),
      updatedSince: t.arg({ type: 'DateTime', required: false, description: 'Only products created, or given new terms (a new version), at or after this: the sync filter, see docs/partners.md.' }),
    },
    resolve: (_root, args, context) => {
      checkRange('createdFrom', args.createdFrom, 'createdTo', args.createdTo);
      const where: Record<string, unknown> = {
        ...(args.currency != null ? { currency: args.currency } : {}),
        ...(args.createdFrom != null || args.createdTo != null ? { createdAt: between(args.createdFrom, args.createdTo) } : {}),
        // A product changes by taking a new version, so a new version is its change.
        ...(args.updatedSince != null ? { OR: [{ createdAt: { gte: args.updatedSince } }, { versions: { some: { createdAt: { gte: args.updatedSince } } } }] } : {}),
      };
      return listPage(context, args, orderingOf(PRODUCT_ORDER, args.orderBy, 'code:asc'), where, {
        findMany: (query) => context.db!.loanProduct.findMany(query as Prisma.LoanProductFindManyArgs),
        count: (query) => context.db!.loanProduct.count(query as Prisma.LoanProductCountArgs),
      });
    },
  }, ...countedConnectionTypes('LoanProduct')),
);

// Versions, terms and schedule previews. A partner previews what a borrower would repay before applying.
export const LateFeeKindEnum = storedEnum('LateFeeKind', 'How a late fee is worked out.', {
  fixed: 'A fixed amount.',
  percentOfOverdue: 'A percentage of what the instalment still owes of principal, interest and fees.',
});

const LateFeeRef = builder.objectRef<LateFee & { currency: string }>('LateFee').implement({
  description: 'A product\'s late fee rule.',
  authScopes: { can: 'products.read' },
  fields: (t) => ({
    kind: t.field({ type: LateFeeKindEnum, description: 'A fixed amount or a percentage of what is overdue.', resolve: (f) => f.kind }),
    amount: t.field({ type: 'Money', nullable: true, description: 'For FIXED: the fee.', resolve: (f) => (f.kind === 'fixed' ? money(f.amount, f.currency) : null) }),
    overduePercent: t.field({ type: 'Decimal', nullable: true, description: 'For PERCENT_OF_OVERDUE: the fee in percent of what is overdue ("2" is 2 %).', resolve: (f) => (f.kind === 'percentOfOverdue' ? f.percent.toFixed() : null) }),
    graceDays: t.exposeInt('graceDays', { description: 'Days after the due date before it is charged.' }),
  }),
});

const FeeOnDateRef = builder.objectRef<FeeOnDate & { currency: string }>('FeeOnDate').implement({
  description: 'A fee due on a date of its own.',
  authScopes: { can: 'products.read' },
  fields: (t) => ({
    name: t.exposeString('name', { description: 'How the borrower\'s statement names it.' }),
    date: t.field({ type: 'Date', description: 'When it falls due.', resolve: (f) => f.date }),
    amount: t.field({ type: 'Money', description: 'How much.', resolve: (f) => money(f.amount, f.currency) }),
  }),
});

const LoanTermsRef = builder.objectRef<ProductVersion>('LoanTerms').implement({
  description: 'The terms a product version books loans with, and how it allocates repayments.',
  authScopes: { can: 'products.read' },
  fields: (t) => ({
    version: t.exposeInt('version', { description: 'The product version these terms belong to.' }),
    annualRatePercent: t.field({ type: 'Decimal', description: 'Nominal annual rate in percent ("14.9").', resolve: (v) => v.terms.annualRatePercent.toString() }),
    interestType: t.field({ type: InterestTypeEnum, description: 'What interest is charged on.', resolve: (v) => v.terms.interestType }),
    amortization: t.field({ type: AmortizationEnum, description: 'How principal is repaid.', resolve: (v) => v.terms.amortization.kind }),
    interestOnlyPeriods: t.int({ nullable: true, description: 'With INTEREST_ONLY: how many instalments pay interest only.', resolve: (v) => (v.terms.amortization.kind === 'interest-only' ? v.terms.amortization.periods : null) }),
    afterInterestOnly: t.field({ type: AmortizationAfterInterestOnlyEnum, nullable: true, description: 'With INTEREST_ONLY: how principal is repaid afterwards.', resolve: (v) => (v.terms.amortization.kind === 'interest-only' ? v.terms.amortization.then : null) }),
    interestCalculation: t.field({ type: InterestCalculationEnum, description: 'Interest per repayment period or per day.', resolve: (v) => v.terms.interestCalculation }),
    repaymentEvery: t.int({ description: 'Repayments fall every this many `repaymentUnit`s.', resolve: (v) => v.terms.repaymentEvery.every }),
    repaymentUnit: t.field({ type: RepaymentUnitEnum, description: 'Days, weeks or months.', resolve: (v) => v.terms.repaymentEvery.unit }),
    numberOfRepayments: t.int({ description: 'Default number of repayments.', resolve: (v) => v.terms.numberOfRepayments }),
    daysInYear: t.field({ type: DaysInYearEnum, description: 'The year a day\'s interest is a fraction of.', resolve: (v) => v.terms.daysInYear }),
    daysInMonth: t.field({ type: DaysInMonthEnum, description: 'Actual calendar days or 30-day months.', resolve: (v) => v.terms.daysInMonth }),
    thirtyDayMonths: t.field({ type: ThirtyDayMonthsEnum, nullable: true, description: 'With DAYS_30: the 30-day-month rule (US when not set).', resolve: (v) => (v.terms.daysInMonth === 30 ? v.terms.thirtyDayMonths ?? 'us' : null) }),
    dayCountConvention: t.string({ description: 'The day count\'s market name: "Actual/365 (Fixed)", "Actual/Actual (ISDA)", "30/360 (US)" …', resolve: (v) => conventionName(v.terms) }),
    graceOnPrincipalPeriods: t.int({ description: 'First instalments that repay no principal.', resolve: (v) => v.terms.grace.principalPeriods }),
    graceOnInterestPeriods: t.int({ description: 'First instalments whose interest is deferred to the next one.', resolve: (v) => v.terms.grace.interestPeriods }),
    instalmentMultiple: t.field({ type: 'Decimal', description: 'Instalments are rounded to a multiple of this.', resolve: (v) => v.terms.instalmentMultiple.toString() }),
    roundingMode: t.field({ type: RoundingModeEnum, description: 'How amounts are rounded.', resolve: (v) => v.terms.roundingMode }),
    levelInstalmentBasis: t.field({ type: LevelInstalmentBasisEnum, description: 'How a level payment is derived.', resolve: (v) => v.terms.levelInstalmentBasis ?? 'periodic-rate' }),
    equalPrincipalRounding: t.field({ type: EqualPrincipalRoundingEnum, description: 'What the multiple rounds on an equal-principal loan.', resolve: (v) => v.terms.equalPrincipalRounding ?? 'multiple' }),
    flatInstalmentRounding: t.field({ type: FlatInstalmentRoundingEnum, description: 'How a flat loan\'s instalment meets the multiple.', resolve: (v) => v.terms.flatInstalmentRounding ?? 'instalment' }),
    aprMethod: t.field({ type: AprMethodEnum, description: 'How offers on these terms state their APR.', resolve: (v) => v.terms.aprMethod ?? 'eu' }),
    feePerInstalment: t.field({ type: 'Money', description: 'Fee due with every instalment.', resolve: (v) => money(v.terms.fees.perInstalment, v.terms.currency) }),
    disbursementFee: t.field({ type: 'Money', nullable: true, description: 'Fee at disbursement, if any.', resolve: (v) => (v.terms.fees.disbursement ? money(v.terms.fees.disbursement.amount, v.terms.currency) : null) }),
    disbursementFeeTreatment: t.field({ type: DisbursementFeeTreatmentEnum, nullable: true, description: 'How the fee at disbursement is paid, if there is one.', resolve: (v) => v.terms.fees.disbursement?.treatment ?? null }),
    prepaymentOptions: t.field({ type: [PrepaymentRescheduleEnum], description: 'What a borrower\'s prepayment may do to the rest of the schedule.', resolve: (v) => [...(v.terms.prepayment?.allowed ?? [])] }),
    underpaymentTolerance: t.field({ type: 'Money', description: 'An instalment owing no more than this is not overdue.', resolve: (v) => money(v.terms.underpaymentTolerance ?? 0, v.terms.currency) }),
    penaltyRatePercent: t.field({ type: 'Decimal', description: 'Annual penalty interest on overdue principal, in percent.', resolve: (v) => (v.terms.penaltyRatePercent ?? 0).toString() }),
    lateFee: t.field({ type: LateFeeRef, nullable: true, description: 'The late fee charged on an instalment still owing after its grace days, or null.', resolve: (v) => (v.terms.lateFee ? { ...v.terms.lateFee, currency: v.terms.currency } : null) }),
    feesOnDates: t.field({ type: [FeeOnDateRef], description: 'Fees due on dates of their own.', resolve: (v) => (v.terms.feesOnDates ?? []).map((fee) => ({ ...fee, currency: v.terms.currency })) }),
    allocationOrder: t.field({ type: [LoanComponentEnum], description: 'Components of due instalments in the order repayments settle them.', resolve: (v) => [...v.allocation.order] }),
    allocationStrategy: t.field({ type: AllocationStrategyEnum, description: 'Instalment by instalment, or component by component.', resolve: (v) => v.allocation.strategy }),
    allocationFuture: t.field({ type: FutureInstalmentsEnum, description: 'What money beyond what is due does to instalments not yet due.', resolve: (v) => v.allocation.future }),
    allocationFutureOrder: t.field({ type: [LoanComponentEnum], description: 'The components money beyond what is due may pay of future instalments, in order.', resolve: (v) => [...v.allocation.futureOrder] }),
    createdAt: t.field({ type: 'DateTime', description: 'When this version was made.', resolve: (v) => v.createdAt }),
  }),
});

const ScheduledInstalmentRef = builder.objectRef<Instalment & { currency: string }>('ScheduledInstalment').implement({
  description: 'One instalment of a repayment schedule.',
  authScopes: { can: 'products.read' },
  fields: (t) => ({
    number: t.exposeInt('number', { description: '1 for the first.' }),
    dueDate: t.field({ type: 'Date', description: 'When it falls due.', resolve: (i) => i.dueDate }),
    principal: t.field({ type: 'Money', description: 'Principal part.', resolve: (i) => money(i.principal, i.currency) }),
    interest: t.field({ type: 'Money', description: 'Interest part.', resolve: (i) => money(i.interest, i.currency) }),
    fee: t.field({ type: 'Money', description: 'Fees due with it.', resolve: (i) => money(i.fee, i.currency) }),
    total: t.field({ type: 'Money', description: 'What falls due.', resolve: (i) => money(i.total, i.currency) }),
    outstandingPrincipal: t.field({ type: 'Money', description: 'Principal still owed once it is paid.', resolve: (i) => money(i.outstandingPrincipal, i.currency) }),
  }),
});

const SchedulePreviewRef = builder.objectRef<{ version: number; schedule: Schedule; feesOnDates: readonly { amount: Decimal }[] }>('SchedulePreview').implement({
  description: 'The schedule a loan would be booked with under the product\'s current terms.',
  authScopes: { can: 'products.read' },
  fields: (t) => ({
    productVersion: t.exposeInt('version', { description: 'The product version it was made with.' }),
    netDisbursement: t.field({ type: 'Money', description: 'What would be paid out.', resolve: (p) => money(p.schedule.netDisbursement, p.schedule.currency) }),
    totalInterest: t.field({ type: 'Money', description: 'Interest over the whole loan.', resolve: (p) => money(p.schedule.totals.interest, p.schedule.currency) }),
    totalRepayable: t.field({ type: 'Money', description: 'Everything the borrower would repay: every instalment and the terms\' fees on dates, as an offer counts it.', resolve: (p) => money(totalRepayable(p.schedule, p.feesOnDates), p.schedule.currency) }),
    instalments: t.field({ type: [ScheduledInstalmentRef], description: 'Every instalment.', resolve: (p) => p.schedule.instalments.map((i) => ({ ...i, currency: p.schedule.currency })) }),
  }),
});

builder.objectFields(LoanProductRef, (t) => ({
  currentTerms: t.field({
    type: LoanTermsRef,
    description: 'The terms new loans are booked with (its current version).',
    authScopes: { can: 'products.read' },
    resolve: async (product, _args, context) => (await productVersion(context.db!, product))!,
  }),
  termsVersion: t.field({
    type: LoanTermsRef,
    nullable: true,
    description: 'The terms of one version: what loans booked under it keep.',
    authScopes: { can: 'products.read' },
    args: { version: t.arg.int({ required: true, description: 'The version number.' }) },
    resolve: (product, args, context) => productVersion(context.db!, product, args.version),
  }),
  schedulePreview: t.field({
    type: SchedulePreviewRef,
    description: 'The repayment schedule a loan of this amount would be booked with under the current terms. Refused, naming the argument, where booking these terms would be refused: outside the product\'s amount and tenor, a first repayment date out of bounds, a fee dated before the disbursement, 10^15 or more repaid in all, a multiple too coarse for the loan (`principal`), or no principal repaid before the last instalment (`numberOfRepayments`).',
    authScopes: { can: 'products.read' },
    args: {
      principal: t.arg({ type: 'Decimal', required: true, description: 'The amount to borrow, in the product\'s currency.' }),
      numberOfRepayments: t.arg.int({ required: false, description: 'Within the product\'s tenor; its default when omitted.' }),
      disbursementDate: t.arg({ type: 'Date', required: true, description: 'When it would be paid out.' }),
      firstRepaymentDate: t.arg({ type: 'Date', required: false, description: 'Sets the repayment day: after the disbursement date, at most two repayment periods after it; one period after disbursement when omitted.' }),
    },
    resolve: async (product, args, context) => {
      const version = (await productVersion(context.db!, product))!;
      const principal = new Decimal(String(args.principal));
      const repayments = args.numberOfRepayments ?? version.terms.numberOfRepayments;
      try {
        assertWithinProduct(productLimitsOf(product), { principal, numberOfRepayments: repayments, every: version.terms.repaymentEvery });
        const terms = { ...(await termsUnderCashRounding(context.db!, version.terms)), numberOfRepayments: repayments };
        const schedule = newLoanSchedule(terms, { principal, disbursementDate: String(args.disbursementDate), firstRepaymentDate: args.firstRepaymentDate ? String(args.firstRepaymentDate) : null });
        return { version: version.version, schedule, feesOnDates: terms.feesOnDates ?? [] };
      } catch (error) {
        if (error instanceof InvalidField) throw badInput(error.field, error.message);
        throw error;
      }
    },
  }),
}));

// Revision stays partial and flat (what is not given stays as it is) so that a rate change is one field; a product
// whose structure must change (amortization, frequency, day count) is cloned with its whole terms (cloneLoanProduct).
const ReviseLoanProductTermsInput = builder.inputType('ReviseLoanProductTermsInput', {
  description: 'A new version of a product\'s terms: what is not given stays as it is. Booked loans keep theirs.',
  fields: (t) => ({
    code: t.string({ required: true, description: 'The product.' }),
    annualRatePercent: t.field({ type: 'Decimal', required: false, description: 'Nominal annual rate in percent.' }),
    numberOfRepayments: t.int({ required: false, description: 'Default number of repayments.' }),
    interestType: t.field({ type: InterestTypeEnum, required: false, description: 'What interest is charged on.' }),
    interestCalculation: t.field({ type: InterestCalculationEnum, required: false, description: 'Interest per repayment period or per day.' }),
    roundingMode: t.field({ type: RoundingModeEnum, required: false, description: 'How amounts are rounded.' }),
    instalmentMultiple: t.field({ type: 'Decimal', required: false, description: 'Round instalments to a multiple of this.' }),
    feePerInstalment: t.field({ type: 'Decimal', required: false, description: 'Fee due with every instalment.' }),
    graceOnPrincipalPeriods: t.int({ required: false, description: 'First instalments that repay no principal.' }),
    graceOnInterestPeriods: t.int({ required: false, description: 'First instalments whose interest is deferred.' }),
    underpaymentTolerance: t.field({ type: 'Decimal', required: false, description: 'An instalment owing no more than this is not overdue.' }),
    penaltyRatePercent: t.field({ type: 'Decimal', required: false, description: 'Annual penalty interest on overdue principal, in percent.' }),
    disbursementFeeAmount: t.field({ type: 'Decimal', required: false, description: 'A fee at disbursement ("0" removes it).' }),
    disbursementFeeTreatment: t.field({ type: DisbursementFeeTreatmentEnum, required: false, description: 'DEDUCTED (kept back from the payout, the default) or FINANCED (added to the principal).' }),
    lateFeeAmount: t.field({ type: 'Decimal', required: false, description: 'A fixed late fee (give this or lateFeePercent).' }),
    lateFeePercent: t.field({ type: 'Decimal', required: false, description: 'A late fee as a percentage of what is overdue.' }),
    lateFeeGraceDays: t.int({ required: false, description: 'Days after the due date before the late fee is charged, 0 to 366: with lateFeeAmount or lateFeePercent, the new fee\'s (0 when omitted); alone, the current late fee\'s.' }),
    prepaymentOptions: t.field({ type: [PrepaymentRescheduleEnum], required: false, description: 'What prepayments may do to the rest of the schedule.' }),
    aprMethod: t.field({ type: AprMethodEnum, required: false, description: 'How offers on the product state their APR: EU, or US (Regulation Z) for loans the Truth in Lending Act covers.' }),
  }),
});

/** The terms' names for what this input names otherwise, so an error names the field the caller sent. */
const REVISION_FIELDS: Record<string, string> = {
  'fees.perInstalment': 'feePerInstalment',
  'fees.disbursement.amount': 'disbursementFeeAmount',
  'fees.disbursement.treatment': 'disbursementFeeTreatment',
  'grace.principalPeriods': 'graceOnPrincipalPeriods',
  'grace.interestPeriods': 'graceOnInterestPeriods',
  'lateFee.amount': 'lateFeeAmount',
  'lateFee.percent': 'lateFeePercent',
  'lateFee.graceDays': 'lateFeeGraceDays',
  'prepayment.allowed': 'prepaymentOptions',
};

const ReviseLoanProductTermsPayload = objectPayload('reviseLoanProductTerms', 'loanProduct', LoanProductRef, 'The product, its `terms` now the new version.');

builder.mutationField('reviseLoanProductTerms', (t) =>
  t.field({
    type: ReviseLoanProductTermsPayload,
    description: 'Adds a version of the product\'s terms that new loans take from now on; earlier versions and booked loans never change.',
    authScopes: { can: 'products.manage' },
    args: { input: t.arg({ type: ReviseLoanProductTermsInput, required: true, description: 'The product and what changes.' }) },
    resolve: async (_root, { input }, context) => {
      const db = commandDbOf(context);
      const optional = <T>(value: T | null | undefined) => (value === null || value === undefined ? undefined : value);
      const revision: TermsRevision = JSON.parse(JSON.stringify({
        annualRatePercent: optional(input.annualRatePercent)?.toString(),
        numberOfRepayments: optional(input.numberOfRepayments),
        interestType: optional(input.interestType),
        interestCalculation: optional(input.interestCalculation),
        roundingMode: optional(input.roundingMode),
        instalmentMultiple: optional(input.instalmentMultiple)?.toString(),
        feePerInstalment: optional(input.feePerInstalment)?.toString(),
        graceOnPrincipalPeriods: optional(input.graceOnPrincipalPeriods),
        graceOnInterestPeriods: optional(input.graceOnInterestPeriods),
        underpaymentTolerance: optional(input.underpaymentTolerance)?.toString(),
        penaltyRatePercent: optional(input.penaltyRatePercent)?.toString(),
        prepayment: input.prepaymentOptions ? { allowed: input.prepaymentOptions } : undefined,
        aprMethod: optional(input.aprMethod),
        disbursementFee: input.disbursementFeeAmount != null ? { amount: String(input.disbursementFeeAmount), treatment: input.disbursementFeeTreatment ?? 'deducted' } : undefined,
        lateFee: input.lateFeeAmount != null ? { kind: 'fixed', amount: String(input.lateFeeAmount), graceDays: input.lateFeeGraceDays ?? 0 }
          : input.lateFeePercent != null ? { kind: 'percentOfOverdue', percent: String(input.lateFeePercent), graceDays: input.lateFeeGraceDays ?? 0 } : undefined,
        lateFeeGraceDays: optional(input.lateFeeGraceDays),
      })) as TermsRevision;
      if (input.lateFeeAmount != null && input.lateFeePercent != null) throw badInput(inputPath('lateFeeAmount'), 'give lateFeeAmount or lateFeePercent, not both');
      try {
        const { productId } = await reviseTerms(db, commandOf(context), input.code, revision);
        return { loanProduct: await db.loanProduct.findUniqueOrThrow({ where: { id: productId } }) };
      } catch (error) {
        if (error instanceof InvalidField) throw badInput(inputPath(REVISION_FIELDS[error.field] ?? error.field), error.message);
        throw error;
      }
    },
  }),
);
