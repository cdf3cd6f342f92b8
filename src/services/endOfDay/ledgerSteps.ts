// The classification's own journals at end of day, each one set-based statement over the loans whose figure
// moved: interest receivable held in suspense while a loan is non-performing (moved out of income when it
// stops performing or more falls due, back into income when it is paid or the loan performs again, against the
// interest written off when the loan is written off), and the
// provision per class (made against expense, released back). Each loan's `interest_suspense` and `provision` is
// its share of the ledger's account, as the receivables are, and `ledgerInvariants` checks both.
import type { PoolSql } from '../../tenancy/tenantSql.js';
import { SYSTEM_ACTORS } from '../../domain/actors.js';

/**
 * Posts, per loan, the difference between a target figure and the stored one: a journal of `kind` debiting
 * `debitRole` and crediting `creditRole` (the other way round for a decrease), and stores the target.
 * `target` and `where` are SQL over the loan `l` and the parameters from $3 on.
 */
async function postDifferences(sql: PoolSql, businessDate: string, now: Date, spec: {
  column: 'interest_suspense' | 'provision'; kind: 'suspense' | 'provision'; target: string; where: (schema: string) => string;
  /** Role names, or (debitRole) SQL over the loan's `status` naming one. */
  debitRole: string; creditRole: string; narrative: { up: string; down: string }; debitRoleSql?: string;
}, parameters: unknown[]): Promise<number> {
  const debitRole = spec.debitRoleSql ?? `'${spec.debitRole}'`;
  const { rows } = await sql.query<{ n: string }>((s) => `
    WITH c AS (
      SELECT l.id, l.currency, l.accounts, l.status, (${spec.target}) - l.${spec.column} AS change, ${spec.target} AS target
        FROM ${s}.loan l WHERE ${spec.where(s)}
    ), changed AS (
      SELECT c.*, gen_random_uuid() AS journal_id FROM c WHERE c.change <> 0
    ), stored AS (
      UPDATE ${s}.loan l SET ${spec.column} = ch.target FROM changed ch WHERE l.id = ch.id RETURNING 1
    ), journals AS (
      INSERT INTO ${s}.journal (id, loan_id, transaction_id, kind, currency, value_date, narrative, posted_by, posted_at)
      SELECT journal_id, id, NULL, '${spec.kind}', currency, $1::date,
             CASE WHEN change > 0 THEN '${spec.narrative.up}' ELSE '${spec.narrative.down}' END, '${SYSTEM_ACTORS.endOfDay}', $2::timestamptz
        FROM changed ORDER BY id
      RETURNING 1
    ), lines AS (
      INSERT INTO ${s}.journal_line (journal_id, line, account, debit, credit, loan_id, currency, value_date)
      SELECT journal_id, 1, accounts->>(CASE WHEN change > 0 THEN ${debitRole} ELSE '${spec.creditRole}' END), abs(change), 0, id, currency, $1::date FROM changed
      UNION ALL
      SELECT journal_id, 2, accounts->>(CASE WHEN change > 0 THEN '${spec.creditRole}' ELSE ${debitRole} END), 0, abs(change), id, currency, $1::date FROM changed
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM stored)::text AS n, (SELECT count(*) FROM journals), (SELECT count(*) FROM lines)`,
  [businessDate, now.toISOString(), ...parameters]);
  return Number(rows[0]!.n);
}

/**
 * Interest receivable of non-accrual loans moves to suspense; what no longer is, comes back. Non-accrual is the
 * policy's rule (`nonAccrualRule`): a class the loan carries, or days past due from a threshold.
 */
export function postInterestSuspense(sql: PoolSql, businessDate: string, now: Date, rule: { classes: readonly string[]; fromDaysPastDue: number | null }): Promise<number> {
  const nonAccrual = `(l.asset_class = ANY($3::text[]) OR ($4::int IS NOT NULL AND l.days_past_due >= $4::int))`;
  return postDifferences(sql, businessDate, now, {
    column: 'interest_suspense', kind: 'suspense',
    target: `CASE WHEN l.status IN ('active', 'overdue') AND ${nonAccrual} THEN l.interest_receivable ELSE 0 END`,
    // Non-accrual loans carry a class or are overdue: found through those indexes, with those holding suspense.
    where: (s) => `l.id IN (SELECT id FROM ${s}.loan WHERE own_class <> 'STANDARD' OR asset_class <> 'STANDARD'
                            UNION SELECT id FROM ${s}.loan WHERE oldest_due_date IS NOT NULL
                            UNION SELECT id FROM ${s}.loan WHERE interest_suspense <> 0)`,
    debitRole: 'interestIncome', creditRole: 'interestSuspense',
    // A loan written off: its suspended interest goes against the interest written off, never into income.
    debitRoleSql: `CASE WHEN status = 'written_off' THEN 'interestWrittenOff' ELSE 'interestIncome' END`,
    narrative: { up: 'Interest moved to suspense', down: 'Interest released from suspense' },
  }, [rule.classes, rule.fromDaysPastDue]);
}

/**
 * The provision of each loan: its class's percentage of its exposure (receivables less interest in suspense),
 * rounded half up to the currency's minor unit; a closed loan holds none.
 */
export function postProvisions(
  sql: PoolSql, businessDate: string, now: Date, percentByClass: Record<string, string>, minorUnitsByCurrency: Record<string, number>,
  /** Loans brought up to date on or after this date (postings since the last run, this run) can have a new exposure. */
  changedSince: string, everyLoan: boolean,
): Promise<number> {
  const exposure = `(l.principal_receivable + l.interest_receivable + l.fee_receivable + l.penalty_receivable - l.interest_suspense)`;
  return postDifferences(sql, businessDate, now, {
    column: 'provision', kind: 'provision',
    target: `CASE WHEN l.status IN ('active', 'overdue')
                  THEN round(${exposure} * coalesce(($3::jsonb->>l.asset_class)::numeric, 0) / 100, coalesce(($4::jsonb->>l.currency)::int, 2))
                  ELSE 0 END`,
    // A provision moves with the exposure or the class: loans brought up to date since the last run, classified or
    // reclassified loans, those holding suspense, and closed loans still holding one — or all after a policy change.
    // (An OR with the flag would make the planner read the whole book; the statement is built for the case.)
    where: (s) => everyLoan ? `($6::boolean OR $5::date IS NULL)` : `NOT $6::boolean AND l.id IN (
        SELECT id FROM ${s}.loan WHERE as_of >= $5::date
        UNION SELECT id FROM ${s}.loan WHERE own_class <> 'STANDARD' OR asset_class <> 'STANDARD'
        UNION SELECT loan_id FROM ${s}.loan_delinquency_change WHERE business_date = $1::date
        UNION SELECT id FROM ${s}.loan WHERE interest_suspense <> 0
        UNION SELECT id FROM ${s}.loan WHERE provision <> 0 AND status NOT IN ('active', 'overdue'))`,
    debitRole: 'provisionExpense', creditRole: 'loanLossAllowance',
    narrative: { up: 'Provision made', down: 'Provision released' },
  }, [JSON.stringify(percentByClass), JSON.stringify(minorUnitsByCurrency), changedSince, everyLoan]);
}
