// End of day in a process of its own that kills itself (SIGKILL: no cleanup, no rollback of what committed) at a
// chosen point, for test/services/endOfDay/crashResume.test.ts. Runs on the test run's database (DATABASE_URL and
// DATA_DIR from the parent). Prints one JSON line per commit point it passes, so the parent knows where it died.
// Usage: tsx test/support/endOfDayChild.ts <slug> <to> <kill>
//   kill: `none`; `commit:<n>` the n-th commit point; `inside:<step>:<n>` the n-th batch of <step> committed before
//   the step is recorded; `recorded:<step>:<n>` the n-th time <step> was just recorded; `dateMoved:<n>` the n-th
//   time the run moved the tenant's date (before any step of that date).
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { openRuntime } from '../../src/runtime.js';
import { runEndOfDay, type EndOfDayRuntime } from '../../src/services/endOfDay/run.js';
import { poolSql } from '../../src/tenancy/tenantSql.js';

const [slug, to, kill] = process.argv.slice(2) as [string, string, string];
const config = loadConfig({ ...process.env, LOG_LEVEL: 'silent', JOBS_ENABLED: 'false', TENANT_REGISTRY_TTL_MS: '0' });
const runtime = await openRuntime(config, createLogger(config.LOG_LEVEL), { migrate: false });
const tenant = (await runtime.registry.findBySlug(slug))!;
const sql = poolSql(runtime.pool, tenant.schemaName);

const [kind, a, b] = kill.split(':');
const seen = new Map<string, number>();
const say = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

/** Counts a commit point of `key`; dies when it is the one asked for (stdout to a pipe is synchronous on Linux). */
function passed(key: string, line: Record<string, unknown>): void {
  const n = (seen.get(key) ?? 0) + 1;
  seen.set(key, n);
  const wanted = kind === 'commit' ? key === 'commit' && n === Number(a)
    : kind === 'dateMoved' ? key === 'dateMoved' && n === Number(a)
      : key === `${kind}:${a}` && n === Number(b);
  if (wanted) {
    say({ killed: true, ...line });
    process.kill(process.pid, 'SIGKILL');
  }
}

// The runner forgets the registry's entry right after it moved the date (and once at the start).
let forgets = 0;
const registry = Object.create(runtime.registry) as typeof runtime.registry;
registry.forget = (s: string) => {
  runtime.registry.forget(s);
  forgets += 1;
  if (forgets > 1) {
    say({ at: 'dateMoved' });
    passed('dateMoved', { at: 'dateMoved' });
  }
};
const rt: EndOfDayRuntime = { pool: runtime.pool, tenantPool: runtime.tenantPool, registry, tenantClients: runtime.tenantClients, log: runtime.log, now: runtime.now, dataKey: runtime.dataKey };

try {
  const outcomes = await runEndOfDay(rt, slug, {
    to, startedBy: 'crash-test', batchSize: { positions: 3, replays: 2 },
    async afterCommit(where) {
      const { rows } = await sql.query((s) => `SELECT 1 FROM ${s}.end_of_day_step WHERE business_date = $1 AND step = $2 AND part = 0`, [where.businessDate, where.step]);
      const recorded = rows.length > 0;
      say({ at: recorded ? 'recorded' : 'inside', ...where });
      passed('commit', { at: 'commit', ...where, recorded });
      passed(`${recorded ? 'recorded' : 'inside'}:${where.step}`, { at: recorded ? 'recorded' : 'inside', ...where });
    },
  });
  say({ done: true, dates: outcomes.map((o) => o.businessDate), resumed: outcomes.filter((o) => o.resumed).map((o) => o.businessDate) });
  await runtime.close();
  process.exit(0);
} catch (error) {
  say({ error: (error as Error).message, code: (error as { code?: string }).code ?? null });
  await runtime.close();
  process.exit(2);
}
