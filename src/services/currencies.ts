// The lender's currencies: which ones it works in and, per currency, its cash rounding multiple (the smallest
// amount it collects; src/domain/servicing/cashRounding.ts says where that applies). Set by a tenant admin
// through the command pipeline, so every change is audited with who made it and what it was before.
import type { TenantDb, Tx } from '../tenancy/tenantClients.js';
import { runCommand, type CommandContext } from '../commands/runCommand.js';
import { InvalidField } from '../errors.js';
import { Decimal, isCurrency, minorUnits } from '../domain/money.js';
import { minorUnit, type LoanTerms } from '../domain/servicing/product.js';
import { assertCashRoundingMultiple, withCashRounding } from '../domain/servicing/cashRounding.js';

export interface CurrencySetting {
  currency: string;
  minorUnits: number;
  /** The currency's minor unit when the lender set none. */
  cashRoundingMultiple: Decimal;
  updatedBy: string | null;
  updatedAt: Date | null;
}

type SettingsReader = Pick<Tx, 'currencySetting'> | Pick<TenantDb, 'currencySetting'>;

/** The lender's cash rounding multiple for a currency, or null when it set none. */
export async function cashRoundingMultiple(db: SettingsReader, currency: string): Promise<Decimal | null> {
  const row = await (db as Pick<Tx, 'currencySetting'>).currencySetting.findUnique({ where: { currency } });
  return row ? new Decimal(row.cashRoundingMultiple.toString()) : null;
}

/** The terms a loan is booked or previewed with: the product's, under the lender's cash rounding for its currency. */
export async function termsUnderCashRounding(db: SettingsReader, terms: LoanTerms): Promise<LoanTerms> {
  return withCashRounding(terms, await cashRoundingMultiple(db, terms.currency));
}

/**
 * The currencies the lender works in: its own, its products', and any it has a setting for, by code. Each with
 * its ISO 4217 minor units and the cash rounding multiple in force.
 */
export async function currencySettings(db: TenantDb, tenantCurrency: string): Promise<CurrencySetting[]> {
  const [rows, products] = await Promise.all([
    db.currencySetting.findMany(),
    db.loanProduct.findMany({ select: { currency: true }, distinct: ['currency'] }),
  ]);
  const byCode = new Map(rows.map((row) => [row.currency, row]));
  const codes = new Set([tenantCurrency, ...products.map((p) => p.currency), ...byCode.keys()]);
  return [...codes].filter(isCurrency).sort().map((currency) => {
    const row = byCode.get(currency);
    return {
      currency,
      minorUnits: minorUnits(currency),
      cashRoundingMultiple: row ? new Decimal(row.cashRoundingMultiple.toString()) : minorUnit(currency),
      updatedBy: row?.updatedBy ?? null,
      updatedAt: row?.updatedAt ?? null,
    };
  });
}

/**
 * Sets the lender's cash rounding multiple for a currency. Loans booked afterwards (and schedule previews) use
 * it; booked loans keep the instalment multiple their terms recorded. Setting the minor unit itself turns the
 * rounding off.
 */
export async function setCurrencyCashRounding(db: TenantDb, command: CommandContext, input: { currency: string; cashRoundingMultiple: Decimal }): Promise<CurrencySetting> {
  if (!isCurrency(input.currency)) throw new InvalidField('currency', 'currency must be an ISO 4217 code of a currency in use (not a withdrawn, funds or X-code)');
  const multiple = new Decimal(input.cashRoundingMultiple);
  assertCashRoundingMultiple(input.currency, multiple, 'cashRoundingMultiple');
  return runCommand(db, { ...command, action: 'currency.setCashRounding' }, async (tx) => {
    const before = await tx.currencySetting.findUnique({ where: { currency: input.currency } });
    const data = { cashRoundingMultiple: multiple.toFixed(), updatedBy: command.actor.subject, updatedAt: command.now };
    const row = await tx.currencySetting.upsert({ where: { currency: input.currency }, create: { currency: input.currency, ...data }, update: data });
    const setting: CurrencySetting = {
      currency: row.currency, minorUnits: minorUnits(row.currency), cashRoundingMultiple: new Decimal(row.cashRoundingMultiple.toString()),
      updatedBy: row.updatedBy, updatedAt: row.updatedAt,
    };
    return {
      result: setting,
      audit: {
        entityType: 'CurrencySetting', entityId: row.currency,
        before: before ? { cashRoundingMultiple: before.cashRoundingMultiple.toString() } : null,
        after: { cashRoundingMultiple: setting.cashRoundingMultiple.toFixed() },
      },
      events: [],
    };
  });
}
