// Heartbeat: a dashboard's sign of life on its WebSocket, carrying the tenant's current business date so a
// screen open across end of day moves to the new date without polling.
import { setTimeout as sleep } from 'node:timers/promises';
import { builder } from './builder.js';
import { badInput } from '../errors.js';

interface Heartbeat {
  at: Date;
  businessDate: string | null;
}

const HeartbeatRef = builder.objectRef<Heartbeat>('Heartbeat').implement({
  description: 'A periodic sign of life.',
  authScopes: { authenticated: true },
  fields: (t) => ({
    at: t.field({ type: 'DateTime', description: 'Server time of this beat.', resolve: (h) => h.at }),
    businessDate: t.field({
      type: 'Date',
      nullable: true,
      description: 'The tenant\'s current business date; null for principals acting for no tenant.',
      resolve: (h) => h.businessDate,
    }),
  }),
});

builder.subscriptionField('heartbeat', (t) =>
  t.field({
    type: HeartbeatRef,
    description: 'Beats every `everySeconds` (5–300) until the client unsubscribes or its token expires.',
    authScopes: { can: 'live.heartbeat' },
    args: { everySeconds: t.arg.int({ required: false, defaultValue: 15, description: 'Seconds between beats, 5–300.' }) },
    subscribe: async function* (_root, args, context) {
      const every = args.everySeconds ?? 15;
      if (every < 5 || every > 300) throw badInput('everySeconds', 'everySeconds must be between 5 and 300');
      const { runtime } = context;
      while (true) {
        const tenant = context.tenant ? await runtime.registry.findBySlug(context.tenant.slug) : null;
        yield { at: runtime.now(), businessDate: tenant?.businessDate ?? null };
        await sleep(every * 1000);
      }
    },
    resolve: (beat: Heartbeat) => beat,
  }),
);
