// Lists a partner can sync from and a person can search: every list that grows is a keyset connection with a
// chosen order, filters and `totalCount` (docs/partners.md, "Lists"). The order travels inside the cursor, so a
// cursor taken under one order is refused under another instead of silently skipping rows. Rows are read and
// counted through the caller's own client (GraphContext.db), so a partner's pages and counts hold only its rows.
import type { DefaultConnectionArguments } from '@pothos/plugin-relay';
import { builder, type BuilderTypes } from './builder.js';
import { actorField, optionalActorField } from './actors.js';
import { AppError, badInput } from '../errors.js';
import { allows } from '../authz/capabilities.js';
import { businessDateOf, dateColumn } from '../tenancy/dateColumns.js';
import { formatNumber, parseNumber, type NumberedKind } from '../domain/referenceNumbers.js';
import { isDate } from '../domain/calendar.js';
import type { GraphContext } from './context.js';
import type { Capability } from '../authz/capabilities.js';
import type { TenantDb } from '../tenancy/tenantClients.js';
import { connectionTypes, keysetConnection } from './pagination.js';
import { ApprovalStatusEnum } from './enums.js';

/** How a sort key is compared and written into a cursor. */
export type SortKind = 'time' | 'date' | 'int' | 'text';

export interface SortKey {
  /** The Prisma field. */
  field: string;
  kind: SortKind;
  /** What it orders by, for the enum's descriptions ("when it was created"). */
  label: string;
}

export interface Ordering {
  field: string;
  kind: SortKind;
  direction: 'asc' | 'desc';
}

/**
 * The `<Item>Order` enum: each key both ways (`CREATED_AT_ASC`, `CREATED_AT_DESC`, …), ties broken by id in the
 * same direction so that every order is total and pages never overlap.
 */
export function orderEnum(item: string, keys: Record<string, SortKey>) {
  const values: Record<string, { value: string; description: string }> = {};
  for (const [name, key] of Object.entries(keys)) {
    values[`${name}_ASC`] = { value: `${key.field}:asc`, description: `By ${key.label}, ascending (ties by id).` };
    values[`${name}_DESC`] = { value: `${key.field}:desc`, description: `By ${key.label}, descending (ties by id).` };
  }
  return builder.enumType(`${item}Order`, { description: `How a list of ${item} items is ordered.`, values });
}

/** The ordering an `<Item>Order` value names (the default when absent). */
export function orderingOf(keys: Record<string, SortKey>, value: string | null | undefined, fallback: string): Ordering {
  const [field, direction] = (value ?? fallback).split(':') as [string, 'asc' | 'desc'];
  const key = Object.values(keys).find((k) => k.field === field)!;
  return { field, kind: key.kind, direction };
}

const ID = '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}';
const VALUE: Record<SortKind, string> = {
  // Timestamps are kept to the millisecond the service wrote (command.now).
  time: '\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z',
  date: '\\d{4}-\\d{2}-\\d{2}',
  int: '\\d{1,10}',
  text: '[^\\u0000-\\u001f]{0,400}',
};

function valueOf(kind: SortKind, row: Record<string, unknown>, field: string): string {
  const value = row[field];
  if (kind === 'time') return (value as Date).toISOString();
  if (kind === 'date') return businessDateOf(value as Date);
  return String(value);
}

function cursorPattern(ordering: Ordering): RegExp {
  return new RegExp(`^${ordering.field}\\|${VALUE[ordering.kind]}\\|${ID}$`, 'u');
}

/** Rows strictly beyond a cursor key: greater in the list's order when `after`, smaller when `before`. */
function beyond(ordering: Ordering, key: string, side: 'after' | 'before'): Record<string, unknown> {
  const { value: text, id, greater } = cursorKey(ordering, key, side)!;
  const f = ordering.field;
  const idBeyond = { id: greater ? { gt: id } : { lt: id } };
  if (ordering.kind === 'time') {
    const at = new Date(text);
    const next = new Date(at.getTime() + 1);
    return { OR: [{ [f]: greater ? { gte: next } : { lt: at } }, { AND: [{ [f]: { gte: at, lt: next } }, idBeyond] }] };
  }
  // A business date is a whole day: compared exactly, as the column holds it.
  const value = ordering.kind === 'int' ? Number(text) : ordering.kind === 'date' ? dateColumn(text) : text;
  return { OR: [{ [f]: greater ? { gt: value } : { lt: value } }, { AND: [{ [f]: value }, idBeyond] }] };
}

/** A cursor's key as a list's own reader takes it: the sort value's text, the id, and which side of it to read. */
export interface CursorKey { value: string; id: string; greater: boolean }

/** A page as a list's own reader (plain SQL) is asked for it: the order, the keys around it, how many. */
export interface KeysetPage { direction: 'asc' | 'desc'; after?: CursorKey | undefined; before?: CursorKey | undefined; limit: number }

/**
 * A cursor's key read apart. A value its column cannot hold (a number past 2^31 − 1, a day or an instant that does
 * not exist) is a forged cursor, refused naming the argument, never a database error.
 */
