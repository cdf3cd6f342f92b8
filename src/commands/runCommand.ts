// Every command is one database transaction that also writes its outbox events and its audit record
// (DESIGN.md): nothing is announced that did not happen, nothing that happened goes unrecorded. Commands with an
// idempotency key claim the key first, in the same transaction: concurrent twins wait on that row and then
// replay the stored result; a twin with another input is a CONFLICT; an attempt that fails leaves no key.
import { createHash, createHmac } from 'node:crypto';
import { AppError, inputPath } from '../errors.js';
import type { TenantDb } from '../tenancy/tenantClients.js';
import type { Tx } from '../tenancy/tenantClients.js';
import { COMMIT_CHANNEL } from '../events/outboxFeed.js';
import { writtenEvent } from '../events/catalogue.js';
import { schemaForSlug } from '../tenancy/schemaNames.js';
import pg from 'pg';
import { prepareValue } from 'pg/lib/utils.js';
import { quoteIdent } from '../tenancy/schemaNames.js';
import { batchStatement, pastBound, staleStatement } from '../tenancy/preparedStatements.js';
import { tenantSql, type TenantStatement } from '../tenancy/tenantSql.js';
import { checkIdempotencyKey } from './idempotencyKey.js';
import { timeOrderedId } from './timeOrderedIds.js';

export interface Actor {
  subject: string;
  roles: string[];
  partner: string | null;
  clientId: string | null;
  requestId: string;
}

export interface EventDraft {
  /** Given when the caller must find what the event leads to after commit (a test webhook's delivery). */
  id?: string;
  /** A type of the event catalogue (src/events/catalogue.ts), which also says what its payload holds. */
  type: string;
  aggregateType: string;
  /** The aggregate's database id; written as its global id. */
  aggregateId: string;
  /** The partner (code) the event concerns; partner streams see only their own. */
  partnerScope?: string | null;
  payload: Record<string, unknown>;
}

export interface AuditDraft {
  entityType: string;
  entityId: string;
  before?: unknown;
  after?: unknown;
}

export interface Outcome<T> {
  result: T;
  /** What the audit trail records: one entry, or one per entity touched (e.g. each party whose data was read). */
  audit: AuditDraft | AuditDraft[];
  events: EventDraft[];
  /** What an idempotent replay needs to rebuild the result (never secrets). */
  replay?: Record<string, unknown>;
  /** Writes the work left to go with the bookkeeping (one round trip with it where the connection allows). */
  writes?: Statement[];
}

export interface Command {
  tenant: string;
  action: string;
  actor: Actor;
  now: Date;
  idempotency?: { key: string; input: unknown };
  /**
   * The secrets the key's request is hashed under, the current one first (requestHashKeys in src/tenancy/sealing.ts).
   * Without them the hash is a plain SHA-256, which only callers outside the API (tests, tools) leave it to.
   */
  requestHashKeys?: readonly Buffer[];
  /**
   * Settles the tenant's commits once this one has committed (the gateway's CommitSettler). Without it the
   * command sends a wake-up on COMMIT_CHANNEL for whichever process listens — at a cost: a NOTIFY holds a
   * database-wide lock through the commit's disk flush, which halved the commit rate in bench:events.
   */
  settle?: (schema: string) => void;
}

/** A command before its action is named: who acts, for which tenant, when, with which key. Services name the action. */
export type CommandContext = Omit<Command, 'action'>;

/**
 * Whose key it is. Keys live in the tenant's own schema (so never shared across tenants) and belong to one
 * principal of one partner (or of the lender's staff) through one client: two partners, or two clients of one
 * partner, repeating the same key and body each get their own result, even if their tokens carried the same
 * subject.
 */
export function idempotencyOwner(actor: Pick<Actor, 'subject' | 'partner' | 'clientId'>): string {
  return JSON.stringify([actor.partner === null ? 'staff' : `partner:${actor.partner}`, actor.clientId ?? '', actor.subject]);
}


