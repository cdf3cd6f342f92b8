// A product's pricing versions (src/services/origination/productPricing.ts): rates by risk grade, the fees an
// offer carries and how long it stands, drafted as data and activated through maker-checker. Staff only.
import { DisbursementFeeTreatmentEnum, storedEnum } from './enums.js';
import { builder } from './builder.js';
import { commandDbOf, commandOf, type GraphContext } from './context.js';
import { LoanProductRef } from './loanProduct.js';
import { OfferRef } from './assessment.js';
import { listSize } from './limits.js';
import { objectPayload } from './payloads.js';
import { money } from '../domain/money.js';
import type { PricingFees } from '../domain/origination/pricing.js';
import {
  activePricing, decidePricingActivation, draftPricing, requestPricingActivation, type ProductPricingRow,
} from '../services/origination/productPricing.js';
import { isUuid } from '../domain/globalId.js';

const ProductPricingStatusEnum = storedEnum('ProductPricingStatus', 'Where a version of a product\'s pricing stands.', {
  draft: 'Drafted; prices nothing.',
  pending_activation: 'Put forward for activation; waiting for a second person.',
  active: 'Prices the product\'s offers from now on (one version per product).',
  retired: 'Replaced by a later version; offers made with it keep it.',
});

type PricedRow = ProductPricingRow & { currency: string };

export const ProductPricingRef = builder.objectRef<PricedRow>('ProductPricing');

const ProductPricingRateRef = builder.objectRef<{ grade: string; annualRatePercent: string | null }>('ProductPricingRate').implement({
  description: 'The annual rate offered at one risk grade.',
  authScopes: { can: 'pricing.read' },
  fields: (t) => ({
    grade: t.exposeString('grade', { description: 'The risk grade, as the product\'s credit policy names it.' }),
    annualRatePercent: t.field({
      type: 'Decimal', nullable: true,
      description: 'Nominal annual rate in percent; null when the grade takes the product\'s current rate (its current terms).',
      resolve: (r) => r.annualRatePercent,
    }),
  }),
});

async function withCurrency(context: GraphContext, row: ProductPricingRow | null): Promise<PricedRow | null> {
  if (!row) return null;
  const product = await context.loaders.loanProductById.load(row.productId);
  return { ...row, currency: product?.currency ?? 'XXX' };
}

