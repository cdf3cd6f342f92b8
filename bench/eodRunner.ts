// End of day as the bench calls it: one date at a time, timed by the bench, with each step's time and rows from
// what the runner returns or, where it does not say, from what it recorded (end_of_day_step: each step's
// completion, in the same transaction as its writes).
import type { Runtime } from '../src/runtime.js';
import { schemaForSlug } from '../src/tenancy/schemaNames.js';
import { poolSql } from '../src/tenancy/tenantSql.js';

export interface StepTime {
  step: string;
  seconds: number;
  /** Rows the step reported (summed over its parts); null when it reported none. */
  rows: number | null;
}

export interface DateRun {
  date: string;
  /** Wall time of the call, as the bench measured it. */
  seconds: number;
  steps: StepTime[];
  totals: Record<string, unknown>;
}

type RunEndOfDay = (runtime: Runtime, tenantSlug: string, options: { to?: string; startedBy: string }) => Promise<unknown>;

/** The runner's steps as it returned them, when it returned them per date with their milliseconds. */
function stepsReturned(result: unknown, date: string): { steps: StepTime[]; totals: Record<string, unknown> } | null {
  const dates = Array.isArray(result) ? result : (result as { dates?: unknown[]; runs?: unknown[] } | null)?.dates ?? (result as { runs?: unknown[] } | null)?.runs ?? [result];
  const run = (dates as { businessDate?: string; totals?: Record<string, unknown>; steps?: { step: string; ms?: number; rows?: number }[] }[])
    .find((d) => d && typeof d === 'object' && (d.businessDate === date || dates.length === 1));
  if (!run?.steps?.length || run.steps.some((st) => typeof st.ms !== 'number')) return null;
  const byStep = new Map<string, StepTime>();
  for (const st of run.steps) {
    const seen = byStep.get(st.step) ?? { step: st.step, seconds: 0, rows: null };
    seen.seconds += st.ms! / 1000;
    if (typeof st.rows === 'number') seen.rows = (seen.rows ?? 0) + st.rows;
    byStep.set(st.step, seen);
  }
  return { steps: [...byStep.values()], totals: run.totals ?? {} };
}

/** `runEndOfDay` of this build, or null when it has none yet. */
export async function runEndOfDayOf(): Promise<((runtime: Runtime, slug: string, date: string) => Promise<DateRun>) | null> {
  // By a path in a variable: the bench type-checks in a build without the runner.
  const modulePath = '../src/services/endOfDay/run.js';
  let runEndOfDay: RunEndOfDay;
  try {
    ({ runEndOfDay } = (await import(modulePath)) as { runEndOfDay: RunEndOfDay });
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND') return null;
    throw error;
  }
  return async (runtime, slug, date) => {
    const started = performance.now();
    const result = await runEndOfDay(runtime, slug, { to: date, startedBy: 'bench-eod' });
    const seconds = (performance.now() - started) / 1000;
    const returned = stepsReturned(result, date);
    if (returned) return { date, seconds, ...returned };
    // From the record: each step's time is from the previous completion (the run's start for the first).
    const sql = poolSql(runtime.pool, schemaForSlug(slug));
    const record = (await sql.query<{ started_at: Date; totals: Record<string, unknown> }>((s) => `SELECT started_at, totals FROM ${s}.end_of_day_run WHERE business_date = $1::date`, [date])).rows[0];
    const steps = (await sql.query<{ step: string; rows: number; completed_at: Date }>((s) => `SELECT step, rows, completed_at FROM ${s}.end_of_day_step WHERE business_date = $1::date ORDER BY completed_at, part`, [date])).rows;
    const byStep = new Map<string, StepTime>();
    let previous = record?.started_at.getTime() ?? steps[0]?.completed_at.getTime() ?? 0;
    for (const st of steps) {
      const seen = byStep.get(st.step) ?? { step: st.step, seconds: 0, rows: 0 };
      seen.seconds += (st.completed_at.getTime() - previous) / 1000;
      seen.rows = (seen.rows ?? 0) + st.rows;
      previous = st.completed_at.getTime();
      byStep.set(st.step, seen);
    }
    return { date, seconds, steps: [...byStep.values()], totals: record?.totals ?? {} };
  };
}
