// `npm run token -- --tenant demo --role underwriter`: prints a token for the seeded dev user <role>@<tenant>,
// from the development issuer, or with KEYCLOAK_URL set from Keycloak (the user is made there on first use).
// `--partner CODE` prints a registered partner's token; `--user EMAIL` a named staff member's (invited with
// inviteStaffMember; refused once deactivated), with that person's own subject and roles, from the development
// issuer only. Refused when NODE_ENV=production. The tenant and the
// partner are looked up first: a token for a tenant or partner that does not exist would only fail later, at
// the gateway, with a less helpful answer.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { cliSetup, commandLine } from './open.js';
import { loadOrCreateDevKey, signDevToken } from '../authz/devIssuer.js';
import { isRole, ROLES, type Role } from '../authz/roles.js';
import { staffTokenSubject } from '../authz/devStaff.js';
import { adminClient } from '../authz/keycloak/realm.js';
import { devPartnerToken, devUserToken } from '../authz/keycloak/devUsers.js';
import { openAllDatabases } from '../tenancy/database.js';
import { poolSql } from '../tenancy/tenantSql.js';

const USAGE = `usage: npm run token -- --role ROLE [--tenant SLUG] [--partner CODE [--partner-kind origination|colending]] [--ttl SECONDS]
       npm run token -- --tenant SLUG --user EMAIL [--ttl SECONDS]

Prints a bearer token on standard output.

  --role ROLE           one of ${ROLES.join(', ')}
  --tenant SLUG         the tenant (lender); required for every role but platform-admin
  --partner CODE        a partner registered with that tenant: prints the partner's token
  --partner-kind KIND   origination or colending (by default the role's: colending for colending-partner, else
                        origination); must be the partner's registered kind
  --user EMAIL          a staff member invited to that tenant (inviteStaffMember): their own subject and roles;
                        refused for a deactivated one (development issuer only)
  --ttl SECONDS         lifetime of the token (default 3600)
  -h, --help            this text

Without KEYCLOAK_URL the development issuer signs the token; with it, Keycloak does. Refused when NODE_ENV=production.
Exit codes: 0 token printed (or --help), 1 the tenant, partner or staff member does not exist (or may not act),
2 bad usage or configuration.
`;

const cli = commandLine(USAGE, {
  tenant: { type: 'string' },
  role: { type: 'string' },
  partner: { type: 'string' },
  user: { type: 'string' },
  'partner-kind': { type: 'string' },
  ttl: { type: 'string', default: '3600' },
});
const { values } = cli;
// Declared with its type, so that TypeScript knows the checks below end the program.
const usageError: (message: string) => never = cli.usageError;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

const { config, log } = cliSetup();
if (config.NODE_ENV === 'production') fail('npm run token is for development; it refuses to run when NODE_ENV=production');
if (!config.devIssuer && !config.KEYCLOAK_URL) fail('the development issuer is off (AUTH_ISSUER is set); get tokens from the identity provider');
if (values.user !== undefined) {
  if (!values.tenant) usageError('--user needs --tenant: staff are invited to one tenant');
  if (values.role || values.partner) usageError('--user takes the staff member\'s own roles: leave out --role and --partner');
  if (config.KEYCLOAK_URL) fail('--user is for the development issuer: with Keycloak, an invited person signs in themselves');
}
const role = values.user !== undefined ? 'tenant-admin' : values.role ?? usageError(`--role is required: one of ${ROLES.join(', ')}`);
if (!isRole(role)) usageError(`--role must be one of ${ROLES.join(', ')}`);
if (role !== 'platform-admin' && !values.tenant) usageError('--tenant is required for every role but platform-admin');
const kind = values['partner-kind'] ?? (role === 'colending-partner' ? 'colending' : 'origination');
if (kind !== 'origination' && kind !== 'colending') usageError('--partner-kind must be origination or colending');
if (values.partner && !values.tenant) usageError('--partner needs --tenant: partners are registered with one tenant');
const ttlSeconds = Number(values.ttl);
if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) usageError('--ttl must be a whole number of seconds');

