// A tenant restored under another slug (`npm run backup -- import DIR --as NEW-SLUG`) must find its borrowers by
// identifier as the original did: the slug is part of an identifier's lookup hash (so two lenders' equal
// identifiers differ), so the copy's hashes are computed again for its own slug, from the sealed identifiers.
import type pg from 'pg';
import { identifierHash, type IdentifierKind } from '../services/origination/parties.js';
import { quoteIdent } from '../tenancy/schemaNames.js';
import { openSecret, type DataKey } from '../tenancy/sealing.js';

export async function rekeyIdentifierLookups(client: pg.ClientBase, key: DataKey, schema: string, slug: string): Promise<number> {
  const table = `${quoteIdent(schema)}.party_identifier`;
  const { rows } = await client.query<{ id: string; kind: IdentifierKind; country: string; sealed: string }>(`SELECT id::text, kind, country, sealed FROM ${table}`);
  for (const row of rows) {
    const hash = identifierHash(key, slug, { kind: row.kind, country: row.country, value: openSecret(key, row.sealed) });
    await client.query(`UPDATE ${table} SET lookup_hash = $2 WHERE id = $1::uuid`, [row.id, hash]);
  }
  return rows.length;
}
