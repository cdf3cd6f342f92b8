// `npm run bench:origination`: submission-to-decision latency for fully automated decisions.
// A partner submits complete applications over the GraphQL API (createApplication with submit: true); the
// response carries the decision, so the client's round trip is submission to decision: the application and its
// parties written, three sandbox checks, the credit policy, the decision record, and the offer. The gateway runs as
// deployed (`dist/main.js` in a process of its own, `NODE_ENV=production`, tokens from an issuer outside it) on a
// fresh embedded PostgreSQL; records p50/p95 and the CPU each side spent per application in docs/benchmarks.md.
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadOrCreateDevKey, signDevToken } from '../src/authz/devIssuer.js';
import { benchDatabase } from './benchDatabase.js';
import { cpuSeconds, postgresCpuSeconds, runBench, startGatewayProcess } from './gatewayProcess.js';
import { graphql } from './httpGraphql.js';
import { machine, percentile, recordSection } from './record.js';

const { values } = parseArgs({ options: {
  applications: { type: 'string', default: '300' }, concurrency: { type: 'string', default: '1,4' }, warmup: { type: 'string', default: '30' }, 'no-record': { type: 'boolean', default: false },
  // A CPU profile of the gateway written into this folder when it stops (bench/profileSummary.ts reads it).
  profile: { type: 'string' },
} });
const COUNT = Number(values.applications);
const LEVELS = values.concurrency!.split(',').map(Number);
const WARMUP = Number(values.warmup);
const TENANT = 'bench-origination';
const say = (text: string) => process.stdout.write(`${text}\n`);

const CREATE = 'mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application { status decisions { outcome } } userErrors { code field message } } }';
const REGISTER = 'mutation($input: RegisterPartnerInput!) { registerPartner(input: $input) { partner { code } userErrors { code field message } } }';

