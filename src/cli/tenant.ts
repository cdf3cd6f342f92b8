// `npm run tenant -- create <slug> [--name N] [--currency USD] [--time-zone UTC] [--business-date D] [--sandbox] [--database NAME] [--admin-email E --admin-name N]`
// `npm run tenant -- suspend|reactivate|offboard <slug> --reason R` | `list`
// Creating goes through the same onboarding as the createTenant mutation (Keycloak too, with KEYCLOAK_URL set).
import { cliSetup, commandLine } from './open.js';
import { openRuntime } from '../runtime.js';
import { TenantConflictError } from '../tenancy/provisioning.js';
import { InvalidField } from '../errors.js';
import { offboardTenant, onboardTenant } from '../tenancy/onboarding.js';

const usage = `usage: npm run tenant -- create <slug> [--name N] [--currency USD] [--time-zone UTC] [--business-date YYYY-MM-DD] [--sandbox]
                              [--database NAME] [--admin-email E --admin-name N]
       npm run tenant -- suspend|reactivate|offboard <slug> --reason R
       npm run tenant -- list

Exit codes: 0 done (or --help), 1 refused (the message says why), 2 bad usage or configuration.
`;
const { positionals, values, usageError } = commandLine(usage, {
  name: { type: 'string' },
  currency: { type: 'string', default: 'USD' },
  'time-zone': { type: 'string', default: 'UTC' },
  'business-date': { type: 'string' },
  sandbox: { type: 'boolean', default: false },
  database: { type: 'string' },
  reason: { type: 'string' },
  'admin-email': { type: 'string' },
  'admin-name': { type: 'string' },
}, { positionals: true });
const [command, slug] = positionals;
if (!command || !['create', 'suspend', 'reactivate', 'offboard', 'list'].includes(command)) usageError(command ? `unknown command ${command}` : 'a command is required');
if (command !== 'list' && !slug) usageError(`${command} needs the tenant's slug`);

const { config, log } = cliSetup();
const runtime = await openRuntime(config, log, { migrate: true });
try {
  if (command === 'create') {
    const firstAdmin = values['admin-email'] ? { email: values['admin-email'], name: values['admin-name'] ?? values['admin-email'] } : null;
    const result = await onboardTenant(runtime, {
      slug: slug!,
      displayName: values.name ?? slug!,
      currency: values.currency!,
      timeZone: values['time-zone']!,
      sandbox: values.sandbox ?? false,
      ...(values['business-date'] ? { businessDate: values['business-date'] } : {}),
      ...(values.database ? { database: values.database } : {}),
    }, firstAdmin, runtime.now());
    const tenant = await runtime.registry.findBySlug(slug!);
    if (result.status !== 'active') {
      process.stdout.write(`${tenant!.slug}: ${tenant!.status} (${tenant!.statusReason}); run the same command again to retry\n`);
      process.exitCode = 1;
    } else {
      process.stdout.write(`${result.created ? 'created' : 'already exists'}: ${tenant!.slug} (${tenant!.schemaName} on ${tenant!.database}, version ${tenant!.schemaVersion}, business date ${tenant!.businessDate})\n`);
      // The first admin is a person in the identity provider and nowhere else: without one, nobody was made.
      if (firstAdmin && !runtime.identity.makesPeople) {
        process.stderr.write(
          `no first admin was made for ${firstAdmin.email}: the first admin exists only in an identity provider, and none is configured (KEYCLOAK_URL is unset).\n` +
          `With the development issuer, act as ${tenant!.slug}'s tenant admin with a token from: npm run token -- --tenant ${tenant!.slug} --role tenant-admin\n`);
      }
    }
  } else if (command === 'suspend' || command === 'reactivate') {
    if (!values.reason) throw new InvalidField('reason', '--reason is required');
    const tenant = command === 'suspend'
      ? await runtime.registry.setStatus(slug!, 'suspended', values.reason, ['active', 'suspended'])
      : await runtime.registry.setStatus(slug!, 'active', values.reason, ['suspended', 'active']);
    if (!tenant) throw new InvalidField('slug', `no ${command === 'suspend' ? 'active' : 'suspended'} tenant ${slug}`);
    process.stdout.write(`${tenant.slug}: ${tenant.status}\n`);
  } else if (command === 'offboard') {
    if (!values.reason) throw new InvalidField('reason', '--reason is required');
    if (!(await offboardTenant(runtime, slug!, values.reason))) throw new InvalidField('slug', `no tenant ${slug} that can be offboarded`);
    process.stdout.write(`${slug}: offboarded\n`);
  } else {
    for (const tenant of await runtime.registry.list({ where: {}, orderBy: [{ slug: 'asc' }], take: 10_000 })) {
      process.stdout.write(`${tenant.slug}\t${tenant.status}\t${tenant.sandbox ? 'sandbox' : ''}\t${tenant.schemaVersion}\n`);
    }
  }
} catch (error) {
  if (error instanceof InvalidField) process.stderr.write(`${error.field}: ${error.message}\n`);
  else if (error instanceof TenantConflictError) process.stderr.write(`${error.message}\n`);
  else throw error;
  process.exitCode = 1;
} finally {
  await runtime.close();
}
