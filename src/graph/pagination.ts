// Connections are keyset-paginated and capped: asking for more than MAX_PAGE_SIZE is a BAD_USER_INPUT naming
// the argument, not a silent truncation. Cursors are opaque (base64url of the sort key) and validated before
// they reach a query, so a forged cursor is a BAD_USER_INPUT, never a database error.
import { resolveCursorConnection, type ResolveCursorConnectionArgs, type DefaultConnectionArguments } from '@pothos/plugin-relay';
import { badInput } from '../errors.js';
import type { GraphContext } from './context.js';

export const DEFAULT_PAGE_SIZE = 20;

export const UUID_KEY = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
export const TEXT_KEY = /^[\p{L}\p{N}_.-]{1,200}$/u;
/** A tenant's sequence number as a cursor (an event's, an audit record's): 1 to 18 digits, within a bigint. */
export const SEQ_KEY = /^\d{1,18}$/;

function encodeCursor(key: string): string {
  return Buffer.from(key, 'utf8').toString('base64url');
}

function decodeCursor(name: 'after' | 'before', cursor: string | undefined, pattern: RegExp): string | undefined {
  if (cursor === undefined) return undefined;
  const key = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!pattern.test(key) || encodeCursor(key) !== cursor) throw badInput(name, `${name} is not a cursor from this connection`);
  return key;
}

/** The largest page a connection gives (MAX_PAGE_SIZE); a `first` or `last` past it is refused naming it. */
export function checkedPageSize(context: GraphContext, args: Pick<DefaultConnectionArguments, 'first' | 'last'>): number {
  const max = context.runtime.config.MAX_PAGE_SIZE;
  for (const name of ['first', 'last'] as const) {
    const value = args[name];
    if (value !== null && value !== undefined && (value < 0 || value > max)) {
      throw badInput(name, `${name} must be between 0 and ${max}`);
    }
  }
  return max;
}

export function keysetConnection<T>(
  context: GraphContext,
  args: DefaultConnectionArguments,
  sortKey: (row: T) => string,
  keyPattern: RegExp,
  load: (page: ResolveCursorConnectionArgs) => Promise<T[]>,
) {
  const max = checkedPageSize(context, args);
  const after = decodeCursor('after', args.after ?? undefined, keyPattern);
  const before = decodeCursor('before', args.before ?? undefined, keyPattern);
  return resolveCursorConnection(
    { args, toCursor: (row: T) => encodeCursor(sortKey(row)), defaultSize: DEFAULT_PAGE_SIZE, maxSize: max },
    (page: ResolveCursorConnectionArgs) =>
      load({
        ...page,
        after: page.after === undefined ? undefined : after,
        before: page.before === undefined ? undefined : before,
      }),
  );
}

/** Names and describes a connection's types after the item type: `PartyConnection`, `PartyEdge`. */
export function connectionTypes(item: string) {
  return [
    { name: `${item}Connection`, description: `A page of ${item} items.` },
    { name: `${item}Edge`, description: 'An item in a page, with its cursor.' },
  ] as const;
}

/**
 * A connection in id order (uuids): `load` gets the id range the cursors give, the order and how many to take,
 * and adds its own filters.
 */
export function idOrderedConnection<T extends { id: string }>(
  context: GraphContext, args: DefaultConnectionArguments,
  load: (page: { id: Record<string, string>; orderBy: { id: 'asc' | 'desc' }; take: number }) => Promise<T[]>,
) {
  return keysetConnection(context, args, (row: T) => row.id, UUID_KEY, ({ before, after, limit, inverted }) => {
    const id: Record<string, string> = {};
    if (after !== undefined) id['gt'] = after;
    if (before !== undefined) id['lt'] = before;
    return load({ id, orderBy: { id: inverted ? 'desc' : 'asc' }, take: limit });
  });
}
