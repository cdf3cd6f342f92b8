// `npm run reseal [-- --batch-size 500] [--tenant SLUG]... [--max-batches N] [--check]`: seals every stored secret
// again under DATA_ENCRYPTION_KEY (docs/operations.md, "Rotating the data encryption key"). Safe to stop and run
// again; --check only counts, per tenant, what is still sealed under another key, and exits 1 while any is.
import { cliSetup, commandLine } from './open.js';
import { openAllDatabases } from '../tenancy/database.js';
import { loadDataKey } from '../tenancy/sealing.js';
import { resealAll, sealedUnderOtherKeys } from '../operations/resealing.js';

const usage = 'usage: npm run reseal -- [--batch-size 500] [--tenant SLUG]... [--max-batches N] [--check]\n';
const { values, usageError } = commandLine(usage, {
  'batch-size': { type: 'string', default: '500' },
  tenant: { type: 'string', multiple: true },
  'max-batches': { type: 'string' },
  check: { type: 'boolean', default: false },
});
const batchSize = Number(values['batch-size']);
if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 100_000) usageError('--batch-size must be a whole number from 1 to 100000');
const maxBatches = values['max-batches'] === undefined ? undefined : Number(values['max-batches']);
if (maxBatches !== undefined && (!Number.isInteger(maxBatches) || maxBatches < 1)) usageError('--max-batches must be a whole number, 1 or more');

const { config, log } = cliSetup();
const key = loadDataKey(config.DATA_ENCRYPTION_KEY, config.dataDir, config.NODE_ENV, config.DATA_ENCRYPTION_KEY_PREVIOUS);
const database = await openAllDatabases(config, log);
/** Seals again what is sealed under another key (unless --check), then counts what is left: exit 0 when nothing is. */
async function reseal(only: string[] | undefined): Promise<void> {
  if (!values.check) {
    const report = await resealAll(database.databases, key, { batchSize, ...(only ? { only } : {}), ...(maxBatches ? { maxBatches } : {}), log });
    for (const tenant of report.tenants) process.stdout.write(`${tenant.slug}: ${tenant.resealed} sealed again\n`);
    if (!report.finished) process.stdout.write(`stopped after ${maxBatches} batches: run again to continue\n`);
  }
  const left = await sealedUnderOtherKeys(database.databases, key, only);
  const remaining = left.reduce((sum, t) => sum + t.left, 0);
  for (const tenant of left.filter((t) => t.left > 0)) process.stdout.write(`${tenant.slug}: ${tenant.left} still sealed under another key\n`);
  process.stdout.write(remaining === 0
    ? `every value is sealed under the current key (${key.current.id}): DATA_ENCRYPTION_KEY_PREVIOUS can be removed\n`
    : `${remaining} values are still sealed under another key: keep DATA_ENCRYPTION_KEY_PREVIOUS\n`);
  process.exitCode = remaining === 0 ? 0 : 1;
}

try {
  const only = values.tenant?.length ? values.tenant : undefined;
  // A slug that names no tenant would leave nothing to do and report everything sealed: refused instead.
  const known = new Set(only ? (await database.databases.main.pool.query<{ slug: string }>('SELECT slug FROM platform.tenant WHERE slug = ANY($1::text[])', [only])).rows.map((row) => row.slug) : []);
  const unknown = only?.filter((slug) => !known.has(slug)) ?? [];
  if (unknown.length > 0) {
    process.stderr.write(`no tenant ${unknown.join(', ')}\n`);
    process.exitCode = 1;
  } else {
    await reseal(only);
  }
} finally {
  await database.close();
}
