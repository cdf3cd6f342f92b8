// `npm run bench:reads`: what reading costs through the GraphQL API on this machine, beside the cheapest request
// the gateway can answer and beside what the database alone reads. Against ONE gateway (`dist/main.js`, compiled, in a child
// process of its own, bench/gatewayProcess.ts) on a fresh embedded PostgreSQL, a sandbox tenant with loans booked
// through `disburseLoan` and applications submitted through `createApplication`, each query is sent by
// `--connections` clients at once (HTTP keep-alive, one socket each, a dev token as every caller has) for
// `--seconds` after `--warmup` seconds not counted:
//   1. `{ __typename }`, authenticated: the reference (authentication, tenant, context, HTTP, no data);
//   2. a loan by id (`node(id:)` with its usual fields: number, status, principal, balances, days past due…);
//   3. a loan with its schedule (`account { instalments }`, 12 instalments);
//   4. a page of 20 loans with their products;
//   5. a party with its applications.
// Then pgbench select-only (`-S`) on the same server, in the same run (bench/pgbench.ts). Requests per second,
// p50 and p99 are printed and written into docs/benchmarks.md (section bench:reads), each as a share of the
// trivial query's rate. Every reply is checked: an error in one counts as an error, not as a request served.
//
// Options: --loans N (default 200) loans booked; --connections N (16); --seconds S (10) per query;
// --warmup S (2) per query; --pgbench-seconds S (10); --pgbench-scale N (10); --pool N (10, the gateway's
// PG_POOL_MAX); --profile DIR (write a V8 CPU profile of the gateway into DIR when it stops: node --cpu-prof;
// summarise it with `tsx bench/profileSummary.ts DIR/*.cpuprofile`); --only a,b (run only these queries:
// trivial, loan, schedule, page, party); --statements (print what each statement cost PostgreSQL per request of
// each query, from pg_stat_statements; the run is not recorded); --no-record (do not touch docs/benchmarks.md, for
// trial runs).
// Record figures only on a quiet machine: the load average before and after is printed beside them.
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadOrCreateDevKey, signDevToken } from '../src/authz/devIssuer.js';
import { addDays } from '../src/domain/calendar.js';
import { commitOf, machine, percentile, publishSection } from './record.js';
import { benchDatabase } from './benchDatabase.js';
import { runBench, cpuSeconds, postgresCpuSeconds, startGatewayProcess } from './gatewayProcess.js';
import { graphql, type GraphQLReply } from './httpGraphql.js';
import { describePgbench, runPgbench, type PgbenchResult } from './pgbench.js';
import { resetStatementCosts, sayStatementCosts } from './statementCosts.js';

const { values } = parseArgs({
  options: {
    loans: { type: 'string', default: '200' },
    connections: { type: 'string', default: '16' },
    seconds: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    pool: { type: 'string', default: '10' },
    'pgbench-scale': { type: 'string', default: '10' },
    'pgbench-seconds': { type: 'string', default: '10' },
    profile: { type: 'string' },
    only: { type: 'string' },
    statements: { type: 'boolean', default: false },
    'no-record': { type: 'boolean', default: false },
  },
});
const LOANS = Number(values.loans);
const CONNECTIONS = Number(values.connections);
const SECONDS = Number(values.seconds);
const WARMUP = Number(values.warmup);
const POOL = Number(values.pool);
const APPLICATIONS = 5;
const TENANT = 'bench-reads';
const PRODUCT = 'PL-STD';
const READS_APPLICANT = {
  kind: 'PERSON', legalName: 'Reads Bench', email: 'reads.bench@example.test', phone: '+1 415 555 0199', dateOfBirth: '1980-01-01',
  identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: '900-00-0199' }],
};

