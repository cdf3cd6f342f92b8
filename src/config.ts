// Configuration is read once, at start-up, from the environment and validated here; a bad value stops the
// process with a message naming the variable. Nothing else in the code reads process.env.
import path from 'node:path';
import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import { parsePortList } from './outbound/destination.js';

const booleanFlag = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

const port = z.coerce.number().int().min(0).max(65535);

/** A placement database's name: how the registry's `tenant.database` refers to it. */
const DATABASE_NAME = /^[a-z][a-z0-9_-]{0,39}$/;

function tenantDatabases(value: string, ctx: z.RefinementCtx): Record<string, string> {
  const databases: Record<string, string> = {};
  for (const [index, pair] of value.split(/[\s,]+/).filter(Boolean).entries()) {
    const at = pair.indexOf('=');
    const name = pair.slice(0, Math.max(at, 0));
    const url = pair.slice(at + 1);
    if (at < 1 || !DATABASE_NAME.test(name)) {
      // The entry itself is not repeated: without its "=", it may be a URL with a password in it.
      ctx.addIssue({ code: 'custom', message: `each entry is name=url, the name of lowercase letters, digits, _ or -, starting with a letter (entry ${index + 1} is not)` });
    } else if (name === 'main') {
      ctx.addIssue({ code: 'custom', message: '"main" is the platform\'s own database (DATABASE_URL); give the others other names' });
    } else if (name in databases) {
      ctx.addIssue({ code: 'custom', message: `"${name}" is named twice` });
    } else if (!/^postgres(ql)?:\/\/./.test(url) || !URL.canParse(url)) {
      ctx.addIssue({ code: 'custom', message: `"${name}" needs a postgres:// URL` });
    } else {
      databases[name] = url;
    }
  }
  return databases;
}

