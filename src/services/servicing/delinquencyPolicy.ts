// The lender's delinquency policy: its buckets, regulatory regime, the regime's parameters and its provision rates,
// one row (delinquency_policy) versioned by every change, every change audited and announced. A lender that never
// set one follows the default (version 0): RBI_IRAC for a lender whose currency is INR, US_CHARGE_OFF otherwise,
// each with its regime's parameters and provisions and the default buckets. A product may count buckets its own
// way (loan_product.delinquency_buckets), the policy's classes and provisions still applying.
//
// Decisions:
// - A change applies from the next end of day: end of day reads the policy as it starts a date, and nothing
//   reclassifies loans in between (a loan's bucket and class are as the last end of day left them).
// - No maker-checker: the tenant admin alone may change it (capability `delinquency.manage`). It moves no money
//   by itself; every version is audited before and after, and `delinquencyPolicy.changed` tells anyone watching.
// - A change states the regime and what it changes: buckets, parameters or provisions left out keep the current
//   ones (the new regime's defaults when the regime changes), a parameter or a class's rate left out keeps its
//   value. Everything is checked before anything is written (the domain's asserts), naming the field at fault.
import type { TenantDb, Tx } from '../../tenancy/tenantClients.js';
import type { PoolSql } from '../../tenancy/tenantSql.js';
import { tenantSql } from '../../tenancy/tenantSql.js';
import { schemaForSlug } from '../../tenancy/schemaNames.js';
import { runCommand, type CommandContext } from '../../commands/runCommand.js';
import { InvalidField, noSuchCode } from '../../errors.js';
import { assertValidBuckets, DEFAULT_BUCKETS, type BucketRange } from '../../domain/servicing/delinquencyBuckets.js';
import {
  assertValidParameters, classesOf, defaultParameters, isRegime, type ClassificationPolicy, type Regime, type RegimeParameters,
} from '../../domain/servicing/classification.js';
import { assertValidProvisions, DEFAULT_PROVISIONS, type ProvisionRates } from '../../domain/servicing/provisioning.js';

export type DelinquencyPolicy = ClassificationPolicy & {
  /** 0 for the default a lender never changed; 1 for its first change. */
  version: number;
  buckets: BucketRange[];
  provisions: ProvisionRates;
  changedBy: string | null;
  changedAt: Date | null;
};

/** The regime a lender starts with: India's for a lender lending in rupees, the US policy otherwise. */
export function defaultRegimeFor(tenantCurrency: string): Regime {
  return tenantCurrency === 'INR' ? 'RBI_IRAC' : 'US_CHARGE_OFF';
}

/** The policy of a lender that never set one. */
export function defaultPolicy(tenantCurrency: string): DelinquencyPolicy {
  const regime = defaultRegimeFor(tenantCurrency);
  return {
    version: 0, regime, parameters: defaultParameters(regime), provisions: { ...DEFAULT_PROVISIONS[regime] },
    buckets: DEFAULT_BUCKETS.map((bucket) => ({ ...bucket })), changedBy: null, changedAt: null,
  } as DelinquencyPolicy;
}

interface PolicyRow {
  version: number;
  buckets: unknown;
  regime: string;
  parameters: unknown;
  provisions: unknown;
  changedBy: string;
  changedAt: Date;
}

/** A stored row as the policy (it was checked when written). */
export function policyFromRow(row: PolicyRow): DelinquencyPolicy {
  if (!isRegime(row.regime)) throw new Error(`delinquency_policy holds an unknown regime: ${row.regime}`);
  // jsonb keeps an object's keys in its own order: the rates come back in the regime's, from the best class.
  const stored = row.provisions as Record<string, string>;
  const provisions = Object.fromEntries(classesOf(row.regime).filter((cls) => stored[cls] !== undefined).map((cls) => [cls, stored[cls]]));
  return {
    version: row.version, regime: row.regime, parameters: row.parameters as RegimeParameters, provisions: provisions as ProvisionRates,
    buckets: row.buckets as BucketRange[], changedBy: row.changedBy, changedAt: row.changedAt,
  } as DelinquencyPolicy;
}

