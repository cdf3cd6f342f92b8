// Live events: the tenant's committed outbox events over graphql-ws, for dashboards and partners. A client
// passes the last cursor it saw to resume: it receives every event after it, in order, without duplicates.
import { builder } from './builder.js';
import { AppError, badInput } from '../errors.js';
import type { FeedEvent } from '../events/outboxFeed.js';
import { SlowConsumerError } from '../events/outboxFeed.js';

const EventRef = builder.objectRef<FeedEvent>('TenantEvent').implement({
  description: 'Something that happened in the tenant, after its transaction committed.',
  authScopes: { can: 'events.read' },
  fields: (t) => ({
    cursor: t.string({ description: 'Pass as `after` to resume after this event.', resolve: (e) => String(e.seq) }),
    id: t.exposeString('id', { description: 'The event\'s own id (stable across redeliveries).' }),
    type: t.exposeString('type', { description: 'What happened, e.g. partner.registered.' }),
    aggregateType: t.exposeString('aggregateType', { description: 'The kind of thing it happened to.' }),
    aggregateId: t.exposeString('aggregateId', { description: 'Which one (its database id).' }),
    occurredAt: t.field({ type: 'DateTime', description: 'When it happened.', resolve: (e) => e.occurredAt }),
    schemaVersion: t.exposeInt('schemaVersion', { description: 'Version of the payload\'s shape.' }),
    payload: t.field({ type: 'JSON', description: 'The event\'s data: an object whose shape its type and schemaVersion give (docs/webhooks.md).', resolve: (e) => e.payload }),
  }),
});

builder.subscriptionField('events', (t) =>
  t.field({
    type: EventRef,
    description: 'The tenant\'s events as they commit, optionally for one aggregate; resume with `after`. A partner receives only events that concern it.',
    authScopes: { can: 'events.read' },
    args: {
      after: t.arg.string({ required: false, description: 'The last cursor received; omitted, only new events arrive.' }),
      aggregateType: t.arg.string({ required: false, description: 'Only events of this kind of aggregate.' }),
      aggregateId: t.arg.string({ required: false, description: 'Only events of this aggregate.' }),
    },
    subscribe: async function* (_root, args, context) {
      if (args.after !== null && args.after !== undefined && !/^\d{1,18}$/.test(args.after)) throw badInput('after', 'after must be a cursor from this stream');
      const { feed } = context.runtime;
      const schema = context.tenant!.schemaName;
      const after = args.after ? Number(args.after) : await feed.currentCursor(schema);
      try {
        yield* feed.subscribe(schema, after, {
          ...(args.aggregateType ? { aggregateType: args.aggregateType } : {}),
          ...(args.aggregateId ? { aggregateId: args.aggregateId } : {}),
          ...(context.principal?.partner ? { partner: context.principal.partner.id } : {}),
        });
      } catch (error) {
        if (error instanceof SlowConsumerError) throw new AppError('RATE_LIMITED', error.message, { reason: 'SLOW_CONSUMER', resumeAfter: String(error.lastSeq) });
        throw error;
      }
    },
    resolve: (event: FeedEvent) => event,
  }),
);
