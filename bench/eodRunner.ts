// End of day as the bench calls it: one date at a time, timed by the bench, with each step's time and rows as
// the runner reports them (src/services/endOfDay/run.ts).
import type { Runtime } from '../src/runtime.js';
import { runEndOfDay } from '../src/services/endOfDay/run.js';

export interface StepTime {
  step: string;
  seconds: number;
  /** Rows the step reported. */
  rows: number | null;
}

export interface DateRun {
  date: string;
  /** Wall time of the call, as the bench measured it. */
  seconds: number;
  steps: StepTime[];
  totals: Record<string, unknown>;
}

/** Brings the tenant's books to `date` (the day after its business date) and says how long each step took. */
export async function endOfDayTo(runtime: Runtime, slug: string, date: string): Promise<DateRun> {
  const started = performance.now();
  const outcomes = await runEndOfDay(runtime, slug, { to: date, startedBy: 'bench-eod' });
  const seconds = (performance.now() - started) / 1000;
  const outcome = outcomes.find((o) => o.businessDate === date);
  if (!outcome || outcomes.length !== 1) throw new Error(`end of day to ${date} ran ${outcomes.map((o) => o.businessDate).join(', ') || 'no date'}: the bench runs one date at a time`);
  return { date, seconds, steps: outcome.steps.map((st) => ({ step: st.step, seconds: st.ms / 1000, rows: st.rows })), totals: outcome.totals };
}
