// `npm run tenant -- create` on a laptop without an identity provider: the tenant is made, and a first
// admin asked for is not (it exists only in an identity provider), which the command says, with the development
// issuer's token command that stands in for it.
import { decodeJwt } from 'jose';
import { describe, expect, it, inject } from 'vitest';
import { uniqueSlug } from '../support/harness.js';
import { runScript, tempDataDir } from '../support/process.js';

const env = () => ({ DATABASE_URL: inject('databaseUrl'), DATA_DIR: tempDataDir() });

describe('npm run tenant -- create, with no identity provider', () => {
  it('says that no first admin was made and which token to use instead, and that token is the tenant\'s admin', async () => {
    const slug = uniqueSlug('cli-admin');
    const created = await runScript('src/cli/tenant.ts', ['create', slug, '--admin-email', `ada@${slug}.example`, '--admin-name', 'Ada Lovelace'], env());
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(new RegExp(`^created: ${slug} `));
    expect(created.stderr).toContain(`no first admin was made for ada@${slug}.example: the first admin exists only in an identity provider, and none is configured (KEYCLOAK_URL is unset)`);
    const advice = /npm run token -- (.+)$/m.exec(created.stderr)![1]!.split(' ');
    expect(advice).toEqual(['--tenant', slug, '--role', 'tenant-admin']);

    const token = await runScript('src/cli/token.ts', advice, env());
    expect(token.code, token.stderr).toBe(0);
    expect(decodeJwt(token.stdout.trim())).toMatchObject({ realm_access: { roles: ['tenant-admin'] } });

    // Run again for another first admin, it is refused as createTenant refuses it: that admin would never be made.
    const other = await runScript('src/cli/tenant.ts', ['create', slug, '--admin-email', `bob@${slug}.example`], env());
    expect([other.code, other.stderr]).toEqual([1, `tenant ${slug} already exists with a different firstAdmin.email\n`]);
  });

  it('refuses a first business date after today in the tenant\'s zone, as createTenant does, making nothing', async () => {
    const slug = uniqueSlug('cli-future');
    const refused = await runScript('src/cli/tenant.ts', ['create', slug, '--sandbox', '--business-date', '2199-12-31'], env());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^businessDate: businessDate may not be after today in UTC, \d{4}-\d{2}-\d{2}/);
    const listed = await runScript('src/cli/tenant.ts', ['list'], env());
    expect(listed.stdout).not.toContain(slug);
  });

  it('refuses a first business date more than 1,827 days (five years) before today, as createTenant does, making nothing', async () => {
    const slug = uniqueSlug('cli-past');
    const refused = await runScript('src/cli/tenant.ts', ['create', slug, '--business-date', '1926-01-05'], env());
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/^businessDate: businessDate may not be before \d{4}-\d{2}-\d{2}, 1827 days before today in UTC/);
    const listed = await runScript('src/cli/tenant.ts', ['list'], env());
    expect(listed.stdout).not.toContain(slug);
  });

  it('says nothing of an admin when none was asked for', async () => {
    const slug = uniqueSlug('cli-plain');
    const created = await runScript('src/cli/tenant.ts', ['create', slug], env());
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toMatch(new RegExp(`^created: ${slug} `));
    expect(created.stderr).toBe('');
  });
});
