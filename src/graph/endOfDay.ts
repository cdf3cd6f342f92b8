// End of day over the API (docs/end-of-day.md, "Running it"): the lender's runs, newest first, and two
// mutations that run it now — `runEndOfDay` up to a date, and `advanceSandboxClock` for a sandbox tenant, which
// walks its loans through days, months or a whole term in one call, as a payment provider's test clock does.
// Both run synchronously through the same runner as the schedule and the command line; the date never moves back.
import { AppError, InvalidField } from '../errors.js';
import { addDays } from '../domain/calendar.js';
import { builder } from './builder.js';
import type { GraphContext } from './context.js';
import { storedEnum } from './enums.js';
import { connectionTypes, keysetConnection } from './pagination.js';
import { payloadType } from './payloads.js';
import { LIST_SIZES } from './limits.js';
import { TenantRef } from './tenant.js';
import { END_OF_DAY_STEPS, EndOfDayFailure, runEndOfDay } from '../services/endOfDay/run.js';
import { endOfDayRunStatus } from '../services/endOfDay/runStatus.js';
import type { TenantDb } from '../tenancy/tenantClients.js';
import type { TenantRecord } from '../tenancy/registry.js';
import { businessDateOf, dateColumn } from '../tenancy/dateColumns.js';

/** The run's steps in the order it takes them. */
const STEP_ORDER = END_OF_DAY_STEPS.map((step) => step.name);

type RunRow = Awaited<ReturnType<TenantDb['endOfDayRun']['findUniqueOrThrow']>>;
interface RunFailure { step: string; loanId: string | null; message: string }

/** The most dates one advanceSandboxClock or runEndOfDay call walks: a year, leap day included (the schedule and
 * `npm run eod` have no such bound). */
export const MAX_SANDBOX_DAYS = 366;

// A run's steps are the runner's handful; a call's runs are its dates, and a run it resumed first.
const MAX_STEPS = 16;
LIST_SIZES['EndOfDayRun.steps'] = MAX_STEPS;
LIST_SIZES['EndOfDayRun.totals'] = MAX_STEPS;
LIST_SIZES['RunEndOfDayPayload.endOfDayRuns'] = MAX_SANDBOX_DAYS + 1;
LIST_SIZES['AdvanceSandboxClockPayload.endOfDayRuns'] = MAX_SANDBOX_DAYS + 1;

const EndOfDayRunStatusEnum = storedEnum('EndOfDayRunStatus', 'Where a run for one date stands.', {
  running: 'Being run now: a process holds the tenant\'s end-of-day lock.',
  interrupted: 'Cut short: the process running it stopped (killed, crashed, its machine lost) and none runs it now. The books are part-way to the date; the next start resumes it from the step it reached — runEndOfDay, advanceSandboxClock, `npm run eod`, or the schedule\'s retry of its job.',
  completed: 'Every step done; the books are as of the date.',
  failed: 'Stopped at a step (`failure` says which); running again resumes it.',
});

const EndOfDayRunRef = builder.objectRef<RunRow>('EndOfDayRun');
const EndOfDayFailureRef = builder.objectRef<RunFailure>('EndOfDayFailure');
const EndOfDayStepTotalRef = builder.objectRef<{ step: string; rows: number }>('EndOfDayStepTotal');
const EndOfDayStepRef = builder.objectRef<{ step: string; rows: number; completedAt: Date }>('EndOfDayStep');

EndOfDayFailureRef.implement({
  description: 'Why a run stopped: never a stack trace or SQL.',
  authScopes: { can: 'endOfDay.read' },
  fields: (t) => ({
    step: t.exposeString('step', { description: 'The step that stopped.' }),
    loanId: t.globalID({ nullable: true, description: 'The loan that caused it, when one did.', resolve: (f) => (f.loanId ? { type: 'Loan', id: f.loanId } : null) }),
    message: t.exposeString('message', { description: 'What went wrong, for the operator.' }),
  }),
});

EndOfDayStepTotalRef.implement({
  description: 'What one step did over the run.',
  authScopes: { can: 'endOfDay.read' },
  fields: (t) => ({
    step: t.exposeString('step', { description: 'The step.' }),
    rows: t.exposeInt('rows', { description: 'Rows it touched: applications expired, loans replayed, positions moved…' }),
  }),
});

