// The API's global ids (Relay `Node`): base64 of "<Type>:<database id>". Here rather than in src/graph so that
// events can carry the very ids `node(id:)` takes without the use cases importing the graph; the graph's builder
// encodes with this function too, so the two can never drift.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Every row's database id is a UUID: an id that is not one names nothing, and never reaches a query. */
export function isUuid(id: string): boolean {
  return UUID.test(id);
}

/** The global id of a `typename` row with database id `id`. */
export function globalIdOf(typename: string, id: string): string {
  return Buffer.from(`${typename}:${id}`, 'utf8').toString('base64');
}

/** The type and database id a global id holds, or null when the text is no global id. */
export function decodeGlobalId(globalId: string): { typename: string; id: string } | null {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(globalId)) return null;
  const text = Buffer.from(globalId, 'base64').toString('utf8');
  const colon = text.indexOf(':');
  return colon > 0 && colon < text.length - 1 ? { typename: text.slice(0, colon), id: text.slice(colon + 1) } : null;
}

/** The database id inside a global id of `typename`, or null when it is not one. */
export function databaseIdOf(globalId: string, typename: string): string | null {
  const decoded = decodeGlobalId(globalId);
  return decoded?.typename === typename ? decoded.id : null;
}