const schema = z.object({
  NODE_ENV: z.enum(['development', 'test', 'production']).default('development'),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(4000),
  PUBLIC_URL: z.url().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().min(1).default('.lendgraph'),
  DATABASE_URL: z.url().optional(),
  EMBEDDED_PG_PORT: port.default(5433),
  PG_POOL_MAX: z.coerce.number().int().min(2).max(500).default(10),
  PG_APPLICATION_NAME: z.string().regex(/^[\w.-]{1,60}$/).default('lendgraph'),
  /** How long a new connection to any of the databases may take before it fails (docs/operations.md). */
  PG_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  /**
   * Further PostgreSQL databases tenants may be placed on, as `name=url` pairs separated by spaces or commas; the
   * platform schema's own database (DATABASE_URL or the embedded one) is `main` (docs/operations.md, "Placing tenants on more than one server").
   */
  TENANT_DATABASES: z.string().transform((value, ctx) => tenantDatabases(value, ctx)).optional(),
  TENANT_CLIENT_CACHE_MAX: z.coerce.number().int().min(1).max(100_000).default(200),
  TENANT_CLIENT_EVICTION_GRACE_MS: z.coerce.number().int().min(0).max(600_000).default(30_000),
  MIGRATION_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
  /** Migrate behind schemas at start-up; off by default in production, where a separate job migrates (`npm run migrate`). */
  MIGRATE_ON_START: booleanFlag.optional(),
  KEYCLOAK_URL: z.url().optional(),
  KEYCLOAK_REALM: z.string().regex(/^[\w-]{1,60}$/).default('lendgraph'),
  KEYCLOAK_ADMIN_USERNAME: z.string().min(1).default('admin'),
  KEYCLOAK_ADMIN_PASSWORD: z.string().min(1).optional(),
  AUTH_ISSUER: z.url().optional(),
  AUTH_JWKS_URL: z.url().optional(),
  AUTH_AUDIENCE: z.string().min(1).default('lendgraph-api'),
  DEV_ISSUER: booleanFlag.optional(),
  /** The development issuer (and the explorer's pre-filled token) on a HOST other than loopback: only when said. */
  DEV_ISSUER_ALLOW_REMOTE: booleanFlag.default(false),
  /** Who may introspect the schema and see "Did you mean" suggestions: everyone, staff only, or nobody. */
  INTROSPECTION: z.enum(['public', 'staff', 'off']).optional(),
  MAX_QUERY_DEPTH: z.coerce.number().int().min(2).max(100).default(12),
  MAX_QUERY_NODES: z.coerce.number().int().min(10).max(1_000_000).default(10_000),
  MAX_QUERY_COST: z.coerce.number().int().min(10).max(10_000_000).default(20_000),
  MAX_QUERY_ALIASES: z.coerce.number().int().min(0).max(10_000).default(50),
  MAX_QUERY_DIRECTIVES: z.coerce.number().int().min(0).max(10_000).default(50),
  MAX_QUERY_TOKENS: z.coerce.number().int().min(100).max(1_000_000).default(5_000),
  /** Requests per minute per principal, and per client address for callers without a token; 0 turns it off. */
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(10_000_000).default(6_000),
  /** Express's `trust proxy`: which proxies' X-Forwarded-For names the client (hops, `loopback`, subnets). */
  TRUST_PROXY: z.string().min(1).transform((value): boolean | number | string =>
    value === 'true' ? true : value === 'false' ? false : /^\d+$/.test(value) ? Number(value) : value).optional(),
  RATE_LIMIT_ANONYMOUS_PER_MINUTE: z.coerce.number().int().min(0).max(10_000_000).default(600),
  /** Requests per minute for one tenant, all its callers together, so one lender cannot starve the others; 0 turns it off. */
  RATE_LIMIT_TENANT_PER_MINUTE: z.coerce.number().int().min(0).max(100_000_000).default(60_000),
  /** Query-cost points (`extensions.cost`) per principal per minute; 0 turns it off. */
  QUERY_COST_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000_000).default(1_000_000),
  MAX_PAGE_SIZE: z.coerce.number().int().min(1).max(1000).default(100),
  /** The largest GraphQL request body: a payment file of 100,000 repayments is about 13 MB. */
  MAX_REQUEST_BYTES: z.coerce.number().int().min(10_000).max(100_000_000).default(16_000_000),
  /** The largest body from a caller without a token: nothing it may ask needs more, and a flood is refused unread. */
  MAX_ANONYMOUS_REQUEST_BYTES: z.coerce.number().int().min(1_000).max(100_000_000).default(100_000),
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  TENANT_REGISTRY_TTL_MS: z.coerce.number().int().min(0).max(60_000).default(1_000),
  MAX_WEBSOCKET_CONNECTIONS: z.coerce.number().int().min(0).max(10_000_000).optional(),
  /**
   * Live subscriptions one WebSocket connection may hold: a dashboard following each loan of a full page
   * (MAX_PAGE_SIZE) one subscription apiece, where one `events` subscription with a filter serves most (docs/decisions.md).
   */
  MAX_SUBSCRIPTIONS_PER_CONNECTION: z.coerce.number().int().min(1).max(100_000).default(100),
  /** Live subscriptions one principal may hold on one gateway process over all its connections: five full connections. */
  MAX_SUBSCRIPTIONS_PER_PRINCIPAL: z.coerce.number().int().min(1).max(1_000_000).default(500),
  DATA_ENCRYPTION_KEY: z.base64().refine((value) => Buffer.from(value, 'base64').length === 32, 'must be 32 bytes, base64-encoded').optional(),
  /** The key being rotated away from: what it sealed still opens until `npm run reseal` has sealed it again under the new one. */
  DATA_ENCRYPTION_KEY_PREVIOUS: z.base64().refine((value) => Buffer.from(value, 'base64').length === 32, 'must be 32 bytes, base64-encoded').optional(),
  JOBS_ENABLED: booleanFlag.default(true),
  /** The schema pg-boss keeps its queue in: processes that share background work share it (a test file keeps its own). */
  JOBS_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/).default('pgboss'),
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(30).default(10),
  WEBHOOK_RETRY_DELAY_SECONDS: z.coerce.number().int().min(1).max(3_600).default(15),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(10_000),
  WEBHOOK_WORKERS: z.coerce.number().int().min(1).max(64).default(4),
  /** In-flight attempts to one endpoint at a time, so a slow receiver holds at most this many (docs/webhooks.md). */
  WEBHOOK_ENDPOINT_CONCURRENCY: z.coerce.number().int().min(1).max(16).default(2),
  /** The longest an endpoint is paused after consecutive failures (it grows from WEBHOOK_RETRY_DELAY_SECONDS). */
  WEBHOOK_MAX_PAUSE_SECONDS: z.coerce.number().int().min(1).max(86_400).default(3_600),
  /** An endpoint failing without a success for this long is disabled (3 days). */
  WEBHOOK_DISABLE_AFTER_SECONDS: z.coerce.number().int().min(1).max(90 * 86_400).default(3 * 86_400),
  /** Outbound requests on a customer's say-so (docs/operations.md, "Outbound requests"). Off in every mode. */
  OUTBOUND_ALLOW_PRIVATE_DESTINATIONS: booleanFlag.default(false),
  /** Ports allowed besides 443 (and 80 where plain http is): `8443,9000-9010`. */
  OUTBOUND_ALLOWED_PORTS: z.string().default('').transform((text, context) => {
    try {
      return parsePortList(text);
    } catch (error) {
      context.addIssue({ code: 'custom', message: (error as Error).message });
      return z.NEVER;
    }
  }),
  OUTBOUND_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
  OUTBOUND_MAX_RESPONSE_BYTES: z.coerce.number().int().min(0).max(10_000_000).default(16_384),
  /** How often a process that works jobs looks for tenants whose local midnight has passed; 0 turns the schedule off. */
  END_OF_DAY_TICK_SECONDS: z.coerce.number().int().min(0).max(86_400).default(60),
  /** How often a process that works jobs sends the borrower messages that are due (docs/reminders.md); 0 turns it off. */
  MESSAGE_DISPATCH_SECONDS: z.coerce.number().int().min(0).max(3_600).default(30),
  /** The share of PG_POOL_MAX end-of-day runs may hold at once in one process (docs/end-of-day.md, "Running it"). */
  END_OF_DAY_POOL_SHARE: z.coerce.number().gt(0).max(1).default(0.25),
  /** The most dates one job brings a tenant forward before it queues the rest behind the other tenants. */
  END_OF_DAY_MAX_DATES_PER_JOB: z.coerce.number().int().min(1).max(366).default(7),
  /** Retries of a failed end-of-day job, the first after END_OF_DAY_RETRY_DELAY_SECONDS, then doubling. */
  END_OF_DAY_RETRY_LIMIT: z.coerce.number().int().min(0).max(100).default(5),
  END_OF_DAY_RETRY_DELAY_SECONDS: z.coerce.number().int().min(1).max(86_400).default(60),
  /** How long a job may stay active before the queue deems its process dead and hands it to another (below 24 h). */
  END_OF_DAY_JOB_EXPIRE_SECONDS: z.coerce.number().int().min(60).max(86_399).default(3_600),
  /** Whether this process works the follow-ups of pending checks (sandbox callbacks, deadlines); JOBS_ENABLED when unset. */
  CHECK_JOBS_ENABLED: booleanFlag.optional(),
  /** How long the sandbox's asynchronous checks wait before calling back. */
  SANDBOX_CALLBACK_DELAY_MS: z.coerce.number().int().min(0).max(86_400_000).default(2_000),
  /** How long a provider has to call back before its pending check is recorded as timed out. */
  PROVIDER_CALLBACK_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(604_800).default(900),
  /** The Prometheus listener (GET /metrics) on HOST, apart from PORT so the public ingress never exposes it; 0 turns it off. */
  METRICS_PORT: port.default(9464),
  /** The OTLP/HTTP collector traces go to (`/v1/traces` is appended); tracing is off without it or the next. */
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  /** The traces URL itself, when it is not OTEL_EXPORTER_OTLP_ENDPOINT's `/v1/traces`. */
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  OTEL_SERVICE_NAME: z.string().min(1).max(200).default('lendgraph'),
  /** Which traces are kept, as OpenTelemetry names its samplers; a caller's sampled flag is followed by the parentbased ones. */
  OTEL_TRACES_SAMPLER: z.enum(['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'])
    .default('parentbased_always_on'),
  /** The share of traces kept by the traceidratio samplers. */
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1),
});

