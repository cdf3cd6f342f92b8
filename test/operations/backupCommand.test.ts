// `npm run backup` as an operator runs it: export a tenant, verify it against the backup (and see a difference
// named after a change), import the backup beside it under a new slug, and be refused, with the field named,
// when importing under a slug that exists or when the command is incomplete.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Runtime } from '../../src/runtime.js';
import { createTenant, openTestRuntime, testEnv, uniqueSlug } from '../support/harness.js';
import { runScript } from '../support/process.js';

let runtime: Runtime;
let folder: string;
let env: Record<string, string>;
const slug = uniqueSlug('bk-cli');
const copy = uniqueSlug('bk-cli-copy');

beforeAll(async () => {
  runtime = await openTestRuntime();
  folder = mkdtempSync(path.join(tmpdir(), 'lendgraph-backup-cli-'));
  env = await testEnv();
  await createTenant(runtime, slug, { sandbox: true, businessDate: '2026-03-02' });
}, 60_000);

afterAll(async () => {
  await runtime?.close();
  rmSync(folder, { recursive: true, force: true });
});

describe('npm run backup', () => {
  const backup = () => path.join(folder, 'backup');

  it('exports a tenant, and verify finds it unchanged, then names the table a change is in', async () => {
    const exported = await runScript('src/cli/backup.ts', ['export', slug, '--out', backup()], env);
    expect(exported).toMatchObject({ code: 0, stderr: '' });
    expect(exported.stdout).toMatch(new RegExp(`^exported ${slug}: \\d+ tables, \\d+ rows, schema version \\d+_tenant_\\w+, to `));
    const same = await runScript('src/cli/backup.ts', ['verify', slug, '--against', backup()], env);
    expect(same).toMatchObject({ code: 0, stdout: expect.stringContaining(`${slug} holds exactly the backup's rows`) });
    const schema = `tenant_${slug.replaceAll('-', '_')}`;
    await runtime.pool.query(`UPDATE ${schema}.loan_product SET name = name || ' (renamed)' WHERE code = 'PL-STD'`);
    const changed = await runScript('src/cli/backup.ts', ['verify', slug, '--against', backup()], env);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toMatch(/differs from the backup in one table: loan_product \(\d+ rows, backup \d+\)/);
  }, 120_000);

  it('imports the backup beside the tenant under a new slug, suspended, and refuses the slug that exists', async () => {
    const imported = await runScript('src/cli/backup.ts', ['import', backup(), '--as', copy], env);
    expect(imported).toMatchObject({ code: 0, stderr: '' });
    expect(imported.stdout).toContain(`imported ${copy} (tenant_${copy.replaceAll('-', '_')})`);
    runtime.registry.forget(copy);
    expect(await runtime.registry.findBySlug(copy)).toMatchObject({ status: 'suspended', displayName: `Lender ${slug} (restored)` });
    const again = await runScript('src/cli/backup.ts', ['import', backup()], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`slug: tenant ${slug} already exists here: restore beside it under a new slug (--as)\n`);
    const incomplete = await runScript('src/cli/backup.ts', ['export', slug], env);
    expect(incomplete.code).toBe(2);
    expect(incomplete.stderr).toContain('usage: npm run backup -- export <slug> --out DIR');
    const help = await runScript('src/cli/backup.ts', ['--help'], env);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run backup -- export <slug> --out DIR/);
  }, 120_000);
});