EndOfDayStepRef.implement({
  description: 'A step of a run that has completed.',
  authScopes: { can: 'endOfDay.read' },
  fields: (t) => ({
    step: t.exposeString('step', { description: 'The step.' }),
    rows: t.exposeInt('rows', { description: 'Rows it touched.' }),
    completedAt: t.field({ type: 'DateTime', description: 'When it completed.', resolve: (s) => s.completedAt }),
  }),
});

EndOfDayRunRef.implement({
  description: 'End of day for one business date: the lender\'s books brought from the date before to this one.',
  authScopes: { can: 'endOfDay.read' },
  fields: (t) => ({
    businessDate: t.field({ type: 'Date', description: 'The date the run brought the books to.', resolve: (r) => businessDateOf(r.businessDate) }),
    previousDate: t.field({ type: 'Date', description: 'The business date before it.', resolve: (r) => businessDateOf(r.previousDate) }),
    status: t.field({
      type: EndOfDayRunStatusEnum, description: 'Running, interrupted, completed or failed.',
      resolve: (r, _args, context) => endOfDayRunStatus(context.runtime.pool, context.db!, context.tenant!.id, r),
    }),
    startedBy: t.exposeString('startedBy', { description: 'Who started it: a user\'s subject, an operator at the command line, or the schedule.' }),
    startedAt: t.field({ type: 'DateTime', description: 'When it first started.', resolve: (r) => r.startedAt }),
    finishedAt: t.field({ type: 'DateTime', nullable: true, description: 'When it completed.', resolve: (r) => r.finishedAt }),
    attempts: t.exposeInt('attempts', { description: 'How many times it was started (a failed or cut-short run is resumed).' }),
    failure: t.field({ type: EndOfDayFailureRef, nullable: true, description: 'Why it stopped, while it is failed.', resolve: (r) => (r.failure as RunFailure | null) ?? null }),
    totals: t.field({
      type: [EndOfDayStepTotalRef], description: 'What each step did, once the run completed.',
      resolve: (r) => Object.entries((r.totals ?? {}) as Record<string, number>).map(([step, rows]) => ({ step, rows })),
    }),
    steps: t.field({
      type: [EndOfDayStepRef], description: 'The steps completed so far, in the order the run takes them.',
      resolve: async (r, _args, context) => {
        const steps = await context.db!.endOfDayStep.findMany({ where: { businessDate: r.businessDate, part: 0 }, orderBy: [{ completedAt: 'asc' }, { step: 'asc' }] });
        // Two quick steps can complete within the same millisecond: the run's own order decides, not the clock.
        const order = (step: string) => STEP_ORDER.indexOf(step) === -1 ? STEP_ORDER.length : STEP_ORDER.indexOf(step);
        return steps.sort((a, b) => order(a.step) - order(b.step)).map((s) => ({ step: s.step, rows: s.rows, completedAt: s.completedAt }));
      },
    }),
  }),
});

const DATE_KEY = /^\d{4}-\d{2}-\d{2}$/;

builder.queryFields((t) => ({
  endOfDayRuns: t.connection({
    type: EndOfDayRunRef,
    description: 'The lender\'s end-of-day runs, newest date first.',
    authScopes: { can: 'endOfDay.read' },
    resolve: (_root, args, context) => keysetConnection(context, args, (r: RunRow) => businessDateOf(r.businessDate), DATE_KEY, ({ before, after, limit, inverted }) => {
      const range: Record<string, Date> = {};
      if (after !== undefined) range['lt'] = dateColumn(after);
      if (before !== undefined) range['gt'] = dateColumn(before);
      return context.db!.endOfDayRun.findMany({ where: { businessDate: range }, orderBy: { businessDate: inverted ? 'asc' : 'desc' }, take: limit });
    }),
  }, ...connectionTypes('EndOfDayRun')),
  endOfDayRun: t.field({
    type: EndOfDayRunRef,
    nullable: true,
    description: 'The run for one business date, if there is one.',
    authScopes: { can: 'endOfDay.read' },
    args: { businessDate: t.arg({ type: 'Date', required: true, description: 'The date the run brought the books to.' }) },
    resolve: (_root, args, context) => context.db!.endOfDayRun.findUnique({ where: { businessDate: dateColumn(String(args.businessDate)) } }),
  }),
}));

