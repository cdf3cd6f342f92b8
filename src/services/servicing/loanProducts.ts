// Product versions: reading the terms new loans are booked with, and revising them. A revision is a new version
// (the database refuses to change an old one), written as a command with its audit record and event; loans keep
// the copy of the terms they were booked with, so nothing booked changes.
import { isDeepStrictEqual } from 'node:util';
import { AppError, inputPath, InvalidField, noSuchCode } from '../../errors.js';
import { assertAmountsWithinProduct, assertLateFeeGraceDays, assertValidTerms, loanTerms, termsFromJson, termsToJson, type LoanTerms, type LoanTermsInput, type ProductLimits } from '../../domain/servicing/product.js';
import { assertValidLimits } from '../../domain/servicing/productLimits.js';
import { Decimal, isCurrency } from '../../domain/money.js';
import { assertValidAllocationRule, PENALTIES_FEES_INTEREST_PRINCIPAL, type AllocationRule } from '../../domain/servicing/allocation.js';
import { ROLES as ACCOUNT_ROLES } from './ledger.js';
import { assertAccountFitsRole, type AccountRole } from '../../domain/servicing/ledger.js';
import type { Tx } from '../../tenancy/tenantClients.js';
import type { TenantDb } from '../../tenancy/tenantClients.js';
import { runCommand, type CommandContext } from '../../commands/runCommand.js';
import { createUnlessRepeated, fieldsThatDiffer, NameTaken } from '../../commands/namedCreation.js';

export interface ProductVersion {
  productId: string;
  version: number;
  terms: LoanTerms;
  allocation: AllocationRule;
  createdAt: Date;
  createdBy: string;
}

/** A version of a product the caller already holds (its current one unless `version` says). */
export async function productVersion(db: TenantDb, product: { id: string; currentVersion: number }, version = product.currentVersion): Promise<ProductVersion | null> {
  const row = await db.loanProductVersion.findUnique({ where: { productId_version: { productId: product.id, version } } });
  if (!row) return null;
  const allocation = row.allocation as unknown as AllocationRule;
  assertValidAllocationRule(allocation);
  return { productId: product.id, version: row.version, terms: termsFromJson(row.terms), allocation, createdAt: row.createdAt, createdBy: row.createdBy };
}

/**
 * Changes to the current terms, named as a lender names them; what is not named stays as it is. Field names are
 * those of the revision, so an invalid one is reported under the name the caller used.
 */
export type TermsRevision = Partial<Pick<LoanTermsInput, 'annualRatePercent' | 'numberOfRepayments' | 'interestType' | 'interestCalculation' | 'roundingMode' | 'instalmentMultiple'
  | 'underpaymentTolerance' | 'penaltyRatePercent' | 'lateFee' | 'prepayment' | 'aprMethod'>> & {
  feePerInstalment?: string;
  /** A fee at disbursement, deducted from the payout or financed; amount "0" removes it. */
  disbursementFee?: { amount: string; treatment: 'deducted' | 'financed' };
  graceOnPrincipalPeriods?: number;
  graceOnInterestPeriods?: number;
  /** With a new late fee, its grace; alone, the current late fee's new grace (a product without one is refused). */
  lateFeeGraceDays?: number;
  allocation?: AllocationRule;
};

const REVISION_FIELD: Record<string, string> = {
  'fees.perInstalment': 'feePerInstalment', 'grace.principalPeriods': 'graceOnPrincipalPeriods', 'grace.interestPeriods': 'graceOnInterestPeriods',
  'fees.disbursement.amount': 'disbursementFeeAmount', 'fees.disbursement.treatment': 'disbursementFeeTreatment', 'fees.disbursement': 'disbursementFeeAmount',
};