async function run(): Promise<void> {
  const loadBefore = os.loadavg();
  const { root, server, postgresVersion, postmasterPid } = await benchDatabase('origination', { slug: TENANT, displayName: 'Bench lender' });
  const dataDir = path.join(root, 'gateway');
  const key = await loadOrCreateDevKey(dataDir, 'test');
  // Rate limits off: one partner token sends every application, which a deployment's per-principal limit would slow.
  const nodeArgs = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(values.profile)}`] : [];
  const gateway = await startGatewayProcess({ dataDir, databaseUrl: server.url, nodeArgs, production: true, env: { JOBS_ENABLED: 'false', RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_TENANT_PER_MINUTE: '0', QUERY_COST_PER_MINUTE: '0' } });
  const admin = await signDevToken(key, { issuer: gateway.issuer, audience: 'lendgraph-api', role: 'tenant-admin', tenant: TENANT, ttlSeconds: 3600, now: new Date() });
  const registered = await graphql<{ registerPartner: { userErrors: unknown[] } }>(gateway.base, admin, REGISTER, { input: { code: 'fintech', name: 'Fintech', kind: 'ORIGINATION' } });
  if (registered.errors || registered.data!.registerPartner.userErrors.length > 0) throw new Error(`registerPartner failed: ${JSON.stringify(registered.errors ?? registered.data)}`);
  const token = await signDevToken(key, {
    issuer: gateway.issuer, audience: 'lendgraph-api', role: 'origination-partner', tenant: TENANT, partner: { id: 'fintech', kind: 'origination' }, ttlSeconds: 3600, now: new Date(),
  });
  say(`gateway ${gateway.base} (pid ${gateway.pid}); PostgreSQL ${postgresVersion}; tenant ${TENANT}`);

  let person = 0;
  /** A complete applicant with a prime bureau file: the policy approves without a person. */
  async function submit(): Promise<{ ms: number; status: string }> {
    person += 1;
    const input = {
      productCode: 'PL-STD', amount: '8000', numberOfRepayments: 24, purpose: 'home improvement', declaredMonthlyIncome: '7000', monthlyDebtPayments: '250', employer: 'Acme', submit: true,
      applicant: {
        kind: 'PERSON', legalName: `Bench Person ${person}`, email: `bench${person}+bureau-prime@example.test`, phone: `+1415${String(5_000_000 + person).padStart(7, '0')}`,
        dateOfBirth: '1984-06-01', address: { lines: ['1 Main Street'], city: 'Springfield', postalCode: '12345', country: 'US' },
        identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: `BENCH${String(person).padStart(6, '0')}` }],
      },
    };
    const reply = await graphql<{ createApplication: { application: { status: string } | null; userErrors: unknown[] } }>(gateway.base, token, CREATE, { input });
    if (reply.errors) throw new Error(`submission failed (HTTP ${reply.status}): ${JSON.stringify(reply.errors).slice(0, 500)}`);
    const answer = reply.data!.createApplication;
    if (answer.userErrors.length > 0 || !answer.application) throw new Error(`submission refused: ${JSON.stringify(answer.userErrors).slice(0, 500)}`);
    return { ms: reply.ms, status: answer.application.status };
  }

  for (let i = 0; i < WARMUP; i += 1) await submit();
  const rows: string[] = [];
  for (const width of LEVELS) {
    const latencies: number[] = [];
    const statuses = new Map<string, number>();
    let next = 0;
    const gatewayCpu = cpuSeconds(gateway.pid);
    const postgresCpu = postgresCpuSeconds(postmasterPid);
    const started = performance.now();
    await Promise.all(Array.from({ length: width }, async () => {
      while (next < COUNT) {
        next += 1;
        const { ms, status } = await submit();
        latencies.push(ms);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
    }));
    const seconds = (performance.now() - started) / 1000;
    const gatewayMs = ((cpuSeconds(gateway.pid) - gatewayCpu) * 1000) / COUNT;
    const postgresMs = ((postgresCpuSeconds(postmasterPid) - postgresCpu) * 1000) / COUNT;
    latencies.sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p95 = percentile(latencies, 95);
    const outcome = [...statuses].map(([s, n]) => `${n} ${s}`).join(', ');
    say(`${width} in flight: ${COUNT} applications in ${seconds.toFixed(1)} s (${(COUNT / seconds).toFixed(0)}/s); p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms; CPU per application: gateway ${gatewayMs.toFixed(1)} ms, PostgreSQL ${postgresMs.toFixed(1)} ms; ${outcome}`);
    rows.push(`| ${width} | ${COUNT} | ${(COUNT / seconds).toFixed(0)}/s | **${p50.toFixed(1)} ms** | **${p95.toFixed(1)} ms** | ${latencies.at(-1)!.toFixed(1)} ms | ${gatewayMs.toFixed(1)} ms | ${postgresMs.toFixed(1)} ms | ${outcome} | ${p95 < 300 ? 'met' : '**missed**'} |`);
  }

  if (!values['no-record']) {
    recordSection('origination', `## Origination (\`npm run bench:origination\`)

Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}; PostgreSQL ${postgresVersion} (embedded) on the same machine, load average
${loadBefore.map((l) => l.toFixed(1)).join(' / ')} before the bench. One gateway as deployed (\`dist/main.js\`, compiled, in its own process,
\`NODE_ENV=production\`, its tokens from an issuer outside it, rate limits off: one partner token sends every application); the
client in the bench's process. A partner submits complete applications (\`createApplication\` with \`submit: true\`, the applicant's e-mail tagged
\`+bureau-prime\`): the response carries the decision, so each round trip is submission to decision — application and
parties written (identifier hash, party match), three sandbox checks, the credit policy, the decision record and the
offer with its APR: five database transactions. Warm-up of ${WARMUP} not counted. CPU is each process's own, per application. Goal: p95 under 300 ms.

| in flight | applications | rate | p50 | p95 | max | gateway CPU | PostgreSQL CPU | outcome | goal |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}
`);
  }
}

await runBench(run);
