// Seals every stored secret of every tenant again under the current data key, so the previous key can be
// removed (src/tenancy/sealing.ts says how a rotation goes). Work goes in batches, each its own transaction on
// rows it locks; a value already sealed under the current key is left alone, so a run that stopped is resumed by
// running it again, and a run over finished work changes nothing. A party identifier's lookup hash is derived
// from the key too, and is rewritten with its sealed value in the same statement.
import type pg from 'pg';
import type { Logger } from '../log.js';
import { identifierHash } from '../services/origination/parties.js';
import type { IdentifierKind } from '../services/origination/parties.js';
import { databasesOf, type Databases } from '../tenancy/placement.js';
import { quoteIdent } from '../tenancy/schemaNames.js';
import { withTenantSql } from '../tenancy/tenantSql.js';
import { isSealedUnderCurrent, openSecret, sealSecret, type DataKey } from '../tenancy/sealing.js';

/** Where sealed values live in a tenant's schema: a text column holding one, or a jsonb document holding some. */
interface SealedPlace {
  table: string;
  column: string;
  shape: 'text' | 'jsonb';
}

export const SEALED_PLACES: readonly SealedPlace[] = [
  { table: 'party_identifier', column: 'sealed', shape: 'text' },
  { table: 'application_party', column: 'submitted', shape: 'jsonb' },
  { table: 'webhook_endpoint', column: 'secret_sealed', shape: 'text' },
  { table: 'webhook_endpoint', column: 'previous_secret_sealed', shape: 'text' },
  { table: 'check_provider_settings', column: 'sealed_secrets', shape: 'jsonb' },
  { table: 'debit_mandate', column: 'account_number_sealed', shape: 'text' },
  { table: 'debit_file', column: 'content_sealed', shape: 'text' },
  { table: 'colending_partner_ledger', column: 'beneficiary_account_sealed', shape: 'text' },
];

/** A sealed value in the older form or under another key than `current`: what re-sealing rewrites. */
function staleCondition(place: SealedPlace, current: string): string {
  const column = quoteIdent(place.column);
  // Key ids are hex (sealing.ts), so the id can go into the pattern as it is.
  return place.shape === 'text'
    ? `${column} IS NOT NULL AND ${column} NOT LIKE 'v2.${current}.%'`
    : `${column}::text ~ '"(v1\\.[A-Za-z0-9_-]{16}\\.|v2\\.(?!${current}\\.)[0-9a-f]{12}\\.)'`;
}

/** The two sealed forms (sealing.ts): a 12-byte IV is 16 base64url characters, a key id 12 hex digits. */
const SEALED = /^(v1\.[\w-]{16}|v2\.[0-9a-f]{12}\.[\w-]{16})\.[\w-]+\.[\w-]*$/;

/** Every sealed string inside a jsonb document sealed again; other values kept as they are. */
function resealDocument(key: DataKey, value: unknown): unknown {
  if (typeof value === 'string') return SEALED.test(value) && !isSealedUnderCurrent(key, value) ? sealSecret(key, openSecret(key, value)) : value;
  if (Array.isArray(value)) return value.map((item) => resealDocument(key, item));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resealDocument(key, v)]));
  return value;
}

export interface ResealOptions {
  batchSize: number;
  /** Only these tenants (slugs); every tenant with a schema otherwise. */
  only?: string[];
  /** Stop after this many batches that sealed something (a run bounded in time); running again continues. */
  maxBatches?: number;
  log?: Logger;
}

export interface ResealOutcome {
  slug: string;
  resealed: number;
}

interface TenantSchema {
  slug: string;
  schema: string;
  /** The pool of the database it is placed on. */
  pool: pg.Pool;
}

/** Every tenant whose schema exists, each with the pool of the database the registry places it on. */
async function tenantSchemas(databases: Databases, only: string[] | undefined): Promise<TenantSchema[]> {
  const { rows } = await databases.main.pool.query<{ slug: string; schema: string; database: string }>(
    `SELECT slug, schema_name AS schema, database FROM platform.tenant WHERE ($1::text[] IS NULL OR slug = ANY($1)) ORDER BY slug`,
    [only ?? null],
  );
  // Which of the schemas exist: one question to each database, whatever the number of tenants on it.
  const existing = new Set<string>();
  for (const database of new Set(rows.map((row) => row.database))) {
    const schemas = rows.filter((row) => row.database === database).map((row) => row.schema);
    const found = await databases.pool(database).query<{ schema: string }>('SELECT nspname AS schema FROM pg_namespace WHERE nspname = ANY($1::text[])', [schemas]);
    for (const { schema } of found.rows) existing.add(`${database} ${schema}`);
  }
  return rows.filter((row) => existing.has(`${row.database} ${row.schema}`))
    .map((row) => ({ slug: row.slug, schema: row.schema, pool: databases.poolFor({ schemaName: row.schema, database: row.database }) }));
}

