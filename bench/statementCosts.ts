// What each statement cost PostgreSQL over a stretch of a bench, from pg_stat_statements (a bench's `--statements`,
// with the server started by benchDatabase's `statementStatistics`): planning and executing per unit of work,
// statements inside functions told apart. Trials only: the figures are printed, never recorded.
import type pg from 'pg';

/** Forgets what was counted so far: the next `sayStatementCosts` covers what runs after this. */
export async function resetStatementCosts(pool: pg.Pool): Promise<void> {
  await pool.query('SELECT pg_stat_statements_reset()');
}

/** Prints the `top` dearest statements since the last reset, per `what` (a posting, a request), of which `units` ran. */
export async function sayStatementCosts(pool: pg.Pool, say: (text: string) => void, what: string, units: number, top = 14): Promise<void> {
  const rows = (await pool.query<{ query: string; calls: string; plan: number; exec: number; toplevel: boolean }>(
    `SELECT query, calls::text, total_plan_time AS plan, total_exec_time AS exec, toplevel FROM pg_stat_statements
      WHERE query NOT LIKE '%pg_stat_%' ORDER BY total_plan_time + total_exec_time DESC LIMIT $1`, [top])).rows;
  say(`  PostgreSQL per ${what}, by statement (ms planning + executing; calls per ${what}; inside a function when not top level):`);
  for (const row of rows) {
    say(`    ${((row.plan + row.exec) / units).toFixed(3)} ms (${(row.plan / units).toFixed(3)} + ${(row.exec / units).toFixed(3)}), `
      + `${(Number(row.calls) / units).toFixed(2)} calls${row.toplevel ? '' : ', inside'}: ${row.query.replace(/\s+/g, ' ').slice(0, 140)}`);
  }
}
