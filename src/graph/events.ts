// The tenant's committed outbox events, two ways: live over graphql-ws (the `events` subscription) and a page
// at a time (the `events` query) for clients that catch up or poll. Both take the same cursor (the event's
// sequence), and both see through one filter (`visibleEvents`): a partner only events that concern it, staff
// every event of their tenant. What each type's payload holds is docs/events.md.
import { resolveCursorConnection, type ResolveCursorConnectionArgs } from '@pothos/plugin-relay';
import { builder } from './builder.js';
import { AppError, badInput, withArticle } from '../errors.js';
import type { FeedEvent, FeedFilter } from '../events/outboxFeed.js';
import { FeedStoppedError } from '../events/outboxFeed.js';
import { isEventTypePattern } from '../events/webhooks/subscriptions.js';
import { CATALOGUED_AGGREGATES, cataloguedAggregateOf, namesCataloguedTypes, payloadShownTo } from '../events/catalogue.js';
import { eventReaderOf } from '../domain/actors.js';
import { allows } from '../authz/capabilities.js';
import { assertServed } from '../authz/tenantAccess.js';
import type { GraphContext } from './context.js';
import { checkedPageSize, SEQ_KEY } from './pagination.js';

function cursorArg(name: string, value: string | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (!SEQ_KEY.test(value)) throw badInput(name, `${name} must be a cursor from this stream`);
  return Number(value);
}

/** Who sees which events, for the subscription and the query alike; `types` as webhook endpoints name them. */
function visibleEvents(context: GraphContext, filter: { aggregateType?: string | null; aggregateId?: string | null; types?: readonly string[] | null }): FeedFilter {
  if (filter.types) {
    if (filter.types.length === 0 || filter.types.length > 50) throw badInput('types', 'types must list 1–50 event types');
    const bad = filter.types.find((type) => !isEventTypePattern(type) || !namesCataloguedTypes(type));
    if (bad !== undefined) throw badInput('types', `"${bad.slice(0, 100)}" names no event type (see docs/events.md)`);
  }
  // A filter no event can ever match is refused rather than left to stay silent.
  if (filter.aggregateType != null && !CATALOGUED_AGGREGATES.includes(filter.aggregateType)) {
    throw badInput('aggregateType', `"${filter.aggregateType.slice(0, 100)}" is no kind of aggregate events happen to; one of ${CATALOGUED_AGGREGATES.join(', ')}`);
  }
  if (filter.aggregateId != null) {
    const aggregate = cataloguedAggregateOf(filter.aggregateId);
    if (aggregate === null) throw badInput('aggregateId', 'aggregateId must be the global id of something events happen to, as node(id:) takes it (an event\'s aggregateId)');
    if (filter.aggregateType != null && aggregate !== filter.aggregateType) throw badInput('aggregateId', `aggregateId is the id of ${withArticle(aggregate)}, not of ${withArticle(filter.aggregateType)}`);
  }
  return {
    ...(filter.aggregateType ? { aggregateType: filter.aggregateType } : {}),
    ...(filter.aggregateId ? { aggregateId: filter.aggregateId } : {}),
    ...(filter.types ? { types: filter.types } : {}),
    ...(context.principal?.partner ? { partner: context.principal.partner.id } : {}),
    // Collection cases and promises are for those who see every case: a collector's own are read on the queue.
    ...(context.principal && !allows('collections.readAll', context.principal.roles, context.tenant !== null) ? { hiddenAggregates: CASE_AGGREGATES } : {}),
  };
}

const CASE_AGGREGATES = ['CollectionCase', 'PromiseToPay'] as const;

const EventRef = builder.objectRef<FeedEvent>('TenantEvent').implement({
  description: 'Something that happened in the tenant, after its transaction committed.',
  // Reached only through the subscription or the query, each with its own capability.
  authScopes: (_event, context) => context.principal !== null
    && (['events.read', 'events.list'] as const).some((capability) => allows(capability, context.principal!.roles, context.tenant !== null)),
  fields: (t) => ({
    cursor: t.string({ description: 'Pass as `after` to resume after this event.', resolve: (e) => String(e.seq) }),
    id: t.exposeString('id', { description: 'The event\'s own id (stable across redeliveries).' }),
    type: t.exposeString('type', { description: 'What happened, aggregate.pastTenseVerb, e.g. loan.repaymentPosted (all of them are in docs/events.md).' }),
    aggregateType: t.exposeString('aggregateType', { description: 'The kind of thing it happened to.' }),
    aggregateId: t.exposeString('aggregateId', { description: 'Which one: its global id, as node(id:) takes it.' }),
    occurredAt: t.field({ type: 'DateTime', description: 'When it happened.', resolve: (e) => e.occurredAt }),
    schemaVersion: t.exposeInt('schemaVersion', { description: 'Version of its type\'s payload shape (docs/events.md).' }),
    payload: t.field({
      type: 'JSON',
      description: 'The event\'s data: an object whose shape its type and schemaVersion give, with global ids and Money text as the API writes them (docs/events.md). A partner receives anyone of the lender\'s staff in it as `lender`.',
      // The partner as a whole, as its webhooks receive it: the same event reads the same on every path.
      resolve: (e, _args, context) => (context.principal?.partner ? payloadShownTo(e.type, e.payload, eventReaderOf(context.principal.partner.id)) : e.payload),
    }),
  }),
});