const SELECT_POLICY = (schema: string) =>
  `SELECT version, buckets, regime, parameters, provisions, changed_by AS "changedBy", changed_at AS "changedAt" FROM ${schema}.delinquency_policy`;

/**
 * The lender's policy, or the default for its currency when it never set one. Reads through the tenant's Prisma
 * client (or a transaction of it), or through raw SQL on the pool (end of day's set-based steps).
 */
export async function delinquencyPolicyOf(source: TenantDb | Tx | PoolSql, tenantCurrency: string): Promise<DelinquencyPolicy> {
  let row: PolicyRow | null;
  if (typeof (source as { $queryRawUnsafe?: unknown }).$queryRawUnsafe === 'function') {
    row = await (source as TenantDb | Tx).delinquencyPolicy.findFirst({ where: { id: true } });
  } else {
    row = (await (source as PoolSql).query<PolicyRow & Record<string, unknown>>(SELECT_POLICY)).rows[0] ?? null;
  }
  return row ? policyFromRow(row) : defaultPolicy(tenantCurrency);
}

/** The buckets a product's loans are counted in: its own when it has them, else the policy's. */
export function bucketsFor(policy: Pick<DelinquencyPolicy, 'buckets'>, product: { delinquencyBuckets: unknown }): BucketRange[] {
  return (product.delinquencyBuckets as BucketRange[] | null) ?? policy.buckets;
}

export interface DelinquencyPolicyChange {
  regime: Regime;
  /** The whole list; left out keeps the current buckets. */
  buckets?: BucketRange[] | undefined;
  /** The parameters to change; one left out (undefined) keeps its value. Null only for `lossAfterMonths`. */
  parameters?: Record<string, unknown> | undefined;
  /** Rates to change, one entry per class; a class left out keeps its rate. Percent as decimal text. */
  provisions?: { assetClass: string; percent: string }[] | undefined;
}

/** What audits and events show of a policy. */
function shown(policy: DelinquencyPolicy) {
  return { version: policy.version, regime: policy.regime, buckets: policy.buckets, parameters: policy.parameters, provisions: policy.provisions };
}

/** The policy a change makes of the current one, checked; errors name the input's field. */
export function changedPolicy(current: DelinquencyPolicy, change: DelinquencyPolicyChange): Omit<DelinquencyPolicy, 'version' | 'changedBy' | 'changedAt'> {
  if (!isRegime(change.regime)) throw new InvalidField('regime', 'RBI_IRAC or US_CHARGE_OFF');
  const regime = change.regime;
  const sameRegime = regime === current.regime;
  const buckets = change.buckets ? change.buckets.map((b) => ({ name: b.name, fromDays: b.fromDays, toDays: b.toDays ?? null })) : current.buckets;
  assertValidBuckets(buckets, 'buckets');
  const parameters: Record<string, unknown> = { ...(sameRegime ? current.parameters : defaultParameters(regime)) };
  for (const [name, value] of Object.entries(change.parameters ?? {})) if (value !== undefined) parameters[name] = value;
  assertValidParameters(regime, parameters, 'parameters');
  const classes = classesOf(regime) as readonly string[];
  const provisions: Record<string, string> = { ...(sameRegime ? current.provisions : DEFAULT_PROVISIONS[regime]) } as Record<string, string>;
  const entryOf = new Map<string, number>();
  (change.provisions ?? []).forEach((entry, k) => {
    if (!classes.includes(entry.assetClass)) throw new InvalidField(`provisions.${k}.assetClass`, `${entry.assetClass} is not a class of ${regime}`);
    if (entryOf.has(entry.assetClass)) throw new InvalidField(`provisions.${k}.assetClass`, `${entry.assetClass} is given twice`);
    entryOf.set(entry.assetClass, k);
    provisions[entry.assetClass] = entry.percent;
  });
  assertValidProvisions(regime, provisions, 'provisions', (cls) => (entryOf.has(cls) ? `provisions.${entryOf.get(cls)}.percent` : 'provisions'));
  return { regime, parameters, buckets, provisions } as Omit<DelinquencyPolicy, 'version' | 'changedBy' | 'changedAt'>;
}