/** Stable JSON: object keys sorted, so the same input always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  // Amounts arrive as decimal.js values: hashed as the text JSON stores them, as when they arrived as strings.
  if (value && typeof (value as { toJSON?: unknown }).toJSON === 'function') return canonical((value as { toJSON(): unknown }).toJSON());
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}


/** A statement for a tenant's schema with its values: run by whichever connection carries the command. */
export interface Statement {
  text: TenantStatement;
  values: unknown[];
  /**
   * For a statement of fixed text sent on the hot path: its shape's name and its parameters' types. Sent in a
   * command's batch on one connection (runSqlCommand, runSqlCommandBatch), it is prepared once per connection and
   * then only executed, not parsed and planned again for every command. Sent bound instead (a large posting's parts,
   * a command's megabytes of final values), it is parsed and planned where it is sent, which its size outweighs.
   */
  prepared?: { shape: string; types: readonly string[] };
}

/** The hash a key's request is stored with; refuses a malformed key (the graph refuses it first; this guards every other caller). */
export function requestHashOf(command: Command & { idempotency: NonNullable<Command['idempotency']> }): string {
  checkIdempotencyKey(command.idempotency.key, inputPath('idempotencyKey'));
  return hashUnder(command.requestHashKeys?.[0], requestTextOf(command));
}

/**
 * Every hash a key's request is known by, worked out only when a key comes back: under each of the request hash
 * keys, the current one first (a key used before the data key was rotated still answers), then its plain SHA-256
 * (a key stored before requests were hashed under a secret still answers; none is stored so now).
 */
function requestHashesOf(command: Command & { idempotency: NonNullable<Command['idempotency']> }): string[] {
  const text = requestTextOf(command);
  return [...(command.requestHashKeys ?? []).map((key) => hashUnder(key, text)), hashUnder(undefined, text)];
}

const requestTextOf = (command: Command & { idempotency: NonNullable<Command['idempotency']> }) => canonical({ action: command.action, input: command.idempotency.input });
const hashUnder = (key: Buffer | undefined, text: string) => (key ? createHmac('sha256', key) : createHash('sha256')).update(text).digest('hex');

/** A key to claim for a command: whose, which, for what request. */
export interface KeyClaim {
  principal: string;
  key: string;
  operation: string;
  requestHash: string;
}

/**
 * Claims keys, in the order given, in one statement; the rows back (principal, key) are the keys claimed now, the
 * others were claimed before. A twin in flight waits here on the row, then finds it claimed.
 */
export function claimsStatement(claims: readonly KeyClaim[]): Statement {
  return {
    text: (schema) => `INSERT INTO ${schema}.idempotency_key (principal, key, operation, request_hash, response)
      SELECT c->>'principal', c->>'key', c->>'operation', c->>'requestHash', '{}' FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS claims(c, n)
       ORDER BY n
      ON CONFLICT (principal, key) DO NOTHING RETURNING principal, key`,
    values: [JSON.stringify(claims.map(({ principal, key, operation, requestHash }) => ({ principal, key, operation, requestHash })))],
    prepared: { shape: 'key-claims', types: ['jsonb'] },
  };
}

/** What claims one command's key (a row back: claimed now; none: claimed before). */
function claimStatement(command: Command, owner: string): { statement: Statement; requestHash: string } | null {
  const idempotency = command.idempotency;
  if (!idempotency) return null;
  const requestHash = requestHashOf({ ...command, idempotency });
  return { requestHash, statement: claimsStatement([{ principal: owner, key: idempotency.key, operation: command.action, requestHash }]) };
}

/** The stored answer to a repeated key, or a CONFLICT when the key was used for something else. */
function answerOfClaimed(command: Command, stored: { operation: string; requestHash: string; response: unknown }, requestHash: string, canReplay: boolean): Record<string, unknown> {
  const sameRequest = stored.requestHash === requestHash || (command.idempotency !== undefined && requestHashesOf({ ...command, idempotency: command.idempotency }).includes(stored.requestHash));
  if (stored.operation !== command.action || !sameRequest) {
    throw new AppError('CONFLICT', 'this idempotency key was used with a different request', { field: inputPath('idempotencyKey') });
  }
  if (!canReplay) throw new AppError('CONFLICT', 'this request was already made', { field: inputPath('idempotencyKey') });
  return stored.response as Record<string, unknown>;
}

