// Webhooks: endpoints a partner (or the lender) registers, the deliveries made to them and each attempt. A
// partner reads only its own (GraphContext.db is partner-scoped); commands check ownership themselves.
import { builder, type BuilderTypes } from './builder.js';
import { AppError, InvalidField, inputPath } from '../errors.js';
import { commandDbOf, commandOf, type GraphContext } from './context.js';
import { UUID_KEY } from './pagination.js';
import { between, checkRange, countedConnectionTypes, listPage, orderEnum, orderingOf, type SortKey } from './lists.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { WebhookAttemptRow, WebhookDeliveryRow, WebhookEndpointRow } from './loaders.js';
import { deactivateEndpoint, enableEndpoint, endpointNamed, OVERLAP_HOURS, registerEndpoint, replayDelivery, rotateSigningSecret, sendTestWebhook } from '../services/webhooks/endpoints.js';
import { destinationPolicy } from '../outbound/settings.js';
import { objectPayload, payloadType } from './payloads.js';
import { attemptOutcome, type AttemptOutcome } from '../events/webhooks/attemptOutcome.js';

const owner = (context: GraphContext) => context.principal!.partner?.id ?? null;

export const WebhookEndpointRef = builder.objectRef<WebhookEndpointRow>('WebhookEndpoint');
export const WebhookDeliveryRef = builder.objectRef<WebhookDeliveryRow>('WebhookDelivery');