function revisedTerms(current: LoanTerms, revision: TermsRevision): LoanTerms {
  const { allocation: _allocation, feePerInstalment, disbursementFee, graceOnPrincipalPeriods, graceOnInterestPeriods, lateFeeGraceDays, ...plain } = revision;
  const stored = termsToJson(current) as unknown as LoanTermsInput;
  // Held to its range whatever else is given: on its own it changes the current late fee's grace, and a product
  // without a late fee has none to change (a new version would be written for nothing).
  if (lateFeeGraceDays !== undefined) {
    assertLateFeeGraceDays(lateFeeGraceDays, 'lateFeeGraceDays');
    if (plain.lateFee === undefined) {
      if (!stored.lateFee) throw new InvalidField('lateFeeGraceDays', 'the product has no late fee to give grace days to: give lateFeeAmount or lateFeePercent with them');
      plain.lateFee = { ...stored.lateFee, graceDays: lateFeeGraceDays };
    }
  }
  try {
    return termsFromJson({
      ...stored,
      ...JSON.parse(JSON.stringify(plain)),
      fees: {
        ...stored.fees,
        ...(feePerInstalment === undefined ? {} : { perInstalment: feePerInstalment }),
        ...(disbursementFee === undefined ? {} : { disbursement: disbursementFee.amount === '0' ? null : disbursementFee }),
      },
      grace: {
        principalPeriods: graceOnPrincipalPeriods ?? current.grace.principalPeriods,
        interestPeriods: graceOnInterestPeriods ?? current.grace.interestPeriods,
      },
    });
  } catch (error) {
    if (error instanceof InvalidField && REVISION_FIELD[error.field]) throw new InvalidField(REVISION_FIELD[error.field]!, error.message);
    throw error;
  }
}

export async function reviseTerms(db: TenantDb, command: CommandContext, code: string, revision: TermsRevision) {
  const product = await db.loanProduct.findUnique({ where: { code } });
  if (!product) throw noSuchCode('code', 'no loan product with that code');
  if (product.retiredAt) throw new AppError('CONFLICT', 'the product is retired: it takes no new terms', { field: inputPath('code') });
  const current = await productVersion(db, product);
  if (!current) throw new Error(`product ${code} has no version ${product.currentVersion}`);
  const terms = revisedTerms(current.terms, revision);
  assertAmountsWithinProduct(terms, new Decimal(product.maxAmount.toString()));
  const allocation = revision.allocation ?? current.allocation;
  assertValidAllocationRule(allocation, 'allocation');
  return runCommand(db, { ...command, action: 'loanProduct.revise' }, async (tx) => {
    // Taking the product row's lock numbers concurrent revisions one after the other.
    const locked = await tx.loanProduct.update({ where: { id: product.id }, data: { currentVersion: { increment: 1 } } });
    const version = await tx.loanProductVersion.create({
      data: { productId: product.id, version: locked.currentVersion, terms: termsToJson(terms) as object, allocation: allocation as unknown as object, createdBy: command.actor.subject, createdAt: command.now },
    });
    // The catalogue's headline rate follows the current version.
    if (revision.annualRatePercent !== undefined) {
      await tx.loanProduct.update({ where: { id: product.id }, data: { annualRate: terms.annualRatePercent.div(100).toFixed(6) } });
    }
    return {
      result: { productId: product.id, version: version.version },
      audit: { entityType: 'LoanProduct', entityId: product.id, before: { version: current.version, terms: termsToJson(current.terms) }, after: { version: version.version, terms: termsToJson(terms) } },
      events: [{ type: 'loanProduct.revised', aggregateType: 'LoanProduct', aggregateId: product.id, payload: { code, version: version.version } }],
    };
  });
}

/** The product's limits on a loan's size and length, as the domain's one rule for them takes them. */
export function productLimitsOf(product: { currency: string; minAmount: { toString(): string }; maxAmount: { toString(): string }; minTenor: number; maxTenor: number }): ProductLimits {
  return {
    currency: product.currency, minPrincipal: new Decimal(product.minAmount.toString()), maxPrincipal: new Decimal(product.maxAmount.toString()),
    minTenorMonths: product.minTenor, maxTenorMonths: product.maxTenor,
  };
}

/** Refuses a retired product where a new application or booking names it; `field` is the caller's name for the code. */
export function assertOffered(product: { retiredAt: Date | null }, field: string): void {
  if (product.retiredAt) throw new InvalidField(field, 'the product is retired: it takes no new applications or bookings');
}

