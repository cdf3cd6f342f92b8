// Many commands of one tenant in one transaction on one pooled connection (the batches commandQueue.ts gathers):
// each keeps what makes it a command — its own idempotency key, audit record, events and answer, its own error
// when its checks fail — and they share the transaction, the round trips and the commit. Commands whose key was
// claimed before, and every command of a batch the database refused as a whole, run again alone
// (runSqlCommand), so a batch never answers differently from its commands run one by one.
import pg from 'pg';
import { COMMIT_CHANNEL } from '../events/outboxFeed.js';
import { quoteIdent, schemaForSlug } from '../tenancy/schemaNames.js';
import type { TenantStatement } from '../tenancy/tenantSql.js';
import { asJson, auditEntries, idempotencyOwner, inlined, requestHashOf, writtenEvents, type Command, type CommandSql, type Outcome, type Statement } from './runCommand.js';

export interface BatchWork<T, S, P> {
  /** Reads (and locks) what the batch needs; its first statement goes with BEGIN and the key claims. */
  read(sql: CommandSql): Promise<S>;
  /** One command's outcome and its part of the writes, from what was read; throws that command's own error. */
  decide(index: number, read: S): { outcome: Outcome<T>; part: P };
  /** The writes of the commands that went through, together. */
  write(parts: P[]): Statement[];
}

interface Claim {
  index: number;
  principal: string;
  key: string;
  operation: string;
  requestHash: string;
}

/**
 * Runs `commands` (one tenant's) as one transaction; one answer per command, in order. `alone` runs one of them
 * by itself: for a key claimed before (its stored answer, or a CONFLICT) and after a batch the database refused.
 */
export async function runSqlCommandBatch<T, S, P>(
  pool: pg.Pool, commands: readonly Command[], work: BatchWork<T, S, P>, alone: (index: number) => Promise<T>,
): Promise<PromiseSettledResult<T>[]> {
  const tenant = commands[0]!.tenant;
  if (commands.some((c) => c.tenant !== tenant)) throw new Error('a batch of commands belongs to one tenant');
  const schemaName = schemaForSlug(tenant);
  const schema = quoteIdent(schemaName);
  const answers: (PromiseSettledResult<T> | undefined)[] = commands.map(() => undefined);
  const claims: Claim[] = [];
  commands.forEach((command, index) => {
    if (!command.idempotency) return;
    try {
      claims.push({ index, principal: idempotencyOwner(command.actor), key: command.idempotency.key, operation: command.action, requestHash: requestHashOf({ ...command, idempotency: command.idempotency }) });
    } catch (error) {
      answers[index] = { status: 'rejected', reason: error };
    }
  });
  // In one order, so two batches claiming the same keys (a client retrying while the first try is in flight) queue rather than deadlock.
  claims.sort((a, b) => (a.principal === b.principal ? (a.key < b.key ? -1 : 1) : a.principal < b.principal ? -1 : 1));
  const claimOf = new Map(claims.map((claim) => [claim.index, claim]));
  const runAlone: number[] = [];

  const client = await pool.connect();
  let begun = false;
  let done = false;
  try {
    const pending = ['BEGIN', ...(claims.length > 0 ? [inlined(CLAIMS(schema), [JSON.stringify(claims)])] : [])];
    let claimed = new Set<string>();
    const sql: CommandSql = {
      async query<R extends pg.QueryResultRow>(text: TenantStatement, values: unknown[] = []): Promise<R[]> {
        if (begun) return (await client.query<R>(text(schema), values)).rows;
        begun = true;
        const results = await client.query([...pending, inlined(text(schema), values)].join('\n;\n')) as unknown as pg.QueryResult[];
        if (claims.length > 0) claimed = new Set(results[1]!.rows.map((row) => JSON.stringify([row['principal'], row['key']])));
        return results.at(-1)!.rows as R[];
      },
    };
    const read = await work.read(sql);
    if (!begun) await sql.query(() => 'SELECT 1');

    const decided: { index: number; outcome: Outcome<T>; part: P }[] = [];
    const forgotten: Claim[] = [];
    commands.forEach((_command, index) => {
      if (answers[index]) return;
      const claim = claimOf.get(index);
      if (claim && !claimed.has(JSON.stringify([claim.principal, claim.key]))) {
        runAlone.push(index);
        return;
      }
      try {
        decided.push({ index, ...work.decide(index, read) });
      } catch (error) {
        answers[index] = { status: 'rejected', reason: error };
        // A command that fails leaves no key, as when it runs alone and its transaction rolls back.
        if (claim) forgotten.push(claim);
      }
    });

    if (decided.length === 0) {
      await client.query('ROLLBACK');
    } else {
      const statements = [...work.write(decided.map((d) => d.part)), bookkeepingOf(commands, decided, forgotten)];
      try {
        await client.query([...statements.map((s) => inlined(s.text(schema), s.values)), 'COMMIT'].join('\n;\n'));
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        done = true;
        // Refused by the database as a whole (a deadlock, a constraint): nothing of it was written, so each
        // command runs again alone. Any other failure (the connection lost) leaves the commit unknown: each
        // command gets the error, as it would alone, rather than being written a second time.
        if (refusedByDatabase(error)) runAlone.push(...decided.map((d) => d.index));
        else for (const d of decided) answers[d.index] = { status: 'rejected', reason: error };
        throw new BatchRefused(error);
      }
      for (const d of decided) answers[d.index] = { status: 'fulfilled', value: d.outcome.result };
      commands.find((c) => c.settle)?.settle?.(schemaName);
    }
    done = true;
  } catch (error) {
    if (!(error instanceof BatchRefused)) {
      // The reads failed: nothing was decided from them; every command not yet answered runs alone.
      runAlone.length = 0;
      for (const index of commands.keys()) if (!answers[index]) runAlone.push(index);
    }
  } finally {
    if (!done && begun) await client.query('ROLLBACK').catch(() => undefined);
    client.release();
  }

  await Promise.all(runAlone.map(async (index) => {
    try {
      answers[index] = { status: 'fulfilled', value: await alone(index) };
    } catch (error) {
      answers[index] = { status: 'rejected', reason: error };
    }
  }));
  return answers.map((answer) => answer ?? { status: 'rejected', reason: new Error('the command was not run') });
}