/**
 * A command's events as the outbox stores them: in the API's form (global ids, Money text) with its type's schema
 * version, so what is stored is what every reader is sent and the outbox feed, the events query and webhooks
 * cannot disagree.
 */
function writtenEvents(events: readonly EventDraft[]) {
  return events.map((event) => {
    const written = writtenEvent(event.type, event.aggregateType, event.aggregateId, event.payload);
    return {
      id: event.id ?? timeOrderedId(), type: event.type, aggregateType: event.aggregateType, aggregateId: written.aggregateId,
      // Kept as the catalogue wrote it: it is made into JSON once, with the statement's values.
      partnerScope: event.partnerScope ?? null, schemaVersion: written.schemaVersion, payload: written.payload,
    };
  });
}

/** A command's audit entries as JSON (before and after only when there is something to show). */
function auditEntries(outcome: Outcome<unknown>) {
  return (Array.isArray(outcome.audit) ? outcome.audit : [outcome.audit]).map((entry) => ({
    entityType: entry.entityType, entityId: entry.entityId,
    ...(entry.before === undefined || entry.before === null ? {} : { before: entry.before }),
    ...(entry.after === undefined || entry.after === null ? {} : { after: entry.after }),
  }));
}

/** Events as the outbox keeps them, at the command's time (checked against the catalogue). */
const outboxRows = (command: Pick<Command, 'now'>, events: readonly EventDraft[]) =>
  writtenEvents(events).map((event) => ({ ...event, occurredAt: command.now.toISOString() }));

const OUTBOX_COLUMNS = 'id, type, aggregate_type, aggregate_id, tenant, partner_scope, occurred_at, schema_version, payload';

/** The rows of events given as JSON ($2) for tenant $1, in the order given. */
const eventsFromJson = `SELECT (e->>'id')::uuid, e->>'type', e->>'aggregateType', e->>'aggregateId', $1::text, e->>'partnerScope',
               (e->>'occurredAt')::timestamptz, (e->>'schemaVersion')::int, e->'payload'
          FROM jsonb_array_elements($2::jsonb) WITH ORDINALITY AS drafts(e, n) ORDER BY n`;

/**
 * A large command's events, staged as it goes (`CommandSql.stageEvents`) in a table of its transaction's own, and
 * moved to the outbox with its last writes (`stagedEventsToOutbox`). Written straight to
 * the outbox they would stay uncommitted there for the whole command, ahead of every other commit's events in the
 * index the commit settler walks; staged, the outbox holds them only from the command's last statement on, as it
 * does any command's. The first call of a command creates the table (dropped at the transaction's end, either way).
 */
function stagedEvents(command: Pick<Command, 'tenant' | 'now'>, events: readonly EventDraft[], first: boolean): Statement[] {
  const stage: Statement = {
    text: () => `INSERT INTO pg_temp.staged_outbox_event (${OUTBOX_COLUMNS}) ${eventsFromJson}`,
    values: [command.tenant, JSON.stringify(outboxRows(command, events))],
  };
  if (!first) return [stage];
  const create: Statement = {
    // The outbox's columns without its defaults: a staged event takes no number from the outbox's sequences.
    text: () => `CREATE TEMP TABLE staged_outbox_event (n bigserial, id uuid, type text, aggregate_type text, aggregate_id text, tenant text,
      partner_scope text, occurred_at timestamptz, schema_version integer, payload jsonb) ON COMMIT DROP`,
    values: [],
  };
  return [create, stage];
}

