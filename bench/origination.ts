// `npm run bench:origination`: submission-to-decision latency for fully automated decisions.
// A partner submits complete applications over the GraphQL API (createApplication with submit: true); the
// response carries the decision, so the client's round trip is submission to decision: the application and its
// parties written, three sandbox checks, the credit policy, the decision record, and the offer. Runs on a fresh
// embedded PostgreSQL with the gateway in this process, and records p50/p95 in docs/benchmarks.md.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startEmbeddedPostgres } from '../src/tenancy/embeddedPostgres.js';
import { createPool } from '../src/tenancy/database.js';
import { loadMigrations, migrateAll } from '../src/tenancy/migrations.js';
import { openRuntime } from '../src/runtime.js';
import { startGateway } from '../src/gateway.js';
import { provisionTenant } from '../src/tenancy/provisioning.js';
import { registerPartner } from '../src/services/partners.js';
import { signDevToken } from '../src/authz/devIssuer.js';
import { freePort } from '../test/support/ports.js';
import { machine, percentile, recordSection } from './record.js';

const { values } = parseArgs({ options: {
  applications: { type: 'string', default: '300' }, concurrency: { type: 'string', default: '1,4' }, warmup: { type: 'string', default: '30' }, 'no-record': { type: 'boolean', default: false },
} });
const COUNT = Number(values.applications);
const LEVELS = values.concurrency!.split(',').map(Number);
const WARMUP = Number(values.warmup);
const say = (text: string) => process.stdout.write(`${text}\n`);

const root = mkdtempSync(path.join(tmpdir(), 'lendgraph-bench-origination-'));
chmodSync(root, 0o755);
const log = createLogger('warn');
const database = await startEmbeddedPostgres({ dataDir: path.join(root, 'pg'), port: await freePort(), log, ephemeral: true });
const pool = createPool(database.url, 4, 'lendgraph-bench-setup');
await migrateAll(pool, loadMigrations(), { concurrency: 2 });
await pool.end();
const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: database.url, DATA_DIR: path.join(root, 'data'), PORT: String(await freePort()), HOST: '127.0.0.1', LOG_LEVEL: 'warn', JOBS_ENABLED: 'false' });
const runtime = await openRuntime(config, log, { migrate: false });
const gateway = await startGateway(runtime);
const slug = 'bench-origination';
const businessDate = '2026-12-01';
await provisionTenant(runtime.pool, runtime.migrations, { slug, displayName: 'Bench lender', currency: 'USD', timeZone: 'UTC', sandbox: true, businessDate }, new Date());
const tenant = (await runtime.registry.findBySlug(slug))!;
const actor = { subject: 'bench', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'bench' };
await registerPartner(runtime.tenantClients.forSchema(tenant.schemaName), runtime.identity, { tenant: slug, actor, now: new Date() }, { code: 'fintech', name: 'Fintech', kind: 'origination' });
const token = await signDevToken(runtime.devKey!, {
  issuer: config.issuer, audience: config.AUTH_AUDIENCE, role: 'origination-partner', tenant: slug, partner: { id: 'fintech', kind: 'origination' }, ttlSeconds: 3600, now: new Date(),
});

const CREATE = 'mutation($input: CreateApplicationInput!) { createApplication(input: $input) { application { status decisions { outcome } } userErrors { code field message } } }';
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
  const started = performance.now();
  const response = await fetch(gateway.graphqlUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query: CREATE, variables: { input } }) });
  const body = (await response.json()) as { data?: { createApplication: { application: { status: string } | null; userErrors: unknown[] } }; errors?: unknown[] };
  const ms = performance.now() - started;
  if (body.errors) throw new Error(`submission failed: ${JSON.stringify(body.errors).slice(0, 500)}`);
  const answer = body.data!.createApplication;
  if (answer.userErrors.length > 0 || !answer.application) throw new Error(`submission refused: ${JSON.stringify(answer.userErrors).slice(0, 500)}`);
  return { ms, status: answer.application.status };
}

for (let i = 0; i < WARMUP; i += 1) await submit();
const rows: string[] = [];
for (const width of LEVELS) {
  const latencies: number[] = [];
  const statuses = new Map<string, number>();
  let next = 0;
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
  latencies.sort((a, b) => a - b);
  const p50 = percentile(latencies, 50);
  const p95 = percentile(latencies, 95);
  const outcome = [...statuses].map(([s, n]) => `${n} ${s}`).join(', ');
  say(`${width} in flight: ${COUNT} applications in ${seconds.toFixed(1)} s (${(COUNT / seconds).toFixed(0)}/s); p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${latencies.at(-1)!.toFixed(1)} ms; ${outcome}`);
  rows.push(`| ${width} | ${COUNT} | ${(COUNT / seconds).toFixed(0)}/s | **${p50.toFixed(1)} ms** | **${p95.toFixed(1)} ms** | ${latencies.at(-1)!.toFixed(1)} ms | ${outcome} | ${p95 < 300 ? 'met' : '**missed**'} |`);
}

if (!values['no-record']) {
  recordSection('origination', `## Origination (\`npm run bench:origination\`)

Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}; one process holds the gateway and the client, PostgreSQL 18 (embedded) on the same
machine. A partner submits complete applications (\`createApplication\` with \`submit: true\`, the applicant's e-mail tagged
\`+bureau-prime\`): the response carries the decision, so each round trip is submission to decision — application and
parties written (identifier hash, party match), three sandbox checks, the credit policy, the decision record and the
offer with its APR: five database transactions. Warm-up of ${WARMUP} not counted. Goal: p95 under 300 ms.

| in flight | applications | rate | p50 | p95 | max | outcome | goal |
| --- | --- | --- | --- | --- | --- | --- | --- |
${rows.join('\n')}
`);
}

await gateway.close();
await runtime.close();
await database.stop();
rmSync(root, { recursive: true, force: true });