/** Runs end of day for the caller's tenant up to `to`; a failure is the caller's to act on, named. */
async function runFor(context: GraphContext, to: string | undefined): Promise<{ endOfDayRuns: RunRow[]; tenant: TenantRecord }> {
  const { runtime } = context;
  const slug = context.tenant!.slug;
  let dates: string[];
  try {
    const principal = context.principal!;
    const outcomes = await runEndOfDay(runtime, slug, {
      ...(to ? { to } : {}), startedBy: principal.subject, request: { roles: principal.roles, clientId: principal.clientId, requestId: context.requestId },
    });
    dates = outcomes.map((o) => o.businessDate);
  } catch (error) {
    if (error instanceof EndOfDayFailure) {
      throw new AppError('CONFLICT', error.message, { reason: 'END_OF_DAY_FAILED', businessDate: error.businessDate, step: error.step });
    }
    throw error;
  }
  const db = runtime.tenantClients.forTenant(context.tenant!);
  const runs = await db.endOfDayRun.findMany({ where: { businessDate: { in: dates.map(dateColumn) } }, orderBy: { businessDate: 'asc' } });
  runtime.registry.forget(slug);
  return { endOfDayRuns: runs, tenant: (await runtime.registry.findBySlug(slug))! };
}

const RunEndOfDayPayload = payloadType<{ endOfDayRuns: RunRow[] }>('runEndOfDay', 'The runs made, one per date, oldest first.', (t) => ({
  endOfDayRuns: t.field({ type: [EndOfDayRunRef], nullable: true, description: 'One run per date brought to, oldest first (a resumed run included).', resolve: (p) => p.endOfDayRuns ?? null }),
}));

builder.mutationField('runEndOfDay', (t) =>
  t.field({
    type: RunEndOfDayPayload,
    description: 'Runs the lender\'s end of day now, one date at a time, up to `to` (the next date when absent), resuming a run that failed. It also runs by itself after each local midnight. The date never moves back.',
    authScopes: { can: 'endOfDay.run' },
    args: { input: t.arg({ type: builder.inputType('RunEndOfDayInput', {
      description: 'How far to run.',
      fields: (f) => ({ to: f.field({ type: 'Date', required: false, description: `The date to bring the books to: on or after the business date, at most ${MAX_SANDBOX_DAYS} days after it.` }) }),
    }), required: true, description: 'How far to run.' }) },
    resolve: async (_root, { input }, context) => {
      const to = input.to ? String(input.to) : undefined;
      if (to !== undefined && to > addDays(context.tenant!.businessDate, MAX_SANDBOX_DAYS)) {
        throw new InvalidField('to', `to may be at most ${MAX_SANDBOX_DAYS} days after the business date; run again for more (the command line has no bound)`);
      }
      return { endOfDayRuns: (await runFor(context, to)).endOfDayRuns };
    },
  }),
);

const AdvanceSandboxClockPayload = payloadType<{ tenant: TenantRecord; endOfDayRuns: RunRow[] }>('advanceSandboxClock', 'The sandbox tenant at its new date, and the runs that brought it there.', (t) => ({
  tenant: t.field({ type: TenantRef, nullable: true, description: 'The tenant, at its new business date.', resolve: (p) => p.tenant ?? null }),
  endOfDayRuns: t.field({ type: [EndOfDayRunRef], nullable: true, description: 'One run per date, oldest first.', resolve: (p) => p.endOfDayRuns ?? null }),
}));

builder.mutationField('advanceSandboxClock', (t) =>
  t.field({
    type: AdvanceSandboxClockPayload,
    description: 'Moves a sandbox tenant\'s business date forward by `days`, running end of day for each date on the way — instalments fall due, loans go overdue and are classified — so a loan\'s whole life can be walked in a few calls. Sandbox tenants only; never backwards.',
    authScopes: { can: 'endOfDay.run' },
    args: { input: t.arg({ type: builder.inputType('AdvanceSandboxClockInput', {
      description: 'How far to move the clock.',
      fields: (f) => ({ days: f.int({ required: true, description: `Days to move forward, 1 to ${MAX_SANDBOX_DAYS}.` }) }),
    }), required: true, description: 'How far to move the clock.' }) },
    resolve: async (_root, { input }, context) => {
      const tenant = context.tenant!;
      if (!tenant.sandbox) {
        throw new AppError('CONFLICT', 'only a sandbox tenant\'s clock can be advanced: a lender\'s date moves only by its end of day', { field: 'input.days', reason: 'PRODUCTION_TENANT' });
      }
      if (!Number.isInteger(input.days) || input.days < 1 || input.days > MAX_SANDBOX_DAYS) throw new InvalidField('days', `days must be between 1 and ${MAX_SANDBOX_DAYS}`);
      return runFor(context, addDays(tenant.businessDate, input.days));
    },
  }),
);
