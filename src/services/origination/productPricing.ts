// A product's pricing as versioned data (src/domain/origination/pricing.ts): versions are drafted, never edited in
// place, and activated through maker-checker exactly as credit policies are (creditPolicies.ts): the maker asks,
// a different person (neither who drafted nor who asked) approves, which in one transaction retires the active
// version and activates this one. Offers read the active version when they are made and record which one, so an
// earlier offer keeps its figures whatever is activated later.
import { randomUUID } from 'node:crypto';
import { AppError, inputPath, InvalidField, isUniqueViolation, statusInWords, noSuchCode } from '../../errors.js';
import { Decimal } from '../../domain/money.js';
import { assertValidPricing, productRateBand, ratesByGradeOf, type PricingDraft } from '../../domain/origination/pricing.js';
import type { PricingTable } from '../../domain/origination/offer.js';
import type { CreditRuleSet } from '../../domain/origination/creditPolicy.js';
import type { TenantDb, Tx } from '../../tenancy/tenantClients.js';
import { runCommand, type CommandContext } from '../../commands/runCommand.js';
import { refuseMakerAsChecker } from '../../commands/pendingRequests.js';
import { schemaForSlug } from '../../tenancy/schemaNames.js';
import { tenantSql } from '../../tenancy/tenantSql.js';
import { isUuid } from '../../domain/globalId.js';

export type ProductPricingRow = Awaited<ReturnType<TenantDb['productPricing']['findUniqueOrThrow']>>;
export type ProductPricingStatus = 'draft' | 'pending_activation' | 'active' | 'retired';

/** What the audit trail and the events say about a version. */
function shown(row: ProductPricingRow) {
  return {
    productId: row.productId, version: row.version, status: row.status, createdBy: row.createdBy,
    activationRequestedBy: row.activationRequestedBy, activatedBy: row.activatedBy, activatedAt: row.activatedAt?.toISOString() ?? null,
  };
}

async function lockProduct(tx: Tx, tenant: string, productId: string): Promise<void> {
  await tenantSql(tx, schemaForSlug(tenant)).query((schema) => `SELECT id::text FROM ${schema}.loan_product WHERE id = $1::uuid FOR UPDATE`, productId);
}

async function findPricing(db: TenantDb | Tx, pricingId: string): Promise<ProductPricingRow> {
  const row = isUuid(pricingId) ? await db.productPricing.findUnique({ where: { id: pricingId } }) : null;
  if (!row) throw new InvalidField('pricingId', 'no product pricing with that id');
  return row;
}

async function lockedPricing(tx: Tx, tenant: string, pricingId: string): Promise<ProductPricingRow> {
  const first = await findPricing(tx, pricingId);
  await lockProduct(tx, tenant, first.productId);
  return tx.productPricing.findUniqueOrThrow({ where: { id: pricingId } });
}

function expectStatus(row: ProductPricingRow, status: ProductPricingStatus, doing: string): void {
  if (row.status !== status) {
    throw new AppError('CONFLICT', `pricing version ${row.version} is ${statusInWords(row.status)}: only a ${statusInWords(status)} version can be ${doing}`, {
      field: inputPath('pricingId'), reason: 'ILLEGAL_TRANSITION', from: row.status,
    });
  }
}

/** The table an offer reads from a stored version. */
export function pricingTableOf(row: ProductPricingRow): PricingTable {
  return {
    version: row.version, ratesByGrade: row.ratesByGrade as Record<string, string | null>,
    fees: (row.fees ?? null) as PricingTable['fees'], offerValidityDays: row.offerValidityDays,
  };
}

/** The product's active pricing, or null when it has none. */
export function activePricing(db: TenantDb | Tx, productId: string): Promise<ProductPricingRow | null> {
  return db.productPricing.findFirst({ where: { productId, status: 'active' } });
}

/** Refuses, naming what is missing, when an offer would be made on a product nobody has priced. */
export function noPricingRefusal(productCode: string): AppError {
  return new AppError('CONFLICT', `product ${productCode} has no active pricing: draft its rates by risk grade (draftProductPricing) and have a second person activate them before offers can be made`, {
    reason: 'NO_ACTIVE_PRICING',
  });
}

/** Refuses, naming the product, when it has no active pricing: no offer could ever be made on it. */
export async function assertPriced(db: TenantDb | Tx, productId: string): Promise<void> {
  if (await activePricing(db, productId)) return;
  const product = await db.loanProduct.findUniqueOrThrow({ where: { id: productId }, select: { code: true } });
  throw noPricingRefusal(product.code);
}

