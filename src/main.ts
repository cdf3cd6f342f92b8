// `npm start`: validate configuration, open the database (embedded PostgreSQL when DATABASE_URL is unset),
// migrate the schemas behind (unless MIGRATE_ON_START=false, production's default), serve. SIGTERM/SIGINT drain connections, close the pool and stop the embedded server.
import { ConfigError, loadConfig, type Config } from './config.js';
import { createLogger } from './log.js';
import { openRuntime } from './runtime.js';
import { startGateway } from './gateway.js';
import { onboardTenant } from './tenancy/onboarding.js';
import { DEMO_TENANT } from './tenancy/demoTenant.js';
import { StartUpProblem } from './startUpProblem.js';
import { schemasBehind } from './tenancy/migrations.js';
import { databaseBannerLine } from './tenancy/database.js';
import { PLATFORM_SCHEMA } from './tenancy/schemaNames.js';
import { startTracing } from './observability/tracing.js';
import { guardUnhandledRejections } from './unhandledRejections.js';

function readConfig(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}

const config = readConfig();
const log = createLogger(config.LOG_LEVEL);
// Before the runtime opens its pool and the gateway starts: both make spans only if tracing is on when they start.
const tracing = startTracing(config);

/**
 * A start-up that fails says why in words, on stderr, and exits 1: what a person can fix (a port taken, the
 * embedded server missing) as the message alone; anything else with its message and, in the log, its stack.
 * Never a bare `undefined` from a promise rejected with nothing.
 */
function failedToStart(error: unknown): never {
  if (error instanceof StartUpProblem) {
    process.stderr.write(`Lendgraph could not start: ${error.message}\n`);
  } else {
    log.fatal({ err: error }, 'start-up failed');
    process.stderr.write(`Lendgraph could not start: ${error instanceof Error ? error.message : String(error)}\n`);
  }
  process.exit(1);
}

// Before anything starts work in the background: a library's unawaited statement failing with the database must not end the process.
guardUnhandledRejections(log);
const runtime = await openRuntime(config, log, { migrate: config.MIGRATE_ON_START }).catch(failedToStart);

if (!config.MIGRATE_ON_START) {
  // Replicas that do not migrate (production: a job runs `node dist/cli/migrate.js` before them) still refuse a platform
  // schema older than their code; a tenant schema behind only keeps that tenant unserved until the job reaches it.
  const behind = await schemasBehind(runtime.pool, runtime.migrations).catch(async (error: unknown) => {
    await runtime.close();
    return failedToStart(error);
  });
  if (behind.includes(PLATFORM_SCHEMA)) {
    await runtime.close();
    failedToStart(new Error('the platform schema is behind this build and MIGRATE_ON_START=false: run `npm run migrate` (the migration job; `node dist/cli/migrate.js` in the production build and the image) first'));
  }
  if (behind.length > 0) log.warn({ tenantsMigrating: behind.length }, 'tenant schemas behind this build: those tenants answer TENANT_MIGRATING until `npm run migrate` reaches them (MIGRATE_ON_START=false)');
}

// A tenant placed on a database this process has no URL for could be served by no one here: a settings mistake
// every replica shares, so it stops the start rather than failing that tenant's every request.
const unplaced = await runtime.pool.query<{ database: string }>(
  `SELECT DISTINCT database FROM platform.tenant WHERE status NOT IN ('offboarded', 'onboarding_failed') AND NOT (database = ANY($1::text[]))`,
  [runtime.databases.list().map((database) => database.name)],
).then((result) => result.rows.map((row) => row.database), async (error: unknown) => {
  await runtime.close();
  return failedToStart(error);
});
if (unplaced.length > 0) {
  await runtime.close();
  failedToStart(new Error(`tenants are placed on ${unplaced.map((name) => `"${name}"`).join(', ')}, which TENANT_DATABASES does not name: give every database its URL (docs/operations.md, "Placing tenants on more than one server")`));
}

if (config.NODE_ENV !== 'production') {
  // On a laptop the sandbox tenant `demo` exists (with KEYCLOAK_URL, in Keycloak too); with the development
  // issuer the explorer opens as its tenant admin.
  const demo = await onboardTenant(runtime, DEMO_TENANT, null, runtime.now());
  if (demo.created) log.info({ status: demo.status }, 'created sandbox tenant demo');
}

const gateway = await startGateway(runtime).catch(async (error: unknown) => {
  // A port already taken (the API's or the metrics'), say: stop the database and the background work too.
  await runtime.close().catch(() => undefined);
  return failedToStart(error);
});
// Before the banner: a supervisor that stops the process as soon as it says it serves gets a drained stop, not a
// killed one.
let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  const hardStop = setTimeout(() => {
    log.error('shutdown exceeded its time limit; exiting');
    process.exit(1);
  }, config.SHUTDOWN_TIMEOUT_MS * 2);
  hardStop.unref();
  await gateway.close();
  await runtime.close();
  // The last spans (the drain's) go to the collector before the process ends.
  await tracing?.shutdown().catch((error: unknown) => log.warn({ err: { message: (error as Error).message } }, 'the last spans could not be exported'));
  log.info('stopped');
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));

process.stdout.write(
  `\nLendgraph API:      ${gateway.graphqlUrl}\nGraphQL WebSocket:  ${gateway.websocketUrl}\nExplorer:           ${gateway.explorerUrl}\n` +
    `Database:           ${databaseBannerLine(runtime.database, config.dataDir)}\n\n`,
);

// The banner first: the log line after it is what supervisors and tests take as "serving".
log.info({
  graphql: gateway.graphqlUrl, websocket: gateway.websocketUrl, explorer: gateway.explorerUrl, embeddedDatabase: runtime.database.embedded,
  metrics: gateway.metricsUrl, tracing: tracing !== null,
}, 'Lendgraph is serving');

