// The book summed per product, currency, days-past-due band, delinquency bucket and asset class: written by end
// of day for the date it closes (`end_of_day_summary`, so reports can be read as of that date later), and
// computed the same way from the current positions for a report as of today. One SELECT serves both, so a report
// as of today and one as of a closed date count the book the same way (docs/reports.md).
//
// Decisions (docs/reports.md, "The summary"):
// - the book is the loans whose status is active or overdue; closed, written-off and other loans are not in it;
// - days-past-due bands are those portfolio at risk is read by: '0', '1-30', '31-60', '61-90', '91+';
// - a loan end of day has not classified yet (`delinquency_bucket` null, e.g. booked since the last run) counts in
//   the bucket that covers its days past due, from its product's buckets or else the lender's policy (the default
//   policy's buckets when the lender never set one, as end of day classifies by); in 'unclassified' only when
//   those buckets leave its days past due out;
// - overdue_principal is an approximation: the whole principal receivable of loans more than 0 days past due. The
//   exact figure (principal of the instalments due and unpaid) needs each upcoming instalment's principal, which
//   the position does not carry. Portfolio at risk does not need it: it is read from principal_receivable per band.
import { Decimal } from '../../domain/money.js';
import { DPD_BAND_ORDER, type BookGroup } from '../../domain/servicing/portfolio.js';
import { DEFAULT_BUCKETS } from '../../domain/servicing/delinquencyBuckets.js';
import type { TenantDb, Tx } from '../../tenancy/tenantClients.js';
import { tenantSql, type TenantStatement } from '../../tenancy/tenantSql.js';

/** The raw-SQL door as tenantSql (a Prisma client or transaction) gives it. */
export interface ExecutingSql {
  execute(statement: TenantStatement, ...values: unknown[]): Promise<number>;
  query<T>(statement: TenantStatement, ...values: unknown[]): Promise<T>;
}

/** The raw-SQL door as poolSql (the pg pool or one of its clients in a transaction) gives it. */
export interface QueryingSql {
  query(statement: TenantStatement, values?: unknown[]): Promise<{ rowCount: number | null; rows: unknown[] }>;
}

export type SummarySql = ExecutingSql | QueryingSql;

/** The days-past-due bands, in order. */
export const DPD_BANDS = DPD_BAND_ORDER;
export type DpdBand = (typeof DPD_BANDS)[number];

/** The default policy's buckets, as SQL reads a policy's: a constant of ours, written into the statement. */
const DEFAULT_BUCKETS_JSON = JSON.stringify(DEFAULT_BUCKETS).replaceAll("'", "''");

/** Where a loan with no bucket and no buckets to place it in is counted. */
export const UNCLASSIFIED_BUCKET = 'unclassified';

/** One group of the book: the domain's group, with its band as the summary names it. */
export type SummaryRow = BookGroup & { dpdBand: DpdBand };

/** The columns of end_of_day_summary after business_date, in the order the SELECT gives them. */
const COLUMNS = 'product_id, currency, dpd_band, delinquency_bucket, asset_class, loans, principal_receivable, interest_receivable, '
  + 'fee_receivable, penalty_receivable, overdue_principal, interest_suspense, provision';

/**
 * The book from the positions, one row per group; `date` is the SQL of the business date column (or nothing).
 * The loans are summed first by their own columns (one pass over the book, which the database may share among
 * its workers), and only the few groups of loans not yet bucketed are placed in a bucket from their days past due.
 */
function bookSelect(s: string, date: string | null): string {
  return `
    SELECT ${date === null ? '' : `${date}, `}
           g.product_id, g.currency, g.dpd_band,
           coalesce(g.delinquency_bucket,
             (SELECT b->>'name' FROM jsonb_array_elements(coalesce(p.delinquency_buckets, (SELECT buckets FROM ${s}.delinquency_policy LIMIT 1), '${DEFAULT_BUCKETS_JSON}'::jsonb)) b
               WHERE (b->>'fromDays')::int <= g.days_past_due
                 AND (b->>'toDays' IS NULL OR (b->>'toDays')::int >= g.days_past_due)
               ORDER BY (b->>'fromDays')::int LIMIT 1),
             '${UNCLASSIFIED_BUCKET}') AS delinquency_bucket,
           g.asset_class,
           sum(g.loans)::int AS loans,
           sum(g.principal_receivable) AS principal_receivable,
           sum(g.interest_receivable) AS interest_receivable,
           sum(g.fee_receivable) AS fee_receivable,
           sum(g.penalty_receivable) AS penalty_receivable,
           sum(g.overdue_principal) AS overdue_principal,
           sum(g.interest_suspense) AS interest_suspense,
           sum(g.provision) AS provision
      FROM (
        SELECT l.product_id, l.currency,
               CASE WHEN l.days_past_due <= 0 THEN '0' WHEN l.days_past_due <= 30 THEN '1-30' WHEN l.days_past_due <= 60 THEN '31-60'
                    WHEN l.days_past_due <= 90 THEN '61-90' ELSE '91+' END AS dpd_band,
               l.delinquency_bucket,
               -- Only a loan without a bucket needs its days past due beyond the band.
               CASE WHEN l.delinquency_bucket IS NULL THEN l.days_past_due END AS days_past_due,
               l.asset_class,
               count(*) AS loans,
               sum(l.principal_receivable) AS principal_receivable,
               sum(l.interest_receivable) AS interest_receivable,
               sum(l.fee_receivable) AS fee_receivable,
               sum(l.penalty_receivable) AS penalty_receivable,
               coalesce(sum(l.principal_receivable) FILTER (WHERE l.days_past_due > 0), 0) AS overdue_principal,
               sum(l.interest_suspense) AS interest_suspense,
               sum(l.provision) AS provision
          FROM ${s}.loan l
         WHERE l.status IN ('active', 'overdue')
         GROUP BY 1, 2, 3, 4, 5, 6
      ) g
      JOIN ${s}.loan_product p ON p.id = g.product_id
     GROUP BY 1, 2, 3, 4, 5${date === null ? '' : ', 6'}`;
}