/** A new draft version (the latest + 1) of a product's pricing; errors name the input field, nothing is written. */
export async function draftPricing(db: TenantDb, command: CommandContext, productCode: string, draft: PricingDraft): Promise<ProductPricingRow> {
  const product = await db.loanProduct.findUnique({ where: { code: productCode } });
  if (!product) throw noSuchCode('productCode', 'no loan product with that code');
  const policy = await db.creditPolicy.findFirst({ where: { productId: product.id, status: 'active' } });
  const grades = ((policy?.ruleSet as unknown as CreditRuleSet | undefined)?.grades ?? []).map((grade) => grade.grade);
  assertValidPricing(draft, {
    currency: product.currency, grades, rateBand: productRateBand(product), maxPrincipal: new Decimal(product.maxAmount.toString()),
  });
  return runCommand(db, { ...command, action: 'productPricing.draft' }, async (tx) => {
    await lockProduct(tx, command.tenant, product.id);
    const latest = await tx.productPricing.aggregate({ where: { productId: product.id }, _max: { version: true } });
    const version = (latest._max.version ?? 0) + 1;
    const row = await tx.productPricing.create({
      data: {
        id: randomUUID(), productId: product.id, version, status: 'draft', ratesByGrade: ratesByGradeOf(draft.rates),
        fees: draft.fees === null ? undefined : JSON.parse(JSON.stringify(draft.fees)), offerValidityDays: draft.offerValidityDays,
        createdBy: command.actor.subject, createdAt: command.now,
      },
    });
    return {
      result: row,
      audit: { entityType: 'ProductPricing', entityId: row.id, after: { ...shown(row), ratesByGrade: row.ratesByGrade, fees: row.fees, offerValidityDays: row.offerValidityDays } },
      events: [{ type: 'productPricing.drafted', aggregateType: 'ProductPricing', aggregateId: row.id, payload: { productCode, ...shown(row) } }],
    };
  });
}

/** The maker's half: a draft is put forward for activation; nothing changes until someone else approves it. */
export async function requestPricingActivation(db: TenantDb, command: CommandContext, pricingId: string): Promise<ProductPricingRow> {
  await findPricing(db, pricingId);
  return runCommand(db, { ...command, action: 'productPricing.requestActivation' }, async (tx) => {
    const before = await lockedPricing(tx, command.tenant, pricingId);
    expectStatus(before, 'draft', 'put forward for activation');
    const after = await tx.productPricing.update({ where: { id: pricingId }, data: { status: 'pending_activation', activationRequestedBy: command.actor.subject } });
    return {
      result: after,
      audit: { entityType: 'ProductPricing', entityId: pricingId, before: shown(before), after: shown(after) },
      events: [{ type: 'productPricing.activationRequested', aggregateType: 'ProductPricing', aggregateId: pricingId, payload: shown(after) }],
    };
  });
}

/**
 * The checker's half. Approving retires the active version and activates this one in one transaction; neither who
 * drafted it nor who asked may approve (FORBIDDEN, MAKER_IS_CHECKER). Rejecting sends it back to draft with the reason.
 */
export async function decidePricingActivation(
  db: TenantDb, command: CommandContext, pricingId: string, approve: boolean, reason: string | null,
): Promise<ProductPricingRow> {
  if (!approve && !reason?.trim()) throw new InvalidField('reason', 'a rejection needs a reason');
  await findPricing(db, pricingId);
  try {
    return await runCommand(db, { ...command, action: approve ? 'productPricing.approveActivation' : 'productPricing.rejectActivation' }, async (tx) => {
      const before = await lockedPricing(tx, command.tenant, pricingId);
      expectStatus(before, 'pending_activation', approve ? 'activated' : 'rejected');
      if (!approve) {
        const after = await tx.productPricing.update({ where: { id: pricingId }, data: { status: 'draft', activationRequestedBy: null } });
        return {
          result: after,
          audit: { entityType: 'ProductPricing', entityId: pricingId, before: shown(before), after: { ...shown(after), reason } },
          events: [{ type: 'productPricing.activationRejected', aggregateType: 'ProductPricing', aggregateId: pricingId, payload: { ...shown(after), rejectedBy: command.actor.subject, reason } }],
        };
      }
      const checker = command.actor.subject;
      refuseMakerAsChecker([before.createdBy, before.activationRequestedBy], checker, 'pricing', inputPath('pricingId'));
      const retiring = await activePricing(tx, before.productId);
      const retired = retiring ? await tx.productPricing.update({ where: { id: retiring.id }, data: { status: 'retired' } }) : null;
      const after = await tx.productPricing.update({ where: { id: pricingId }, data: { status: 'active', activatedBy: checker, activatedAt: command.now } });
      return {
        result: after,
        audit: [
          ...(retiring && retired ? [{ entityType: 'ProductPricing', entityId: retiring.id, before: shown(retiring), after: shown(retired) }] : []),
          { entityType: 'ProductPricing', entityId: pricingId, before: shown(before), after: shown(after) },
        ],
        events: [
          ...(retired ? [{ type: 'productPricing.retired', aggregateType: 'ProductPricing', aggregateId: retired.id, payload: { ...shown(retired), replacedBy: after.version } }] : []),
          { type: 'productPricing.activated', aggregateType: 'ProductPricing', aggregateId: pricingId, payload: { ...shown(after), replaced: retired?.version ?? null } },
        ],
      };
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError('CONFLICT', 'another pricing version of this product was activated meanwhile; read it again', { field: inputPath('pricingId') });
    throw error;
  }
}
