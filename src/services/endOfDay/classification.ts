// Delinquency buckets and regulatory classes at end of day. The loans looked at are the ones whose class or
// bucket can move: overdue ones, ones carrying a class other than standard, ones never bucketed (just booked) —
// or every loan when the lender's policy changed since the last run. The class of each is the pure calculator's
// (src/domain/servicing/classification.ts) from its previous class and today's days past due; where the regime
// classifies borrowers rather than loans, every loan of a borrower then carries the worst of its loans' classes,
// by one statement over the borrowers concerned. Every change is recorded in loan_delinquency_change (the
// reports' history and the source of the batched events).
import { bucketOf } from '../../domain/servicing/delinquencyBuckets.js';
import { classesOf, classify, isNonPerforming, RESTRUCTURED_SPECIFIED_MONTHS } from '../../domain/servicing/classification.js';
import type { PoolSql } from '../../tenancy/tenantSql.js';
import type { StepContext } from './run.js';
import { bucketsFor, type DelinquencyPolicy } from '../servicing/delinquencyPolicy.js';

interface Candidate {
  id: string;
  productId: string;
  daysPastDue: number;
  bucket: string | null;
  ownClass: string;
  assetClass: string;
  classSince: string | null;
  npaSince: string | null;
  restructuredOn: string | null;
}

const CHUNK = 5_000;

const COLUMNS = `id::text, product_id::text AS "productId", days_past_due AS "daysPastDue", delinquency_bucket AS bucket, own_class AS "ownClass",
                 asset_class AS "assetClass", class_since::text AS "classSince", npa_since::text AS "npaSince",
                 restructured_on::text AS "restructuredOn"`;

