// `npm run token -- --tenant demo --role underwriter`: prints a token for the seeded dev user <role>@<tenant>,
// from the development issuer, or with KEYCLOAK_URL set from Keycloak (the user is made there on first use).
// `--partner CODE` prints a registered partner's token. Refused when NODE_ENV=production.
import { parseArgs } from 'node:util';
import { cliSetup } from './open.js';
import { loadOrCreateDevKey, signDevToken } from '../authz/devIssuer.js';
import { isRole, ROLES } from '../authz/roles.js';
import { adminClient } from '../authz/keycloak/realm.js';
import { devPartnerToken, devUserToken } from '../authz/keycloak/devUsers.js';

const { values } = parseArgs({
  options: {
    tenant: { type: 'string' },
    role: { type: 'string' },
    partner: { type: 'string' },
    'partner-kind': { type: 'string', default: 'origination' },
    ttl: { type: 'string', default: '3600' },
  },
});

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

const { config } = cliSetup();
if (config.NODE_ENV === 'production') fail('npm run token is for development; it refuses to run when NODE_ENV=production');
if (!config.devIssuer && !config.KEYCLOAK_URL) fail('the development issuer is off (AUTH_ISSUER is set); get tokens from the identity provider');
const role = values.role ?? fail(`--role is required: one of ${ROLES.join(', ')}`);
if (!isRole(role)) fail(`--role must be one of ${ROLES.join(', ')}`);
if (role !== 'platform-admin' && !values.tenant) fail('--tenant is required for every role but platform-admin');
const kind = values['partner-kind'];
if (values.partner && kind !== 'origination' && kind !== 'colending') fail('--partner-kind must be origination or colending');
const ttlSeconds = Number(values.ttl);
if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1) fail('--ttl must be a whole number of seconds');

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
  ...(values.partner ? { partner: { id: values.partner, kind: kind as 'origination' | 'colending' } } : {}),
  ttlSeconds,
  now: new Date(),
});
process.stdout.write(`${token}\n`);