async function run(sql: SummarySql, statement: TenantStatement, values: unknown[]): Promise<number> {
  if ('execute' in sql) return sql.execute(statement, ...values);
  return (await sql.query(statement, values)).rowCount ?? 0;
}

/**
 * End of day's `summary` step: replaces the summary of `businessDate` with the book as the positions stand (after
 * deleting that date's rows, so a step run twice writes the same rows). The book is read by a SELECT of its own and
 * its few rows written after: an INSERT … SELECT would read the whole book in one process, a SELECT may read it
 * with the database's parallel workers. Runs in the caller's transaction; the run of that date must exist
 * (end_of_day_run). Returns the rows written.
 */
export async function writeEndOfDaySummary(sql: SummarySql, businessDate: string): Promise<number> {
  await run(sql, (s) => `DELETE FROM ${s}.end_of_day_summary WHERE business_date = $1::date`, [businessDate]);
  const book = (s: string) => `SELECT ${AS_TEXT} FROM (${bookSelect(s, null)}) book`;
  const rows = 'execute' in sql ? await sql.query<RawRow[]>(book) : (await sql.query(book)).rows as RawRow[];
  return run(sql, (s) => `
    INSERT INTO ${s}.end_of_day_summary (business_date, ${COLUMNS})
    SELECT $1::date, ${COLUMNS} FROM jsonb_to_recordset($2::jsonb) AS r(product_id uuid, currency char(3), dpd_band text, delinquency_bucket text,
           asset_class text, loans int, principal_receivable numeric, interest_receivable numeric, fee_receivable numeric, penalty_receivable numeric,
           overdue_principal numeric, interest_suspense numeric, provision numeric)`, [businessDate, JSON.stringify(rows)]);
}

interface RawRow {
  product_id: string;
  currency: string;
  dpd_band: DpdBand;
  delinquency_bucket: string;
  asset_class: string;
  loans: number;
  principal_receivable: string;
  interest_receivable: string;
  fee_receivable: string;
  penalty_receivable: string;
  overdue_principal: string;
  interest_suspense: string;
  provision: string;
}

function rowOf(raw: RawRow): SummaryRow {
  return {
    productId: raw.product_id,
    currency: raw.currency,
    dpdBand: raw.dpd_band,
    delinquencyBucket: raw.delinquency_bucket,
    assetClass: raw.asset_class,
    loans: Number(raw.loans),
    principalReceivable: new Decimal(raw.principal_receivable),
    interestReceivable: new Decimal(raw.interest_receivable),
    feeReceivable: new Decimal(raw.fee_receivable),
    penaltyReceivable: new Decimal(raw.penalty_receivable),
    overduePrincipal: new Decimal(raw.overdue_principal),
    interestSuspense: new Decimal(raw.interest_suspense),
    provision: new Decimal(raw.provision),
  };
}

/** Amounts as text, so no driver turns them into anything but exact decimals. */
const AS_TEXT = 'product_id::text, currency::text, dpd_band, delinquency_bucket, asset_class, loans, principal_receivable::text, '
  + 'interest_receivable::text, fee_receivable::text, penalty_receivable::text, overdue_principal::text, interest_suspense::text, provision::text';

/** The summary as end of day would write it now, from the current positions, without writing anything. */
export async function liveSummary(db: TenantDb | Tx, schemaName: string): Promise<SummaryRow[]> {
  const rows = await tenantSql(db, schemaName).query<RawRow[]>((s) => `SELECT ${AS_TEXT} FROM (${bookSelect(s, null)}) book`);
  return rows.map(rowOf);
}

/** The summary end of day wrote for `businessDate` (no rows when it wrote none). */
export async function storedSummary(db: TenantDb | Tx, schemaName: string, businessDate: string): Promise<SummaryRow[]> {
  const rows = await tenantSql(db, schemaName).query<RawRow[]>(
    (s) => `SELECT ${AS_TEXT} FROM ${s}.end_of_day_summary WHERE business_date = $1::date`, businessDate);
  return rows.map(rowOf);
}
