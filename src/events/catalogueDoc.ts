// docs/events.md, rendered from the event catalogue (`npm run schema` writes it; test/events/catalogue.test.ts
// fails when the committed file differs), so the page partners build on is the table the server writes by.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AUDIENCE_TEXT, EVENT_CATALOGUE, type EventSpec } from './catalogue.js';

export const EVENTS_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'events.md');

const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

function section(type: string, entry: EventSpec): string {
  const rows = (fields: EventSpec['fields'], prefix: string): string[] => Object.entries(fields).flatMap(([name, field]) => {
    const shape = `${field.type}${field.actor ? ' (an actor)' : ''}${field.nullable ? ' or null' : ''}${field.optional ? ', may be absent' : ''}`;
    return [`| \`${prefix}${name}\` | ${cell(shape)} | ${cell(field.meaning)} |`, ...(field.items ? rows(field.items, `${prefix}${name}${field.type.startsWith('[') ? '[]' : ''}.`) : [])];
  });
  return [
    `### \`${type}\``,
    '',
    `${entry.meaning} Aggregate: \`${entry.aggregate}\`. Schema version: ${entry.schemaVersion}.`,
    '',
    ...(entry.batch ? [`A batch: its \`aggregateId\` is the batch's own id (the same as its \`id\`), not a node; the ${entry.aggregate.toLowerCase()}s it is about are listed in its payload.`, ''] : []),
    `Received by: ${AUDIENCE_TEXT[entry.audience]}`,
    '',
    '| Field | Type | Meaning |',
    '| --- | --- | --- |',
    ...rows(entry.fields, ''),
    '',
  ].join('\n');
}

