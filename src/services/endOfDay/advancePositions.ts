// The set-based heart of end of day: for the loans whose terms need no replay that day, one statement per batch
// moves the position to the new date — the instalment due that day falls due (its interest, fees and penalties
// become receivable and income, one accrual journal per loan, as the replay would post it), the instalment that
// fell due the day before and still owes beyond the tolerance makes the loan overdue, and days past due count on.
// A loan with nothing falling due and nothing overdue is not touched at all. A loan already brought to the date
// (by a posting that day or an earlier attempt of this run: `as_of`) is skipped, so a batch repeated after a crash
// posts nothing twice. Which loans need a replay instead is the replay's own judgement (`replay_on`,
// src/domain/servicing/replay/position.ts); the replay is the oracle these statements are tested against.
import type { PoolSql } from '../../tenancy/tenantSql.js';
import { SYSTEM_ACTORS } from '../../domain/actors.js';

/**
 * The loans that may move on `businessDate`, found once through the partial indexes (due that day, overdue, fell
 * due the day before still owing), in id order: the batches then read only these rows, never the whole book.
 */
export async function loansToAdvance(sql: PoolSql, businessDate: string): Promise<string[]> {
  // Each branch reads the rows its index finds and judges them there, so no loan is looked up a second time.
  const movable = `status IN ('active', 'overdue') AND as_of < $1::date AND (replay_on IS NULL OR replay_on > $1::date)`;
  const { rows } = await sql.query<{ id: string }>((s) => `
    SELECT id::text FROM (
      SELECT id FROM ${s}.loan WHERE next_due_date = $1::date AND ${movable}
      UNION SELECT id FROM ${s}.loan WHERE oldest_due_date IS NOT NULL AND ${movable}
      UNION SELECT id FROM ${s}.loan WHERE last_due_date = $1::date - 1 AND last_due_owing > 0 AND oldest_due_date IS NULL AND ${movable}
    ) c ORDER BY id`, [businessDate]);
  return rows.map((r) => r.id);
}

/**
 * Moves those of `ids` that still need it to `businessDate`; returns how many moved and how many had an
 * instalment fall due.
 */