/**
 * A stream lives as long as its socket, with the context it began with. Before each event it checks that the
 * tenant is still active and on the database that context reads from: a suspended tenant's stream ends, and one
 * moved to another database ends asking to subscribe again from the event it did not get (a fresh context reads
 * from the new database).
 */
async function stillServedHere(context: GraphContext, resumeAfter: number): Promise<void> {
  // The registry not answering for a moment ends no stream: the next event asks again.
  const now = await context.runtime.registry.findBySlug(context.tenant!.slug).catch(() => context.tenant!);
  // Suspended (a move freezes it so): where to resume once it is served again.
  if (now?.status === 'suspended') throw new AppError('TENANT_SUSPENDED', 'this tenant is suspended', { resumeAfter: String(resumeAfter) });
  assertServed(now);
  if (now.database !== context.tenant!.database) {
    throw new AppError('TENANT_MIGRATING', 'the tenant moved to another database: subscribe again after the last cursor received', { resumeAfter: String(resumeAfter) });
  }
}

builder.subscriptionField('events', (t) =>
  t.field({
    type: EventRef,
    description: 'The tenant\'s events as they commit, optionally for one aggregate; resume with `after`. A partner receives only events that concern it.',
    authScopes: { can: 'events.read' },
    args: {
      after: t.arg.string({ required: false, description: 'The last cursor received; omitted, only new events arrive.' }),
      aggregateType: t.arg.string({ required: false, description: 'Only events of this kind of aggregate: Application, Loan, … (docs/events.md).' }),
      aggregateId: t.arg.string({ required: false, description: 'Only events of this aggregate: its global id, as node(id:) takes it and events carry it.' }),
      types: t.arg.stringList({ required: false, description: 'Only these event types: exact, a prefix such as "application.*", or "*".' }),
    },
    subscribe: async function* (_root, args, context) {
      const given = cursorArg('after', args.after);
      const filter = visibleEvents(context, args);
      const { feed } = context.runtime;
      const schema = context.tenant!.schemaName;
      // A cursor past the newest event is none this API gave: following from it would skip the events up to it
      // unseen, so it is refused (every cursor sent was settled, so none is ever past the newest).
      if (given !== undefined && given > 0) {
        const newest = await feed.currentCursor(schema);
        if (given > newest) throw badInput('after', `after is beyond the newest event (${newest}): resume from the last cursor you received`);
      }
      // A shared stream (subscriptionFanout.ts) starts where its first subscriber's "now" was.
      const after = given ?? context.subscriptionStart ?? await feed.currentCursor(schema);
      try {
        for await (const event of feed.subscribe(schema, after, filter, context.signal)) {
          await stillServedHere(context, event.seq - 1);
          yield event;
        }
      } catch (error) {
        // Its socket is already closing with 1001: the client resumes elsewhere, and there is nothing to report.
        if (error instanceof FeedStoppedError) return;
        throw error;
      }
    },
    resolve: (event: FeedEvent) => event,
  }),
);

builder.queryField('events', (t) =>
  t.connection({
    type: EventRef,
    description: 'The tenant\'s committed events, oldest first, a page at a time after a cursor: for clients that catch up or poll. '
      + 'Cursors are the subscription\'s (pass the last one seen as `after`); a partner sees only events that concern it.',
    authScopes: { can: 'events.list' },
    args: {
      types: t.arg.stringList({ required: false, description: 'Only these event types: exact, a prefix such as "application.*", or "*".' }),
    },
    resolve: (_root, args, context) => {
      const max = checkedPageSize(context, args);
      const after = cursorArg('after', args.after);
      const before = cursorArg('before', args.before);
      const filter = visibleEvents(context, { types: args.types ?? null });
      return resolveCursorConnection(
        { args, toCursor: (event: FeedEvent) => String(event.seq), defaultSize: 20, maxSize: max },
        (page: ResolveCursorConnectionArgs) => context.runtime.feed.page(context.tenant!.schemaName, filter, {
          ...(page.after !== undefined ? { after } : {}),
          ...(page.before !== undefined ? { before } : {}),
          limit: page.limit, newestFirst: page.inverted,
        }),
      );
    },
  }, { name: 'TenantEventConnection', description: 'A page of the tenant\'s events.' }, { name: 'TenantEventEdge', description: 'An event, with its cursor.' }),
);