function cursorKey(ordering: Ordering, key: string | undefined, side: 'after' | 'before'): CursorKey | undefined {
  if (key === undefined) return undefined;
  const value = key.slice(key.indexOf('|') + 1, key.lastIndexOf('|'));
  if (!holds(ordering.kind, value)) throw badInput(side, `${side} is not a cursor from this connection`);
  return { value, id: key.slice(key.lastIndexOf('|') + 1), greater: (side === 'after') === (ordering.direction === 'asc') };
}

function holds(kind: SortKind, value: string): boolean {
  if (kind === 'int') return Number(value) <= 2_147_483_647;
  // A real day (2026-02-30 is not one); an instant that, read and written back, is the same text.
  if (kind === 'date') return isDate(value);
  if (kind === 'time') {
    const at = new Date(value);
    return !Number.isNaN(at.getTime()) && at.toISOString() === value;
  }
  return true;
}

export interface ListQuery {
  where: Record<string, unknown>;
  orderBy: Record<string, 'asc' | 'desc'>[];
  take: number;
}

/** A page with its count, counted only when `totalCount` is asked for. */
export type CountedPage<T> = Awaited<ReturnType<typeof keysetConnection<T>>> & { totalCount: () => Promise<number> };

/**
 * One page of a list in the given order under `where` (the filters), and its `totalCount`: a COUNT with the same
 * filters, read through the same client, so the caller's scope applies to both.
 */
export async function listPage<T extends { id: string }>(
  context: Parameters<typeof keysetConnection>[0],
  args: DefaultConnectionArguments,
  ordering: Ordering,
  where: Record<string, unknown>,
  read: {
    findMany: (query: ListQuery) => Promise<T[]>;
    count: (query: { where: Record<string, unknown> }) => Promise<number>;
    /** A reader of the list's own for this ordering when no filter is given, or undefined where findMany reads. */
    keyset?: ((page: KeysetPage) => Promise<T[]>) | undefined;
  },
): Promise<CountedPage<T>> {
  const sortKey = (row: T) => `${ordering.field}|${valueOf(ordering.kind, row as unknown as Record<string, unknown>, ordering.field)}|${row.id}`;
  const page = await keysetConnection(context, args, sortKey, cursorPattern(ordering), ({ before, after, limit, inverted }) => {
    const direction = inverted ? (ordering.direction === 'asc' ? 'desc' : 'asc') : ordering.direction;
    // A list's own reader knows no filters: only a page under none is read by it.
    if (read.keyset && Object.keys(where).length === 0) return read.keyset({ direction, after: cursorKey(ordering, after, 'after'), before: cursorKey(ordering, before, 'before'), limit });
    const and = [where];
    if (after !== undefined) and.push(beyond(ordering, after, 'after'));
    if (before !== undefined) and.push(beyond(ordering, before, 'before'));
    return read.findMany({ where: { AND: and }, orderBy: [{ [ordering.field]: direction }, { id: direction }], take: limit });
  });
  let counted: Promise<number> | undefined;
  return Object.assign(page, { totalCount: () => (counted ??= read.count({ where })) });
}

/** The connection and edge types of a list, its connection carrying `totalCount`. */
export function countedConnectionTypes(item: string) {
  const [connection, edge] = connectionTypes(item);
  return [
    {
      ...connection,
      fields: (t: PothosSchemaTypes.ObjectFieldBuilder<BuilderTypes, object>) => ({
        totalCount: t.int({
          description: 'How many items the list holds under these filters (every page, not this one), as the caller may see them.',
          resolve: (page: object) => (page as { totalCount: () => Promise<number> }).totalCount(),
        }),
      }),
    },
    edge,
  ] as const;
}

/** `{ gte, lte }` for a from–to pair of filters, either side optional. */
export function between<T>(from: T | null | undefined, to: T | null | undefined): { gte?: T; lte?: T } | undefined {
  if (from == null && to == null) return undefined;
  return { ...(from != null ? { gte: from } : {}), ...(to != null ? { lte: to } : {}) };
}

/** Refuses a range whose end comes before its start, naming the end. */
export function checkRange<T extends Date | string>(fromName: string, from: T | null | undefined, toName: string, to: T | null | undefined): void {
  if (from != null && to != null && to < from) throw badInput(toName, `${toName} is before ${fromName}`);
}

/** The count a number filter names, or BAD_USER_INPUT naming the argument. */
export function numberArg(kind: NumberedKind, name: string, text: string): number {
  const n = parseNumber(kind, text);
  if (n === null) throw badInput(name, `${name} is not ${kind === 'application' ? 'an' : 'a'} ${kind} number (e.g. ${formatNumber(kind, 123)})`);
  return n;
}

/**
 * Finding by borrower reads the lender's party records, which partners never see (they keep their own copy of
 * what they sent): a filter by party or name needs `parties.read`, or a partner could learn the name the lender
 * holds by guessing it.
 */
