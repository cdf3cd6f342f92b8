// Managing a product's credit policy: versions are drafted (never edited in place), simulated over the product's
// past automated decisions, and activated through maker-checker. A draft becomes `pending_activation` when someone
// asks for it to be activated (the maker); a different person approves (the checker: neither who drafted nor who
// asked), which in one transaction retires the active version and activates this one, or rejects it back to draft.
// The database holds the same lines: one active version per product (a unique partial index) and
// `activated_by <> activation_requested_by`. Decisions keep the version that made them, so retired versions stay.
import { randomUUID } from 'node:crypto';
import { AppError, inputPath, InvalidField, isUniqueViolation, noSuchCode, statusInWords } from '../../errors.js';
import {
  assertValidPolicyInput, assertValidRuleSet, simulatePolicy, type CreditRuleSet, type PastApplication, type PolicyOutcome, type PolicyReason,
} from '../../domain/origination/creditPolicy.js';
import type { TenantDb } from '../../tenancy/tenantClients.js';
import type { Tx } from '../../tenancy/tenantClients.js';
import { runCommand, type CommandContext } from '../../commands/runCommand.js';
import { refuseMakerAsChecker } from '../../commands/pendingRequests.js';
import { schemaForSlug } from '../../tenancy/schemaNames.js';
import { tenantSql } from '../../tenancy/tenantSql.js';
import { isUuid } from '../../domain/globalId.js';

type CreditPolicyRow = Awaited<ReturnType<TenantDb['creditPolicy']['findUniqueOrThrow']>>;

export type CreditPolicyStatus = 'draft' | 'pending_activation' | 'active' | 'retired';

/** A simulation reads at most this many past decisions (the newest). */
export const MAX_SIMULATION_LIMIT = 10_000;
export const DEFAULT_SIMULATION_LIMIT = 1_000;

/** What the audit trail and the events say about a version: everything but the rule set's bulk. */
function shown(row: CreditPolicyRow) {
  return {
    productId: row.productId, version: row.version, status: row.status, createdBy: row.createdBy,
    activationRequestedBy: row.activationRequestedBy, activatedBy: row.activatedBy, activatedAt: row.activatedAt?.toISOString() ?? null,
  };
}

/** Locks the product's row: drafts are numbered and activations made one at a time per product. */
async function lockProduct(tx: Tx, tenant: string, productId: string): Promise<void> {
  await tenantSql(tx, schemaForSlug(tenant)).query((schema) => `SELECT id::text FROM ${schema}.loan_product WHERE id = $1::uuid FOR UPDATE`, productId);
}

async function findPolicy(db: TenantDb | Tx, policyId: string): Promise<CreditPolicyRow> {
  const row = isUuid(policyId) ? await db.creditPolicy.findUnique({ where: { id: policyId } }) : null;
  if (!row) throw new InvalidField('policyId', 'no credit policy with that id');
  return row;
}

/** The policy locked for a move, after its product's lock, read again under the lock. */
async function lockedPolicy(tx: Tx, tenant: string, policyId: string): Promise<CreditPolicyRow> {
  const first = await findPolicy(tx, policyId);
  await lockProduct(tx, tenant, first.productId);
  return tx.creditPolicy.findUniqueOrThrow({ where: { id: policyId } });
}

function expectStatus(row: CreditPolicyRow, status: CreditPolicyStatus, doing: string): void {
  if (row.status !== status) {
    throw new AppError('CONFLICT', `version ${row.version} is ${statusInWords(row.status)}: only a ${statusInWords(status)} version can be ${doing}`, {
      field: inputPath('policyId'), reason: 'ILLEGAL_TRANSITION', from: row.status,
    });
  }
}

/**
 * A new draft version (the latest + 1) of a product's credit policy. The rule set is validated as the decisions
 * will read it (errors name the field under `ruleSet.`); its `version` is assigned here, and its currency must be
 * the product's.
 */
