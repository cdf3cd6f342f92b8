// The load scenarios (load-tests/, run by Artillery's own command line) for a few seconds each at a low rate
// against the gateway started as an operator starts it (src/main.ts, its own process, on the run's database),
// prepared by the same setup `npm run load:setup` runs. What is asserted is what the engine's JSON report says was
// done and answered, never how fast: every scenario made requests, every answer was HTTP 200 without GraphQL
// errors or refusals, dashboards received the events of payments posted meanwhile, and the engine tried no
// connection beyond this machine. A 200 carrying GraphQL errors fails a run: the control below shows it does.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { engineInstalled, LOAD_TESTS, runScenario, type ScenarioName } from '../../load-tests/artillery.js';
import { figuresOf, type RunFigures } from '../../load-tests/report.js';
import { prepareTarget, writeTarget, type PreparedTarget } from '../../load-tests/target.js';
import { uniqueSlug } from '../support/harness.js';
import { freePort } from '../support/ports.js';
import { startServer, tempDataDir, type RunningServer } from '../support/process.js';

const installed = engineInstalled();
if (!installed && process.env['CI']) {
  throw new Error('Artillery is not installed in load-tests/: the load smoke test is required in CI (scripts/test-prerequisites.sh runs npm ci --prefix load-tests)');
}

/** The requests each scenario's file names, all of which must have been made and answered. */
const REQUESTS: Record<Exclude<ScenarioName, 'subscriptions'>, string[]> = {
  'partner-submissions': ['createApplication', 'partnerApplications', 'readApplication'],
  'single-payments': ['postRepayment'],
  'bulk-payments': ['postRepayments'],
  'dashboard-reads': ['loanWithSchedule', 'loansPage'],
};
const PAYMENT_FILE_ROWS = 20;
const EVENTS_PER_DASHBOARD = 5;

/** Every virtual user completed, every request was answered 200, nothing failed and nothing left the machine. */
function expectClean(figures: RunFigures, output: string): void {
  expect(figures.exitCode, output.slice(-3000)).toBe(0);
  expect(figures.errors).toEqual({});
  expect(figures.vusers.created).toBeGreaterThan(0);
  expect(figures.vusers.failed).toBe(0);
  expect(figures.vusers.completed).toBe(figures.vusers.created);
  expect(figures.graphqlErrors).toBe(0);
  expect(figures.userErrors).toBe(0);
  expect(figures.httpResponses).toBe(figures.httpRequests);
  for (const request of figures.requests) expect(request.codes, request.name).toEqual({ 200: request.answered });
  expect(figures.requests.reduce((sum, r) => sum + r.answered, 0)).toBe(figures.httpResponses);
  expect(figures.checks.length).toBeGreaterThan(0);
  expect(figures.checks.filter((check) => check.startsWith('fail'))).toEqual([]);
  expect(figures.refusedConnections).toEqual([]);
  expect(output).not.toMatch(/telemetry is on/i);
}

