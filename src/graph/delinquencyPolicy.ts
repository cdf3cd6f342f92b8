// The lender's delinquency policy (src/services/servicing/delinquencyPolicy.ts, docs/classification.md): how it
// buckets loans by days past due, which regulator's classes it uses, with which parameters, and what it provides
// per class. Read by the staff who work or check the book; changed by the tenant admin; applied from the next end
// of day. The enums AssetClass and ClassificationRegime are exported for the types that show a loan's class.
import { builder } from './builder.js';
import { commandDbOf, commandOf } from './context.js';
import { storedEnum } from './enums.js';
import { LIST_SIZES } from './limits.js';
import { objectPayload } from './payloads.js';
import { LoanProductRef } from './loanProduct.js';
import { ASSET_CLASSES, classesOf, PARAMETER_NAMES, REGIMES, type AssetClass } from '../domain/servicing/classification.js';
import { MAX_BUCKETS, type BucketRange } from '../domain/servicing/delinquencyBuckets.js';
import {
  delinquencyPolicyOf, setDelinquencyPolicy, setLoanProductDelinquencyBuckets, type DelinquencyPolicy,
} from '../services/servicing/delinquencyPolicy.js';

const CLASS_ABOUT: Readonly<Record<AssetClass, string>> = {
  STANDARD: 'Performing (FFIEC\'s "pass"): nothing overdue, or overdue less than the first threshold.',
  SMA_0: 'RBI_IRAC: special mention, overdue 1 to 30 days (by default).',
  SMA_1: 'RBI_IRAC: special mention, overdue 31 to 60 days.',
  SMA_2: 'RBI_IRAC: special mention, overdue 61 to 90 days.',
  SUBSTANDARD: 'RBI_IRAC: non-performing up to 12 months. US_CHARGE_OFF: 90 days past due or more.',
  DOUBTFUL_1: 'RBI_IRAC: doubtful up to one year (non-performing 12 to 24 months).',
  DOUBTFUL_2: 'RBI_IRAC: doubtful one to three years (non-performing 24 to 48 months).',
  DOUBTFUL_3: 'RBI_IRAC: doubtful more than three years (non-performing 48 months or more).',
  LOSS: 'Loss: charge-off is due. US_CHARGE_OFF: 120 days past due or more; RBI_IRAC: by the lender\'s own age, if it sets one.',
};

export const AssetClassEnum = storedEnum('AssetClass', 'A loan\'s regulatory class, from the best to the worst, of either regime (docs/classification.md).', CLASS_ABOUT);

export const ClassificationRegimeEnum = storedEnum('ClassificationRegime', 'Which regulator\'s classes the lender classifies its loans by (docs/classification.md).', {
  RBI_IRAC: 'The Reserve Bank of India\'s income recognition, asset classification and provisioning norms: SMA, then NPA ageing to doubtful.',
  US_CHARGE_OFF: 'The FFIEC Uniform Retail Credit Classification and Account Management Policy: substandard at 90 days past due, charge-off at 120.',
} satisfies Record<(typeof REGIMES)[number], string>);

LIST_SIZES['DelinquencyPolicy.buckets'] = MAX_BUCKETS;
LIST_SIZES['LoanProduct.delinquencyBuckets'] = MAX_BUCKETS;
LIST_SIZES['DelinquencyPolicy.provisions'] = ASSET_CLASSES.length;

const DelinquencyBucketRef = builder.objectRef<BucketRange>('DelinquencyBucket').implement({
  description: 'A band of days past due the lender reads its book by.',
  authScopes: { can: 'delinquency.read' },
  fields: (t) => ({
    name: t.exposeString('name', { description: 'The lender\'s name for it, as loans and reports carry it.' }),
    fromDays: t.exposeInt('fromDays', { description: 'The first count of days past due in it.' }),
    toDays: t.exposeInt('toDays', { nullable: true, description: 'The last count in it; null for "and above" (the last bucket).' }),
  }),
});

type Parameters = Record<string, number | boolean | null>;

