// Verifying a tenant's audit chain: every row's hash must be the SHA-256 of the previous row's hash and its own
// content (the same canonical text settle_commits() hashed), with no gap in the sequence. What has committed
// but is not yet linked is settled first, so the verdict covers every record written before the question; a
// record committed while verifying is left for the next verification. Hiding a record by unlinking it leaves a
// gap in the sequence, which is reported.
import type pg from 'pg';
import { withTenantSql } from '../tenancy/tenantSql.js';
import type { CommitSettler } from '../events/commitSettler.js';

export interface ChainVerification {
  intact: boolean;
  records: number;
  /** The first record whose link does not hold. */
  firstBrokenSeq: number | null;
  reason: string | null;
}

const GENESIS = '0'.repeat(64);

export async function verifyAuditChain(pool: pg.Pool, settler: CommitSettler, schema: string): Promise<ChainVerification> {
  await settler.settle(schema);
  const rows = await withTenantSql(pool, schema, async (sql) => (await sql.query<{ seq: string; prev_hash: string; hash: string; expected: string }>(
    `SELECT seq, prev_hash, hash, encode(sha256(convert_to(prev_hash || audit_record_content(a), 'UTF8')), 'hex') AS expected
       FROM audit_record a WHERE seq IS NOT NULL ORDER BY seq`,
  )).rows);
  let previous = GENESIS;
  for (const [index, row] of rows.entries()) {
    const seq = Number(row.seq);
    const broken = (reason: string): ChainVerification => ({ intact: false, records: rows.length, firstBrokenSeq: seq, reason });
    if (seq !== index + 1) return broken(`sequence jumps to ${seq} after ${index}`);
    if (row.prev_hash !== previous) return broken('does not link to the record before it');
    if (row.hash !== row.expected) return broken('content does not match its hash');
    previous = row.hash;
  }
  return { intact: true, records: rows.length, firstBrokenSeq: null, reason: null };
}
