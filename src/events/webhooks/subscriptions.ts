// Which events an endpoint receives: the event types it names (exact, a prefix such as `application.*`, or `*`)
// among the events its owner may see — a partner's endpoint only events that concern that partner (and those
// every partner receives, scoped EVERY_PARTNER), the lender's own endpoints every event. The same rule runs in
// SQL when deliveries are created (dispatch.ts).

const EVENT_TYPE_PATTERN = /^(\*|[a-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*(\.\*)?)$/;

export function isEventTypePattern(pattern: string): boolean {
  return pattern.length <= 100 && EVENT_TYPE_PATTERN.test(pattern);
}

export function subscribesTo(patterns: readonly string[], eventType: string): boolean {
  return patterns.some((pattern) => pattern === '*' || pattern === eventType || (pattern.endsWith('.*') && eventType.startsWith(pattern.slice(0, -1))));
}

/** The SQL form of subscribesTo, for `event_types` against an event type expression. */
export const SUBSCRIBES_SQL = (types: string, eventType: string) =>
  `EXISTS (SELECT 1 FROM unnest(${types}) AS pattern WHERE pattern = '*' OR pattern = ${eventType}
     OR (right(pattern, 2) = '.*' AND starts_with(${eventType}, left(pattern, -1))))`;
