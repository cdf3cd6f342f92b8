// Product versions: reading the terms new loans are booked with, and revising them. A revision is a new version
// (the database refuses to change an old one), written as a command with its audit record and event; loans keep
// the copy of the terms they were booked with, so nothing booked changes.
import { AppError, inputPath, InvalidField } from '../../errors.js';
import { assertAmountsWithinProduct, termsFromJson, termsToJson, type LoanTerms, type LoanTermsInput, type ProductLimits } from '../../domain/servicing/product.js';
import { Decimal } from '../../domain/money.js';
import { assertValidAllocationRule, type AllocationRule } from '../../domain/servicing/allocation.js';
import type { TenantDb } from '../../tenancy/tenantClients.js';
import { runCommand, type CommandContext } from '../../commands/runCommand.js';

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
  | 'underpaymentTolerance' | 'penaltyRatePercent' | 'lateFee' | 'prepayment'>> & {
  feePerInstalment?: string;
  /** A fee at disbursement, deducted from the payout or financed; amount "0" removes it. */
  disbursementFee?: { amount: string; treatment: 'deducted' | 'financed' };
  graceOnPrincipalPeriods?: number;
  graceOnInterestPeriods?: number;
  allocation?: AllocationRule;
};

const REVISION_FIELD: Record<string, string> = {
  'fees.perInstalment': 'feePerInstalment', 'grace.principalPeriods': 'graceOnPrincipalPeriods', 'grace.interestPeriods': 'graceOnInterestPeriods',
  'fees.disbursement.amount': 'disbursementFeeAmount', 'fees.disbursement.treatment': 'disbursementFeeTreatment', 'fees.disbursement': 'disbursementFeeAmount',
};

function revisedTerms(current: LoanTerms, revision: TermsRevision): LoanTerms {
  const { allocation: _allocation, feePerInstalment, disbursementFee, graceOnPrincipalPeriods, graceOnInterestPeriods, ...plain } = revision;
  const stored = termsToJson(current) as unknown as LoanTermsInput;
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
  if (!product) throw new AppError('NOT_FOUND', 'no loan product with that code', { field: inputPath('code') });
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
