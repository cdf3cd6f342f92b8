// The lender's currencies and its cash rounding per currency (src/services/currencies.ts): read by staff, set by
// a tenant admin. Never visible to partners.
import { builder } from './builder.js';
import { commandDbOf, commandOf } from './context.js';
import { objectPayload } from './payloads.js';
import { listSize } from './limits.js';
import { currencySettings, setCurrencyCashRounding, type CurrencySetting } from '../services/currencies.js';

const CurrencySettingRef = builder.objectRef<CurrencySetting>('CurrencySetting').implement({
  description: 'A currency the lender works in: its ISO 4217 minor units and the lender\'s cash rounding for it.',
  authScopes: { can: 'currencies.read' },
  fields: (t) => ({
    currency: t.exposeString('currency', { description: 'The ISO 4217 code.' }),
    minorUnits: t.exposeInt('minorUnits', { description: 'Digits after the point, as ISO 4217 gives them (2 for USD and IDR, 0 for JPY, 3 for KWD and IQD).' }),
    cashRoundingMultiple: t.field({
      type: 'Decimal',
      description: 'The smallest amount the lender collects in this currency: instalments of loans booked in it are multiples of this (the product\'s own instalment multiple is raised to it). The minor unit when the lender set none.',
      resolve: (s) => s.cashRoundingMultiple,
    }),
    updatedBy: t.exposeString('updatedBy', { nullable: true, description: 'Who last set it; null when never set.' }),
    updatedAt: t.field({ type: 'DateTime', nullable: true, description: 'When it was last set; null when never set.', resolve: (s) => s.updatedAt }),
  }),
});

builder.queryField('currencies', (t) =>
  t.field({
    type: [CurrencySettingRef],
    description: 'The currencies the lender works in (its own, its products\', any it has set), by code.',
    authScopes: { can: 'currencies.read' },
    resolve: (_root, _args, context) => currencySettings(context.db!, context.tenant!.currency),
  }),
);

const SetCurrencyCashRoundingPayload = objectPayload('setCurrencyCashRounding', 'currencySetting', CurrencySettingRef, 'The currency\'s setting as now in force.');

builder.mutationField('setCurrencyCashRounding', (t) =>
  t.field({
    type: SetCurrencyCashRoundingPayload,
    description: 'Sets the smallest amount the lender collects in a currency. Loans booked afterwards, and schedule previews, have their instalments in multiples of it; booked loans keep theirs. Setting the minor unit turns the rounding off.',
    authScopes: { can: 'currencies.manage' },
    args: { input: t.arg({ type: builder.inputType('SetCurrencyCashRoundingInput', {
      description: 'The currency and its cash rounding multiple.',
      fields: (f) => ({
        currency: f.string({ required: true, description: 'An ISO 4217 code of a currency in use.' }),
        cashRoundingMultiple: f.field({ type: 'Decimal', required: true, description: 'A positive whole number of the currency\'s minor units, e.g. "100" for IDR or JPY in hundreds, "0.05" for CHF.' }),
      }),
    }), required: true, description: 'The setting.' }) },
    resolve: async (_root, { input }, context) => ({
      currencySetting: await setCurrencyCashRounding(commandDbOf(context), commandOf(context), { currency: input.currency, cashRoundingMultiple: input.cashRoundingMultiple }),
    }),
  }),
);