/** A product's limits as a lender sets them. */
export interface LimitsInput {
  minAmount: string;
  maxAmount: string;
  minTenorMonths: number;
  maxTenorMonths: number;
}

/** Everything a product's terms say, but its currency (the product's own). */
export type ProductTermsInput = Omit<LoanTermsInput, 'currency'> & { allocation?: AllocationRule };

export interface NewProduct {
  code: string;
  name: string;
  currency: string;
  terms: ProductTermsInput;
  limits: LimitsInput;
  /** Roles the product posts to another account than the chart's default for the role. */
  accountMapping?: { role: string; account: string }[];
}

export interface ProductClone {
  fromCode: string;
  code: string;
  name: string;
  /** The whole terms of the new product; the source's current terms when absent. */
  terms?: ProductTermsInput;
  /** The source's limits when absent. */
  limits?: LimitsInput;
}

/** Where a term's error lands in the input: the domain's names, under `terms.`, with the few the input names otherwise. */
const TERM_FIELD: Record<string, string> = {
  currency: 'currency',
  repaymentEvery: 'terms.repaymentEvery.every',
  amortization: 'terms.amortization.kind',
  'amortization.periods': 'terms.amortization.interestOnlyPeriods',
  'amortization.then': 'terms.amortization.afterInterestOnly',
  principal: 'limits.minAmount',
};

function termField(field: string): string {
  return TERM_FIELD[field] ?? (field.startsWith('limits.') ? field : `terms.${field}`);
}

const CODE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$/;

function checkedName(name: string, field: string): string {
  const trimmed = name.trim();
  if (trimmed.length < 2 || trimmed.length > 200) throw new InvalidField(field, `${field} must be 2–200 characters`);
  return trimmed;
}

/**
 * Complete, checked terms, allocation and limits from what a lender said; nothing is written. Every refusal is an
 * InvalidField naming the input path (`terms.grace.principalPeriods`, `limits.maxAmount`), as the domain's rules
 * (`loanTerms`, `assertValidTerms`, `assertValidAllocationRule`, `assertValidLimits`) decide it.
 */
export function productSetup(currency: string, input: ProductTermsInput, limitsInput: LimitsInput): { terms: LoanTerms; allocation: AllocationRule; limits: ProductLimits } {
  try {
    if (!isCurrency(currency)) throw new InvalidField('currency', 'currency must be an ISO 4217 code');
    const { allocation: given, ...plain } = input;
    const terms = loanTerms({ ...plain, currency });
    assertValidTerms(terms);
    const allocation = given ?? PENALTIES_FEES_INTEREST_PRINCIPAL;
    assertValidAllocationRule(allocation, 'allocation');
    const amount = (value: string, field: string) => {
      try {
        return new Decimal(value);
      } catch {
        throw new InvalidField(field, `${field} must be an amount`);
      }
    };
    const limits: ProductLimits = {
      currency, minPrincipal: amount(limitsInput.minAmount, 'limits.minAmount'), maxPrincipal: amount(limitsInput.maxAmount, 'limits.maxAmount'),
      minTenorMonths: limitsInput.minTenorMonths, maxTenorMonths: limitsInput.maxTenorMonths,
    };
    assertValidLimits(limits, terms);
    return { terms, allocation, limits };
  } catch (error) {
    if (error instanceof InvalidField) throw new InvalidField(termField(error.field), error.message);
    throw error;
  }
}

/** Role → account code, each role once and each account one of the chart's. */
async function checkedMapping(tx: Tx, mapping: { role: string; account: string }[]): Promise<Record<string, string>> {
  const checked: Record<string, string> = {};
  for (const [k, { role, account }] of mapping.entries()) {
    if (!(ACCOUNT_ROLES as readonly string[]).includes(role)) throw new InvalidField(`accountMapping[${k}].role`, `role must be one of ${ACCOUNT_ROLES.join(', ')}`);
    if (role in checked) throw new InvalidField(`accountMapping[${k}].role`, `the mapping names ${role} twice`);
    const target = await tx.ledgerAccount.findUnique({ where: { code: account } });
    if (!target) throw new InvalidField(`accountMapping[${k}].account`, 'no ledger account with that code');
    assertAccountFitsRole(role as AccountRole, target, `accountMapping[${k}].account`);
    checked[role] = account;
  }
  return checked;
}