/** The staged events into the outbox, in the order they were staged. */
const stagedEventsToOutbox: Statement = {
  text: (schema) => `INSERT INTO ${schema}.outbox_event (${OUTBOX_COLUMNS}) SELECT ${OUTBOX_COLUMNS} FROM pg_temp.staged_outbox_event ORDER BY n`,
  values: [],
};

/** A command that went through, with its outcome, for its bookkeeping. */
export interface Bookkept {
  command: Command;
  outcome: Outcome<unknown>;
}

/**
 * The bookkeeping of commands that went through (one, or a batch's), as one statement, because it is on every
 * write path and each round trip costs CPU: events in the outbox and audit records, each with its own command's
 * actor and time; the answer a repeat of each key gets; the keys of commands of the batch that failed, let go
 * (`forgotten`); one wake-up for whichever process settles commits. Recorded unnumbered and unlinked:
 * settle_commits() gives events their cursor and audit records their place in the chain just after commit
 * (commitSettler.ts), so a tenant's commands never queue on one lock.
 */
export function bookkeepingStatement(done: readonly Bookkept[], forgotten: readonly { principal: string; key: string }[] = []): Statement {
  const events = done.flatMap(({ command, outcome }) => outboxRows(command, outcome.events));
  const audits = done.flatMap(({ command: { actor, action, now }, outcome }) => auditEntries(outcome).map((entry) => ({
    ...entry, occurredAt: now.toISOString(), actor: actor.subject, roles: actor.roles, partner: actor.partner, clientId: actor.clientId, action, requestId: actor.requestId,
  })));
  const replays = done.flatMap(({ command, outcome }) => (command.idempotency
    ? [{ principal: idempotencyOwner(command.actor), key: command.idempotency.key, response: outcome.replay ?? {} }]
    : []));
  const keys = [...replays, ...forgotten];
  const first = done[0]?.command;
  if (!first) throw new Error('bookkeeping needs a command that went through');
  return {
    text: (schema) => `WITH events AS (
        INSERT INTO ${schema}.outbox_event (${OUTBOX_COLUMNS})
        ${eventsFromJson}
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
      COMMIT_CHANNEL, schemaForSlug(first.tenant), !done.some((d) => d.command.settle),
      // The keys again as arrays: what lets the planner look each up by the key's index rather than scan the table.
      keys.map((k) => k.principal), keys.map((k) => k.key),
    ],
    prepared: { shape: 'bookkeeping', types: ['text', 'jsonb', 'jsonb', 'jsonb', 'jsonb', 'text', 'text', 'boolean', 'text[]', 'text[]'] },
  };
}

export async function runCommand<T>(
  db: TenantDb,
  command: Command,
  work: (tx: Tx) => Promise<Outcome<T>>,
  replay?: (stored: Record<string, unknown>, tx: Tx) => Promise<T>,
): Promise<T> {
  const owner = idempotencyOwner(command.actor);
  const result = await db.$transaction(async (tx) => {
    const sql = tenantSql(tx, schemaForSlug(command.tenant));
    const claim = claimStatement(command, owner);
    if (claim) {
      // Claim the key; a twin in flight waits here on the row, then finds it claimed (and, once committed, answered).
      const claimed = await sql.query<unknown[]>(claim.statement.text, ...claim.statement.values);
      if (claimed.length === 0) {
        const stored = await tx.idempotencyKey.findUniqueOrThrow({ where: { principal_key: { principal: owner, key: command.idempotency!.key } } });
        return replay!(answerOfClaimed(command, stored, claim.requestHash, replay !== undefined), tx);
      }
    }
    const outcome = await work(tx);
    for (const write of outcome.writes ?? []) await sql.execute(write.text, ...write.values);
    const bookkeeping = bookkeepingStatement([{ command, outcome }]);
    await sql.query(bookkeeping.text, ...bookkeeping.values);
    return outcome.result;
  }, { timeout: 30_000, maxWait: 30_000 });
  command.settle?.(schemaForSlug(command.tenant));
  return result;
}

/**
 * The same command on one pooled connection with plain SQL, for the commands on the hot path (postings): no ORM
 * between, and as few round trips as the work allows. The transaction's BEGIN goes with its first statement and
 * its COMMIT with its writes and bookkeeping, each batch one simple query with its values written in as literals
 * (`inlined`). Writes sent ahead (`send`) and final statements carrying megabytes of values go bound instead.
 */
export async function runSqlCommand<T>(
  pool: pg.Pool,
  command: Command,
  work: (sql: CommandSql) => Promise<Outcome<T>>,
  replay?: (stored: Record<string, unknown>) => T,
): Promise<T> {
  const owner = idempotencyOwner(command.actor);
  const schema = quoteIdent(schemaForSlug(command.tenant));
  const client = await pool.connect();
  let begun = false;
  let done = false;
  const batches = new Batches(client);
  const run = async <R extends pg.QueryResultRow>(statements: Statement[], commit: boolean): Promise<pg.QueryResult<R>[]> => {
    const begin = !begun;
    begun = true;
    return sendStatements<R>(client, schema, batches, statements, { begin, commit });
  };
  const bound = (statement: Statement) => client.query(statement.text(schema), statement.values);
  // Statements sent inside the transaction go one at a time, each once the one before is answered, in the order
  // given: what the driver's own queue did, which is deprecated (pg 9 removes it) and warned on stderr. Once the
  // command has ended (refused while parts were still to go) none is sent: the rollback and the connection's next
  // user come after the one on the wire.
  let tail: Promise<unknown> = Promise.resolve();
  let ended = false;
  const inTurn = <R extends pg.QueryResultRow>(statement: Statement): Promise<pg.QueryResult<R>> => {
    const result = tail.then(() => {
      if (ended) throw new Error('the command ended before this statement was sent');
      return client.query<R>(statement.text(schema), statement.values);
    });
    tail = result.catch(() => undefined);
    return result;
  };
  let sendFailed: { error: unknown } | null = null;
  const sendAhead = (statement: Statement) => {
    if (!begun) throw new Error('a write is sent ahead only inside the transaction, after its first query');
    // Not awaited: the caller makes the next part while this one is written. Its values bound, not written into
    // the text (see `final`).
    inTurn(statement).catch((error: unknown) => {
      sendFailed ??= { error };
    });
  };
  let staging = false;
  const sql: CommandSql = {
    async query<R extends pg.QueryResultRow>(text: TenantStatement, values: unknown[] = [], prepared?: Statement['prepared']): Promise<R[]> {
      if (!begun) return (await run<R>([statementOf(text, values, prepared)], false))[0]!.rows;
      return inTurn<R>({ text, values }).then((result) => result.rows);
    },
    send: sendAhead,
    stageEvents(events) {
      for (const statement of stagedEvents(command, events, !staging)) sendAhead(statement);
      staging = true;
    },
  };
  try {
    const claim = claimStatement(command, owner);
    if (claim) {
      const claimed = (await run([claim.statement], false))[0]!.rows;
      if (claimed.length === 0) {
        const [stored] = await sql.query<{ operation: string; requestHash: string; response: unknown }>(
          (s) => `SELECT operation, request_hash AS "requestHash", response FROM ${s}.idempotency_key WHERE principal = $1 AND key = $2`, [owner, command.idempotency!.key]);
        const answer = replay!(answerOfClaimed(command, stored!, claim.requestHash, replay !== undefined));
        await client.query('COMMIT');
        done = true;
        return answer;
      }
    }
    const outcome = await work(sql);
    // Made while PostgreSQL may still be writing what was sent ahead (a payment file's parts).
    const final = [...(outcome.writes ?? []), ...(staging ? [stagedEventsToOutbox] : []), bookkeepingStatement([{ command, outcome }])];
    await tail;
    if (sendFailed) throw (sendFailed as { error: unknown }).error;
    if (!begun || valuesLength(final) < BIND_FROM) {
      await run(final, true);
    } else {
      // Megabytes of values (a payment file's events) go as bound parameters: written into the text, the gateway
      // would escape them and the server scan them as one literal before reading them as JSON.
      // Each awaited before the next: COMMIT is sent only once every statement went through.
      for (const statement of final) await bound(statement);
      await client.query('COMMIT');
    }
    done = true;
    command.settle?.(schemaForSlug(command.tenant));
    return outcome.result;
  } finally {
    ended = true;
    await tail;
    if (!done && begun) await client.query('ROLLBACK').catch(() => undefined);
    client.release(batches.retire);
  }
}

/** A statement of `text` with `values`, prepared once per connection when `prepared` names its shape. */
export const statementOf = (text: TenantStatement, values: unknown[], prepared?: Statement['prepared']): Statement =>
  (prepared ? { text, values, prepared } : { text, values });

/**
 * `statements` as one batch on a command's connection (`batchParts`), after `BEGIN_COMMAND` when `begin` and with
 * `COMMIT` last when `commit`: each statement's result, in order.
 */
export async function sendStatements<R extends pg.QueryResultRow = pg.QueryResultRow>(
  client: pg.PoolClient, schema: string, batches: Batches, statements: readonly Statement[], options: { begin: boolean; commit: boolean },
): Promise<pg.QueryResult<R>[]> {
  const batch = batchParts(client, schema, statements, options.begin ? BEGIN_COMMAND : []);
  if (options.commit) batch.parts.push('COMMIT');
  const results = await batches.send<R>(batch);
  return batch.answerAt.map((at) => results[at]!);
}

/**
 * A command where its caller holds it: on a pool (plain SQL on one connection, the path the API takes) or inside a
 * tenant client's transaction (services and tests that hold one). `work` gets whichever of the two it runs on.
 */
export function runCommandOn<T>(
  db: TenantDb | pg.Pool, command: Command, work: (sql: Tx | CommandSql) => Promise<Outcome<T>>, replay?: (stored: Record<string, unknown>) => T,
): Promise<T> {
  if (db instanceof pg.Pool) return runSqlCommand(db, command, work, replay);
  return runCommand(db, command, work, replay && (async (stored) => replay(stored)));
}

/**
 * How a command's transaction begins. Its statements of fixed text are prepared once per connection, and their
 * values are JSON documents and arrays whose contents the planner cannot use: planned for each execution's values,
 * the bookkeeping was planned afresh on every command (PostgreSQL kept preferring its custom plans), which cost the
 * server a third of the statement's time. The generic plan is the same plan, made once.
 */
export const BEGIN_COMMAND = ['BEGIN', 'SET LOCAL plan_cache_mode = force_generic_plan'] as const;

/** From this many characters of string values on, a command's last statements go bound rather than in one batch of simple queries. */
const BIND_FROM = 256 * 1024;

const valuesLength = (statements: readonly Statement[]) =>
  statements.reduce((sum, statement) => sum + statement.values.reduce<number>((n, value) => n + (typeof value === 'string' ? value.length : 0), 0), 0);

/**
 * `statements` as the parts of one batch of simple queries on `client`, after `before`: each statement with values
 * inlined, or, for a statement of fixed text (`prepared`), `EXECUTE` of the statement prepared on this connection.
 * `preparations` are the `PREPARE`s of those this connection does not have yet (batchStatement counts them as the
 * connection's from now), sent as a query of their own just before the batch: PostgreSQL keeps the whole query
 * string a statement was prepared from, which must not be a batch carrying a payment file's values. `answerAt`
 * gives the part whose result is each statement's answer.
 */
export function batchParts(client: pg.PoolClient, schema: string, statements: readonly Statement[], before: readonly string[] = []) {
  const parts = [...before];
  const answerAt: number[] = [];
  const preparations: string[] = [];
  for (const statement of statements) {
    if (statement.prepared) {
      const { name, prepared } = batchStatement(client, `${statement.prepared.shape}:${schema}`);
      if (!prepared) preparations.push(`PREPARE "${name}" (${statement.prepared.types.join(', ')}) AS ${statement.text(schema)}`);
      const placeholders = statement.values.map((_, i) => `$${i + 1}`).join(', ');
      parts.push(inlined(placeholders ? `EXECUTE "${name}"(${placeholders})` : `EXECUTE "${name}"`, statement.values));
    } else {
      parts.push(inlined(statement.text(schema), statement.values));
    }
    answerAt.push(parts.length - 1);
  }
  return { parts, answerAt, preparations };
}

/**
 * Batches of simple queries on a command's connection. `send` hands a batch's preparations and then the batch to
 * the driver together, before its first await (the driver runs them in that order, and nothing the caller sends
 * meanwhile comes between), and answers the batch's results. `retire` says the connection must go on release: it
 * passed the bound on prepared statements, a batch that prepared failed (which of its PREPAREs ran is unknown), or
 * a statement prepared there no longer returns what it did (`staleStatement`). A batch refused for anything else (a
 * deadlock, a constraint) keeps its connection. A class, not an object literal with a getter, which V8 would give a
 * hidden class of its own per command, kept until a full collection.
 */
export class Batches {
  /** The connection must go on release (see above). */
  retire = false;

  constructor(private readonly client: pg.PoolClient) {}

  async send<R extends pg.QueryResultRow = pg.QueryResultRow>(
    { parts, preparations }: { parts: readonly string[]; preparations: readonly string[] },
  ): Promise<pg.QueryResult<R>[]> {
    const { client } = this;
    const prepared = preparations.length > 0 ? client.query(preparations.join('\n;\n')) : undefined;
    const batch = client.query<R>(parts.join('\n;\n')) as unknown as Promise<pg.QueryResult<R> | pg.QueryResult<R>[]>;
    try {
      const [, results] = await Promise.all([prepared, batch]);
      if (preparations.length > 0 && pastBound(client)) this.retire = true;
      return Array.isArray(results) ? results : [results];
    } catch (error) {
      if (preparations.length > 0 || staleStatement(error)) this.retire = true;
      throw error;
    }
  }
}

/** The raw-SQL door a command on one connection gives its work: rows back, names qualified by the statement. */
export interface CommandSql {
  /**
   * `prepared` names a statement of fixed text by its shape (see `Statement`): as the transaction's first query it
   * is then prepared once per connection; later in the transaction it goes bound, unnamed, as every other query.
   */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: TenantStatement, values?: unknown[], prepared?: Statement['prepared']): Promise<R[]>;
  /**
   * Sends a write without waiting for its answer, once the transaction has begun (its first query): the work goes
   * on while PostgreSQL runs it. The command waits for every one before its bookkeeping and `COMMIT`, and fails
   * with the first that failed.
   */
  send?(statement: Statement): void;
  /**
   * Stages some of the command's events as it goes, sent ahead like `send` (a payment file's, with each part of
   * its posting); they reach the outbox with its last writes, before its bookkeeping. Events staged are left out
   * of the outcome's `events`.
   */
  stageEvents?(events: readonly EventDraft[]): void;
}

/** `text` with each `$n` replaced by its value as a literal (arrays, dates and JSON as the driver sends them). */
export function inlined(text: string, values: readonly unknown[]): string {
  if (values.length === 0) return text;
  return text.replace(/\$(\d+)/g, (_, n: string) => {
    const value = prepareValue(values[Number(n) - 1]) as string | null;
    return value === null || value === undefined ? 'NULL' : literal(String(value));
  });
}

/**
 * A string literal, escaped as the driver's escapeLiteral does (quotes doubled; with a backslash, an E'' literal
 * with backslashes doubled) but with the engine's own replaceAll: the driver builds it a character at a time,
 * which on the hot path's JSON values cost more than the statement it went into.
 */
export function literal(text: string): string {
  const quoted = text.replaceAll("'", "''");
  return text.includes('\\') ? ` E'${quoted.replaceAll('\\', '\\\\')}'` : `'${quoted}'`;
}