const ClassificationParametersRef = builder.objectRef<Parameters>('ClassificationParameters').implement({
  description: 'The regime\'s parameters. Those of the other regime are null.',
  authScopes: { can: 'delinquency.read' },
  fields: (t) => {
    const days = (name: string, description: string) => t.int({ nullable: true, description, resolve: (p) => (typeof p[name] === 'number' ? (p[name] as number) : null) });
    return {
      sma1AfterDays: days('sma1AfterDays', 'RBI_IRAC: SMA_1 when days past due are more than this (30); SMA_0 from 1 up to it.'),
      sma2AfterDays: days('sma2AfterDays', 'RBI_IRAC: SMA_2 when days past due are more than this (60).'),
      npaAfterDays: days('npaAfterDays', 'RBI_IRAC: non-performing (SUBSTANDARD) when days past due are more than this (90).'),
      doubtfulAfterMonths: days('doubtfulAfterMonths', 'RBI_IRAC: DOUBTFUL_1 after this many whole months as non-performing (12).'),
      doubtful2AfterMonths: days('doubtful2AfterMonths', 'RBI_IRAC: DOUBTFUL_2 after this many whole months as non-performing (24).'),
      doubtful3AfterMonths: days('doubtful3AfterMonths', 'RBI_IRAC: DOUBTFUL_3 after this many whole months as non-performing (48).'),
      lossAfterMonths: days('lossAfterMonths', 'RBI_IRAC: LOSS after this many whole months as non-performing; null (RBI\'s rule) for never by age.'),
      substandardAfterDays: days('substandardAfterDays', 'US_CHARGE_OFF: SUBSTANDARD from this many days past due (90).'),
      chargeOffAfterDays: days('chargeOffAfterDays', 'US_CHARGE_OFF: LOSS, charge-off due, from this many days past due (120; 180 for open-end credit).'),
      nonAccrualAfterDays: days('nonAccrualAfterDays', 'US_CHARGE_OFF: interest held in suspense from this many days past due (90).'),
      borrowerLevel: t.boolean({ description: 'Whether every loan of a borrower carries the borrower\'s worst class (RBI_IRAC: true; US_CHARGE_OFF: false).', resolve: (p) => p['borrowerLevel'] === true }),
    };
  },
});

const ClassProvisionRef = builder.objectRef<{ assetClass: string; percent: string }>('ClassProvision').implement({
  description: 'The provision against the loans of one class, in percent of their exposure.',
  authScopes: { can: 'delinquency.read' },
  fields: (t) => ({
    assetClass: t.field({ type: AssetClassEnum, description: 'The class.', resolve: (p) => p.assetClass }),
    percent: t.field({ type: 'Decimal', description: 'Percent of the exposure (principal, interest, fee and penalty receivable less interest in suspense).', resolve: (p) => p.percent }),
  }),
});

export const DelinquencyPolicyRef = builder.objectRef<DelinquencyPolicy>('DelinquencyPolicy').implement({
  description: 'How the lender counts delinquency and classifies and provides for its loans. A change applies from the next end of day.',
  authScopes: { can: 'delinquency.read' },
  fields: (t) => ({
    version: t.exposeInt('version', { description: 'The version: 0 for the default a lender never changed, 1 for its first change.' }),
    regime: t.field({ type: ClassificationRegimeEnum, description: 'The regulator\'s classes it uses.', resolve: (p) => p.regime }),
    buckets: t.field({ type: [DelinquencyBucketRef], description: 'Its buckets by days past due, from 0 upwards (a product may have its own).', resolve: (p) => p.buckets }),
    parameters: t.field({ type: ClassificationParametersRef, description: 'The regime\'s parameters.', resolve: (p) => p.parameters as unknown as Parameters }),
    provisions: t.field({
      type: [ClassProvisionRef], description: 'The provision rate of each class of the regime, from the best class to the worst.',
      resolve: (p) => classesOf(p.regime).filter((cls) => p.provisions[cls] !== undefined).map((assetClass) => ({ assetClass, percent: p.provisions[assetClass]! })),
    }),
    changedBy: t.exposeString('changedBy', { nullable: true, description: 'Who last changed it; null for the default.' }),
    changedAt: t.field({ type: 'DateTime', nullable: true, description: 'When it was last changed; null for the default.', resolve: (p) => p.changedAt }),
  }),
});