export async function draftPolicy(db: TenantDb, command: CommandContext, productCode: string, ruleSet: unknown): Promise<CreditPolicyRow> {
  const product = await db.loanProduct.findUnique({ where: { code: productCode } });
  if (!product) throw noSuchCode('productCode', 'no loan product with that code');
  if (typeof ruleSet !== 'object' || ruleSet === null || Array.isArray(ruleSet)) throw new InvalidField('ruleSet', 'a rule set is a JSON object');
  const draft = structuredClone(ruleSet) as Record<string, unknown>;
  // A placeholder that passes validation; the real number is taken under the product's lock.
  draft['version'] = 1;
  try {
    assertValidRuleSet(draft);
  } catch (error) {
    if (error instanceof InvalidField) throw new InvalidField(error.field === 'ruleSet' ? 'ruleSet' : `ruleSet.${error.field}`, error.message);
    throw error;
  }
  const valid = draft as unknown as CreditRuleSet;
  if (valid.currency !== product.currency) {
    throw new InvalidField('ruleSet.currency', `the rule set's currency must be the product's (${product.currency})`);
  }
  return runCommand(db, { ...command, action: 'creditPolicy.draft' }, async (tx) => {
    await lockProduct(tx, command.tenant, product.id);
    const latest = await tx.creditPolicy.aggregate({ where: { productId: product.id }, _max: { version: true } });
    const version = (latest._max.version ?? 0) + 1;
    const row = await tx.creditPolicy.create({
      data: {
        id: randomUUID(), productId: product.id, version, status: 'draft', ruleSet: { ...valid, version } as unknown as object,
        createdBy: command.actor.subject, createdAt: command.now,
      },
    });
    return {
      result: row,
      audit: { entityType: 'CreditPolicy', entityId: row.id, after: { ...shown(row), ruleSet: row.ruleSet } },
      events: [{ type: 'creditPolicy.drafted', aggregateType: 'CreditPolicy', aggregateId: row.id, payload: { productCode, ...shown(row) } }],
    };
  });
}

export interface SimulatedChange {
  applicationId: string;
  reference: string;
  from: PolicyOutcome;
  to: PolicyOutcome;
  /** The draft's reasons for its outcome. */
  reasons: PolicyReason[];
}

export interface DraftSimulation {
  policyId: string;
  version: number;
  /** Past decisions evaluated with the draft. */
  evaluated: number;
  changed: number;
  /** Newest decision first. */
  changes: SimulatedChange[];
  /** How many moved from one outcome to another: { "APPROVE->DECLINE": 3 }. */
  byChange: Record<string, number>;
  /** Past decisions the draft cannot read (e.g. a velocity window the snapshot did not count over), and why. */
  skipped: { applicationId: string; reference: string; field: string; message: string }[];
}

interface PastRow {
  applicationId: string;
  reference: string;
  outcome: PolicyOutcome;
  input: unknown;
}

/**
 * What a draft (or pending) version would have decided on the product's past automated decisions: the latest
 * policy decision of each application, the newest `limit` of them, each re-evaluated from its stored input
 * snapshot and compared with what was decided then.
 */
export async function simulateDraft(db: TenantDb, schemaName: string, policyId: string, limit: number = DEFAULT_SIMULATION_LIMIT): Promise<DraftSimulation> {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SIMULATION_LIMIT) {
    throw new InvalidField('limit', `limit must be a whole number from 1 to ${MAX_SIMULATION_LIMIT}`);
  }
  const policy = await findPolicy(db, policyId);
  const ruleSet = policy.ruleSet as unknown as CreditRuleSet;
  const rows = await tenantSql(db, schemaName).query<PastRow[]>((s) => `SELECT latest.application_id::text AS "applicationId", latest.reference, latest.outcome, latest.input_snapshot AS input
       FROM (SELECT DISTINCT ON (d.application_id) d.application_id, a.reference, d.outcome, d.input_snapshot, d.decided_at, d.id
               FROM ${s}.application_decision d JOIN ${s}.application a ON a.id = d.application_id
              WHERE d.decided_by_kind = 'policy' AND a.product_id = $1::uuid
              ORDER BY d.application_id, d.decided_at DESC, d.id DESC) AS latest
      ORDER BY latest.decided_at DESC, latest.id DESC
      LIMIT $2`,
    policy.productId, limit,
  );
  const references = new Map(rows.map((row) => [row.applicationId, row.reference]));
  const past: PastApplication[] = [];
  const skipped: DraftSimulation['skipped'] = [];
  for (const row of rows) {
    try {
      assertValidPolicyInput(row.input, ruleSet);
      past.push({ applicationId: row.applicationId, input: row.input, outcome: row.outcome });
    } catch (error) {
      if (!(error instanceof InvalidField)) throw error;
      skipped.push({ applicationId: row.applicationId, reference: row.reference, field: `input.${error.field}`, message: error.message });
    }
  }
  const simulation = simulatePolicy(ruleSet, past);
  return {
    policyId: policy.id,
    version: policy.version,
    evaluated: simulation.evaluated,
    changed: simulation.changed,
    changes: simulation.changes.map((change) => ({ ...change, reference: references.get(change.applicationId)! })),
    byChange: simulation.byChange,
    skipped,
  };
}