/** Classifies and buckets the loans that can have moved; returns how many changed bucket or class. */
export async function classifyLoans(sql: PoolSql, context: Pick<StepContext, 'businessDate'>, policy: DelinquencyPolicy, everyLoan: boolean): Promise<number> {
  const { businessDate } = context;
  const { rows: products } = await sql.query<{ id: string; delinquencyBuckets: unknown }>((s) => `SELECT id::text, delinquency_buckets AS "delinquencyBuckets" FROM ${s}.loan_product`);
  const bucketsOf = new Map(products.map((p) => [p.id, bucketsFor(policy, p)]));

  // The loans that can have moved, each read once through the index that finds it: overdue, classified, never
  // bucketed, or in a bucket that is not a current one (cured by a payment since); every loan after the policy changed.
  const current = [...new Set([policy.buckets, ...bucketsOf.values()].map((b) => bucketOf(b, 0)))];
  const named = [...new Set([policy.buckets, ...bucketsOf.values()].flatMap((b) => b.map((r) => r.name)))].filter((n) => !current.includes(n));
  // Judges a slice of loans and writes what changed; the change record keeps the bucket and class before (the
  // carried class is settled below).
  const judge = async (rows: Candidate[]) => {
    const changed = rows.flatMap((loan) => {
      const bucket = bucketOf(bucketsOf.get(loan.productId) ?? policy.buckets, loan.daysPastDue);
      const next = classify(policy, { ownClass: loan.ownClass, npaSince: loan.npaSince, classSince: loan.classSince }, { daysPastDue: loan.daysPastDue, restructuredOn: loan.restructuredOn }, businessDate);
      if (bucket === loan.bucket && next.ownClass === loan.ownClass && next.npaSince === loan.npaSince && next.classSince === loan.classSince) return [];
      return [{ id: loan.id, bucket, own_class: next.ownClass, npa_since: next.npaSince, class_since: next.classSince }];
    });
    if (changed.length === 0) return;
    await sql.query((s) => `
      WITH r AS (SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id uuid, bucket text, own_class text, npa_since date, class_since date)),
      before AS (SELECT l.id, l.days_past_due, l.delinquency_bucket, l.asset_class FROM ${s}.loan l JOIN r ON r.id = l.id),
      noted AS (
        INSERT INTO ${s}.loan_delinquency_change (loan_id, business_date, days_past_due, bucket_before, bucket_after, class_before, class_after)
        SELECT b.id, $2::date, b.days_past_due, b.delinquency_bucket, r.bucket, b.asset_class, b.asset_class FROM before b JOIN r ON r.id = b.id
         WHERE r.bucket IS DISTINCT FROM b.delinquency_bucket
        ON CONFLICT (loan_id, business_date) DO UPDATE SET bucket_after = EXCLUDED.bucket_after
      )
      UPDATE ${s}.loan l SET delinquency_bucket = r.bucket, own_class = r.own_class, npa_since = r.npa_since, class_since = r.class_since
        FROM r WHERE l.id = r.id`, [JSON.stringify(changed), businessDate]);
  };
  if (everyLoan) {
    // The whole book: its ids first, then a slice at a time by id (a million rows are not held at once, and each
    // slice is read in the table's order).
    const { rows: ids } = await sql.query<{ id: string }>((s) => `SELECT id::text FROM ${s}.loan WHERE status IN ('active', 'overdue') ORDER BY id`);
    for (let from = 0; from < ids.length; from += CHUNK) {
      const { rows } = await sql.query<Candidate>((s) => `SELECT ${COLUMNS} FROM ${s}.loan WHERE id = ANY($1::uuid[]) AND status IN ('active', 'overdue')`,
        [`{${ids.slice(from, from + CHUNK).map((r) => r.id).join(',')}}`]);
      await judge(rows.sort((x, y) => (x.id < y.id ? -1 : 1)));
    }
  } else {
    const { rows } = await sql.query<Candidate>((s) => `
      SELECT ${COLUMNS} FROM ${s}.loan WHERE oldest_due_date IS NOT NULL AND status IN ('active', 'overdue')
      UNION ALL SELECT ${COLUMNS} FROM ${s}.loan WHERE (own_class <> 'STANDARD' OR asset_class <> 'STANDARD') AND status IN ('active', 'overdue')
      UNION ALL SELECT ${COLUMNS} FROM ${s}.loan WHERE delinquency_bucket IS NULL AND status IN ('active', 'overdue')
      UNION ALL SELECT ${COLUMNS} FROM ${s}.loan WHERE delinquency_bucket = ANY($1::text[]) AND status IN ('active', 'overdue')
      UNION ALL SELECT ${COLUMNS} FROM ${s}.loan WHERE restructured_on > $2::date - interval '${RESTRUCTURED_SPECIFIED_MONTHS + 1} months' AND status IN ('active', 'overdue')`, [named, businessDate]);
    const seen = new Set<string>();
    const loans = rows.filter((row) => !seen.has(row.id) && seen.add(row.id)).sort((x, y) => (x.id < y.id ? -1 : 1));
    for (let from = 0; from < loans.length; from += CHUNK) await judge(loans.slice(from, from + CHUNK));
  }

  // The class each loan carries: its own, or where the regime is borrower-level its borrower's worst — under IRAC
  // only a non-performing class spreads to the borrower's other loans (carriedClass in the domain). Only borrowers
  // with a loan not standard, or whose loans carry another class than their own, can be concerned; each of their
  // loans is read once.
  const classes = classesOf(policy.regime);
  const spreading = policy.regime === 'RBI_IRAC' ? classes.filter((c) => isNonPerforming(policy, c)) : [...classes];
  await sql.query((s) => `
    WITH classified AS (
      SELECT id, own_class, asset_class, borrower_party_id FROM ${s}.loan
       WHERE (own_class <> 'STANDARD' OR asset_class <> 'STANDARD') AND status IN ('active', 'overdue')
    ), borrowers AS (
      SELECT DISTINCT borrower_party_id FROM classified WHERE borrower_party_id IS NOT NULL
    ), concerned AS (
      SELECT id, own_class, asset_class, borrower_party_id FROM classified
      UNION
      SELECT l.id, l.own_class, l.asset_class, l.borrower_party_id FROM ${s}.loan l
       WHERE l.borrower_party_id IN (SELECT borrower_party_id FROM borrowers) AND l.status IN ('active', 'overdue')
    ), worst AS (
      SELECT c.borrower_party_id, (array_agg(c.own_class ORDER BY array_position($1::text[], c.own_class) DESC))[1] AS cls
        FROM concerned c WHERE c.borrower_party_id IN (SELECT borrower_party_id FROM borrowers)
       GROUP BY c.borrower_party_id
    ), target AS (
      SELECT c.id, c.asset_class AS before,
             CASE WHEN $2 AND w.cls = ANY($4::text[]) AND array_position($1::text[], w.cls) > array_position($1::text[], c.own_class)
                  THEN w.cls ELSE c.own_class END AS after
        FROM concerned c LEFT JOIN worst w USING (borrower_party_id)
    ), moved AS (
      UPDATE ${s}.loan l SET asset_class = t.after FROM target t WHERE l.id = t.id AND t.after IS DISTINCT FROM t.before
      RETURNING l.id, l.days_past_due, l.delinquency_bucket, t.before, t.after
    )
    INSERT INTO ${s}.loan_delinquency_change (loan_id, business_date, days_past_due, bucket_before, bucket_after, class_before, class_after)
    SELECT id, $3::date, days_past_due, delinquency_bucket, delinquency_bucket, before, after FROM moved
    ON CONFLICT (loan_id, business_date) DO UPDATE SET class_after = EXCLUDED.class_after`,
  [classes, policy.parameters.borrowerLevel, businessDate, spreading]);
  const { rows: counted } = await sql.query<{ n: string }>((s) => `SELECT count(*)::text AS n FROM ${s}.loan_delinquency_change WHERE business_date = $1`, [businessDate]);
  await sql.query((s) => `UPDATE ${s}.end_of_day_run SET totals = totals || jsonb_build_object('policyVersion', $2::int) WHERE business_date = $1`, [businessDate, policy.version]);
  return Number(counted[0]!.n);
}

/**
 * Whether the policy differs from the one the last completed run worked with (each run records its version in
 * its totals): then every loan is bucketed, classified and provisioned again; so too on the first run.
 */
export async function policyChangedSinceLastRun(sql: PoolSql, businessDate: string, version: number): Promise<boolean> {
  const { rows } = await sql.query<{ version: number | null }>((s) => `
    SELECT (totals->>'policyVersion')::int AS version FROM ${s}.end_of_day_run
     WHERE status = 'completed' AND business_date < $1 ORDER BY business_date DESC LIMIT 1`, [businessDate]);
  return rows.length === 0 || rows[0]!.version !== version;
}
