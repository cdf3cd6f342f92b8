// `npm run eod -- --tenant SLUG [--to YYYY-MM-DD]`: runs a tenant's end of day now, as an operator does to catch a
// tenant up or to resume a run that failed (docs/end-of-day.md, "Running it"). A progress bar on a terminal
// (date, step, loans done of the step's total), then a summary per date: the rows each step touched and how long
// it took. A failure is named — tenant, date, step and loan — without a stack trace; exit 1.
import cliProgress from 'cli-progress';
import { cliSetup, commandLine } from './open.js';
import { isBusinessDate } from '../domain/businessDate.js';
import { openRuntime } from '../runtime.js';
import { createLogger } from '../log.js';
import { AppError, InvalidField } from '../errors.js';
import { addDays } from '../domain/calendar.js';
import { EndOfDayFailure, runEndOfDay, type EndOfDayOutcome, type EndOfDayProgress } from '../services/endOfDay/run.js';

const USAGE = `usage: npm run eod -- --tenant SLUG [--to YYYY-MM-DD]

Brings the tenant's books from its business date to --to (the next date when absent), one date at a time,
resuming a run left unfinished. The date never moves back.

Exit codes: 0 every date completed (or --help), 1 a run failed or was refused, 2 bad usage or configuration.
`;

const { values, usageError } = commandLine(USAGE, { tenant: { type: 'string' }, to: { type: 'string' } });
const slug: string = values.tenant || usageError('--tenant is required');
// Checked before anything runs: dates compare as text, so a mistyped one (2026-13-45, 2026/12/10) would run end of
// day date after date until the text compared past it, moving the books forward for good.
if (values.to !== undefined && !isBusinessDate(values.to)) usageError(`--to must be a date, YYYY-MM-DD (not ${JSON.stringify(values.to.slice(0, 40))})`);

const { config, log } = cliSetup();
// The runner logs a failure with its cause for the server's log; here the operator reads the failure itself, so
// the log is off unless LOG_LEVEL asks for it.
const runtime = await openRuntime(config, process.env['LOG_LEVEL'] ? log : createLogger('silent'), { migrate: false });
const interactive = process.stdout.isTTY === true && !process.env['CI'];
const bar = interactive
  ? new cliProgress.SingleBar({ format: '{date} {step} {bar} {value}/{total} loans', hideCursor: true, clearOnComplete: true }, cliProgress.Presets.shades_classic)
  : null;
let shown: string | null = null;

function progress(p: EndOfDayProgress): void {
  if (!bar) return;
  const total = p.total ?? Math.max(p.done, 1);
  const where = `${p.businessDate} ${p.step}`;
  if (shown === null) bar.start(total, p.done, { date: p.businessDate, step: p.step });
  else if (shown !== where) bar.setTotal(total);
  shown = where;
  bar.setTotal(total);
  bar.update(p.done, { date: p.businessDate, step: p.step });
}

function summary(outcome: EndOfDayOutcome): string {
  const ms = outcome.steps.reduce((sum, s) => sum + s.ms, 0);
  const width = Math.max(...outcome.steps.map((s) => s.step.length));
  const lines = [`${outcome.businessDate}: completed${outcome.resumed ? ' (resumed)' : ''} in ${ms} ms`];
  for (const step of outcome.steps) {
    lines.push(`  ${step.step.padEnd(width)}  ${step.skipped ? 'done before' : `${step.rows} rows  ${step.ms} ms`}`);
  }
  const totals = Object.entries(outcome.totals).map(([step, rows]) => `${step} ${rows}`).join(', ');
  lines.push(`  totals: ${totals || 'nothing to do'}`);
  return `${lines.join('\n')}\n`;
}

function report(outcomes: EndOfDayOutcome[]): void {
  if (bar && shown !== null) {
    bar.stop();
    shown = null;
  }
  for (const outcome of outcomes) process.stdout.write(summary(outcome));
}

try {
  const options = { startedBy: `operator:${process.env['USER'] ?? 'cli'}`, onProgress: progress };
  if (values.to === undefined) {
    report(await runEndOfDay(runtime, slug, options));
  } else {
    // A date at a time, so each date's summary shows as it completes.
    for (;;) {
      runtime.registry.forget(slug);
      const tenant = await runtime.registry.findBySlug(slug);
      const next = tenant && tenant.businessDate < values.to ? addDays(tenant.businessDate, 1) : values.to;
      report(await runEndOfDay(runtime, slug, { ...options, to: next }));
      if (next >= values.to) break;
    }
  }
  runtime.registry.forget(slug);
  process.stdout.write(`${slug}: business date ${(await runtime.registry.findBySlug(slug))!.businessDate}\n`);
} catch (error) {
  bar?.stop();
  if (error instanceof EndOfDayFailure) {
    process.stderr.write(`end of day failed: tenant ${error.tenant}, date ${error.businessDate}, step ${error.step}, loan ${error.loanId ?? '-'}\n`);
    const reason = error.message.slice(error.message.indexOf(': ') + 2);
    process.stderr.write(`  ${reason}\n  Fix the cause and run the same command again: the run resumes where it stopped.\n`);
  } else if (error instanceof InvalidField) {
    process.stderr.write(`${error.field}: ${error.message}\n`);
  } else if (error instanceof AppError) {
    process.stderr.write(`${error.code}: ${error.message}\n`);
  } else {
    process.stderr.write('end of day stopped on an internal error; run again with LOG_LEVEL=error for its details\n');
  }
  process.exitCode = 1;
} finally {
  await runtime.close();
}