/** Changes the lender's policy: a new version, applied from the next end of day. */
export async function setDelinquencyPolicy(db: TenantDb, command: CommandContext, change: DelinquencyPolicyChange, tenantCurrency: string): Promise<DelinquencyPolicy> {
  return runCommand(db, { ...command, action: 'delinquencyPolicy.changed' }, async (tx) => {
    const sql = tenantSql(tx, schemaForSlug(command.tenant));
    // Versions are numbered one at a time: a second change waits for the first to commit.
    await sql.query((schema) => `SELECT 1 FROM ${schema}.delinquency_policy FOR UPDATE`);
    const current = await delinquencyPolicyOf(tx, tenantCurrency);
    const next = changedPolicy(current, change);
    // The first change races only another first change: whichever inserts second takes the next version.
    const written = await sql.query<{ version: number }[]>((schema) => `INSERT INTO ${schema}.delinquency_policy (id, version, buckets, regime, parameters, provisions, changed_by, changed_at)
         VALUES (true, 1, $1::jsonb, $2, $3::jsonb, $4::jsonb, $5, $6::timestamptz)
         ON CONFLICT (id) DO UPDATE SET version = ${schema}.delinquency_policy.version + 1, buckets = EXCLUDED.buckets, regime = EXCLUDED.regime,
           parameters = EXCLUDED.parameters, provisions = EXCLUDED.provisions, changed_by = EXCLUDED.changed_by, changed_at = EXCLUDED.changed_at
         RETURNING version`,
      JSON.stringify(next.buckets), next.regime, JSON.stringify(next.parameters), JSON.stringify(next.provisions), command.actor.subject, command.now.toISOString());
    const policy = { ...next, version: written[0]!.version, changedBy: command.actor.subject, changedAt: command.now } as DelinquencyPolicy;
    return {
      result: policy,
      audit: { entityType: 'DelinquencyPolicy', entityId: 'delinquency-policy', before: shown(current), after: shown(policy) },
      events: [{
        type: 'delinquencyPolicy.changed', aggregateType: 'DelinquencyPolicy', aggregateId: 'delinquency-policy',
        payload: {
          version: policy.version, previousVersion: current.version, regime: policy.regime, buckets: policy.buckets, parameters: policy.parameters,
          provisions: Object.entries(policy.provisions).map(([assetClass, percent]) => ({ assetClass, percent })), changedBy: command.actor.subject,
        },
      }],
    };
  });
}

/** Gives a product buckets of its own, or (null) has it follow the policy's again; applied from the next end of day. */
export async function setLoanProductDelinquencyBuckets(db: TenantDb, command: CommandContext, input: { productCode: string; buckets: BucketRange[] | null }) {
  const buckets = input.buckets === null ? null : input.buckets.map((b) => ({ name: b.name, fromDays: b.fromDays, toDays: b.toDays ?? null }));
  if (buckets !== null) assertValidBuckets(buckets, 'buckets');
  return runCommand(db, { ...command, action: 'loanProduct.delinquencyBucketsChanged' }, async (tx) => {
    const product = await tx.loanProduct.findUnique({ where: { code: input.productCode } });
    if (!product) throw noSuchCode('productCode', 'no loan product with that code');
    await tenantSql(tx, schemaForSlug(command.tenant)).execute((schema) => `UPDATE ${schema}.loan_product SET delinquency_buckets = $1::jsonb WHERE id = $2::uuid`,
      buckets === null ? null : JSON.stringify(buckets), product.id);
    const updated = await tx.loanProduct.findUniqueOrThrow({ where: { id: product.id } });
    return {
      result: updated,
      audit: { entityType: 'LoanProduct', entityId: product.id, before: { delinquencyBuckets: product.delinquencyBuckets }, after: { delinquencyBuckets: buckets } },
      events: [{ type: 'loanProduct.delinquencyBucketsChanged', aggregateType: 'LoanProduct', aggregateId: product.id, payload: { code: product.code, buckets } }],
    };
  });
}
