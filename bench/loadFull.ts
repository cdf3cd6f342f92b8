// `npm run load:full`: the load scenarios (load-tests/, Artillery) at their full rates, one after another (each
// once the gateway and PostgreSQL are idle again after the one before), against ONE gateway as production runs it
// (`dist/main.js`, compiled, its own process, bench/gatewayProcess.ts) on a fresh embedded PostgreSQL with a
// sandbox tenant, prepared by the same setup as `npm run load:setup` (development
// tokens, a registered partner, a book of loans). Each scenario's figures as Artillery's report gives them —
// requests per second, p50/p95/p99 by request, what failed, events received by dashboards and how long after
// their commit — with the CPU the gateway and PostgreSQL spent, and whether each threshold (its `ensure` checks)
// held, are printed and written into docs/benchmarks.md (section load). Artillery runs on the same machine: its
// CPU is taken from what the gateway could have had, so latencies are upper bounds.
//
// Options: --loans N (default 500) loans in the book; --only a,b (these scenarios only); --no-record (leave
// docs/benchmarks.md as it is). Exit 1 when a scenario failed an answer or a threshold (the section is written all
// the same). Record only on a quiet machine: the load average before and after is written beside the figures.
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { engineInstalled, engineVersion, runScenario, SCENARIO_NAMES, type ScenarioName } from '../load-tests/artillery.js';
import { describeRun, figuresOf, type Latency, type RunFigures } from '../load-tests/report.js';
import { prepareTarget, writeTarget } from '../load-tests/target.js';
import { benchDatabase } from './benchDatabase.js';
import { cpuSeconds, postgresCpuSeconds, runBench, startGatewayProcess } from './gatewayProcess.js';
import { commitOf, machine, publishSection } from './record.js';

const { values } = parseArgs({
  options: {
    loans: { type: 'string', default: '500' },
    only: { type: 'string' },
    'no-record': { type: 'boolean', default: false },
  },
});
const LOANS = Number(values.loans);
const TENANT = 'load-full';
const say = (text: string) => process.stdout.write(`${text}\n`);

const WHAT: Record<ScenarioName, string> = {
  'partner-submissions': 'an origination partner submits an application (decided at once), reads it back, reads its page of applications',
  'single-payments': 'a servicing agent posts one repayment',
  'bulk-payments': 'finance posts a payment file of 1,000 repayments',
  'dashboard-reads': 'a loan officer reads the page of active loans, then a loan with its schedule',
  subscriptions: 'dashboards follow loan events over graphql-ws while single payments post',
};


/**
 * Waits until the gateway and PostgreSQL are idle (under 5 % of a core together for 3 s in a row, at most 120 s),
 * so each scenario is measured on its own rather than in the wake of the one before (autovacuum after a run of
 * postings, jobs catching up); answers how many seconds that took.
 */
async function settle(gatewayPid: number, postmaster: number): Promise<number> {
  const started = Date.now();
  let quiet = 0;
  let last = cpuSeconds(gatewayPid) + postgresCpuSeconds(postmaster);
  while (quiet < 3 && Date.now() - started < 120_000) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const now = cpuSeconds(gatewayPid) + postgresCpuSeconds(postmaster);
    quiet = now - last < 0.05 ? quiet + 1 : 0;
    last = now;
  }
  return (Date.now() - started) / 1000;
}

const ms = (value: number | undefined) => (value === undefined ? '—' : `${value < 10 ? value.toFixed(1) : Math.round(value)} ms`);
const answers = (codes: Record<string, number>) => Object.entries(codes).map(([code, count]) => `${count.toLocaleString('en-US')} × ${code}`).join(', ');
const timing = (latency: Latency | null) => (latency ? `${ms(latency.p50)} | ${ms(latency.p95)} | ${ms(latency.p99)}` : '— | — | —');

/** The `ensure` check about this figure (`ok: …` or `fail: …`), as a verdict for its row. */
function verdict(figures: RunFigures, metric: string): string {
  const check = figures.checks.find((line) => line.includes(`${metric}.p99 <`));
  if (!check) return '—';
  const limit = /<\s*(\d+)/.exec(check)?.[1];
  return `${check.startsWith('ok') ? 'met' : '**NOT met**'} (p99 < ${limit} ms)`;
}

interface Measured {
  name: ScenarioName;
  /** Seconds the gateway and PostgreSQL took to be idle before it started. */
  settled: number;
  runs: RunFigures[];
  gatewayCpu: number;
  postgresCpu: number;
}