/** An error the server sent back for a statement (SQLSTATE), after which the transaction is rolled back. */
const refusedByDatabase = (error: unknown) => typeof (error as { code?: unknown }).code === 'string' && /^[0-9A-Z]{5}$/.test((error as { code: string }).code);

class BatchRefused extends Error {
  constructor(readonly reason: unknown) {
    super('the batch was refused');
  }
}

/** Claims every key at once; the rows back are the keys claimed now (the others were claimed before). */
const CLAIMS: TenantStatement = (schema) => `INSERT INTO ${schema}.idempotency_key (principal, key, operation, request_hash, response)
  SELECT c->>'principal', c->>'key', c->>'operation', c->>'requestHash', '{}' FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS claims(c, n)
   ORDER BY n
  ON CONFLICT (principal, key) DO NOTHING RETURNING principal, key`;

/**
 * The bookkeeping of every command that went through, as one statement (runCommand.ts writes the same for one
 * command): events in the outbox and audit records, each with its own command's actor and time; the answer a
 * repeat of each key gets; the keys of commands that failed, let go; one wake-up for the settler.
 */
function bookkeepingOf<T>(commands: readonly Command[], decided: { index: number; outcome: Outcome<T> }[], forgotten: Claim[]): Statement {
  const events = decided.flatMap(({ index, outcome }) => writtenEvents(outcome).map((event) => ({ ...event, occurredAt: commands[index]!.now.toISOString() })));
  const audits = decided.flatMap(({ index, outcome }) => {
    const { actor, action, now } = commands[index]!;
    return auditEntries(outcome).map((entry) => ({
      ...entry, occurredAt: now.toISOString(), actor: actor.subject, roles: actor.roles, partner: actor.partner, clientId: actor.clientId, action, requestId: actor.requestId,
    }));
  });
  const replays = decided.flatMap(({ index, outcome }) => {
    const command = commands[index]!;
    return command.idempotency ? [{ principal: idempotencyOwner(command.actor), key: command.idempotency.key, response: asJson(outcome.replay ?? {}) }] : [];
  });
  const first = commands[decided[0]!.index]!;
  return {
    text: (schema) => `WITH events AS (
        INSERT INTO ${schema}.outbox_event (id, type, aggregate_type, aggregate_id, tenant, partner_scope, occurred_at, schema_version, payload)
        SELECT (e->>'id')::uuid, e->>'type', e->>'aggregateType', e->>'aggregateId', $1, e->>'partnerScope', (e->>'occurredAt')::timestamptz, (e->>'schemaVersion')::int, e->'payload'
          FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS drafts(e, n) ORDER BY n
        RETURNING 1
      ), replay AS (
        UPDATE ${schema}.idempotency_key k SET response = r.response
          FROM jsonb_to_recordset($3::jsonb) AS r(principal text, key text, response jsonb)
         WHERE k.principal = r.principal AND k.key = r.key AND k.principal = ANY($9::text[]) AND k.key = ANY($10::text[])
        RETURNING 1
      ), forgotten AS (
        DELETE FROM ${schema}.idempotency_key k USING jsonb_to_recordset($4::jsonb) AS r(principal text, key text)
         WHERE k.principal = r.principal AND k.key = r.key AND k.principal = ANY($9::text[]) AND k.key = ANY($10::text[])
        RETURNING 1
      ), audit AS (
        INSERT INTO ${schema}.audit_record (occurred_at, actor, roles, partner, client_id, action, entity_type, entity_id, before, after, request_id)
        SELECT (a->>'occurredAt')::timestamptz, a->>'actor', ARRAY(SELECT jsonb_array_elements_text(a->'roles')), a->>'partner', a->>'clientId',
               a->>'action', a->>'entityType', a->>'entityId', a->'before', a->'after', a->>'requestId'
          FROM jsonb_array_elements($5::jsonb) WITH ORDINALITY AS drafts(a, n) ORDER BY n
        RETURNING 1
      )
      -- A wake-up, not the events: delivered to every process's listener only if this transaction commits.
      SELECT 1 AS recorded FROM (SELECT count(*) FROM events) AS e, (SELECT count(*) FROM audit) AS a, (SELECT count(*) FROM replay) AS r,
             (SELECT count(*) FROM forgotten) AS f, LATERAL (SELECT pg_notify($6, $7) WHERE $8::boolean) AS wake`,
    values: [
      first.tenant, JSON.stringify(events), JSON.stringify(replays), JSON.stringify(forgotten.map(({ principal, key }) => ({ principal, key }))), JSON.stringify(audits),
      COMMIT_CHANNEL, schemaForSlug(first.tenant), !commands.some((c) => c.settle),
      // The keys again as arrays: what lets the planner look each up by the key's index rather than scan the table.
      [...replays, ...forgotten].map((k) => k.principal), [...replays, ...forgotten].map((k) => k.key),
    ],
  };
}