describe.skipIf(!installed)('load scenarios, briefly (Artillery)', () => {
  let server: RunningServer;
  let prepared: PreparedTarget;
  let workDir: string;
  /** Every run, started together once the target is ready (each scenario's engine takes seconds to start). */
  const runs = new Map<string, Promise<{ figures: RunFigures; output: string }[]>>();
  const resultOf = (key: string) => runs.get(key) ?? Promise.reject(new Error(`no run ${key}: the setup failed`));

  beforeAll(async () => {
    const dataDir = tempDataDir();
    const port = await freePort();
    server = await startServer({
      DATABASE_URL: inject('databaseUrl'), DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info',
      // The scenarios' actors each send from one token; the per-principal limits have tests of their own.
      RATE_LIMIT_PER_MINUTE: '0',
      // The development issuer signs the scenarios' tokens, whatever identity provider the test run has (empty is unset).
      KEYCLOAK_URL: '',
    });
    prepared = await prepareTarget({
      target: `http://127.0.0.1:${port}`, tenant: uniqueSlug('load'), createTenant: true, loans: 20, partnerCode: 'load-tests', tokenTtlSeconds: 3600,
      tokens: { kind: 'development', dataDir, audience: 'lendgraph-api' },
    });
    workDir = tempDataDir();
    const targetFile = path.join(workDir, 'target.json');
    writeTarget(prepared, targetFile);
    // The control: the loan officer's token where the servicing agent's belongs, so postRepayment answers 200
    // with FORBIDDEN.
    const forbidden = path.join(workDir, 'forbidden.json');
    writeTarget({ config: { ...prepared.config, variables: { ...prepared.config.variables, servicingToken: prepared.config.variables.dashboardToken } } }, forbidden);
    const start = (key: string, name: ScenarioName, file: string) => {
      const result = runScenario(name, { environment: 'smoke', targetFile: file, reportDir: path.join(workDir, 'reports', key), loopbackOnly: true })
        .then(({ runs: done }) => done.map((one) => ({ figures: figuresOf(one), output: one.output })));
      result.catch(() => {}); // awaited by its test
      runs.set(key, result);
    };
    for (const name of [...Object.keys(REQUESTS), 'subscriptions'] as ScenarioName[]) start(name, name, targetFile);
    start('forbidden', 'single-payments', forbidden);
  }, 180_000);

  afterAll(async () => {
    await Promise.allSettled(runs.values());
    if (!server) return;
    server.child.kill('SIGTERM');
    await server.exited;
  });

  it.each(Object.keys(REQUESTS) as (keyof typeof REQUESTS)[])('%s: requests made and every answer HTTP 200 without GraphQL errors', async (name) => {
    const [only] = await resultOf(name);
    const { figures, output } = only!;
    expectClean(figures, output);
    expect(figures.requests.map((r) => r.name)).toEqual(REQUESTS[name]);
    for (const request of figures.requests) expect(request.answered, request.name).toBeGreaterThan(0);
    if (name === 'bulk-payments') expect(figures.paymentsInFiles).toBe(figures.requests[0]!.answered * PAYMENT_FILE_ROWS);
  }, 120_000);

  it('subscriptions: every dashboard receives loan events over graphql-ws while payments post', async () => {
    const [dashboards, payments] = await resultOf('subscriptions');
    expectClean(dashboards!.figures, dashboards!.output);
    expectClean(payments!.figures, payments!.output);
    const { figures } = dashboards!;
    expect(figures.websocket.sent).toBeGreaterThan(0);
    // connection_ack for each; then each dashboard ends once the events it asked for have come.
    expect(figures.websocket.received).toBe(figures.vusers.created);
    expect(figures.eventsReceived).toBe(figures.vusers.created * EVENTS_PER_DASHBOARD);
    expect(figures.eventDelivery?.count).toBe(figures.eventsReceived);
    expect(payments!.figures.requests.map((r) => [r.name, r.answered > 0])).toEqual([['postRepayment', true]]);
  }, 180_000);

  it('a run whose answers are HTTP 200 carrying GraphQL errors fails, each error counted', async () => {
    const [only] = await resultOf('forbidden');
    const { figures } = only!;
    expect(figures.exitCode).toBe(1);
    expect(figures.requests[0]!.codes).toEqual({ 200: figures.requests[0]!.answered });
    expect(figures.vusers.failed).toBe(figures.vusers.created);
    expect(figures.errors).toEqual({ 'GraphQL error FORBIDDEN': figures.vusers.created });
    expect(figures.graphqlErrors).toBe(figures.vusers.created);
    expect(figures.checks).toEqual(['fail: maxErrorRate < 0']);
  }, 120_000);

  it('the guard the engine runs under refuses, and names, a connection beyond this machine', async () => {
    // What Artillery's telemetry would send, were it on: refused before any name is looked up.
    const child = spawn(process.execPath, ['--import', path.join(LOAD_TESTS, 'loopbackOnly.mts'), '--input-type=module', '-e',
      "await fetch('https://us.i.posthog.com/i/v0/e/').then(() => console.log('connected'), (e) => console.log(String(e.cause?.message)))"], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    expect(await new Promise((resolve) => child.once('exit', resolve))).toBe(0);
    expect(stderr).toContain('loopback-only: refused a connection to us.i.posthog.com:443');
    expect(stdout).toContain('load tests against this machine connect nowhere else');
  });
});