export type RawConfig = z.infer<typeof schema>;

export interface Config extends Omit<RawConfig, 'INTROSPECTION' | 'MIGRATE_ON_START'> {
  INTROSPECTION: 'public' | 'staff' | 'off';
  MIGRATE_ON_START: boolean;
  publicUrl: string;
  dataDir: string;
  /** The development issuer signs tokens for seeded dev users; never in production. */
  devIssuer: boolean;
  /** CHECK_JOBS_ENABLED, or JOBS_ENABLED when that is unset. */
  checkJobsEnabled: boolean;
  issuer: string;
  jwksUrl: string;
  /** Where spans are exported (OTLP over HTTP); null: tracing is off. */
  tracesUrl: string | null;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Whether HOST binds loopback only: 127.0.0.0/8, ::1 (also IPv4-mapped) or the name localhost. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost') return true;
  const family = isIP(bare);
  if (family === 0) return false;
  return LOOPBACK.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');
LOOPBACK.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // Empty strings count as unset, as a shell `VAR=` usually intends.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`),
    );
  }
  const raw = parsed.data;
  // With KEYCLOAK_URL set, the same commands use Keycloak: its realm is the issuer unless AUTH_ISSUER says otherwise.
  if (raw.KEYCLOAK_URL && !raw.AUTH_ISSUER) raw.AUTH_ISSUER = `${raw.KEYCLOAK_URL.replace(/\/$/, '')}/realms/${raw.KEYCLOAK_REALM}`;
  const publicUrl = (raw.PUBLIC_URL ?? `http://${raw.HOST}:${raw.PORT}`).replace(/\/$/, '');
  const devIssuer = raw.DEV_ISSUER ?? raw.AUTH_ISSUER === undefined;
  const problems: string[] = [];
  if (devIssuer && raw.NODE_ENV === 'production') {
    problems.push('DEV_ISSUER: the development issuer refuses to run when NODE_ENV=production; set AUTH_ISSUER');
  }
  if (devIssuer && !raw.DEV_ISSUER_ALLOW_REMOTE && !isLoopbackHost(raw.HOST)) {
    problems.push(
      `DEV_ISSUER: the development issuer signs tokens anyone can obtain (the explorer opens with one), so it refuses HOST=${raw.HOST}, ` +
        'which is not loopback; set AUTH_ISSUER, listen on 127.0.0.1, or set DEV_ISSUER_ALLOW_REMOTE=true to accept the risk',
    );
  }
  if (raw.NODE_ENV === 'production' && !raw.DATABASE_URL) {
    problems.push(
      'DATABASE_URL: required in production; the embedded PostgreSQL is for development only (its superuser password is ' +
        'written in the source), so set DATABASE_URL to your PostgreSQL',
    );
  }
  if (raw.KEYCLOAK_URL && raw.NODE_ENV === 'production' && !raw.KEYCLOAK_ADMIN_PASSWORD) {
    problems.push('KEYCLOAK_ADMIN_PASSWORD: required with KEYCLOAK_URL in production (onboarding sets tenants up in Keycloak)');
  }
  if (raw.DATA_ENCRYPTION_KEY_PREVIOUS && !raw.DATA_ENCRYPTION_KEY) {
    problems.push('DATA_ENCRYPTION_KEY_PREVIOUS: set only beside DATA_ENCRYPTION_KEY, the key being rotated to');
  }
  if (raw.NODE_ENV === 'production' && !raw.DATA_ENCRYPTION_KEY) {
    problems.push('DATA_ENCRYPTION_KEY: required in production (seals webhook secrets; 32 bytes, base64)');
  }
  if (raw.METRICS_PORT !== 0 && raw.METRICS_PORT === raw.PORT) {
    problems.push(`METRICS_PORT: must differ from PORT (${raw.PORT}): metrics have a listener of their own, which the public ingress never routes to`);
  }
  if (!devIssuer && raw.AUTH_ISSUER === undefined) {
    problems.push('AUTH_ISSUER: required when DEV_ISSUER=false');
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const issuer = devIssuer ? `${publicUrl}/dev-issuer` : raw.AUTH_ISSUER!;
  return {
    ...raw,
    INTROSPECTION: raw.INTROSPECTION ?? (raw.NODE_ENV === 'production' ? 'off' : 'public'),
    MIGRATE_ON_START: raw.MIGRATE_ON_START ?? raw.NODE_ENV !== 'production',
    publicUrl,
    dataDir: path.resolve(raw.DATA_DIR),
    devIssuer,
    checkJobsEnabled: raw.CHECK_JOBS_ENABLED ?? raw.JOBS_ENABLED,
    issuer,
    jwksUrl: raw.AUTH_JWKS_URL ?? (devIssuer ? `${issuer}/jwks` : `${issuer}/protocol/openid-connect/certs`),
    tracesUrl: raw.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
      ?? (raw.OTEL_EXPORTER_OTLP_ENDPOINT ? `${raw.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/$/, '')}/v1/traces` : null),
  };
}