async function writeProduct(
  tx: Tx, command: CommandContext, code: string, name: string,
  setup: { terms: LoanTerms; allocation: AllocationRule; limits: ProductLimits }, accountMapping: Record<string, string>,
) {
  if (await tx.loanProduct.findUnique({ where: { code } })) throw new NameTaken();
  const { terms, allocation, limits } = setup;
  const product = await tx.loanProduct.create({
    data: {
      code, name, currency: terms.currency, minAmount: limits.minPrincipal.toFixed(), maxAmount: limits.maxPrincipal.toFixed(),
      minTenor: limits.minTenorMonths, maxTenor: limits.maxTenorMonths, annualRate: terms.annualRatePercent.div(100).toFixed(6),
      accountMapping, createdAt: command.now,
    },
  });
  await tx.loanProductVersion.create({
    data: { productId: product.id, version: 1, terms: termsToJson(terms) as object, allocation: allocation as unknown as object, createdBy: command.actor.subject, createdAt: command.now },
  });
  return product;
}

function snapshot(product: { code: string; name: string; currency: string }, setup: { terms: LoanTerms; allocation: AllocationRule; limits: ProductLimits }, accountMapping: Record<string, string>) {
  const { limits } = setup;
  return {
    code: product.code, name: product.name, currency: product.currency, version: 1, terms: termsToJson(setup.terms), allocation: setup.allocation,
    limits: { minAmount: limits.minPrincipal.toFixed(), maxAmount: limits.maxPrincipal.toFixed(), minTenorMonths: limits.minTenorMonths, maxTenorMonths: limits.maxTenorMonths },
    accountMapping,
  };
}

type ProductRow = Awaited<ReturnType<TenantDb['loanProduct']['findUniqueOrThrow']>>;

const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value));

/**
 * Where a creation asks for another product than the one under its code, named as createLoanProduct's input names
 * them: the name, currency, limits, account mapping, and each term and the allocation of the first version (what
 * the creation made: revisions since do not make a repeat of it a different request).
 */
async function differencesFrom(db: TenantDb, product: ProductRow, asked: { name: string; setup: { terms: LoanTerms; allocation: AllocationRule; limits: ProductLimits }; mapping: Record<string, string> }): Promise<string[]> {
  const first = await productVersion(db, product, 1);
  if (!first) throw new Error(`product ${product.code} has no version 1`);
  const had = termsToJson(first.terms);
  const wants = termsToJson(asked.setup.terms);
  const terms = [...new Set([...Object.keys(had), ...Object.keys(wants)])]
    .filter((key) => !isDeepStrictEqual(had[key], wants[key]))
    .map((key) => (key === 'currency' ? key : `terms.${key}`));
  const { limits } = asked.setup;
  return [
    ...fieldsThatDiffer({ name: product.name !== asked.name, currency: product.currency !== limits.currency }),
    ...terms,
    ...fieldsThatDiffer({
      'terms.allocation': !isDeepStrictEqual(asJson(first.allocation), asJson(asked.setup.allocation)),
      'limits.minAmount': !limits.minPrincipal.equals(product.minAmount.toString()),
      'limits.maxAmount': !limits.maxPrincipal.equals(product.maxAmount.toString()),
      'limits.minTenorMonths': limits.minTenorMonths !== product.minTenor,
      'limits.maxTenorMonths': limits.maxTenorMonths !== product.maxTenor,
      accountMapping: !isDeepStrictEqual(asJson(product.accountMapping), asJson(asked.mapping)),
    }),
  ];
}

/**
 * A new product with its first version, as a lender sets itself up; refused whole, naming the field, or written
 * whole. Its code makes it safe to send again (src/commands/namedCreation.ts).
 */
