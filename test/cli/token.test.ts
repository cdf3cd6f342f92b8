// `npm run token` as a new user meets it: --help prints the usage and exits 0, a wrong option is named with the
// usage and exit 2 (never a stack trace), and a token is refused (exit 1, nothing on stdout) for a tenant that
// does not exist or a partner that is not registered with that tenant, or not as the kind asked for.
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { decodeJwt } from 'jose';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { registerPartner } from '../../src/services/partners.js';
import { deactivateStaffMember, inviteStaffMember } from '../../src/services/staff.js';
import type { Runtime } from '../../src/runtime.js';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { createTenant, openTestRuntime, uniqueSlug } from '../support/harness.js';
import { runScript, tempDataDir } from '../support/process.js';

let runtime: Runtime;
let tenant: TenantRecord;
const env = () => ({ DATABASE_URL: inject('databaseUrl'), DATA_DIR: tempDataDir() });
const token = (args: string[]) => runScript('src/cli/token.ts', args, env());
const STACK = /^\s+at /m;

beforeAll(async () => {
  runtime = await openTestRuntime();
  tenant = await createTenant(runtime, uniqueSlug('token-cli'));
  const actor = { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' };
  const db = runtime.tenantClients.forSchema(tenant.schemaName);
  await registerPartner(db, runtime.identity, { tenant: tenant.slug, actor, now: new Date() }, { code: 'fintech', name: 'Fintech', kind: 'origination' });
  await registerPartner(db, runtime.identity, { tenant: tenant.slug, actor, now: new Date() }, { code: 'cofund', name: 'Co-fund', kind: 'colending' });
});
afterAll(async () => {
  await runtime.close();
});

describe('npm run token: usage', () => {
  it('--help (and -h) prints the usage on stdout and exits 0', async () => {
    for (const flag of ['--help', '-h']) {
      const result = await token([flag]);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toMatch(/^usage: npm run token -- --role ROLE/);
      expect(result.stdout).toContain('--partner CODE');
      expect(result.stderr).toBe('');
    }
  });

  it('an unknown option, a missing value or a stray argument is named, with the usage, exit 2 and no stack trace', async () => {
    for (const [args, says] of [
      [['--tennant', 'demo', '--role', 'underwriter'], "Unknown option '--tennant'"],
      [['--role'], "Option '--role <value>' argument missing"],
      [['underwriter'], "Unexpected argument 'underwriter'"],
      [['--tenant', 'demo'], '--role is required'],
      [['--tenant', 'demo', '--role', 'underwriter', '--ttl', 'soon'], '--ttl must be a whole number of seconds'],
    ] as const) {
      const result = await token([...args]);
      expect(result.code, String(args)).toBe(2);
      expect(result.stderr).toContain(says);
      expect(result.stderr).toContain('usage: npm run token');
      expect(result.stderr).not.toMatch(STACK);
      expect(result.stdout).toBe('');
    }
  });
});

describe('npm run token: only for tenants and partners that exist', () => {
  it('refuses a tenant that does not exist', async () => {
    const result = await token(['--tenant', 'no-such-lender', '--role', 'underwriter']);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('no tenant no-such-lender in the database DATABASE_URL names');
    expect(result.stderr).not.toMatch(STACK);
    expect(result.stdout).toBe('');
  });

  it('refuses a partner not registered with that tenant, or asked for as the wrong kind', async () => {
    const ghost = await token(['--tenant', tenant.slug, '--role', 'origination-partner', '--partner', 'ghost']);
    expect(ghost.code).toBe(1);
    expect(ghost.stderr).toContain(`no partner ghost is registered with tenant ${tenant.slug}`);
    expect(ghost.stdout).toBe('');
    const wrongKind = await token(['--tenant', tenant.slug, '--role', 'colending-partner', '--partner', 'fintech', '--partner-kind', 'colending']);
    expect(wrongKind.code).toBe(1);
    expect(wrongKind.stderr).toContain('is registered as origination, not colending');
    expect(wrongKind.stdout).toBe('');
  });

  it('prints a token for a registered partner and for staff of an existing tenant', async () => {
    const partner = await token(['--tenant', tenant.slug, '--role', 'origination-partner', '--partner', 'fintech']);
    expect(partner.code, partner.stderr).toBe(0);
    expect(decodeJwt(partner.stdout.trim())).toMatchObject({ organization: [tenant.slug], lendgraph_partner: { id: 'fintech', kind: 'origination' } });
    const colending = await token(['--tenant', tenant.slug, '--role', 'colending-partner', '--partner', 'cofund', '--partner-kind', 'colending']);
    expect(colending.code, colending.stderr).toBe(0);
    // The kind follows from the role when it is not given.
    const byRole = await token(['--tenant', tenant.slug, '--role', 'colending-partner', '--partner', 'cofund']);
    expect(byRole.code, byRole.stderr).toBe(0);
    expect(decodeJwt(byRole.stdout.trim())).toMatchObject({ lendgraph_partner: { id: 'cofund', kind: 'colending' }, azp: `partner-${tenant.slug}--cofund` });
    const staff = await token(['--tenant', tenant.slug, '--role', 'underwriter']);
    expect(staff.code, staff.stderr).toBe(0);
    expect(decodeJwt(staff.stdout.trim())).toMatchObject({ organization: [tenant.slug], realm_access: { roles: ['underwriter'] } });
  });
});

describe('npm run token without a database', () => {
  it('makes none: a data folder with no embedded PostgreSQL is named, exit 1, and nothing is created there', async () => {
    const dataDir = tempDataDir();
    const result = await runScript('src/cli/token.ts', ['--tenant', 'demo', '--role', 'underwriter'], { DATA_DIR: dataDir });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`no database in ${dataDir}: start the platform first (npm start) with the same DATA_DIR, or set DATABASE_URL`);
    expect(result.stdout).toBe('');
    expect(existsSync(path.join(dataDir, 'postgres'))).toBe(false);
  });
});