export async function advancePositionsBatch(sql: PoolSql, businessDate: string, ids: readonly string[], now: Date): Promise<{ moved: number; fellDue: number; journals: number }> {
  const { rows } = await sql.query<{ moved: string; fell_due: string; journals: string }>((s) => `
    WITH moved AS (
      -- One UPDATE, every value from the row it replaces: were a posting to change the loan meanwhile, the database
      -- evaluates the row again as the posting left it (no separate read to go stale, no row locked twice).
      -- The oldest overdue instalment stays; else the last one fallen due becomes it if it still owes.
      UPDATE ${s}.loan l
         SET interest_receivable = l.interest_receivable + CASE WHEN l.next_due_date = $1::date THEN coalesce(l.upcoming_interest[l.next_instalment], 0) ELSE 0 END,
             fee_receivable = l.fee_receivable + CASE WHEN l.next_due_date = $1::date THEN coalesce(l.upcoming_fee[l.next_instalment], 0) ELSE 0 END,
             penalty_receivable = l.penalty_receivable + CASE WHEN l.next_due_date = $1::date THEN coalesce(l.upcoming_penalty[l.next_instalment], 0) ELSE 0 END,
             oldest_due_date = CASE WHEN l.oldest_due_date IS NOT NULL THEN l.oldest_due_date WHEN l.last_due_date < $1::date AND l.last_due_owing > l.tolerance THEN l.last_due_date END,
             days_past_due = coalesce($1::date - (CASE WHEN l.oldest_due_date IS NOT NULL THEN l.oldest_due_date WHEN l.last_due_date < $1::date AND l.last_due_owing > l.tolerance THEN l.last_due_date END), 0),
             status = CASE WHEN (CASE WHEN l.oldest_due_date IS NOT NULL THEN l.oldest_due_date WHEN l.last_due_date < $1::date AND l.last_due_owing > l.tolerance THEN l.last_due_date END) IS NOT NULL THEN 'overdue' ELSE l.status END,
             last_due_date = CASE WHEN l.next_due_date = $1::date THEN $1::date ELSE l.last_due_date END,
             last_due_owing = CASE WHEN l.next_due_date = $1::date THEN coalesce(l.upcoming_owing[l.next_instalment], 0) ELSE l.last_due_owing END,
             next_instalment = CASE WHEN l.next_due_date = $1::date THEN l.next_instalment + 1 ELSE l.next_instalment END,
             next_due_date = CASE WHEN l.next_due_date = $1::date THEN l.upcoming_due_dates[l.next_instalment + 1] ELSE l.next_due_date END,
             -- What the replay would do next by the terms: a late fee day after an instalment fell due, penalty
             -- interest from the day after (the replay then keeps judging for itself).
             replay_on = least(l.replay_on,
                               CASE WHEN l.next_due_date = $1::date AND l.late_fee_grace_days IS NOT NULL THEN $1::date + l.late_fee_grace_days + 1 END,
                               CASE WHEN l.next_due_date = $1::date AND l.penalty_interest THEN $1::date + 1 END),
             as_of = $1::date,
             updated_at = $3::timestamptz
       WHERE l.id = ANY($2::uuid[]) AND l.status IN ('active', 'overdue') AND l.as_of < $1::date
         AND (l.replay_on IS NULL OR l.replay_on > $1::date)
         AND (l.next_due_date = $1::date OR l.oldest_due_date IS NOT NULL
              OR (l.last_due_date = $1::date - 1 AND l.last_due_owing > l.tolerance))
      -- As the row now stands: an instalment fell due when the last due date became the date, and it was the one
      -- before the next.
      RETURNING l.id, l.currency, l.accounts, l.last_due_date = $1::date AS falls,
                CASE WHEN l.last_due_date = $1::date THEN coalesce(l.upcoming_interest[l.next_instalment - 1], 0) ELSE 0 END AS interest,
                CASE WHEN l.last_due_date = $1::date THEN coalesce(l.upcoming_fee[l.next_instalment - 1], 0) ELSE 0 END AS fee,
                CASE WHEN l.last_due_date = $1::date THEN coalesce(l.upcoming_penalty[l.next_instalment - 1], 0) ELSE 0 END AS penalty
    ), due AS (
      SELECT m.*, gen_random_uuid() AS journal_id FROM moved m WHERE m.falls AND m.interest + m.fee + m.penalty > 0
    ), new_journals AS (
      INSERT INTO ${s}.journal (id, loan_id, transaction_id, kind, currency, value_date, narrative, posted_by, posted_at)
      SELECT journal_id, id, NULL, 'accrual', currency, $1::date, 'Instalments falling due', '${SYSTEM_ACTORS.endOfDay}', $3::timestamptz
        FROM due ORDER BY id
      RETURNING 1
    ), legs AS (
      SELECT d.journal_id, d.id AS loan_id, d.currency, v.account, sum(v.amount) AS net
        FROM due d
        CROSS JOIN LATERAL (VALUES
          (d.accounts->>'interestReceivable', d.interest), (d.accounts->>'interestIncome', -d.interest),
          (d.accounts->>'feeReceivable', d.fee), (d.accounts->>'feeIncome', -d.fee),
          (d.accounts->>'penaltyReceivable', d.penalty), (d.accounts->>'penaltyIncome', -d.penalty)) AS v(account, amount)
       GROUP BY d.journal_id, d.id, d.currency, v.account
      HAVING sum(v.amount) <> 0
    ), new_lines AS (
      INSERT INTO ${s}.journal_line (journal_id, line, account, debit, credit, loan_id, currency, value_date)
      SELECT journal_id, row_number() OVER (PARTITION BY journal_id ORDER BY account COLLATE "C"), account,
             greatest(net, 0), greatest(-net, 0), loan_id, currency, $1::date
        FROM legs
      RETURNING 1
    ), part AS (
      -- The batch's own record, committed with it: the run's totals count every attempt's work once.
      INSERT INTO ${s}.end_of_day_step (business_date, step, part, rows, completed_at)
      SELECT $1::date, 'advancePositions',
             coalesce((SELECT max(part) FROM ${s}.end_of_day_step WHERE business_date = $1::date AND step = 'advancePositions'), 0) + 1,
             (SELECT count(*) FROM moved), $3::timestamptz
       WHERE EXISTS (SELECT 1 FROM moved)
      RETURNING 1
    )
    SELECT (SELECT count(*) FROM part) AS parts, (SELECT count(*) FROM moved) AS moved, (SELECT count(*) FROM moved WHERE falls) AS fell_due,
           (SELECT count(*) FROM new_journals) AS journals, (SELECT count(*) FROM new_lines) AS lines`, [businessDate, `{${ids.join(',')}}`, now.toISOString()]);
  const row = rows[0]!;
  return { moved: Number(row.moved), fellDue: Number(row.fell_due), journals: Number(row.journals) };
}