export async function createProduct(db: TenantDb, command: CommandContext, input: NewProduct) {
  if (!CODE.test(input.code)) throw new InvalidField('code', 'a product code is 1–40 letters, digits, dots, dashes or underscores');
  const name = checkedName(input.name, 'name');
  const setup = productSetup(input.currency, input.terms, input.limits);
  return createUnlessRepeated(`loan product ${input.code}`, () => runCommand(db, { ...command, action: 'loanProduct.create' }, async (tx) => {
    const mapping = await checkedMapping(tx, input.accountMapping ?? []);
    const product = await writeProduct(tx, command, input.code, name, setup, mapping);
    return {
      result: product,
      audit: { entityType: 'LoanProduct', entityId: product.id, before: null, after: snapshot(product, setup, mapping) },
      events: [{ type: 'loanProduct.created', aggregateType: 'LoanProduct', aggregateId: product.id, payload: { code: product.code, version: 1 } }],
    };
  }), {
    existing: () => db.loanProduct.findUniqueOrThrow({ where: { code: input.code } }),
    differences: (product) => differencesFrom(db, product, { name, setup, mapping: Object.fromEntries((input.accountMapping ?? []).map((m) => [m.role, m.account])) }),
    answer: (product) => product,
  });
}

/** A new product from another's current version (its terms, allocation, limits and account mapping), with what the lender changes. */
export async function cloneProduct(db: TenantDb, command: CommandContext, input: ProductClone) {
  if (!CODE.test(input.code)) throw new InvalidField('code', 'a product code is 1–40 letters, digits, dots, dashes or underscores');
  const name = checkedName(input.name, 'name');
  const source = await db.loanProduct.findUnique({ where: { code: input.fromCode } });
  if (!source) throw noSuchCode('fromCode', 'no loan product with that code');
  const current = (await productVersion(db, source))!;
  const { currency: _currency, ...storedTerms } = termsToJson(current.terms) as unknown as LoanTermsInput;
  const limits = input.limits ?? {
    minAmount: source.minAmount.toString(), maxAmount: source.maxAmount.toString(), minTenorMonths: source.minTenor, maxTenorMonths: source.maxTenor,
  };
  const setup = productSetup(source.currency, input.terms ?? { ...storedTerms, allocation: current.allocation }, limits);
  const mapping = source.accountMapping as Record<string, string>;
  // What the clone takes from its source rather than from the request is asked through `fromCode`.
  const asked = (field: string) => (field === 'name' || (input.terms && field.startsWith('terms.')) || (input.limits && field.startsWith('limits.')) ? field : 'fromCode');
  return createUnlessRepeated(`loan product ${input.code}`, () => runCommand(db, { ...command, action: 'loanProduct.clone' }, async (tx) => {
    const product = await writeProduct(tx, command, input.code, name, setup, mapping);
    return {
      result: product,
      audit: { entityType: 'LoanProduct', entityId: product.id, before: null, after: { ...snapshot(product, setup, mapping), clonedFrom: { code: source.code, version: current.version } } },
      events: [{ type: 'loanProduct.cloned', aggregateType: 'LoanProduct', aggregateId: product.id, payload: { code: product.code, fromCode: source.code, fromVersion: current.version } }],
    };
  }), {
    existing: () => db.loanProduct.findUniqueOrThrow({ where: { code: input.code } }),
    differences: async (product) => (await differencesFrom(db, product, { name, setup, mapping })).map(asked),
    answer: (product) => product,
  });
}

/** Stops offering a product: no new applications or bookings name it; loans booked on it carry on untouched. */
export async function retireProduct(db: TenantDb, command: CommandContext, code: string) {
  return runCommand(db, { ...command, action: 'loanProduct.retire' }, async (tx) => {
    const product = await tx.loanProduct.findUnique({ where: { code } });
    if (!product) throw noSuchCode('code', 'no loan product with that code');
    if (product.retiredAt) throw new AppError('CONFLICT', 'the product is already retired', { field: inputPath('code') });
    const retired = await tx.loanProduct.update({ where: { id: product.id }, data: { retiredAt: command.now } });
    return {
      result: retired,
      audit: { entityType: 'LoanProduct', entityId: product.id, before: { retiredAt: null }, after: { retiredAt: command.now.toISOString() } },
      events: [{ type: 'loanProduct.retired', aggregateType: 'LoanProduct', aggregateId: product.id, payload: { code } }],
    };
  });
}
