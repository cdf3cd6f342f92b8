// What a tenant's schema holds, as the backup sees it: its tables with the columns that carry data (generated
// columns are computed again on load), its sequences, and a digest of each table's rows. The digest is the MD5
// of the sorted MD5s of every row's text, so it depends on the rows and not on their physical order: a table
// restored elsewhere has the same digest exactly when it has the same rows.
import type pg from 'pg';
import { quoteIdent } from '../tenancy/schemaNames.js';
import { transaction } from '../tenancy/tenantSql.js';

/** The migration runner's own record: a restored schema writes its own through the migrations. */
const NOT_DATA = new Set(['schema_migration']);

export interface TableShape {
  name: string;
  columns: string[];
}

export interface SequenceState {
  name: string;
  lastValue: string;
  isCalled: boolean;
}

export interface TableDigest {
  rows: number;
  digest: string;
}

/** Session settings every backup connection uses, so row texts are the same on either side. */
export async function settleTextSettings(client: pg.ClientBase): Promise<void> {
  await client.query(`SELECT set_config('TimeZone', 'UTC', true), set_config('DateStyle', 'ISO, YMD', true),
    set_config('IntervalStyle', 'postgres', true), set_config('extra_float_digits', '1', true), set_config('bytea_output', 'hex', true)`);
}

export async function tablesOf(client: pg.ClientBase, schema: string): Promise<TableShape[]> {
  const { rows } = await client.query<{ table: string; columns: string[] }>(
    `SELECT c.relname AS table, array_agg(a.attname::text ORDER BY a.attnum) AS columns
       FROM pg_class c
       JOIN pg_namespace n ON n.oid = c.relnamespace
       JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
      WHERE n.nspname = $1 AND c.relkind = 'r'
      GROUP BY c.relname
      ORDER BY c.relname`,
    [schema],
  );
  return rows.filter((row) => !NOT_DATA.has(row.table)).map((row) => ({ name: row.table, columns: row.columns }));
}

export async function sequencesOf(client: pg.ClientBase, schema: string): Promise<SequenceState[]> {
  const { rows } = await client.query<{ name: string }>(
    `SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relkind = 'S' ORDER BY c.relname`,
    [schema],
  );
  const states: SequenceState[] = [];
  for (const { name } of rows) {
    // A sequence is outside every snapshot: its value here is at least what any exported row took from it.
    const { rows: [state] } = await client.query<{ last_value: string; is_called: boolean }>(
      `SELECT last_value::text, is_called FROM ${quoteIdent(schema)}.${quoteIdent(name)}`,
    );
    states.push({ name, lastValue: state!.last_value, isCalled: state!.is_called });
  }
  return states;
}

export async function digestOf(client: pg.ClientBase, schema: string, table: TableShape): Promise<TableDigest> {
  const columns = table.columns.map(quoteIdent).join(', ');
  const { rows: [row] } = await client.query<{ rows: string; digest: string }>(
    `SELECT count(*)::text AS rows, md5(coalesce(string_agg(h, '' ORDER BY h), '')) AS digest
       FROM (SELECT md5(ROW(${columns})::text) AS h FROM ${quoteIdent(schema)}.${quoteIdent(table.name)}) AS t`,
  );
  return { rows: Number(row!.rows), digest: row!.digest };
}

/** Every table's digest in one snapshot, for comparing two schemas (or a schema with a backup's manifest). */
export async function schemaDigests(pool: pg.Pool, schema: string): Promise<Record<string, TableDigest>> {
  return transaction(pool, async (client) => {
    await settleTextSettings(client);
    const digests: Record<string, TableDigest> = {};
    for (const table of await tablesOf(client, schema)) digests[table.name] = await digestOf(client, schema, table);
    return digests;
  }, { snapshot: true, readOnly: true });
}