builder.node(WebhookEndpointRef, {
  description: 'Where a partner (or the lender) receives events, signed with the endpoint\'s secret.',
  id: { resolve: (row) => row.id },
  loadMany: (ids, context: GraphContext) => ids.map((id) => context.loaders.webhookEndpointById.load(id)),
  authScopes: { can: 'webhooks.read' },
  fields: (t) => ({
    partnerCode: t.exposeString('partnerCode', { nullable: true, description: 'The partner that owns it; null for the lender\'s own endpoints, which receive every event.' }),
    url: t.exposeString('url', { description: 'Where deliveries are POSTed.' }),
    eventTypes: t.exposeStringList('eventTypes', { description: 'The event types it receives: exact types, prefixes such as `application.*`, or `*`.' }),
    active: t.exposeBoolean('active', { description: 'Whether it still receives deliveries (false once deactivated or disabled; `enableWebhookEndpoint` turns it back on).' }),
    disabledAt: t.field({ type: 'DateTime', nullable: true, description: 'When it was disabled for failing without a success for the configured period (3 days by default); null otherwise.', resolve: (e) => e.disabledAt }),
    failingSince: t.field({ type: 'DateTime', nullable: true, description: 'When its current run of failed attempts began; null after a success.', resolve: (e) => e.failingSince }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was registered.', resolve: (e) => e.createdAt }),
    secretRotatedAt: t.field({ type: 'DateTime', nullable: true, description: 'When its signing secret was last rotated; null if never.', resolve: (e) => e.secretRotatedAt }),
    previousSecretExpiresAt: t.field({ type: 'DateTime', nullable: true, description: 'Until when deliveries are also signed with the secret the last rotation replaced; null when only the current secret signs.', resolve: (e, _args, context) => (e.previousSecretExpiresAt && e.previousSecretExpiresAt > context.runtime.now() ? e.previousSecretExpiresAt : null) }),
  }),
});

const DeliveryStatusEnum = builder.enumType('WebhookDeliveryStatus', {
  description: 'Where a delivery stands.',
  values: {
    PENDING: { value: 'pending', description: 'Not attempted yet.' },
    RETRYING: { value: 'retrying', description: 'Failed so far; another attempt is scheduled with exponential backoff.' },
    SUCCEEDED: { value: 'succeeded', description: 'The endpoint answered 2xx.' },
    DEAD: { value: 'dead', description: 'Out of attempts (or the endpoint was deactivated); replay it by mutation.' },
  } as const,
});

const AttemptOutcomeEnum = builder.enumType('WebhookAttemptOutcome', {
  description: 'How one attempt ended, as far as Lendgraph knows.',
  values: {
    SUCCEEDED: { value: 'succeeded', description: 'The endpoint answered 2xx.' },
    FAILED: { value: 'failed', description: 'Another answer, none in time, or no connection: `error` says which.' },
    IN_FLIGHT: { value: 'inFlight', description: 'Sent and not yet answered (or its sender died and the next attempt has not started yet).' },
    INTERRUPTED: { value: 'interrupted', description: 'Its sender died mid-request (a crash, a kill): no outcome was recorded, and whether the endpoint received it is unknown. A later attempt carries the next number.' },
  } as const,
});

const WebhookAttemptRef = builder.objectRef<WebhookAttemptRow & { outcome: AttemptOutcome }>('WebhookAttempt').implement({
  description: 'One try at sending a delivery, logged as its request leaves.',
  authScopes: { can: 'webhooks.read' },
  fields: (t) => ({
    attempt: t.exposeInt('attempt', { description: '1 for the first try; the `lendgraph-attempt` header it carried. Never repeated within a delivery.' }),
    attemptedAt: t.field({ type: 'DateTime', description: 'When its request left.', resolve: (a) => a.attemptedAt }),
    outcome: t.field({ type: AttemptOutcomeEnum, description: 'How it ended: succeeded, failed, still in flight, or interrupted.', resolve: (a) => a.outcome }),
    statusCode: t.exposeInt('statusCode', { nullable: true, description: 'The HTTP status the endpoint answered; null when it did not answer or no outcome is recorded.' }),
    error: t.exposeString('error', { nullable: true, description: 'Why it failed; null when it succeeded or no outcome is recorded.' }),
    durationMs: t.exposeInt('durationMs', { nullable: true, description: 'How long the endpoint took; null when no outcome is recorded (in flight or interrupted).' }),
  }),
});

builder.node(WebhookDeliveryRef, {
  description: 'One event sent to one endpoint, with every attempt.',
  id: { resolve: (row) => row.id },
  loadMany: (ids, context: GraphContext) => ids.map((id) => context.loaders.webhookDeliveryById.load(id)),
  authScopes: { can: 'webhooks.read' },
  fields: (t) => ({
    endpoint: t.field({ type: WebhookEndpointRef, nullable: true, description: 'Where it goes.', resolve: (d, _args, context) => context.loaders.webhookEndpointById.load(d.endpointId) }),
    eventId: t.exposeString('eventId', { description: 'The event\'s id: the `webhook-id` header, the same on every retry and replay, so receivers de-duplicate on it.' }),
    eventType: t.exposeString('eventType', { description: 'The event\'s type.' }),
    eventCursor: t.string({ description: 'The event\'s cursor in the `events` subscription.', resolve: (d) => String(d.eventSeq) }),
    status: t.field({ type: DeliveryStatusEnum, description: 'Where it stands.', resolve: (d) => d.status as 'pending' | 'retrying' | 'succeeded' | 'dead' }),
    attempts: t.exposeInt('attempts', { description: 'How many attempts were made, counted as each request leaves (an interrupted one included).' }),
    lastStatusCode: t.exposeInt('lastStatusCode', { nullable: true, description: 'The last HTTP status the endpoint answered.' }),
    lastError: t.exposeString('lastError', { nullable: true, description: 'Why the last attempt failed.' }),
    replayOf: t.field({ type: WebhookDeliveryRef, nullable: true, description: 'The delivery this one replays.', resolve: (d, _args, context) => (d.replayOf ? context.loaders.webhookDeliveryById.load(d.replayOf) : null) }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was created (just after the event committed, or when replayed).', resolve: (d) => d.createdAt }),
    deliveredAt: t.field({ type: 'DateTime', nullable: true, description: 'When the endpoint accepted it.', resolve: (d) => d.deliveredAt }),
    attemptLog: t.field({ type: [WebhookAttemptRef], description: 'Every attempt, first to last, each logged as its request left.', resolve: async (d, _args, context) =>
      (await context.loaders.webhookAttemptsByDelivery.load(d.id)).map((attempt) => ({ ...attempt, outcome: attemptOutcome(attempt, d) })) }),
  }),
});

const ENDPOINT_ORDER = {
  CREATED_AT: { field: 'createdAt', kind: 'time', label: 'when it was registered' },
  UPDATED_AT: { field: 'updatedAt', kind: 'time', label: 'when it last changed' },
  URL: { field: 'url', kind: 'text', label: 'URL' },
} as const satisfies Record<string, SortKey>;
const WebhookEndpointOrderEnum = orderEnum('WebhookEndpoint', ENDPOINT_ORDER);

builder.queryField('webhookEndpoints', (t) =>
  t.connection({
    type: WebhookEndpointRef,
    description: 'Webhook endpoints, oldest first unless `orderBy` says otherwise. A partner sees and counts only its own.',
    authScopes: { can: 'webhooks.read' },
    args: {
      orderBy: t.arg({ type: WebhookEndpointOrderEnum, required: false, description: 'The order of the list; `CREATED_AT_ASC` when absent.' }),
      active: t.arg.boolean({ required: false, description: 'Only endpoints that still receive deliveries (true), or only those deactivated or disabled (false).' }),
      createdFrom: t.arg({ type: 'DateTime', required: false, description: 'Only endpoints registered at or after this.' }),
      createdTo: t.arg({ type: 'DateTime', required: false, description: 'Only endpoints registered at or before this.' }),
      updatedSince: t.arg({ type: 'DateTime', required: false, description: 'Only endpoints changed at or after this: the sync filter, see docs/partners.md.' }),
    },
    resolve: (_root, args, context) => {
      checkRange('createdFrom', args.createdFrom, 'createdTo', args.createdTo);
      const where: Record<string, unknown> = {
        ...(args.active != null ? { active: args.active } : {}),
        ...(args.createdFrom != null || args.createdTo != null ? { createdAt: between(args.createdFrom, args.createdTo) } : {}),
        ...(args.updatedSince != null ? { updatedAt: { gte: args.updatedSince } } : {}),
      };
      return listPage(context, args, orderingOf(ENDPOINT_ORDER, args.orderBy, 'createdAt:asc'), where, {
        findMany: (query) => context.db!.webhookEndpoint.findMany(query as Prisma.WebhookEndpointFindManyArgs),
        count: (query) => context.db!.webhookEndpoint.count(query as Prisma.WebhookEndpointCountArgs),
      });
    },
  }, ...countedConnectionTypes('WebhookEndpoint')),
);

const DELIVERY_ORDER = {
  CREATED_AT: { field: 'createdAt', kind: 'time', label: 'when it was queued' },
  UPDATED_AT: { field: 'updatedAt', kind: 'time', label: 'when it last changed' },
} as const satisfies Record<string, SortKey>;
const WebhookDeliveryOrderEnum = orderEnum('WebhookDelivery', DELIVERY_ORDER);

builder.queryField('webhookDeliveries', (t) =>
  t.connection({
    type: WebhookDeliveryRef,
    description: 'The delivery log, newest first unless `orderBy` says otherwise, narrowed by the filters given. A partner sees and counts only its own; an `endpointId` naming no endpoint the caller may see is NOT_FOUND.',
    authScopes: { can: 'webhooks.read' },
    args: {
      orderBy: t.arg({ type: WebhookDeliveryOrderEnum, required: false, description: 'The order of the list; `CREATED_AT_DESC` when absent.' }),
      endpointId: t.arg.globalID({ required: false, for: WebhookEndpointRef, description: 'Only deliveries to this endpoint.' }),
      status: t.arg({ type: DeliveryStatusEnum, required: false, description: 'Only deliveries in this status.' }),
      eventType: t.arg.string({ required: false, description: 'Only deliveries of this event type, exactly.' }),
      createdFrom: t.arg({ type: 'DateTime', required: false, description: 'Only deliveries queued at or after this.' }),
      createdTo: t.arg({ type: 'DateTime', required: false, description: 'Only deliveries queued at or before this.' }),
      updatedSince: t.arg({ type: 'DateTime', required: false, description: 'Only deliveries changed (an attempt, a new status) at or after this.' }),
    },
    resolve: async (_root, args, context) => {
      checkRange('createdFrom', args.createdFrom, 'createdTo', args.createdTo);
      // Refused as every operation on an endpoint refuses one the caller cannot see, rather than answered as a log
      // with nothing in it, which would read as an endpoint of the caller's own that was never sent anything.
      if (args.endpointId) await endpointNamed(commandDbOf(context), owner(context), endpointIdOf(args.endpointId.id, 'endpointId'), 'endpointId');
      const where: Record<string, unknown> = {
        ...(args.endpointId ? { endpointId: args.endpointId.id } : {}),
        ...(args.status ? { status: args.status } : {}),
        ...(args.eventType != null ? { eventType: args.eventType } : {}),
        ...(args.createdFrom != null || args.createdTo != null ? { createdAt: between(args.createdFrom, args.createdTo) } : {}),
        ...(args.updatedSince != null ? { updatedAt: { gte: args.updatedSince } } : {}),
      };
      return listPage(context, args, orderingOf(DELIVERY_ORDER, args.orderBy, 'createdAt:desc'), where, {
        findMany: (query) => context.db!.webhookDelivery.findMany(query as Prisma.WebhookDeliveryFindManyArgs),
        count: (query) => context.db!.webhookDelivery.count(query as Prisma.WebhookDeliveryCountArgs),
      });
    },
  }, ...countedConnectionTypes('WebhookDelivery')),
);

const RegisterWebhookEndpointInput = builder.inputType('RegisterWebhookEndpointInput', {
  description: 'A new webhook endpoint.',
  fields: (t) => ({
    url: t.string({ required: true, description: 'Where deliveries are POSTed: https on port 443, to a public address (internal, loopback, link-local and metadata destinations are refused; docs/webhooks.md). Plain http and port 80 are accepted outside production.' }),
    eventTypes: t.stringList({ required: true, description: 'Event types to receive: exact types, prefixes such as `application.*`, or `*` (1–50).' }),
    partnerCode: t.string({ required: false, description: 'Staff only: register it for this partner, which then receives only events that concern it.' }),
    idempotencyKey: t.field({ type: 'IdempotencyKey', required: false, description: 'Repeat the request with the same key (8–200 characters) to get the same endpoint back; a replay carries no secret.' }),
  }),
});

const RegisterWebhookEndpointPayload = payloadType<{ webhookEndpoint: WebhookEndpointRow; signingSecret: string | null }>(
  'registerWebhookEndpoint',
  'The new endpoint and its signing secret, shown this once.',
  (t) => ({
    webhookEndpoint: t.field({ type: WebhookEndpointRef, nullable: true, description: 'The endpoint.', resolve: (r) => r.webhookEndpoint ?? null }),
    signingSecret: t.string({
      nullable: true,
      description: 'Verify the `webhook-signature` header with it, with any Standard Webhooks library (docs/webhooks.md). Store it now: it is not shown again (null on an idempotent replay).',
      resolve: (r) => r.signingSecret ?? null,
    }),
  }),
);

const DeactivateWebhookEndpointPayload = objectPayload('deactivateWebhookEndpoint', 'webhookEndpoint', WebhookEndpointRef, 'The endpoint, no longer receiving deliveries.');
const EnableWebhookEndpointPayload = objectPayload('enableWebhookEndpoint', 'webhookEndpoint', WebhookEndpointRef, 'The endpoint, receiving deliveries again.');
const ReplayWebhookDeliveryPayload = objectPayload('replayWebhookDelivery', 'webhookDelivery', WebhookDeliveryRef, 'The new delivery; its `replayOf` is the one replayed.');
const SendTestWebhookPayload = objectPayload('sendTestWebhook', 'webhookDelivery', WebhookDeliveryRef, 'The test delivery, so its attempts can be watched.');

type InputFields = PothosSchemaTypes.InputFieldBuilder<BuilderTypes, 'InputObject'>;

/**
 * The endpoint a mutation acts on, named `endpointId` as the other webhook mutations name it, and as the API's
 * mutations on one record name theirs (`deliveryId`, `mandateId`, `staffMemberId`); `id`, the name it was first
 * given, is still taken. Both are optional in the schema, so a client sending `id` keeps working;
 * `endpointNamedBy` asks for exactly one.
 */
const endpointFields = (t: InputFields) => ({
  endpointId: t.globalID({ required: false, for: WebhookEndpointRef, description: 'The endpoint (required unless the deprecated `id` is given).' }),
  id: t.globalID({
    required: false, for: WebhookEndpointRef, description: 'The endpoint, by the name first given to it.',
    deprecationReason: 'Use `endpointId`, as every other mutation on an endpoint does; give one of the two, never both.',
  }),
});

const DeactivateWebhookEndpointInput = builder.inputType('DeactivateWebhookEndpointInput', { description: 'Which endpoint.', fields: endpointFields });

const EnableWebhookEndpointInput = builder.inputType('EnableWebhookEndpointInput', { description: 'Which endpoint.', fields: endpointFields });

const ReplayWebhookDeliveryInput = builder.inputType('ReplayWebhookDeliveryInput', {
  description: 'Which delivery to send again.',
  fields: (t) => ({
    deliveryId: t.globalID({ required: true, for: WebhookDeliveryRef, description: 'A delivery that succeeded or died.' }),
    idempotencyKey: t.field({ type: 'IdempotencyKey', required: false, description: 'Repeat with the same key (8–200 characters) to get the same replay back, never a second one.' }),
  }),
});

const SendTestWebhookInput = builder.inputType('SendTestWebhookInput', {
  description: 'Which endpoint to send a test delivery to.',
  fields: (t) => ({
    endpointId: t.globalID({ required: true, for: WebhookEndpointRef, description: 'The endpoint; it must be active.' }),
    idempotencyKey: t.field({ type: 'IdempotencyKey', required: false, description: 'Repeat with the same key (8–200 characters) to get the same test delivery back, never a second one.' }),
  }),
});

const RotateWebhookSigningSecretInput = builder.inputType('RotateWebhookSigningSecretInput', {
  description: 'Which endpoint gets a new signing secret, and for how long the replaced one still signs.',
  fields: (t) => ({
    endpointId: t.globalID({ required: true, for: WebhookEndpointRef, description: 'The endpoint.' }),
    overlapHours: t.int({
      required: false, defaultValue: OVERLAP_HOURS.default,
      description: `Hours (${OVERLAP_HOURS.min}–${OVERLAP_HOURS.max}, default ${OVERLAP_HOURS.default}) during which every delivery is signed with both the new and the replaced secret; 0 stops the replaced secret at once.`,
    }),
  }),
});

const RotateWebhookSigningSecretPayload = payloadType<{ webhookEndpoint: WebhookEndpointRow; signingSecret: string; previousSecretExpiresAt: Date | null }>(
  'rotateWebhookSigningSecret',
  'The endpoint\'s new signing secret, shown this once.',
  (t) => ({
    webhookEndpoint: t.field({ type: WebhookEndpointRef, nullable: true, description: 'The endpoint.', resolve: (r) => r.webhookEndpoint ?? null }),
    signingSecret: t.string({ nullable: true, description: 'The new secret (`whsec_…`). Store it now: it is not shown again.', resolve: (r) => r.signingSecret ?? null }),
    previousSecretExpiresAt: t.field({
      type: 'DateTime', nullable: true,
      description: 'Until when deliveries also carry a signature under the replaced secret; null when it stopped at once.',
      resolve: (r) => r.previousSecretExpiresAt ?? null,
    }),
  }),
);

/**
 * A global id that is not one of ours names no endpoint: NOT_FOUND, as an endpoint the caller cannot see, naming
 * `field` as the caller reads it (`input.endpointId`, or a query's argument `endpointId`).
 */
function endpointIdOf(id: string, field = inputPath('endpointId')): string {
  if (!UUID_KEY.test(id)) throw new AppError('NOT_FOUND', 'no webhook endpoint with that id', { field });
  return id;
}

/** The endpoint `endpointFields` name, and the field that named it: exactly one of `input.endpointId` and `input.id`. */
function endpointNamedBy(input: { endpointId?: { id: string } | null; id?: { id: string } | null }): { id: string; field: string } {
  if (input.endpointId != null && input.id != null) throw new InvalidField('id', 'give the endpoint once, as endpointId: id is its deprecated name');
  if (input.endpointId != null) return { id: endpointIdOf(input.endpointId.id), field: inputPath('endpointId') };
  if (input.id != null) return { id: endpointIdOf(input.id.id, inputPath('id')), field: inputPath('id') };
  throw new InvalidField('endpointId', 'endpointId is required');
}

builder.mutationFields((t) => ({
  sendTestWebhook: t.field({
    type: SendTestWebhookPayload,
    description: 'Sends a `webhookEndpoint.tested` event to one endpoint, signed, checked and retried like any delivery; returns the delivery so its attempts can be watched.',
    authScopes: { can: 'webhooks.manage' },
    args: { input: t.arg({ type: SendTestWebhookInput, required: true, description: 'Which endpoint.' }) },
    resolve: async (_root, { input }, context) => {
      const schema = context.tenant!.schemaName;
      const endpointId = endpointIdOf(input.endpointId.id);
      const webhookDelivery = await sendTestWebhook(commandDbOf(context), () => context.runtime.settler.settle(schema), {
        ...commandOf(context),
        ...(input.idempotencyKey != null ? { idempotency: { key: input.idempotencyKey, input: { endpointId } } } : {}),
      }, owner(context), endpointId);
      return { webhookDelivery };
    },
  }),
  rotateWebhookSigningSecret: t.field({
    type: RotateWebhookSigningSecretPayload,
    description: 'Gives an endpoint a new signing secret, shown once; for `overlapHours` deliveries are signed with both the new and the replaced secret.',
    authScopes: { can: 'webhooks.manage' },
    args: { input: t.arg({ type: RotateWebhookSigningSecretInput, required: true, description: 'Which endpoint, and the overlap.' }) },
    resolve: async (_root, { input }, context) => {
      const { endpoint, ...secret } = await rotateSigningSecret(commandDbOf(context), context.runtime.webhooks.key, commandOf(context), owner(context), endpointIdOf(input.endpointId.id), input.overlapHours ?? OVERLAP_HOURS.default);
      return { webhookEndpoint: endpoint, ...secret };
    },
  }),
  registerWebhookEndpoint: t.field({
    type: RegisterWebhookEndpointPayload,
    description: 'Registers an endpoint for the caller (a partner) or, for staff, the lender or a named partner; returns its signing secret once.',
    authScopes: { can: 'webhooks.manage' },
    args: { input: t.arg({ type: RegisterWebhookEndpointInput, required: true, description: 'The endpoint.' }) },
    resolve: async (_root, { input }, context) => {
      const fields = { url: input.url, eventTypes: input.eventTypes, partnerCode: input.partnerCode ?? null };
      const { endpoint, signingSecret } = await registerEndpoint(commandDbOf(context), context.runtime.webhooks.key, {
        ...commandOf(context),
        ...(input.idempotencyKey != null ? { idempotency: { key: input.idempotencyKey, input: fields } } : {}),
      }, owner(context), fields, destinationPolicy(context.runtime.config));
      return { webhookEndpoint: endpoint, signingSecret };
    },
  }),
  deactivateWebhookEndpoint: t.field({
    type: DeactivateWebhookEndpointPayload,
    description: 'Stops deliveries to an endpoint; those still being retried end as dead.',
    authScopes: { can: 'webhooks.manage' },
    args: { input: t.arg({ type: DeactivateWebhookEndpointInput, required: true, description: 'Which endpoint.' }) },
    resolve: async (_root, { input }, context) => {
      const endpoint = endpointNamedBy(input);
      return { webhookEndpoint: await deactivateEndpoint(commandDbOf(context), commandOf(context), owner(context), endpoint.id, endpoint.field) };
    },
  }),
  enableWebhookEndpoint: t.field({
    type: EnableWebhookEndpointPayload,
    description: 'Lets a deactivated or disabled endpoint receive deliveries again; its failure count starts over. Deliveries that died meanwhile stay dead (replay them).',
    authScopes: { can: 'webhooks.manage' },
    args: { input: t.arg({ type: EnableWebhookEndpointInput, required: true, description: 'Which endpoint.' }) },
    resolve: async (_root, { input }, context) => {
      const endpoint = endpointNamedBy(input);
      return { webhookEndpoint: await enableEndpoint(commandDbOf(context), commandOf(context), owner(context), endpoint.id, endpoint.field) };
    },
  }),
  replayWebhookDelivery: t.field({
    type: ReplayWebhookDeliveryPayload,
    description: 'Sends a delivery\'s event to its endpoint again, as a new delivery pointing at the old one (same event id).',
    authScopes: { can: 'webhooks.manage' },
    args: { input: t.arg({ type: ReplayWebhookDeliveryInput, required: true, description: 'Which delivery.' }) },
    resolve: async (_root, { input }, context) => {
      if (!UUID_KEY.test(input.deliveryId.id)) throw new AppError('NOT_FOUND', 'no webhook delivery with that id', { field: inputPath('deliveryId') });
      const { webhooks } = context.runtime;
      const webhookDelivery = await replayDelivery(commandDbOf(context), webhooks.queueFor(context.tenant!.database), webhooks.policy, context.tenant!.schemaName, {
        ...commandOf(context),
        ...(input.idempotencyKey != null ? { idempotency: { key: input.idempotencyKey, input: { deliveryId: input.deliveryId.id } } } : {}),
      }, owner(context), input.deliveryId.id);
      return { webhookDelivery };
    },
  }),
}));
