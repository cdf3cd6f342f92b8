// What test files share: a runtime and gateway on the run's database, unique tenants, dev tokens, and a
// GraphQL client over real HTTP.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { openRuntime, type Runtime } from '../../src/runtime.js';
import { startGateway, type Gateway } from '../../src/gateway.js';
import { provisionTenant, type NewTenant } from '../../src/tenancy/provisioning.js';
import { signDevToken } from '../../src/authz/devIssuer.js';
import { staffTokenSubject } from '../../src/authz/devStaff.js';
import type { Role } from '../../src/authz/roles.js';
import type { PartnerKind } from '../../src/authz/principal.js';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { freePort } from './ports.js';

export async function testEnv(overrides: Record<string, string> = {}): Promise<Record<string, string>> {
  const port = await freePort();
  return {
    NODE_ENV: 'test',
    DATABASE_URL: inject('databaseUrl'),
    DATA_DIR: inject('dataDir'),
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env['TEST_LOG_LEVEL'] ?? 'silent',
    TENANT_REGISTRY_TTL_MS: '0',
    // Webhook workers run only where a test asks for them (test/events/webhooks.test.ts), so no other test file's
    // process picks up its deliveries.
    JOBS_ENABLED: 'false',
    // End of day is scheduled only where a test asks (test/services/endOfDay/scheduler.test.ts): a process working
    // jobs would otherwise bring every test file's tenants to today's date.
    END_OF_DAY_TICK_SECONDS: '0',
    // The sandbox's asynchronous checks call back only in the test that asks (test/services/origination/pendingChecks.test.ts), so a
    // test driving a callback itself never races the sandbox's own.
    SANDBOX_CALLBACK_DELAY_MS: '86400000',
    // Test files send bursts from one principal and one address; the rate limits have tests of their own.
    RATE_LIMIT_PER_MINUTE: '0',
    RATE_LIMIT_ANONYMOUS_PER_MINUTE: '0',
    RATE_LIMIT_TENANT_PER_MINUTE: '0',
    QUERY_COST_PER_MINUTE: '0',
    // Test files' servers run side by side: none takes the metrics port unless a test asks (test/observability/).
    METRICS_PORT: '0',
    ...overrides,
  };
}

export async function openTestRuntime(overrides: Record<string, string> = {}): Promise<Runtime> {
  const config = loadConfig(await testEnv(overrides));
  return openRuntime(config, createLogger(config.LOG_LEVEL), { migrate: false });
}

export interface TestServer {
  runtime: Runtime;
  gateway: Gateway;
  close(): Promise<void>;
}

/** A gateway whose log lines are kept in memory, parsed, for tests that read what was logged. */
export async function startLoggedServer(overrides: Record<string, string> = {}): Promise<TestServer & { logs: Record<string, any>[] }> {
  const logs: Record<string, any>[] = [];
  const config = loadConfig(await testEnv({ LOG_LEVEL: 'info', ...overrides }));
  const runtime = await openRuntime(config, createLogger(config.LOG_LEVEL, { write: (line: string) => void logs.push(JSON.parse(line)) }), { migrate: false });
  try {
    const gateway = await startGateway(runtime);
    return { runtime, gateway, logs, async close() { await gateway.close(); await runtime.close(); } };
  } catch (error) {
    await runtime.close();
    throw error;
  }
}