builder.queryField('delinquencyPolicy', (t) =>
  t.field({
    type: DelinquencyPolicyRef,
    description: 'The lender\'s delinquency policy, or the default for its currency when it never set one (RBI_IRAC for INR, US_CHARGE_OFF otherwise).',
    authScopes: { can: 'delinquency.read' },
    resolve: (_root, _args, context) => delinquencyPolicyOf(commandDbOf(context), context.tenant!.currency),
  }),
);

builder.objectFields(LoanProductRef, (t) => ({
  delinquencyBuckets: t.field({
    type: [DelinquencyBucketRef],
    nullable: true,
    description: 'Delinquency buckets of its own; null when its loans are counted in the delinquency policy\'s.',
    authScopes: { can: 'delinquency.read' },
    resolve: (product) => (product.delinquencyBuckets as BucketRange[] | null) ?? null,
  }),
}));

const DelinquencyBucketInput = builder.inputType('DelinquencyBucketInput', {
  description: 'A band of days past due. The list starts at 0, follows on without gap or overlap, and only the last is open-ended.',
  fields: (t) => ({
    name: t.string({ required: true, description: 'Its name (1 to 40 characters, each name once).' }),
    fromDays: t.int({ required: true, description: 'The first count of days past due in it.' }),
    toDays: t.int({ required: false, description: 'The last count in it; null or absent for "and above" (the last bucket only).' }),
  }),
});

const ClassificationParametersInput = builder.inputType('ClassificationParametersInput', {
  description: 'Parameters to change; one left out keeps its value (the new regime\'s default when the regime changes). Give only the regime\'s own.',
  fields: (t) => ({
    sma1AfterDays: t.int({ required: false, description: 'RBI_IRAC: SMA_1 when days past due are more than this.' }),
    sma2AfterDays: t.int({ required: false, description: 'RBI_IRAC: SMA_2 when days past due are more than this.' }),
    npaAfterDays: t.int({ required: false, description: 'RBI_IRAC: non-performing when days past due are more than this.' }),
    doubtfulAfterMonths: t.int({ required: false, description: 'RBI_IRAC: DOUBTFUL_1 after this many whole months as non-performing.' }),
    doubtful2AfterMonths: t.int({ required: false, description: 'RBI_IRAC: DOUBTFUL_2 after this many whole months as non-performing.' }),
    doubtful3AfterMonths: t.int({ required: false, description: 'RBI_IRAC: DOUBTFUL_3 after this many whole months as non-performing.' }),
    lossAfterMonths: t.int({ required: false, description: 'RBI_IRAC: LOSS after this many whole months as non-performing; null for never by age (RBI\'s rule).' }),
    substandardAfterDays: t.int({ required: false, description: 'US_CHARGE_OFF: SUBSTANDARD from this many days past due.' }),
    chargeOffAfterDays: t.int({ required: false, description: 'US_CHARGE_OFF: LOSS (charge-off due) from this many days past due.' }),
    nonAccrualAfterDays: t.int({ required: false, description: 'US_CHARGE_OFF: non-accrual from this many days past due (at most chargeOffAfterDays).' }),
    borrowerLevel: t.boolean({ required: false, description: 'Whether every loan of a borrower carries the borrower\'s worst class.' }),
  }),
});

const ClassProvisionInput = builder.inputType('ClassProvisionInput', {
  description: 'The provision rate of one class.',
  fields: (t) => ({
    assetClass: t.field({ type: AssetClassEnum, required: true, description: 'A class of the regime, each once.' }),
    percent: t.field({ type: 'Decimal', required: true, description: 'Percent of the exposure, 0 to 100, at most 4 decimals; never less than a better class\'s.' }),
  }),
});

