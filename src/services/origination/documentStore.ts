// Where a document's bytes live, behind one small interface. By default they live in the tenant's own schema
// (`document_content`), written in the same transaction as the document's record, so a document is never
// recorded without its content nor stored without its record. Content is addressed by its SHA-256
// (`sha256:<hex>`): identical bytes are stored once, however many documents name them.
//
// An object store (S3, GCS, Azure Blob) can implement DocumentStore later: `put` uploads under the same
// content address (so a retried upload is harmless) before the record's transaction commits, and a sweep removes
// content no record names (a transaction that rolled back after its `put`). The records keep `storage_key`, so
// keys of both kinds can coexist while content moves.
import { createHash } from 'node:crypto';
import type { TenantDb } from '../../tenancy/tenantClients.js';
import type { Tx } from '../../tenancy/tenantClients.js';

export interface DocumentStore {
  /** Stores the bytes (once per content) and returns the key to fetch them by. */
  put(bytes: Uint8Array): Promise<string>;
  /** The bytes under the key, or null when there are none. */
  get(storageKey: string): Promise<Buffer | null>;
}

export const sha256Hex = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** The content address of some bytes. */
export const storageKeyOf = (bytes: Uint8Array): string => `sha256:${sha256Hex(bytes)}`;

/**
 * The PostgreSQL store over `document_content`, on a tenant client or inside a transaction (pass the `tx` of
 * runCommand to write the content with the record that names it).
 */
export function postgresDocumentStore(db: TenantDb | Tx): DocumentStore {
  return {
    async put(bytes) {
      const storageKey = storageKeyOf(bytes);
      // ON CONFLICT DO NOTHING: the same content uploaded twice, even concurrently, is one row.
      await db.documentContent.createMany({ data: [{ storageKey, bytes: new Uint8Array(bytes) }], skipDuplicates: true });
      return storageKey;
    },
    async get(storageKey) {
      const row = await db.documentContent.findUnique({ where: { storageKey } });
      return row ? Buffer.from(row.bytes) : null;
    },
  };
}