export function requirePartyReader(context: GraphContext, argument: string): void {
  const principal = context.principal;
  if (!principal || !allows('parties.read', principal.roles, context.tenant !== null)) {
    throw new AppError('FORBIDDEN', `${argument} needs the parties.read capability`, { field: argument });
  }
}

/** The filters of a checkers' queue (checkersQueueWhere reads them); `asked` is how its requests are made. */
export function checkersQueueArgs(asked: string) {
  return builder.args((t) => ({
    status: t.field({ type: ApprovalStatusEnum, required: false, description: 'PENDING (default), APPROVED or REJECTED.' }),
    requestedFrom: t.field({ type: 'DateTime', required: false, description: `Only requests ${asked} at or after this.` }),
    requestedTo: t.field({ type: 'DateTime', required: false, description: `Only requests ${asked} at or before this.` }),
    updatedSince: t.field({ type: 'DateTime', required: false, description: `Only requests ${asked} or decided at or after this: the sync filter, see docs/partners.md.` }),
  }));
}

/**
 * The where of a checkers' queue (disbursement, waiver and approval requests): one status (pending unless asked),
 * when it was asked for, and for sync whatever changed since — a request changes twice, when it is asked for and
 * when it is decided.
 */
export function checkersQueueWhere(args: { status?: string | null; requestedFrom?: Date | null; requestedTo?: Date | null; updatedSince?: Date | null }): Record<string, unknown> {
  checkRange('requestedFrom', args.requestedFrom, 'requestedTo', args.requestedTo);
  return {
    status: args.status ?? 'pending',
    ...(args.requestedFrom != null || args.requestedTo != null ? { requestedAt: between(args.requestedFrom, args.requestedTo) } : {}),
    ...(args.updatedSince != null ? { OR: [{ requestedAt: { gte: args.updatedSince } }, { decidedAt: { gte: args.updatedSince } }] } : {}),
  };
}

/** What every request a second person decides carries. */
interface DecidedRequest {
  status: string;
  requestedBy: string;
  requestedAt: Date;
  decidedBy: string | null;
  decidedAt: Date | null;
  decisionReason: string | null;
}

/** The maker's and the checker's fields of a request in a checkers' queue: who asked, who decided, when, why. */
export function decisionFields<T extends DecidedRequest>(t: PothosSchemaTypes.ObjectFieldBuilder<BuilderTypes, T>) {
  return {
    status: t.field({ type: ApprovalStatusEnum, description: 'Pending, approved or rejected.', resolve: (r) => r.status as 'pending' }),
    requestedBy: actorField(t, 'The maker.', (r) => r.requestedBy),
    requestedAt: t.field({ type: 'DateTime', description: 'When it was asked for.', resolve: (r) => r.requestedAt }),
    decidedBy: optionalActorField(t, 'The checker.', (r) => r.decidedBy),
    decidedAt: t.field({ type: 'DateTime', nullable: true, description: 'When it was decided.', resolve: (r) => r.decidedAt }),
    decisionReason: t.string({ nullable: true, description: 'The checker\'s reason.', resolve: (r) => r.decisionReason }),
  };
}

/** What a checkers' queue reads: its model's rows and their count, through the caller's client. */
export interface QueueModel<T> {
  findMany(query: ListQuery): Promise<T[]>;
  count(query: { where: Record<string, unknown> }): Promise<number>;
}

const QUEUE_ORDER = { REQUESTED_AT: { field: 'requestedAt', kind: 'time', label: 'when it was asked for' } } as const satisfies Record<string, SortKey>;

/**
 * The root field of a checkers' queue: requests of one kind in one status (pending unless asked otherwise), oldest
 * first unless `orderBy` says otherwise, paged and counted, for those who decide them.
 */
export function checkersQueueField<T extends { id: string }>(name: string, item: string, spec: {
  type: PothosSchemaTypes.ObjectRef<BuilderTypes, T, T>;
  capability: Capability;
  /** The requests, as the description names them ("Write-off requests"). */
  requests: string;
  model: (db: TenantDb) => QueueModel<T>;
}): void {
  const orderBy = orderEnum(item, QUEUE_ORDER);
  builder.queryField(name, (t) =>
    t.connection({
      type: spec.type,
      description: `${spec.requests} in one status (pending unless asked otherwise), oldest first unless \`orderBy\` says otherwise: the checkers' queue.`,
      // The checkers work it; auditors and compliance read it (and every request on it) without deciding.
      authScopes: { canAny: [spec.capability, 'approvals.read'] },
      args: {
        orderBy: t.arg({ type: orderBy, required: false, description: 'The order of the list; `REQUESTED_AT_ASC` (oldest first) when absent.' }),
        ...checkersQueueArgs('asked for'),
      },
      resolve: (_root, args, context) => {
        const model = spec.model(context.db!);
        return listPage(context, args, orderingOf(QUEUE_ORDER, args.orderBy, 'requestedAt:asc'), checkersQueueWhere(args), {
          findMany: (query) => model.findMany(query), count: (query) => model.count(query),
        });
      },
    }, ...countedConnectionTypes(item)));
}