async function run(): Promise<void> {
  if (!engineInstalled()) throw new Error('Artillery is not installed: npm ci --prefix load-tests');
  const chosen = (values.only ? values.only.split(',') : SCENARIO_NAMES) as ScenarioName[];
  for (const name of chosen) if (!SCENARIO_NAMES.includes(name)) throw new Error(`--only: no scenario ${name} (${SCENARIO_NAMES.join(', ')})`);
  const loadBefore = os.loadavg();
  const started = Date.now();
  const { root, server, postgresVersion, postmasterPid } = await benchDatabase('load', { slug: TENANT, displayName: 'Load tests' });
  const dataDir = path.join(root, 'gateway');
  const gateway = await startGatewayProcess({ dataDir, databaseUrl: server.url });
  say(`gateway ${gateway.base} (pid ${gateway.pid}); PostgreSQL ${postgresVersion}`);

  const prepared = await prepareTarget({
    target: gateway.base, tenant: TENANT, createTenant: false, loans: LOANS, partnerCode: 'load-tests', tokenTtlSeconds: 4 * 3600,
    tokens: { kind: 'development', dataDir, audience: 'lendgraph-api' }, say,
  });
  const targetFile = path.join(root, 'target.json');
  writeTarget(prepared, targetFile);

  const measured: Measured[] = [];
  for (const name of chosen) {
    const settled = await settle(gateway.pid, postmasterPid);
    say(`\n${name} (full), after ${settled.toFixed(0)} s for the gateway and PostgreSQL to be idle`);
    const cpuBefore = { gateway: cpuSeconds(gateway.pid), postgres: postgresCpuSeconds(postmasterPid) };
    const result = await runScenario(name, { environment: 'full', targetFile, reportDir: path.join(root, 'reports'), loopbackOnly: true });
    const runs = result.runs.map((one) => {
      if (!one.report) throw new Error(`${one.script}: Artillery wrote no report (exit ${one.exitCode}):\n${one.output.slice(-3000)}`);
      return figuresOf(one);
    });
    for (const figures of runs) say(describeRun(figures));
    measured.push({ name, settled, runs, gatewayCpu: cpuSeconds(gateway.pid) - cpuBefore.gateway, postgresCpu: postgresCpuSeconds(postmasterPid) - cpuBefore.postgres });
  }
  const loadAfter = os.loadavg();

  const rows: string[] = [];
  const notes: string[] = [];
  for (const { name, settled, runs, gatewayCpu, postgresCpu } of measured) {
    for (const figures of runs) {
      const label = figures.script === `${name}.yml` ? name : `${name}: ${figures.script.replace('.yml', '')} beside it`;
      const failures = Object.keys(figures.errors).length ? ` errors ${JSON.stringify(figures.errors)}` : '';
      for (const request of figures.requests) {
        rows.push(`| ${label} | \`${request.name}\` | ${answers(request.codes)} | ${(request.answered / Math.max(1, figures.seconds)).toFixed(1)} | ${timing(request.latency)} | ${verdict(figures, `response_time.${request.name}`)}${failures} |`);
      }
      if (figures.websocket.sent > 0) {
        rows.push(`| ${label} | ${figures.vusers.created} dashboards: loan events, commit → dashboard | ${figures.eventsReceived.toLocaleString('en-US')} | ${(figures.eventsReceived / Math.max(1, figures.seconds)).toFixed(1)} | ${timing(figures.eventDelivery)} | ${verdict(figures, 'lendgraph.event_delivery_ms')}${failures} |`);
      }
      if (figures.exitCode !== 0) process.exitCode = 1;
    }
    notes.push(`- ${name}: ${WHAT[name]}; ${runs.map((f) => `${f.script} ${f.vusers.created.toLocaleString('en-US')} virtual users (${f.vusers.failed} failed) over ${f.seconds.toFixed(0)} s`).join(', ')}; CPU meanwhile: gateway ${gatewayCpu.toFixed(1)} s, PostgreSQL ${postgresCpu.toFixed(1)} s; started once both had been idle for 3 s, ${settled.toFixed(0)} s after the scenario before.`);
  }
  const body = [
    '## Load scenarios (`npm run load:full`)',
    '',
    `Machine: ${machine()}. PostgreSQL ${postgresVersion} (embedded). Commit ${commitOf()}, ${new Date().toISOString()}; the run took ${((Date.now() - started) / 60_000).toFixed(1)} min.`,
    `Load average before ${loadBefore.map((v) => v.toFixed(2)).join(' ')}, after ${loadAfter.map((v) => v.toFixed(2)).join(' ')}.`,
    `One gateway (\`dist/main.js\`, compiled; its own process, default settings: pool 10, per-principal rate limits on) on a sandbox tenant with ${LOANS.toLocaleString('en-US')} loans of 50,000 USD (24 instalments, paid out 90 days before); Artillery ${engineVersion()} on the same machine runs each scenario's \`full\` phases (load-tests/scenarios/*.yml: a 10 s ramp, then 60 s sustained), one scenario at a time once the gateway and PostgreSQL are idle again, with every answer checked (HTTP 200, no GraphQL errors, no refusals). Latencies are Artillery's, to the first byte of the answer, and include the ramp; the thresholds are the scenario files' \`ensure\` checks. load-tests/README.md says what each scenario does.`,
    '',
    '| scenario | request | answers (HTTP status) | per second | p50 | p95 | p99 | threshold |',
    '|---|---|---:|---:|---:|---:|---:|---|',
    ...rows,
    '',
    ...notes,
  ].join('\n');
  publishSection('load', body, !values['no-record']);
}

await runBench(run);
