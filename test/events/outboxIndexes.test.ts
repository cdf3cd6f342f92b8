// The outbox's number and aggregate indexes hold settled events only: a command's events enter them when the settler
// numbers them, not when the command records them. Every reader asks for settled events (`seq > cursor`), so each
// of the feed's reads (its own statements) must still find its index: checked on the generic plan PostgreSQL keeps
// for a prepared read, with sequential scans priced out so that a read which could not use the index would show it.
import type pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { afterCursorSql, latestSeqSql, pageSql } from '../../src/events/outboxFeed.js';
import type { Runtime } from '../../src/runtime.js';
import type { TenantRecord } from '../../src/tenancy/registry.js';
import { createTenant, openTestRuntime, uniqueSlug } from '../support/harness.js';

let runtime: Runtime;
let tenant: TenantRecord;

beforeAll(async () => {
  runtime = await openTestRuntime();
  tenant = await createTenant(runtime, uniqueSlug('outbox-idx'), { sandbox: true });
}, 120_000);

afterAll(async () => {
  await runtime?.close();
});

async function withClient<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await runtime.pool.connect();
  try {
    await client.query('BEGIN');
    return await work(client);
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

it('indexes an event by number and aggregate only once it is numbered', async () => {
  const { rows } = await runtime.pool.query<{ indexname: string; indexdef: string }>(
    `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = 'outbox_event' ORDER BY indexname`, [tenant.schemaName]);
  const byName = new Map(rows.map((row) => [row.indexname, row.indexdef]));
  expect(byName.get('outbox_event_seq_key')).toMatch(/^CREATE UNIQUE INDEX outbox_event_seq_key ON \S+ USING btree \(seq\) WHERE \(seq IS NOT NULL\)$/);
  expect(byName.get('outbox_event_aggregate_idx')).toMatch(/USING btree \(aggregate_type, aggregate_id, seq\) WHERE \(seq IS NOT NULL\)$/);
  // The settler still finds what is left to number, and each event stays unique by its id, settled or not.
  expect(byName.get('outbox_event_unsettled_idx')).toMatch(/\(recorded\) WHERE \(seq IS NULL\)$/);
  expect(byName.get('outbox_event_id_key')).toMatch(/^CREATE UNIQUE INDEX outbox_event_id_key ON \S+ USING btree \(id\)$/);
});

it('reads settled events through those indexes: the latest number, the events after a cursor, a page, one aggregate\'s page', async () => {
  const s = tenant.schemaName;
  const literal = (value: unknown) => (value === null ? 'NULL' : typeof value === 'number' ? String(value) : `'${String(value)}'`);
  const aggregatePage = pageSql({ aggregateType: 'Loan', aggregateId: 'TG9hbjox' }, { after: 0, limit: 50, newestFirst: false });
  const newestPage = pageSql({}, { after: 0, limit: 50, newestFirst: true });
  // The feed's own statements (src/events/outboxFeed.ts), with values of their types.
  const reads: { name: string; text: string; args: unknown[]; index: string }[] = [
    { name: 'latest', text: latestSeqSql(s), args: [], index: 'outbox_event_seq_key' },
    { name: 'after_cursor', text: afterCursorSql(s), args: [0, 100], index: 'outbox_event_seq_key' },
    { name: 'newest_page', text: newestPage.text(s), args: newestPage.params, index: 'outbox_event_seq_key' },
    { name: 'one_aggregate', text: aggregatePage.text(s), args: aggregatePage.params, index: 'outbox_event_aggregate_idx' },
  ];
  await withClient(async (client) => {
    await client.query(`SET LOCAL plan_cache_mode = force_generic_plan`);
    await client.query(`SET LOCAL enable_seqscan = off`);
    await client.query(`SET LOCAL enable_bitmapscan = off`);
    for (const read of reads) {
      await client.query(`PREPARE outbox_${read.name} AS ${read.text}`);
      const args = read.args.length > 0 ? `(${read.args.map(literal).join(', ')})` : '';
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN EXECUTE outbox_${read.name}${args}`);
      const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
      expect(plan, `${read.name}:\n${plan}`).toContain(read.index);
      expect(plan, `${read.name}:\n${plan}`).not.toMatch(/Seq Scan/);
    }
  });
});

it('numbers a command\'s events, finds them by aggregate once settled, and keeps their numbers unique', async () => {
  const s = tenant.schemaName;
  await withClient(async (client) => {
    await client.query(`INSERT INTO ${s}.outbox_event (id, type, aggregate_type, aggregate_id, tenant, occurred_at, payload)
      VALUES (gen_random_uuid(), 'loan.repaymentPosted', 'Loan', 'TG9hbjpvdXRib3g=', $1, now(), '{}'), (gen_random_uuid(), 'loan.repaymentPosted', 'Loan', 'TG9hbjpvdXRib3g=', $1, now(), '{}')`, [tenant.slug]);
    const settled = await client.query<{ seq: string }>(`SELECT seq::text FROM ${s}.settle_commits(5000)`);
    expect(settled.rows).toHaveLength(2);
    await client.query(`SET LOCAL enable_seqscan = off`);
    const found = await client.query<{ seq: string }>(`SELECT seq::text FROM ${s}.outbox_event WHERE aggregate_type = 'Loan' AND aggregate_id = 'TG9hbjpvdXRib3g=' AND seq > 0 ORDER BY seq`);
    expect(found.rows.map((row) => row.seq)).toEqual(settled.rows.map((row) => row.seq));
    // Numbers stay unique among settled events.
    await expect(client.query(`UPDATE ${s}.outbox_event SET seq = $1 WHERE seq = $2`, [settled.rows[0]!.seq, settled.rows[1]!.seq])).rejects.toThrow(/outbox_event_seq_key/);
  });
});