export function eventsDoc(): string {
  const types = Object.keys(EVENT_CATALOGUE).sort();
  const byAggregate = new Map<string, string[]>();
  for (const type of types) {
    const aggregate = EVENT_CATALOGUE[type]!.aggregate;
    byAggregate.set(aggregate, [...(byAggregate.get(aggregate) ?? []), type]);
  }
  const head = `# Events

<!-- Generated from src/events/catalogue.ts by \`npm run schema\`; do not edit by hand. -->

Every event Lendgraph emits, what its payload holds, its schema version and who receives it. The same events
reach the \`events\` subscription, the \`events\` query and webhooks, in the same envelope:

| Envelope field | Meaning |
| --- | --- |
| \`id\` | The event's id (a UUID; most are time-ordered ids of version 7, some of version 4: read no meaning into its parts); a webhook's \`webhook-id\` header. The same on every retry and replay: de-duplicate on it. |
| \`type\` | What happened, \`aggregate.pastTenseVerb\` (below). |
| \`aggregateType\`, \`aggregateId\` | What it happened to: its type and its global id, the one \`node(id:)\` takes. |
| \`cursor\` | Its place in the tenant's stream: pass it as \`after\` to the subscription or the query. |
| \`occurredAt\` | When its transaction committed its change (DateTime). |
| \`schemaVersion\` | The version of its type's payload shape (below). |
| \`payload\` (\`data\` in a webhook body) | The fields listed for its type. |

## The contract

- **Names** are \`aggregate.pastTenseVerb\` in camelCase: the aggregate it happened to, then what happened to it
  (\`application.offerAccepted\`, \`loan.repaymentPosted\`, \`webhookEndpoint.secretRotated\`).
- **Ids** in payloads are global ids, as the API gives them: pass one to \`node(id:)\`, or use a loan's
  \`loanId\` in \`postRepayment\`. A field described as "its database id" names something the API has no node for.
- **Money** is the API's \`Money\` text, \`"1000.00 USD"\`: the amount in the currency's minor units, a space, the
  ISO 4217 code. Dates are \`Date\` (\`YYYY-MM-DD\`, business dates), instants \`DateTime\` (ISO 8601, UTC).
- **Versions.** Adding a field keeps a type's schema version; removing or renaming one, or changing its meaning, makes
  the next version (or a new type). Ignore fields you do not know. Events stored before this contract carry
  version 1 (database ids, amounts and currency apart); every type below starts at version 2.
- **Who receives what.** The lender's staff receive every event of their tenant. A partner receives only events
  whose scope is that partner: an origination partner, events of the applications and loans it brought, its own
  registration and its own webhook endpoints; a co-lending partner, its own registration and its own endpoints
  (loan events are scoped to the loan's origination partner). Events about the lender as a whole that name no
  loan, borrower or partner (\`tenant.businessDateAdvanced\`) go to every partner of either kind. The same rule
  governs the subscription, the query and a partner's webhook endpoints.
- **Actors.** A field typed \`String (an actor)\` says who did something: the subject of the person or partner's
  client that asked, or the platform's own name for the part of it that acted by itself (\`policy\`, \`end-of-day\`,
  \`auto-debit\`, \`provider:<name>\`, …). The lender's staff receive it as recorded; a partner receives anyone of
  the lender's staff as \`lender\` (which of the lender's people did something is the lender's own business), on the
  subscription, the query and webhooks alike.
- **Batches.** End of day sends what it changed coalesced: one \`tenant.businessDateAdvanced\` per business date,
  and the per-loan changes in batch events of up to 500 loans, one set per origination partner (and one for the
  lender's own loans), so each partner's batches list only its loans. A batch's \`aggregateId\` is its own id, so a
  stream filtered to one loan's \`aggregateId\` does not receive batches: filter by type and read \`loans\`.
- **Filters.** The subscription's \`aggregateType\` is one of the aggregates below (\`Application\`, \`Loan\`, …) and
  its \`aggregateId\` the global id of one of them, as events carry it; a filter that could never match (another
  word, a database id, an id of another kind than \`aggregateType\`) is refused with \`BAD_USER_INPUT\` naming it,
  as is a \`types\` pattern that names no type.
- **Order and delivery**: see webhooks.md ("Ordering and duplicates") and partners.md ("Events").

## How subscriptions are shared

A gateway process executes an \`events\` subscription's document once per event for every subscriber that asked
the same thing in the same scope, and hands each of them the same result (src/graph/subscriptionFanout.ts);
without this, the document ran once per subscriber and event, and delivery time grew with the subscriber count.

- **The group key** is a SHA-256 of: the document as \`graphql\`'s printer writes it (spacing and comments do not
  matter), the operation name, the variables (keys in any order), and the caller's scope: the tenant's schema,
  the partner (id and kind, or none for staff), the roles (sorted), the tenants the token names and its client id.
  Two subscribers with equal keys share one stream from the outbox feed and one execution per event; anything
  else gets a group of its own.
- **Why it cannot leak.** Everything that decides what a subscriber may see is in the key: the tenant (which
  schema is read), the partner (which events pass the partner filter, see "Who receives what"), the roles (which
  fields and capabilities apply) and the filter arguments (in the document or its variables). A staff member and
  a partner, or two partners, never have the same key, so never share a result. When the key cannot be derived
  conservatively the subscription runs alone, as before: any operation other than one plain \`events\` field (a
  fragment or directive at its root), a caller without a tenant, and every subscription that passes an \`after\`
  cursor (it reads its own past from the table, then follows live events, exactly as before).
- **Joining a live group** gives only events after the newest committed one when it joined (what "\`after\`
  omitted" always meant); events that arrive while it joins are kept and passed on if newer.
- **One serialization per event.** graphql-ws would build each subscriber's \`next\` message and \`JSON.stringify\`
  it, once per subscriber, through a chain of promises per socket. Instead the group serializes the event's
  payload once (with \`extensions.cost\` and errors formatted and masked exactly as graphql-ws's \`onNext\` gives
  them; a masked error is logged once per group, not once per member) and writes each member the frame graphql-ws
  would have sent, \`{"id":"<its id>","type":"next","payload":…}\`, with only the subscription's id spliced in,
  straight to its socket as one uncompressed text frame (per-message deflate is off). It writes 256 members, then
  yields to the event loop, so pings, new subscribers and HTTP requests are served during a fan-out; each member
  has one event whole before the group takes the next, so every member's events stay in order. graphql-ws still
  owns each subscription: it starts it, completes it, and sends the \`error\` frame when a member is ended; a
  member is written nothing before graphql-ws has registered it (events that arrive meanwhile wait and follow in
  order). test/graph/subscriptionFanout.test.ts and test/events/events.test.ts show that the frames are byte for
  byte what graphql-ws sends a subscriber running alone.
- **Falling behind** is still per subscriber: a member is ended alone with \`RATE_LIMITED\` / \`SLOW_CONSUMER\` and
  \`resumeAfter\` naming the last event written to it, while the others carry on, when its socket holds more than
  256 KiB that the network has not taken yet (about a thousand events of the usual size). The group's own stream
  never ends for falling behind: past the feed's bound (1,000 events queued, as when one commit brings more) it
  drops what it had queued and reads the table again from the last event it took, a page at a time, then joins
  live delivery again, missing nothing; a subscription resuming from an old cursor (\`after:\`) reads the table the
  same way. It stops when its last member leaves, at once, even while it waits for an event its filter may never
  let through; a subscription running alone leaves the feed as promptly when it is completed or its socket closes.
- **How fast.** One gateway process's fan-out is bounded by the kernel's cost of one send per socket; the
  measured figures and where the time goes are in performance.md ("Subscription fan-out") and benchmarks.md.

`;
  const sections = [...byAggregate.entries()].map(([aggregate, list]) =>
    [`## ${aggregate}`, '', ...list.map((type) => section(type, EVENT_CATALOGUE[type]!))].join('\n'));
  return `${head}\n${sections.join('\n')}`;
}