const SetDelinquencyPolicyInput = builder.inputType('SetDelinquencyPolicyInput', {
  description: 'A change of the delinquency policy: the regime, and what changes. What is left out keeps its value (the new regime\'s defaults for parameters and provisions when the regime changes).',
  fields: (t) => ({
    regime: t.field({ type: ClassificationRegimeEnum, required: true, description: 'The regime.' }),
    buckets: t.field({ type: [DelinquencyBucketInput], required: false, description: `The whole list of buckets (at most ${MAX_BUCKETS}); absent keeps the current ones.` }),
    parameters: t.field({ type: ClassificationParametersInput, required: false, description: 'Parameters to change.' }),
    provisions: t.field({ type: [ClassProvisionInput], required: false, description: 'Rates to change, one entry per class; a class left out keeps its rate.' }),
  }),
});

const SetDelinquencyPolicyPayload = objectPayload('setDelinquencyPolicy', 'delinquencyPolicy', DelinquencyPolicyRef, 'The policy as changed (its new version).');

const PARAMETERS = new Set([...PARAMETER_NAMES.RBI_IRAC, ...PARAMETER_NAMES.US_CHARGE_OFF]);

builder.mutationField('setDelinquencyPolicy', (t) =>
  t.field({
    type: SetDelinquencyPolicyPayload,
    description: 'Changes the delinquency policy as a new version, applied from the next end of day; errors name the field (`input.buckets[2].fromDays`, `input.parameters.npaAfterDays`, `input.provisions[1].percent`).',
    authScopes: { can: 'delinquency.manage' },
    args: { input: t.arg({ type: SetDelinquencyPolicyInput, required: true, description: 'The change.' }) },
    resolve: async (_root, { input }, context) => {
      // Only what the caller gave: an absent parameter keeps its value, a null one is given as null.
      const given = (input.parameters ?? {}) as Record<string, unknown>;
      const parameters = Object.fromEntries(Object.entries(given).filter(([name, value]) => PARAMETERS.has(name) && value !== undefined));
      return {
        delinquencyPolicy: await setDelinquencyPolicy(commandDbOf(context), commandOf(context), {
          regime: input.regime as DelinquencyPolicy['regime'],
          buckets: input.buckets ? input.buckets.map((b) => ({ name: b.name, fromDays: b.fromDays, toDays: b.toDays ?? null })) : undefined,
          parameters: input.parameters ? parameters : undefined,
          provisions: input.provisions ? input.provisions.map((p) => ({ assetClass: p.assetClass, percent: p.percent.toFixed() })) : undefined,
        }, context.tenant!.currency),
      };
    },
  }),
);

const SetLoanProductDelinquencyBucketsInput = builder.inputType('SetLoanProductDelinquencyBucketsInput', {
  description: 'A product\'s own delinquency buckets, or none to follow the policy\'s.',
  fields: (t) => ({
    productCode: t.string({ required: true, description: 'The product.' }),
    buckets: t.field({ type: [DelinquencyBucketInput], required: false, description: `Its buckets (at most ${MAX_BUCKETS}); null or absent to follow the delinquency policy's.` }),
  }),
});

const SetLoanProductDelinquencyBucketsPayload = objectPayload('setLoanProductDelinquencyBuckets', 'loanProduct', LoanProductRef, 'The product, with its buckets.');

builder.mutationField('setLoanProductDelinquencyBuckets', (t) =>
  t.field({
    type: SetLoanProductDelinquencyBucketsPayload,
    description: 'Gives a product delinquency buckets of its own, or sets it back to the policy\'s; applied from the next end of day. Its loans keep the policy\'s classes and provisions.',
    authScopes: { can: 'delinquency.manage' },
    args: { input: t.arg({ type: SetLoanProductDelinquencyBucketsInput, required: true, description: 'The product and its buckets.' }) },
    resolve: async (_root, { input }, context) => ({
      loanProduct: await setLoanProductDelinquencyBuckets(commandDbOf(context), commandOf(context), {
        productCode: input.productCode,
        buckets: input.buckets ? input.buckets.map((b) => ({ name: b.name, fromDays: b.fromDays, toDays: b.toDays ?? null })) : null,
      }),
    }),
  }),
);
