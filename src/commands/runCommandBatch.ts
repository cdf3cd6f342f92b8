// Many commands of one tenant in one transaction on one pooled connection (the batches commandQueue.ts gathers):
// each keeps what makes it a command — its own idempotency key, audit record, events and answer, its own error
// when its checks fail — and they share the transaction, the round trips and the commit. Commands whose key was
// claimed before, and every command of a batch the database refused as a whole, run again alone
// (runSqlCommand), so a batch never answers differently from its commands run one by one.
import pg from 'pg';
import { quoteIdent, schemaForSlug } from '../tenancy/schemaNames.js';
import type { TenantStatement } from '../tenancy/tenantSql.js';
import { Batches, bookkeepingStatement, claimsStatement, idempotencyOwner, requestHashOf, sendStatements, statementOf, type Command, type CommandSql, type KeyClaim, type Outcome, type Statement } from './runCommand.js';

export interface BatchWork<T, S, P> {
  /** Reads (and locks) what the batch needs; its first statement goes with BEGIN and the key claims. */
  read(sql: CommandSql): Promise<S>;
  /** One command's outcome and its part of the writes, from what was read; throws that command's own error. */
  decide(index: number, read: S): { outcome: Outcome<T>; part: P };
  /** The writes of the commands that went through, together. */
  write(parts: P[]): Statement[];
}

interface Claim extends KeyClaim {
  index: number;
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
  const batches = new Batches(client);
  try {
    const claiming = claimsStatement(claims);
    let claimed = new Set<string>();
    const sql: CommandSql = {
      async query<R extends pg.QueryResultRow>(text: TenantStatement, values: unknown[] = [], prepared?: Statement['prepared']): Promise<R[]> {
        if (begun) return (await client.query<R>(text(schema), values)).rows;
        begun = true;
        const first = statementOf(text, values, prepared);
        const results = await sendStatements(client, schema, batches, claims.length > 0 ? [claiming, first] : [first], { begin: true, commit: false });
        if (claims.length > 0) claimed = new Set(results[0]!.rows.map((row) => JSON.stringify([row['principal'], row['key']])));
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
      const statements = [...work.write(decided.map((d) => d.part)), bookkeepingStatement(decided.map((d) => ({ command: commands[d.index]!, outcome: d.outcome })), forgotten)];
      try {
        await sendStatements(client, schema, batches, statements, { begin: false, commit: true });
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
    client.release(batches.retire);
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