export async function startTestServer(overrides: Record<string, string> = {}): Promise<TestServer> {
  // A port found free can be taken before the gateway binds it (by another test file's server, or as the local
  // port of an outgoing connection): then it starts again on another.
  for (let attempt = 1; ; attempt += 1) {
    const runtime = await openTestRuntime(overrides);
    try {
      const gateway = await startGateway(runtime);
      return {
        runtime,
        gateway,
        async close() {
          await gateway.close();
          await runtime.close();
        },
      };
    } catch (error) {
      await runtime.close();
      if (attempt < 3 && !overrides['PORT'] && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      throw error;
    }
  }
}

export function uniqueSlug(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A tenant made as createTenant makes it, asked for at `now` (a lender onboarded in the past: its books' dates). */
export async function createTenant(runtime: Runtime, slug: string, options: Partial<NewTenant> = {}, now = runtime.now()): Promise<TenantRecord> {
  await provisionTenant(runtime.pool, runtime.migrations, {
    slug,
    displayName: `Lender ${slug}`,
    currency: 'USD',
    timeZone: 'UTC',
    sandbox: false,
    ...options,
  }, now);
  runtime.registry.forget(slug);
  return (await runtime.registry.findBySlug(slug))!;
}

export async function devToken(
  runtime: Runtime,
  role: Role,
  tenant?: string,
  extra: { partner?: { id: string; kind: PartnerKind }; ttlSeconds?: number; now?: Date; subject?: string } = {},
): Promise<string> {
  return signDevToken(runtime.devKey!, {
    issuer: runtime.config.issuer,
    audience: runtime.config.AUTH_AUDIENCE,
    role,
    ...(tenant ? { tenant } : {}),
    ...(extra.partner ? { partner: extra.partner } : {}),
    ...(extra.ttlSeconds ? { ttlSeconds: extra.ttlSeconds } : {}),
    ...(extra.subject ? { subject: extra.subject } : {}),
    now: extra.now ?? runtime.now(),
  });
}

/** A token for a named member of staff a tenant admin invited, as `npm run token -- --tenant SLUG --user EMAIL` makes it. */
export async function staffToken(runtime: Runtime, tenant: { slug: string; schemaName: string }, email: string): Promise<string> {
  const found = await staffTokenSubject(runtime.database.pool, tenant, email);
  if ('refused' in found) throw new Error(found.refused);
  return signDevToken(runtime.devKey!, {
    issuer: runtime.config.issuer, audience: runtime.config.AUTH_AUDIENCE, role: 'tenant-admin', tenant: tenant.slug,
    subject: found.subject, staff: { email: found.email, roles: found.roles }, now: runtime.now(),
  });
}

export interface GraphQLResponse<T = Record<string, any>> {
  status: number;
  headers: Headers;
  data: T | null | undefined;
  errors: { message: string; path?: string[]; extensions: Record<string, any> }[] | undefined;
  extensions?: Record<string, any> | undefined;
}

export async function gql<T = Record<string, any>>(
  gateway: Gateway,
  query: string,
  options: { token?: string; tenant?: string; variables?: Record<string, unknown>; headers?: Record<string, string> } = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(gateway.graphqlUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.tenant ? { 'x-lendgraph-tenant': options.tenant } : {}),
      ...options.headers,
    },
    body: JSON.stringify({ query, variables: options.variables ?? {} }),
  });
  const body = (await response.json()) as { data?: T | null; errors?: GraphQLResponse['errors']; extensions?: Record<string, any> };
  return { status: response.status, headers: response.headers, data: body.data, errors: body.errors, extensions: body.extensions };
}

export function codes(response: GraphQLResponse): string[] {
  return (response.errors ?? []).map((e) => e.extensions['code'] as string);
}

export interface UserError {
  message: string;
  code: string;
  reason: string | null;
  field: string | null;
}

/** The fields every test asks of a payload's userErrors. */
export const USER_ERRORS = 'userErrors { message code reason field }';

/**
 * A mutation's refusals from its payload (`data[mutation].userErrors`, asked for with USER_ERRORS). Fails the
 * test when the mutation answered with top-level errors instead, or its payload has no userErrors: a refusal
 * must come in the payload, and only there.
 */
export function userErrors(response: GraphQLResponse, mutation: string): UserError[] {
  if (response.errors?.length) throw new Error(`${mutation} answered with GraphQL errors, not userErrors: ${JSON.stringify(response.errors)}`);
  const payload = (response.data as Record<string, { userErrors?: UserError[] } | null> | null | undefined)?.[mutation];
  if (!payload || !Array.isArray(payload.userErrors)) throw new Error(`${mutation} has no payload with userErrors: ${JSON.stringify(response.data)}`);
  return payload.userErrors;
}

/** The codes of a mutation's userErrors (see userErrors). */
export function userErrorCodes(response: GraphQLResponse, mutation: string): string[] {
  return userErrors(response, mutation).map((e) => e.code);
}
