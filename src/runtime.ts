// Everything a process holds once: configuration, logger, the pools (one per database), the registry, per-tenant clients,
// migrations and the token verifier. Built at start-up, closed at shutdown.
import type pg from 'pg';
import type { Config } from './config.js';
import type { Logger } from './log.js';
import { openAllDatabases, type Database } from './tenancy/database.js';
import type { Databases, TenantPlace } from './tenancy/placement.js';
import { loadMigrations, migrateAll, type Migration, type MigrationReport } from './tenancy/migrations.js';
import { TenantRegistry } from './tenancy/registry.js';
import { platformPrisma, TenantClients } from './tenancy/tenantClients.js';
import type { PrismaClient } from './generated/prisma/client.js';
import { createTokenVerifier, type TokenVerifier } from './authz/tokens.js';
import { loadOrCreateDevKey, type DevSigningKey } from './authz/devIssuer.js';
import { developmentIdentity, type IdentityProvider } from './tenancy/identity.js';
import { KeycloakTenantIdentity } from './authz/keycloak/tenants.js';
import { adminClient } from './authz/keycloak/realm.js';
import { OutboxFeed } from './events/outboxFeed.js';
import { CommitSettler } from './events/commitSettler.js';
import { Webhooks } from './events/webhooks/deliveryWorkers.js';
import { webhookOutbound } from './outbound/settings.js';
import { loadDataKey, type DataKey } from './tenancy/sealing.js';
import { EndOfDayScheduler, endOfDayConcurrency } from './services/endOfDay/scheduler.js';
import { MessageDispatcher } from './services/reminders/dispatch.js';
import { sandboxNotificationProvider } from './services/reminders/notificationProvider.js';
import { observePool } from './observability/metrics.js';
import { traceQueries } from './observability/sqlSpans.js';
import { tracer } from './observability/tracing.js';

export interface Runtime {
  config: Config;
  log: Logger;
  database: Database;
  /** The platform's own database: the registry, the job queue, and every tenant not placed elsewhere. */
  pool: pg.Pool;
  /** Every database tenants live on, `main` first, with the schema → database lookup (src/tenancy/placement.ts). */
  databases: Databases;
  /** The pool holding a tenant's schema. */
  tenantPool(tenant: TenantPlace): pg.Pool;
  migrations: Migration[];
  platformDb: PrismaClient;
  registry: TenantRegistry;
  tenantClients: TenantClients;
  verifier: TokenVerifier;
  devKey: DevSigningKey | null;
  /** The tenant's side in the identity provider: Keycloak with KEYCLOAK_URL, nothing with the dev issuer. */
  identity: IdentityProvider;
  /** Committed outbox events, live, for subscriptions (started by the gateway). */
  feed: OutboxFeed;
  /** Numbers committed events and links the audit chain just after commit (started by the gateway). */
  settler: CommitSettler;
  /** Partner webhooks: dispatch on settle, delivery on the job queue (started by the gateway). */
  webhooks: Webhooks;
  /** End of day on the job queue: the tick and the workers where JOBS_ENABLED (started by the gateway). */
  endOfDay: EndOfDayScheduler;
  /** Sends borrower messages when due, where JOBS_ENABLED (started by the gateway). */
  messages: MessageDispatcher;
  /** Seals what must be read back (signing secrets, borrowers' identifiers); derives the identifier lookup key. */
  dataKey: DataKey;
  /** The only clock: services receive instants from here and pass business dates down. */
  now: () => Date;
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** Apply pending migrations before serving (the server does; the migrate CLI reports itself). */
  migrate: boolean;
}

