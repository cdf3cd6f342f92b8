// Background work observed where it runs: a job of the queue (pg-boss) and an end-of-day run and its steps each
// counted and timed, and each a span when tracing is on. A job or a run started by the schedule is the root of its
// own trace; one started by a request (the runEndOfDay mutation) is part of the request's.
import { SpanKind } from '@opentelemetry/api';
import {
  endOfDayProgress, endOfDayRunsFinished, endOfDayRunsInProgress, endOfDayRunsStarted, endOfDayStepDuration, endOfDayStepRows, endOfDaySteps,
  jobDuration, jobsWorked,
} from './metrics.js';
import { traced } from './tracing.js';

/** A job queue's handler, counted by outcome, timed and traced as one job of `queue`. */
export function observedJob<A extends unknown[], R>(queue: string, handler: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async (...args: A) => {
    const started = performance.now();
    try {
      const result = await traced(`job ${queue}`, { 'messaging.system': 'pg-boss', 'messaging.destination.name': queue }, () => handler(...args), SpanKind.CONSUMER);
      jobsWorked.inc({ queue, outcome: 'completed' });
      return result;
    } catch (error) {
      jobsWorked.inc({ queue, outcome: 'failed' });
      throw error;
    } finally {
      jobDuration.observe({ queue }, (performance.now() - started) / 1000);
    }
  };
}

/** One end-of-day run (a tenant brought to one date): started, in progress, finished by outcome; its span. */
export async function observedEndOfDayRun<T>(tenant: string, businessDate: string, resumed: boolean, run: () => Promise<T>): Promise<T> {
  endOfDayRunsStarted.inc({ resumed: String(resumed) });
  endOfDayRunsInProgress.inc();
  try {
    // The tenant names the trace, not a metric: traces are read one at a time.
    const outcome = await traced('end of day', { 'lendgraph.tenant': tenant, 'lendgraph.business_date': businessDate, 'lendgraph.end_of_day.resumed': resumed }, run);
    endOfDayRunsFinished.inc({ outcome: 'completed' });
    return outcome;
  } catch (error) {
    endOfDayRunsFinished.inc({ outcome: 'failed' });
    throw error;
  } finally {
    endOfDayRunsInProgress.dec();
  }
}

/** One step of a run: its outcome, duration and the rows it recorded; its span. */
export async function observedEndOfDayStep(step: string, run: () => Promise<number>): Promise<number> {
  const started = performance.now();
  try {
    const rows = await traced(`end of day ${step}`, { 'lendgraph.end_of_day.step': step }, run);
    endOfDaySteps.inc({ step, outcome: 'completed' });
    endOfDayStepDuration.observe({ step }, (performance.now() - started) / 1000);
    endOfDayStepRows.inc({ step }, rows);
    return rows;
  } catch (error) {
    endOfDaySteps.inc({ step, outcome: 'failed' });
    throw error;
  }
}

/** Counts a batched step's progress as it reports it (`done` so far, after each committed batch). */
export function endOfDayProgressOf(step: string): (done: number) => void {
  let counted = 0;
  return (done) => {
    if (done <= counted) return;
    endOfDayProgress.inc({ step }, done - counted);
    counted = done;
  };
}