/** The maker's half: a draft is put forward for activation; nothing changes until someone else approves it. */
export async function requestActivation(db: TenantDb, command: CommandContext, policyId: string): Promise<CreditPolicyRow> {
  await findPolicy(db, policyId);
  return runCommand(db, { ...command, action: 'creditPolicy.requestActivation' }, async (tx) => {
    const before = await lockedPolicy(tx, command.tenant, policyId);
    expectStatus(before, 'draft', 'put forward for activation');
    const after = await tx.creditPolicy.update({ where: { id: policyId }, data: { status: 'pending_activation', activationRequestedBy: command.actor.subject } });
    return {
      result: after,
      audit: { entityType: 'CreditPolicy', entityId: policyId, before: shown(before), after: shown(after) },
      events: [{ type: 'creditPolicy.activationRequested', aggregateType: 'CreditPolicy', aggregateId: policyId, payload: shown(after) }],
    };
  });
}

/**
 * The checker's half. Approving retires the active version and activates this one in the same transaction; the
 * checker is neither who asked for the activation nor who drafted the rules (FORBIDDEN). Rejecting sends the
 * version back to draft, with the reason in the audit trail and the event.
 */
export async function decideActivation(
  db: TenantDb, command: CommandContext, policyId: string, approve: boolean, reason: string | null,
): Promise<CreditPolicyRow> {
  if (!approve && !reason?.trim()) throw new InvalidField('reason', 'a rejection needs a reason');
  await findPolicy(db, policyId);
  try {
    return await runCommand(db, { ...command, action: approve ? 'creditPolicy.approveActivation' : 'creditPolicy.rejectActivation' }, async (tx) => {
      const before = await lockedPolicy(tx, command.tenant, policyId);
      expectStatus(before, 'pending_activation', approve ? 'activated' : 'rejected');
      if (!approve) {
        const after = await tx.creditPolicy.update({ where: { id: policyId }, data: { status: 'draft', activationRequestedBy: null } });
        return {
          result: after,
          audit: { entityType: 'CreditPolicy', entityId: policyId, before: shown(before), after: { ...shown(after), reason } },
          events: [{ type: 'creditPolicy.activationRejected', aggregateType: 'CreditPolicy', aggregateId: policyId, payload: { ...shown(after), rejectedBy: command.actor.subject, reason } }],
        };
      }
      const checker = command.actor.subject;
      refuseMakerAsChecker([before.createdBy, before.activationRequestedBy], checker, 'creditPolicy', inputPath('policyId'));
      // Offers are priced by grade: a grade the product's active pricing has no rate for would leave every
      // application graded so without an offer, refused for a field no submitter can fix. Price it first, as a
      // pricing draft is held to the active policy's grades.
      const pricing = await tx.productPricing.findFirst({ where: { productId: before.productId, status: 'active' } });
      const priced = new Set(Object.keys((pricing?.ratesByGrade ?? {}) as Record<string, unknown>));
      const unpriced = pricing ? (before.ruleSet as { grades?: { grade: string }[] }).grades?.map((band) => band.grade).filter((grade) => !priced.has(grade)) ?? [] : [];
      if (unpriced.length > 0) {
        throw new AppError('CONFLICT', `the product's active pricing (version ${pricing!.version}) has no rate for grade ${unpriced.join(', ')}: draft and activate pricing with every grade of this policy first`, { field: inputPath('policyId') });
      }
      const retiring = await tx.creditPolicy.findFirst({ where: { productId: before.productId, status: 'active' } });
      const retired = retiring ? await tx.creditPolicy.update({ where: { id: retiring.id }, data: { status: 'retired' } }) : null;
      const after = await tx.creditPolicy.update({ where: { id: policyId }, data: { status: 'active', activatedBy: checker, activatedAt: command.now } });
      return {
        result: after,
        audit: [
          ...(retiring && retired ? [{ entityType: 'CreditPolicy', entityId: retiring.id, before: shown(retiring), after: shown(retired) }] : []),
          { entityType: 'CreditPolicy', entityId: policyId, before: shown(before), after: shown(after) },
        ],
        events: [
          ...(retired ? [{ type: 'creditPolicy.retired', aggregateType: 'CreditPolicy', aggregateId: retired.id, payload: { ...shown(retired), replacedBy: after.version } }] : []),
          { type: 'creditPolicy.activated', aggregateType: 'CreditPolicy', aggregateId: policyId, payload: { ...shown(after), replaced: retired?.version ?? null } },
        ],
      };
    });
  } catch (error) {
    // The unique index on the active version: another activation of the product won the race.
    if (isUniqueViolation(error)) throw new AppError('CONFLICT', 'another version of this product was activated meanwhile; read it again', { field: inputPath('policyId') });
    throw error;
  }
}

export const approveActivation = (db: TenantDb, command: CommandContext, policyId: string) => decideActivation(db, command, policyId, true, null);
export const rejectActivation = (db: TenantDb, command: CommandContext, policyId: string, reason: string) => decideActivation(db, command, policyId, false, reason);