/** Re-seals one batch of one place; the number of values rewritten (0: the place is done). */
async function resealBatch(key: DataKey, tenant: TenantSchema, place: SealedPlace, batchSize: number): Promise<number> {
  const table = `${quoteIdent(tenant.schema)}.${quoteIdent(place.table)}`;
  const column = quoteIdent(place.column);
  // One transaction per batch, on the tenant's schema (the shared transaction door: commit, or roll back and rethrow).
  return withTenantSql(tenant.pool, tenant.schema, async (client) => {
    // SKIP LOCKED: a row a command holds is left for the next batch rather than waited on.
    const extra = place.table === 'party_identifier' ? ', kind, country' : '';
    const { rows } = await client.query<{ ctid: string; value: unknown; kind?: IdentifierKind; country?: string }>(
      `SELECT ctid::text, ${column} AS value${extra} FROM ${table} WHERE ${staleCondition(place, key.current.id)}
        LIMIT $1 FOR UPDATE SKIP LOCKED`,
      [batchSize],
    );
    for (const row of rows) {
      if (place.shape === 'jsonb') {
        await client.query(`UPDATE ${table} SET ${column} = $2::jsonb WHERE ctid = $1::tid`, [row.ctid, JSON.stringify(resealDocument(key, row.value))]);
      } else if (place.table === 'party_identifier') {
        const value = openSecret(key, row.value as string);
        await client.query(`UPDATE ${table} SET sealed = $2, lookup_hash = $3 WHERE ctid = $1::tid`,
          [row.ctid, sealSecret(key, value), identifierHash(key, tenant.slug, { kind: row.kind!, country: row.country!, value })]);
      } else {
        await client.query(`UPDATE ${table} SET ${column} = $2 WHERE ctid = $1::tid`, [row.ctid, sealSecret(key, openSecret(key, row.value as string))]);
      }
    }
    return rows.length;
  });
}

export interface ResealReport {
  tenants: ResealOutcome[];
  /** False when `maxBatches` ran out first: run again to continue. */
  finished: boolean;
}

export async function resealAll(on: pg.Pool | Databases, key: DataKey, options: ResealOptions): Promise<ResealReport> {
  const tenants: ResealOutcome[] = [];
  let batches = 0;
  for (const tenant of await tenantSchemas(databasesOf(on), options.only)) {
    let resealed = 0;
    for (const place of SEALED_PLACES) {
      for (;;) {
        if (options.maxBatches !== undefined && batches >= options.maxBatches) {
          tenants.push({ slug: tenant.slug, resealed });
          return { tenants, finished: false };
        }
        const done = await resealBatch(key, tenant, place, options.batchSize);
        if (done === 0) break;
        batches += 1;
        resealed += done;
        options.log?.info({ tenant: tenant.slug, table: place.table, resealed }, 'reseal: batch committed');
      }
    }
    tenants.push({ slug: tenant.slug, resealed });
  }
  return { tenants, finished: true };
}

/** Values not yet sealed under the current key, per tenant: all zero before the previous key may be removed. */
export interface StillSealed {
  slug: string;
  left: number;
}

export async function sealedUnderOtherKeys(on: pg.Pool | Databases, key: DataKey, only?: string[]): Promise<StillSealed[]> {
  const outcomes: StillSealed[] = [];
  for (const tenant of await tenantSchemas(databasesOf(on), only)) {
    let left = 0;
    for (const place of SEALED_PLACES) {
      const { rows: [row] } = await tenant.pool.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM ${quoteIdent(tenant.schema)}.${quoteIdent(place.table)} WHERE ${staleCondition(place, key.current.id)}`,
      );
      left += Number(row!.n);
    }
    outcomes.push({ slug: tenant.slug, left });
  }
  return outcomes;
}