export async function openRuntime(config: Config, log: Logger, options: RuntimeOptions): Promise<Runtime & { migration?: MigrationReport }> {
  const opened = await openAllDatabases(config, log);
  const { main: database, databases } = opened;
  const pool = database.pool;
  const unobserve = databases.list().map((placed) => {
    // SQL spans only while tracing is on: otherwise the pool's connections stay exactly as pg makes them.
    if (tracer()) traceQueries(placed.pool);
    return observePool(placed.pool);
  });
  const unobservePool = () => unobserve.forEach((stop) => stop());
  try {
    const migrations = loadMigrations();
    let migration: MigrationReport | undefined;
    if (options.migrate) {
      migration = await migrateAll(databases, migrations, { concurrency: config.MIGRATION_CONCURRENCY, behindOnly: true });
      for (const failed of migration.failed) {
        log.error({ schema: failed.schema, tenant: failed.tenant, migration: failed.error?.migrationId, error: failed.error?.message }, 'migration failed');
      }
      if (migration.platform.error) throw new Error(`platform schema could not be migrated: ${migration.platform.error.message}`);
    }
    const platformDb = platformPrisma(pool);
    const tenantClients = new TenantClients(databases, config.TENANT_CLIENT_CACHE_MAX, config.TENANT_CLIENT_EVICTION_GRACE_MS);
    const settler = new CommitSettler(databases, log);
    const now = () => new Date();
    const dataKey = loadDataKey(config.DATA_ENCRYPTION_KEY, config.dataDir, config.NODE_ENV, config.DATA_ENCRYPTION_KEY_PREVIOUS);
    const webhooks = new Webhooks(databases, log, dataKey, {
      maxAttempts: config.WEBHOOK_MAX_ATTEMPTS, retryDelaySeconds: config.WEBHOOK_RETRY_DELAY_SECONDS, timeoutMs: config.WEBHOOK_TIMEOUT_MS,
      endpointConcurrency: config.WEBHOOK_ENDPOINT_CONCURRENCY, maxPauseSeconds: config.WEBHOOK_MAX_PAUSE_SECONDS,
      disableAfterSeconds: config.WEBHOOK_DISABLE_AFTER_SECONDS,
    }, { workers: config.WEBHOOK_WORKERS, enabled: config.JOBS_ENABLED, now, outbound: webhookOutbound(config), jobsSchema: config.JOBS_SCHEMA });
    const endOfDay = new EndOfDayScheduler({
      tickSeconds: config.END_OF_DAY_TICK_SECONDS, concurrency: endOfDayConcurrency(config.PG_POOL_MAX, config.END_OF_DAY_POOL_SHARE),
      maxDatesPerJob: config.END_OF_DAY_MAX_DATES_PER_JOB, retryLimit: config.END_OF_DAY_RETRY_LIMIT,
      retryDelaySeconds: config.END_OF_DAY_RETRY_DELAY_SECONDS, expireInSeconds: config.END_OF_DAY_JOB_EXPIRE_SECONDS,
    }, config.JOBS_ENABLED);
    const messages = new MessageDispatcher({ databases, tenantClients, log, provider: sandboxNotificationProvider(databases) },
      config.JOBS_ENABLED ? config.MESSAGE_DISPATCH_SECONDS : 0, now);
    const devKey = config.devIssuer ? await loadOrCreateDevKey(config.dataDir, config.NODE_ENV) : null;
    const feed = new OutboxFeed(databases, log, undefined, (schema) => settler.wake(schema),
      () => void settler.sweep({ everySchema: true }).catch((error: unknown) => log.warn({ err: error }, 'settle sweep failed')));
    // What this process settles reaches its own subscribers once committed, without the "read me" round trip.
    settler.onSettled(async (_sql, schema, events) => () => feed.accept(schema, events));
    return {
      config,
      log,
      database,
      pool,
      databases,
      tenantPool: (tenant) => databases.poolFor(tenant),
      migrations,
      platformDb,
      registry: new TenantRegistry(platformDb, config.TENANT_REGISTRY_TTL_MS),
      tenantClients,
      verifier: createTokenVerifier({ issuer: config.issuer, audience: config.AUTH_AUDIENCE, jwksUrl: config.jwksUrl }),
      devKey,
      identity: identityFor(config),
      settler,
      webhooks,
      endOfDay,
      messages,
      dataKey,
      feed,
      now,
      ...(migration ? { migration } : {}),
      async close() {
        // Background jobs still running would use the pool after it ends.
        await endOfDay.stop(config.SHUTDOWN_TIMEOUT_MS);
        await messages.stop();
        await webhooks.stop();
        await tenantClients.close();
        await platformDb.$disconnect();
        await opened.close();
        unobservePool();
      },
    };
  } catch (error) {
    await opened.close().catch(() => undefined);
    unobservePool();
    throw error;
  }
}

function identityFor(config: Config): IdentityProvider {
  const url = config.KEYCLOAK_URL;
  if (!url) return developmentIdentity;
  // The local default matches `npm run keycloak`; production must say (checked in config.ts).
  const credentials = { username: config.KEYCLOAK_ADMIN_USERNAME, password: config.KEYCLOAK_ADMIN_PASSWORD ?? 'lendgraph-local-admin' };
  // A fresh admin session per onboarding step: admin tokens are short-lived, onboarding is rare.
  return new KeycloakTenantIdentity(() => adminClient(url, credentials));
}