builder.node(ProductPricingRef, {
  description: 'One version of a product\'s pricing: the rate by risk grade, the fees an offer carries and how long an offer stands. Drafted, activated by a second person, retired when replaced.',
  id: { resolve: (row) => row.id },
  loadMany: async (ids, context: GraphContext) => {
    const valid = context.tenant ? ids.filter((id) => isUuid(id)) : [];
    const rows = valid.length > 0 ? await commandDbOf(context).productPricing.findMany({ where: { id: { in: valid } } }) : [];
    return Promise.all(ids.map((id) => withCurrency(context, rows.find((row) => row.id === id) ?? null)));
  },
  authScopes: { can: 'pricing.read' },
  fields: (t) => ({
    product: t.field({ type: LoanProductRef, description: 'The product it prices.', resolve: async (p, _args, context) => (await context.loaders.loanProductById.load(p.productId))! }),
    version: t.exposeInt('version', { description: 'The version number, 1 for the first.' }),
    status: t.expose('status', { type: ProductPricingStatusEnum, description: 'Draft, pending activation, active (one per product) or retired.' }),
    rates: t.field({
      type: [ProductPricingRateRef], description: 'The rate for each risk grade, by grade.',
      resolve: (p) => Object.entries(p.ratesByGrade as Record<string, string | null>).map(([grade, annualRatePercent]) => ({ grade, annualRatePercent }))
        .sort((a, b) => a.grade.localeCompare(b.grade)),
    }),
    feesFollowProductTerms: t.boolean({ description: 'True when the offer carries the product\'s current terms\' fees rather than fees of this pricing.', resolve: (p) => p.fees === null }),
    feePerInstalment: t.field({
      type: 'Money', nullable: true, description: 'The fee due with every instalment of an offer; null when the fees follow the product\'s terms.',
      resolve: (p) => (p.fees ? money((p.fees as unknown as PricingFees).perInstalment, p.currency) : null),
    }),
    disbursementFee: t.field({
      type: 'Money', nullable: true, description: 'The fee at disbursement, if this pricing sets one.',
      resolve: (p) => {
        const fee = (p.fees as unknown as PricingFees | null)?.disbursement;
        return fee ? money(fee.amount, p.currency) : null;
      },
    }),
    disbursementFeeTreatment: t.field({
      type: DisbursementFeeTreatmentEnum, nullable: true, description: 'Whether that fee is deducted from the payout or financed.',
      resolve: (p) => (p.fees as unknown as PricingFees | null)?.disbursement?.treatment ?? null,
    }),
    offerValidityDays: t.exposeInt('offerValidityDays', { description: 'How many days from the decision an offer stands.' }),
    createdBy: t.exposeString('createdBy', { description: 'Who drafted it.' }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was drafted.', resolve: (p) => p.createdAt }),
    activationRequestedBy: t.exposeString('activationRequestedBy', { nullable: true, description: 'Who asked for its activation (the maker).' }),
    activatedBy: t.exposeString('activatedBy', { nullable: true, description: 'Who approved its activation (the checker).' }),
    activatedAt: t.field({ type: 'DateTime', nullable: true, description: 'When it became active.', resolve: (p) => p.activatedAt }),
  }),
});

builder.objectFields(LoanProductRef, (t) => ({
  pricing: t.field({
    type: ProductPricingRef, nullable: true,
    description: 'The pricing offers are made with now (the active version); null when the product has none, and then no offer can be made.',
    authScopes: { can: 'pricing.read' },
    resolve: async (product, _args, context) => withCurrency(context, await activePricing(commandDbOf(context), product.id)),
  }),
  pricingVersions: t.field({
    type: [ProductPricingRef],
    description: 'Every version of the product\'s pricing, newest first: drafts, the one pending activation, the active one and those retired.',
    authScopes: { can: 'pricing.read' },
    resolve: async (product, _args, context) => {
      const rows = await commandDbOf(context).productPricing.findMany({ where: { productId: product.id }, orderBy: { version: 'desc' }, take: listSize('LoanProduct.pricingVersions') });
      return rows.map((row) => ({ ...row, currency: product.currency }));
    },
  }),
}));

builder.objectFields(OfferRef, (t) => ({
  pricingVersion: t.exposeInt('pricingVersion', { nullable: true, description: 'The version of the product\'s pricing the offer was priced with (null for offers made before pricing was versioned).' }),
  termsVersion: t.exposeInt('productVersion', { nullable: true, description: 'The version of the product\'s terms the offer was made on (null for offers made before it was recorded).' }),
}));

const ProductPricingRateInput = builder.inputType('ProductPricingRateInput', {
  description: 'The rate for one risk grade.',
  fields: (t) => ({
    grade: t.string({ required: true, description: 'The risk grade, as the product\'s active credit policy names it.' }),
    annualRatePercent: t.field({ type: 'Decimal', required: false, description: 'Nominal annual rate in percent, within the product\'s rate limits; absent or null: the product\'s current rate.' }),
  }),
});

const DraftProductPricingInput = builder.inputType('DraftProductPricingInput', {
  description: 'A new version of a product\'s pricing. It prices nothing until a second person activates it.',
  fields: (t) => ({
    productCode: t.string({ required: true, description: 'The product.' }),
    rates: t.field({ type: [ProductPricingRateInput], required: true, description: 'A rate for every risk grade of the product\'s active credit policy.' }),
    feePerInstalment: t.field({ type: 'Decimal', required: false, description: 'The fee due with every instalment, in the product\'s currency. Absent (with no disbursement fee): offers carry the product\'s terms\' fees.' }),
    disbursementFee: t.field({ type: 'Decimal', required: false, description: 'A fee at disbursement, in the product\'s currency.' }),
    disbursementFeeTreatment: t.field({ type: DisbursementFeeTreatmentEnum, required: false, description: 'Whether the disbursement fee is deducted from the payout (default) or financed.' }),
    offerValidityDays: t.int({ required: true, description: 'How many days from the decision an offer stands, 1 to 366.' }),
  }),
});

const DraftProductPricingPayload = objectPayload('draftProductPricing', 'productPricing', ProductPricingRef, 'The drafted version.');

builder.mutationField('draftProductPricing', (t) =>
  t.field({
    type: DraftProductPricingPayload,
    description: 'Drafts the next version of a product\'s pricing; errors name the field (`input.rates[1].annualRatePercent`) and nothing is written.',
    authScopes: { can: 'pricing.draft' },
    args: { input: t.arg({ type: DraftProductPricingInput, required: true, description: 'The product, its rates by grade, fees and offer validity.' }) },
    resolve: async (_root, { input }, context) => {
      const feesGiven = input.feePerInstalment != null || input.disbursementFee != null;
      const row = await draftPricing(commandDbOf(context), commandOf(context), input.productCode, {
        rates: input.rates.map((rate) => ({ grade: rate.grade, annualRatePercent: rate.annualRatePercent == null ? null : rate.annualRatePercent.toString() })),
        fees: feesGiven
          ? {
            perInstalment: input.feePerInstalment?.toString() ?? '0',
            disbursement: input.disbursementFee == null ? null : { amount: input.disbursementFee.toString(), treatment: (input.disbursementFeeTreatment ?? 'deducted') as 'deducted' | 'financed' },
          }
          : null,
        offerValidityDays: input.offerValidityDays,
      });
      return { productPricing: await withCurrency(context, row) };
    },
  }),
);

const RequestProductPricingActivationInput = builder.inputType('RequestProductPricingActivationInput', {
  description: 'The draft to put forward for activation.',
  fields: (t) => ({ pricingId: t.globalID({ required: true, for: ProductPricingRef, description: 'The draft version.' }) }),
});

const RequestProductPricingActivationPayload = objectPayload('requestProductPricingActivation', 'productPricing', ProductPricingRef, 'The version, now pending activation.');

builder.mutationField('requestProductPricingActivation', (t) =>
  t.field({
    type: RequestProductPricingActivationPayload,
    description: 'Puts a pricing draft forward for activation (the maker). Nothing changes until someone else approves it.',
    authScopes: { can: 'pricing.draft' },
    args: { input: t.arg({ type: RequestProductPricingActivationInput, required: true, description: 'The draft.' }) },
    resolve: async (_root, { input }, context) =>
      ({ productPricing: await withCurrency(context, await requestPricingActivation(commandDbOf(context), commandOf(context), input.pricingId.id)) }),
  }),
);

const DecideProductPricingActivationInput = builder.inputType('DecideProductPricingActivationInput', {
  description: 'The checker\'s decision on a pricing version pending activation.',
  fields: (t) => ({
    pricingId: t.globalID({ required: true, for: ProductPricingRef, description: 'The version pending activation.' }),
    approve: t.boolean({ required: true, description: 'True activates it (retiring the active version); false sends it back to draft.' }),
    reason: t.string({ required: false, description: 'Why (required to reject).' }),
  }),
});

const DecideProductPricingActivationPayload = objectPayload('decideProductPricingActivation', 'productPricing', ProductPricingRef, 'The version as decided: active on approval, back to draft on rejection.');

builder.mutationField('decideProductPricingActivation', (t) =>
  t.field({
    type: DecideProductPricingActivationPayload,
    description: 'Approves or rejects the activation of a pricing version; neither who drafted it nor who asked for it may approve it. Offers made from then on use the active version.',
    authScopes: { can: 'pricing.activate' },
    args: { input: t.arg({ type: DecideProductPricingActivationInput, required: true, description: 'The decision.' }) },
    resolve: async (_root, { input }, context) =>
      ({ productPricing: await withCurrency(context, await decidePricingActivation(commandDbOf(context), commandOf(context), input.pricingId.id, input.approve, input.reason?.trim() || null)) }),
  }),
);