let staff: { subject: string; email: string; roles: Role[] } | null = null;
if (values.tenant) {
  const problem = await missingTenantOrPartner(values.tenant, values.partner ?? null, kind, values.user ?? null);
  if (typeof problem === 'string') {
    process.stderr.write(`${problem}\n`);
    process.exit(1);
  }
  staff = problem;
}

/**
 * Why no token can be made for this tenant (and partner), or null when both exist and may be used. Two plain
 * queries on the database alone (no runtime, no ORM): a token is asked for often, and should come back at once.
 */
async function missingTenantOrPartner(slug: string, partnerCode: string | null, partnerKind: string, user: string | null): Promise<string | { subject: string; email: string; roles: Role[] } | null> {
  // Where the tenants were looked for, in every refusal: a token asked for with another DATA_DIR than the server's
  // looks in another database.
  const where = config.DATABASE_URL ? 'the database DATABASE_URL names' : `the embedded PostgreSQL in ${config.dataDir}`;
  // Never made here: without the platform's database there is no tenant to make a token for.
  if (!config.DATABASE_URL && !existsSync(path.join(config.dataDir, 'postgres', 'PG_VERSION'))) {
    return `no database in ${config.dataDir}: start the platform first (npm start) with the same DATA_DIR, or set DATABASE_URL`;
  }
  const opened = await openAllDatabases({ ...config, PG_POOL_MAX: 2 }, log);
  const { main: database, databases } = opened;
  try {
    const tenants = await database.pool.query<{ schema_name: string; status: string; database: string }>('SELECT schema_name, status, database FROM platform.tenant WHERE slug = $1', [slug])
      .catch((error: { code?: string }) => {
        // No registry yet: nothing has been started on this database, so no tenant exists either.
        if (error.code === '42P01' || error.code === '3F000') return { rows: [] };
        throw error;
      });
    const tenant = tenants.rows[0];
    if (!tenant || tenant.status === 'offboarded') return `no tenant ${slug} in ${where}: create it with npm run tenant -- create ${slug}`;
    const pool = databases.poolFor({ schemaName: tenant.schema_name, database: tenant.database });
    if (user !== null) {
      const found = await staffTokenSubject(pool, { slug, schemaName: tenant.schema_name }, user);
      return 'refused' in found ? found.refused : found;
    }
    if (!partnerCode) return null;
    const partners = await poolSql(pool, tenant.schema_name).query<{ kind: string; status: string }>((s) => `SELECT kind, status FROM ${s}.partner WHERE code = $1`, [partnerCode]);
    const partner = partners.rows[0];
    if (!partner) return `no partner ${partnerCode} is registered with tenant ${slug}: register it first (registerPartner)`;
    if (partner.status !== 'active') return `partner ${partnerCode} of tenant ${slug} is ${partner.status}`;
    if (partner.kind !== partnerKind) return `partner ${partnerCode} of tenant ${slug} is registered as ${partner.kind}, not ${partnerKind}: pass --partner-kind ${partner.kind}`;
    return null;
  } finally {
    await opened.close();
  }
}

if (config.KEYCLOAK_URL) {
  const admin = await adminClient(config.KEYCLOAK_URL, { username: config.KEYCLOAK_ADMIN_USERNAME, password: config.KEYCLOAK_ADMIN_PASSWORD ?? 'lendgraph-local-admin' });
  const token = values.partner
    ? await devPartnerToken(config.KEYCLOAK_URL, admin, { tenant: values.tenant!, code: values.partner })
    : await devUserToken(config.KEYCLOAK_URL, admin, { role, ...(values.tenant ? { tenant: values.tenant } : {}) });
  process.stdout.write(`${token}\n`);
  process.exit(0);
}

const key = await loadOrCreateDevKey(config.dataDir, config.NODE_ENV);
const token = await signDevToken(key, {
  issuer: config.issuer,
  audience: config.AUTH_AUDIENCE,
  role,
  ...(values.tenant ? { tenant: values.tenant } : {}),
  ...(values.partner ? { partner: { id: values.partner, kind } } : {}),
  ...(staff ? { subject: staff.subject, staff: { email: staff.email, roles: staff.roles } } : {}),
  ttlSeconds,
  now: new Date(),
});
process.stdout.write(`${token}\n`);