const say = (text: string) => process.stdout.write(`${text}\n`);
const n = (value: number) => Math.round(value).toLocaleString('en-US');
const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(value < 10 ? 2 : 1)} ms` : '—');

type Reply = GraphQLReply<Record<string, unknown>>;

function dataOf(reply: Reply, what: string): Record<string, any> {
  if (reply.errors?.length || !reply.data) throw new Error(`${what} failed (HTTP ${reply.status}): ${JSON.stringify(reply.errors ?? reply).slice(0, 2000)}`);
  return reply.data;
}

// --- the queries (schema.graphql) ------------------------------------------------------------------------------

const LOAN_FIELDS = 'id number status currency principal approvedPrincipal disbursementDate firstRepaymentDate nextDueDate daysPastDue delinquencyBucket balancesAsOf held receivable { principal interest fee penalty }';
const QUERIES = {
  trivial: { label: '`{ __typename }` (authenticated)', query: '{ __typename }', goal: undefined as number | undefined },
  loan: { label: 'a loan by id (`node(id:)`, usual fields)', query: `query Loan($id: ID!) { node(id: $id) { ... on Loan { ${LOAN_FIELDS} } } }`, goal: 0.6 },
  schedule: {
    label: 'a loan with its schedule (12 instalments)',
    query: `query Schedule($id: ID!) { node(id: $id) { ... on Loan { ${LOAN_FIELDS} account { asOf instalments { number dueDate charged { principal interest fee penalty } paid { principal interest fee penalty } outstanding { principal interest fee penalty } } } } } }`,
    goal: 0.4,
  },
  page: { label: 'a page of 20 loans with their products', query: `query Page { loans(first: 20) { edges { node { ${LOAN_FIELDS} product { id code name currency } } } } }`, goal: 0.4 },
  party: {
    label: 'a party with its applications',
    query: 'query Party($id: ID!) { node(id: $id) { ... on Party { id kind legalName createdAt } } applications(applicantId: $id, first: 20) { edges { node { id number status amount purpose numberOfRepayments product { code } } } } }',
    goal: undefined as number | undefined,
  },
};
type QueryName = keyof typeof QUERIES;

interface Measured {
  name: QueryName;
  requests: number;
  errors: Record<string, number>;
  seconds: number;
  perSecond: number;
  p50: number;
  p99: number;
  gatewayCpuPerRequestMs: number;
  postgresCpuPerRequestMs: number;
}


async function run(): Promise<void> {
  const loadBefore = os.loadavg();
  const { root, server, pool, postgresVersion, postmasterPid } = await benchDatabase('reads', { slug: TENANT, displayName: 'Bench reads' }, { statementStatistics: values.statements });

  const dataDir = path.join(root, 'gateway');
  const key = await loadOrCreateDevKey(dataDir, 'test');
  const nodeArgs = values.profile ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(values.profile)}`] : [];
  const gateway = await startGatewayProcess({ dataDir, databaseUrl: server.url, nodeArgs, production: true, env: { PG_POOL_MAX: String(POOL), RATE_LIMIT_PER_MINUTE: '0', RATE_LIMIT_TENANT_PER_MINUTE: '0', QUERY_COST_PER_MINUTE: '0' } });
  const token = await signDevToken(key, { issuer: gateway.issuer, audience: 'lendgraph-api', role: 'tenant-admin', tenant: TENANT, ttlSeconds: 6 * 3600, now: new Date() });
  const disburser = await signDevToken(key, { issuer: gateway.issuer, audience: 'lendgraph-api', role: 'disbursement-officer', tenant: TENANT, ttlSeconds: 6 * 3600, now: new Date() });
  const api = (query: string, variables: Record<string, unknown> = {}, who = token) => graphql<Record<string, unknown>>(gateway.base, who, query, variables);

  const businessDate = dataOf(await api('{ currentTenant { businessDate } }'), 'currentTenant').currentTenant.businessDate as string;
  say(`gateway ${gateway.base} (pid ${gateway.pid}, pool ${POOL}); PostgreSQL ${postgresVersion}; tenant ${TENANT}, business date ${businessDate}`);

  // The book: loans of 12 instalments, 8 booked at a time.
  const disbursementDate = addDays(businessDate, -90);
  const loanIds: string[] = [];
  const booking = performance.now();
  for (let start = 0; start < LOANS; start += 8) {
    await Promise.all(Array.from({ length: Math.min(8, LOANS - start) }, async (_, k) => {
      const i = start + k;
      const reply = await api('mutation D($input: DisburseLoanInput!) { disburseLoan(input: $input) { loan { id } userErrors { message code } } }', {
        input: { idempotencyKey: `bench-reads-${i}`, productCode: PRODUCT, principal: '10000.00', numberOfRepayments: 12, disbursementDate, firstRepaymentDate: addDays(disbursementDate, 30), externalReference: `READS-${i}` },
      }, disburser);
      const payload = dataOf(reply, `disburseLoan #${i}`).disburseLoan;
      if (!payload?.loan) throw new Error(`disburseLoan #${i} refused: ${JSON.stringify(payload?.userErrors)}`);
      loanIds[i] = payload.loan.id as string;
    }));
  }
  say(`booked ${n(LOANS)} loans in ${((performance.now() - booking) / 1000).toFixed(1)} s`);

  // A party with applications: the first application's applicant, the others for the same person (the same
  // identifier and contacts, which intake matches to the party already known).
  let partyId: string | undefined;
  for (let i = 0; i < APPLICATIONS; i += 1) {
    const reply = await api('mutation A($input: CreateApplicationInput!) { createApplication(input: $input) { application { id parties { role party { id } } } userErrors { message code field } } }', {
      input: { productCode: PRODUCT, amount: '5000.00', numberOfRepayments: 12, purpose: `Bench reads ${i}`, applicant: READS_APPLICANT },
    });
    const payload = dataOf(reply, `createApplication #${i}`).createApplication;
    if (!payload?.application) throw new Error(`createApplication #${i} refused: ${JSON.stringify(payload?.userErrors)}`);
    partyId ??= (payload.application.parties as { party: { id: string } | null }[])[0]?.party?.id;
  }
  if (!partyId) throw new Error('no applicant party on the applications made');
  const partyApplications = (dataOf(await api(QUERIES.party.query, { id: partyId }), 'party').applications.edges as unknown[]).length;
  say(`party ${partyId} with ${partyApplications} applications`);

  const variablesFor = (name: QueryName, i: number): Record<string, unknown> =>
    name === 'loan' || name === 'schedule' ? { id: loanIds[i % LOANS] } : name === 'party' ? { id: partyId } : {};

  /** `CONNECTIONS` clients, each sending its next request as soon as the previous is answered, for `seconds`. */
  const load = async (name: QueryName, seconds: number): Promise<Omit<Measured, 'gatewayCpuPerRequestMs' | 'postgresCpuPerRequestMs' | 'name'>> => {
    const latencies: number[] = [];
    const errors: Record<string, number> = {};
    const started = performance.now();
    const until = started + seconds * 1000;
    await Promise.all(Array.from({ length: CONNECTIONS }, async (_, client) => {
      for (let i = client; performance.now() < until; i += CONNECTIONS) {
        const reply = await api(QUERIES[name].query, variablesFor(name, i));
        if (reply.errors?.length || !reply.data || reply.status !== 200) {
          const code = reply.errors?.[0]?.extensions?.code ?? `HTTP ${reply.status}`;
          errors[code] = (errors[code] ?? 0) + 1;
          if (errors[code] === 1) say(`  first ${code}: ${reply.errors?.[0]?.message ?? ''}`);
        } else {
          latencies.push(reply.ms);
        }
      }
    }));
    const elapsed = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    return { requests: latencies.length, errors, seconds: elapsed, perSecond: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
  };

  const chosen = (values.only ? values.only.split(',') : Object.keys(QUERIES)) as QueryName[];
  for (const name of chosen) if (!(name in QUERIES)) throw new Error(`--only: no query ${name} (${Object.keys(QUERIES).join(', ')})`);
  const results: Measured[] = [];
  for (const name of chosen) {
    await load(name, WARMUP);
    if (values.statements) await resetStatementCosts(pool);
    const cpuBefore = { gateway: cpuSeconds(gateway.pid), postgres: postgresCpuSeconds(postmasterPid) };
    const measured = await load(name, SECONDS);
    const cpu = { gateway: cpuSeconds(gateway.pid) - cpuBefore.gateway, postgres: postgresCpuSeconds(postmasterPid) - cpuBefore.postgres };
    const perRequest = (seconds: number) => (seconds * 1000) / Math.max(1, measured.requests);
    const result = { name, ...measured, gatewayCpuPerRequestMs: perRequest(cpu.gateway), postgresCpuPerRequestMs: perRequest(cpu.postgres) };
    results.push(result);
    say(`${QUERIES[name].label}: ${n(result.perSecond)}/s, p50 ${ms(result.p50)}, p99 ${ms(result.p99)}; CPU per request: gateway ${result.gatewayCpuPerRequestMs.toFixed(2)} ms, PostgreSQL ${result.postgresCpuPerRequestMs.toFixed(2)} ms`
      + `${Object.keys(result.errors).length ? `; errors ${JSON.stringify(result.errors)}` : ''}`);
    if (values.statements) await sayStatementCosts(pool, say, 'request', result.requests, 8);
  }

  let pgbench: PgbenchResult | undefined;
  try {
    pgbench = await runPgbench({ url: server.url, scale: Number(values['pgbench-scale']), clients: CONNECTIONS, threads: 2, seconds: Number(values['pgbench-seconds']), selectOnly: true }, say);
    say(`pgbench select-only: ${describePgbench(pgbench)}`);
  } catch (error) {
    say(`pgbench not run: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
  }
  // An answer in error is counted, not served; what the gateway logged says why.
  if (results.some((r) => Object.keys(r.errors).length > 0)) say(`the gateway logged: ${JSON.stringify(gateway.logged)}\n${gateway.lines.filter((line) => line.includes('"err"')).slice(-2).join('\n')}`);
  const loadAfter = os.loadavg();

  const trivial = results.find((r) => r.name === 'trivial');
  const share = (r: Measured) => (trivial ? `${((r.perSecond / trivial.perSecond) * 100).toFixed(0)} %` : '—');
  const ofPgbench = (r: Measured) => (pgbench ? `${((r.perSecond / pgbench.tps) * 100).toFixed(1)} %` : '—');
  const verdict = (r: Measured) => {
    const goal = QUERIES[r.name].goal;
    if (goal === undefined || !trivial) return '';
    const met = r.perSecond >= goal * trivial.perSecond && (r.name !== 'loan' || r.p99 < 20);
    return `${met ? 'met' : 'NOT met'} (≥ ${goal * 100} %${r.name === 'loan' ? ', p99 < 20 ms' : ''})`;
  };
  const rows = results.map((r) => `| ${QUERIES[r.name].label} | ${n(r.perSecond)} | ${ms(r.p50)} | ${ms(r.p99)} | ${share(r)} | ${ofPgbench(r)} | ${r.gatewayCpuPerRequestMs.toFixed(2)} ms | ${r.postgresCpuPerRequestMs.toFixed(2)} ms | ${verdict(r)}${Object.keys(r.errors).length ? ` errors ${JSON.stringify(r.errors)}` : ''} |`);
  const body = [
    '## Reads (`npm run bench:reads`)',
    '',
    `Machine: ${machine()}. PostgreSQL ${postgresVersion} (embedded). Commit ${commitOf()}, ${new Date().toISOString()}.`,
    `Load average before ${loadBefore.map((v) => v.toFixed(2)).join(' ')}, after ${loadAfter.map((v) => v.toFixed(2)).join(' ')}.`,
    `One gateway (\`dist/main.js\`, compiled; its own process, pool ${POOL}, its per-principal rate limit off: one token sends every request; as deployed, \`NODE_ENV=production\`, its tokens from an issuer outside it); ${CONNECTIONS} connections (HTTP keep-alive, a tenant-admin dev token), ${SECONDS} s each after ${WARMUP} s of warm-up; ${n(LOANS)} loans of 12 instalments; a party with ${partyApplications} applications.`,
    '',
    '| query | requests/s | p50 | p99 | of `{ __typename }` | of pgbench -S | gateway CPU per request | PostgreSQL CPU per request | goal |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---|',
    ...rows,
    '',
    pgbench ? `pgbench select-only (\`-S\`) on the same server in the same run: ${describePgbench(pgbench)}.` : 'pgbench select-only: not run (pgbench not installed: scripts/bench-prerequisites.sh).',
  ].join('\n');
  publishSection('reads', body, !values['no-record'] && !values.statements);
}

await runBench(run);
