// `npm run eod` as an operator runs it: brings a tenant to a date with a summary per date (a progress bar on a
// terminal), refuses a date in the past, names a failure (tenant, date, step, loan) without a stack trace and
// exits 1, and resumes the failed run once the cause is fixed.
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import type { Runtime } from '../../src/runtime.js';
import { tenantSql } from '../../src/tenancy/tenantSql.js';
import { openTestRuntime } from '../support/harness.js';
import { breakLoan, tenantWithLoan } from '../support/endOfDayBooks.js';
import { runInTerminal, runScript, tempDataDir } from '../support/process.js';

let runtime: Runtime;
const env = () => ({ DATABASE_URL: inject('databaseUrl'), DATA_DIR: tempDataDir() });
const eod = (args: string[]) => runScript('src/cli/eod.ts', args, env());
const STACK = /^\s+at /m;

beforeAll(async () => {
  runtime = await openTestRuntime();
});
afterAll(async () => {
  await runtime.close();
});

async function businessDate(slug: string): Promise<string> {
  runtime.registry.forget(slug);
  return (await runtime.registry.findBySlug(slug))!.businessDate;
}

describe('npm run eod', () => {
  it('prints its usage, and refuses a missing tenant with exit 2', async () => {
    const help = await eod(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run eod -- --tenant SLUG \[--to YYYY-MM-DD\]/);
    const missing = await eod(['--to', '2026-01-02']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--tenant is required');
    const unknown = await eod(['--tenant', 'x', '--date', '2026-01-02']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--date'");
  }, 60_000);

  it('brings a tenant to a date with a summary per date, and never back', { timeout: 120_000 }, async () => {
    const { tenant } = await tenantWithLoan(runtime, 'eod-cli', { businessDate: '2026-01-05' });
    const result = await eod(['--tenant', tenant.slug, '--to', '2026-01-08']);
    expect(result.code, result.stderr).toBe(0);
    for (const date of ['2026-01-06', '2026-01-07', '2026-01-08']) expect(result.stdout).toMatch(new RegExp(`^${date}: completed in \\d+ ms$`, 'm'));
    expect(result.stdout).toMatch(/^ {2}replayLoans +\d+ rows +\d+ ms$/m);
    expect(result.stdout).toMatch(/^ {2}advancePositions +\d+ rows +\d+ ms$/m);
    expect(result.stdout).toMatch(/^ {2}totals: .*advancePositions \d+/m);
    expect(result.stdout).toContain(`${tenant.slug}: business date 2026-01-08`);
    expect(await businessDate(tenant.slug)).toBe('2026-01-08');
    const [run] = await tenantSql(runtime.tenantClients.forSchema(tenant.schemaName), tenant.schemaName)
      .query<{ started_by: string }[]>((s) => `SELECT started_by FROM ${s}.end_of_day_run WHERE business_date = '2026-01-08'`);
    expect(run!.started_by).toMatch(/^operator:/);

    // Without --to: the next date.
    const next = await eod(['--tenant', tenant.slug]);
    expect(next.code, next.stderr).toBe(0);
    expect(next.stdout).toMatch(/^2026-01-09: completed/m);

    const back = await eod(['--tenant', tenant.slug, '--to', '2026-01-02']);
    expect(back.code).toBe(1);
    expect(back.stderr).toContain('to: the business date is 2026-01-09: it never moves back');
    expect(back.stderr).not.toMatch(STACK);
    expect(await businessDate(tenant.slug)).toBe('2026-01-09');

    // A date that is no date is bad usage, refused before anything runs: compared as text it would run on for weeks.
    for (const to of ['2026-13-45', '2026/01/10', 'x']) {
      const typo = await eod(['--tenant', tenant.slug, '--to', to]);
      expect(typo.code, to).toBe(2);
      expect(typo.stderr).toContain('--to must be a date, YYYY-MM-DD');
    }
    expect(await businessDate(tenant.slug)).toBe('2026-01-09');

    const nobody = await eod(['--tenant', 'no-such-lender', '--to', '2026-01-02']);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toContain('NOT_FOUND: no tenant no-such-lender');
  });

  it('names a failure without a stack trace, exits 1, and resumes once the cause is fixed', { timeout: 120_000 }, async () => {
    const { tenant, loanId } = await tenantWithLoan(runtime, 'eod-cli-fail', { businessDate: '2026-01-05' });
    const mend = await breakLoan(runtime, tenant, loanId, '2026-01-07');
    const failed = await eod(['--tenant', tenant.slug, '--to', '2026-01-08']);
    expect(failed.code).toBe(1);
    expect(failed.stdout).toMatch(/^2026-01-06: completed/m);
    expect(failed.stderr).toContain(`end of day failed: tenant ${tenant.slug}, date 2026-01-07, step replayLoans, loan ${loanId}`);
    expect(failed.stderr).toContain('run the same command again');
    expect(failed.stderr).not.toMatch(STACK);
    expect(failed.stdout + failed.stderr).not.toMatch(/SELECT|\.ts:\d+/);

    await mend();
    const resumed = await eod(['--tenant', tenant.slug, '--to', '2026-01-08']);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/^2026-01-07: completed \(resumed\)/m);
    expect(resumed.stdout).toMatch(/^2026-01-08: completed in/m);
    expect(await businessDate(tenant.slug)).toBe('2026-01-08');
  });

  it('shows a progress bar of date, step and loans on a terminal', { timeout: 120_000 }, async () => {
    const { tenant } = await tenantWithLoan(runtime, 'eod-cli-bar', { businessDate: '2026-01-05' });
    const result = await runInTerminal('src/cli/eod.ts', env(), ['--tenant', tenant.slug, '--to', '2026-01-07']);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    // The bar's own line: the date, the step, the bar, loans done of the total.
    expect(result.stdout).toMatch(/2026-0\d-\d\d [a-zA-Z]+ [░█]+ \d+\/\d+ loans/);
    // The bar is cleared before each date's summary.
    expect(result.stdout).toMatch(/2026-01-06: completed in \d+ ms/);
    expect(await businessDate(tenant.slug)).toBe('2026-01-07');
  });
});