describe('npm run token -- --user: a named staff member', () => {
  it('prints a token with the person\'s own subject and roles, two officers two subjects; refuses one deactivated, one never invited, and --user with --role', async () => {
    const db = runtime.tenantClients.forSchema(tenant.schemaName);
    const command = { tenant: tenant.slug, actor: { subject: 'test-setup', roles: ['tenant-admin'], partner: null, clientId: null, requestId: 'setup' }, now: new Date() };
    const ada = await inviteStaffMember(db, runtime.identity, command, { email: 'ada@lender.example', displayName: 'Ada Officer', roles: ['disbursement-officer'] });
    const bo = await inviteStaffMember(db, runtime.identity, command, { email: 'bo@lender.example', displayName: 'Bo Officer', roles: ['disbursement-officer', 'auditor'] });
    const [adaToken, boToken] = [await token(['--tenant', tenant.slug, '--user', 'Ada@Lender.example']), await token(['--tenant', tenant.slug, '--user', 'bo@lender.example'])];
    expect(adaToken.code, adaToken.stderr).toBe(0);
    expect(boToken.code, boToken.stderr).toBe(0);
    expect(decodeJwt(adaToken.stdout.trim())).toMatchObject({ sub: ada.member.identitySubject, preferred_username: 'ada@lender.example', organization: [tenant.slug], realm_access: { roles: ['disbursement-officer'] } });
    expect(decodeJwt(boToken.stdout.trim())).toMatchObject({ sub: bo.member.identitySubject, realm_access: { roles: ['disbursement-officer', 'auditor'] } });
    expect(ada.member.identitySubject).not.toBe(bo.member.identitySubject);

    await deactivateStaffMember(db, runtime.identity, command, bo.member.id);
    const refused = await token(['--tenant', tenant.slug, '--user', 'bo@lender.example']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('is deactivated');
    expect(refused.stdout).toBe('');
    const stranger = await token(['--tenant', tenant.slug, '--user', 'nobody@lender.example']);
    expect(stranger.code).toBe(1);
    expect(stranger.stderr).toContain('no staff member nobody@lender.example');
    const both = await token(['--tenant', tenant.slug, '--user', 'ada@lender.example', '--role', 'tenant-admin']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('--user takes the staff member\'s own roles');
    expect(both.stderr).not.toMatch(STACK);
  });
});

