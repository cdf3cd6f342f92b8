// Endpoints and replays, as commands (each one transaction with its outbox event and audit record). Commands run
// on the tenant's own client, so ownership is checked here: a partner registers endpoints only for itself and
// deactivates or replays only its own; the lender's staff act on any.
import { randomUUID } from 'node:crypto';
import { AppError, inputPath, InvalidField, noSuchCode } from '../../errors.js';
import type { TenantDb } from '../../tenancy/tenantClients.js';
import { runCommand, type CommandContext } from '../../commands/runCommand.js';
import { sealSecret, type DataKey } from '../../tenancy/sealing.js';
import { inTransaction, type JobQueue } from '../../events/jobs.js';
import { newSigningSecret } from '../../events/webhooks/signature.js';
import { isEventTypePattern } from '../../events/webhooks/subscriptions.js';
import { namesCataloguedTypes } from '../../events/catalogue.js';
import { TEST_EVENT_TYPE, wakeEndpoints, type RetryPolicy } from '../../events/webhooks/dispatch.js';
import { checkDestination, DestinationRefused, type DestinationPolicy } from '../../outbound/destination.js';

/** Who is acting: a partner (its code) or the lender's staff (null). */
export type Owner = string | null;

export interface NewEndpoint {
  url: string;
  eventTypes: string[];
  /** Staff may register an endpoint for a partner; a partner's endpoint is always its own. */
  partnerCode?: string | null;
}

/** The URL as written must pass the destination policy; names are checked again at every delivery. */
function checkUrl(url: string, policy: DestinationPolicy): string {
  if (url.length > 2_000) throw new InvalidField('url', 'url must be at most 2000 characters');
  try {
    return checkDestination(url, policy).toString();
  } catch (error) {
    if (error instanceof DestinationRefused) throw new InvalidField('url', error.reason);
    throw error;
  }
}

export async function registerEndpoint(db: TenantDb, key: DataKey, command: CommandContext, owner: Owner, input: NewEndpoint, policy: DestinationPolicy) {
  const url = checkUrl(input.url, policy);
  const eventTypes = [...new Set(input.eventTypes)];
  if (eventTypes.length === 0 || eventTypes.length > 50) throw new InvalidField('eventTypes', 'eventTypes must list 1–50 event types');
  const bad = eventTypes.find((type) => !isEventTypePattern(type));
  if (bad !== undefined) throw new InvalidField('eventTypes', `"${bad.slice(0, 100)}" is not an event type, a prefix such as "application.*", or "*"`);
  // A misspelt type would receive nothing, silently: only what the catalogue (docs/events.md) names is taken.
  const unknown = eventTypes.find((type) => !namesCataloguedTypes(type));
  if (unknown !== undefined) throw new InvalidField('eventTypes', `"${unknown}" names no event type (see docs/events.md)`);
  if (owner !== null && input.partnerCode && input.partnerCode !== owner) throw new InvalidField('partnerCode', 'a partner registers endpoints only for itself');
  const partnerCode = owner ?? input.partnerCode ?? null;
  return runCommand(db, { ...command, action: 'webhookEndpoint.register' }, async (tx) => {
    if (partnerCode !== null && !(await tx.partner.findUnique({ where: { code: partnerCode } }))) throw noSuchCode('partnerCode', 'no partner with that code');
    const secret = newSigningSecret();
    const endpoint = await tx.webhookEndpoint.create({
      data: {
        id: randomUUID(), partnerCode, url, eventTypes, secretSealed: sealSecret(key, secret), active: true,
        createdBy: command.actor.subject, createdAt: command.now, updatedAt: command.now,
      },
    });
    const shown = { id: endpoint.id, partnerCode, url, eventTypes };
    return {
      result: { endpoint, signingSecret: secret as string | null },
      audit: { entityType: 'WebhookEndpoint', entityId: endpoint.id, after: shown },
      events: [{ type: 'webhookEndpoint.registered', aggregateType: 'WebhookEndpoint', aggregateId: endpoint.id, partnerScope: partnerCode, payload: shown }],
      replay: { endpointId: endpoint.id },
    };
  }, async (stored, tx) => ({ endpoint: await tx.webhookEndpoint.findUniqueOrThrow({ where: { id: String(stored['endpointId']) } }), signingSecret: null }));
}

/** `field` names the endpoint's id as the caller sent it (`input.endpointId`), which a refusal names. */
export async function deactivateEndpoint(db: TenantDb, command: CommandContext, owner: Owner, id: string, field: string) {
  const existing = await endpointNamed(db, owner, id, field);
  if (!existing.active) return existing;
  return runCommand(db, { ...command, action: 'webhookEndpoint.deactivate' }, async (tx) => {
    const endpoint = await tx.webhookEndpoint.update({ where: { id }, data: { active: false, updatedAt: command.now, busyUntil: null, pausedUntil: null } });
    // What was still waiting to be sent ends now, not at its next turn.
    await tx.webhookDelivery.updateMany({
      where: { endpointId: id, status: { in: ['pending', 'retrying'] } },
      data: { status: 'dead', lastError: 'endpoint deactivated', nextAttemptAt: null, updatedAt: command.now },
    });
    return {
      result: endpoint,
      audit: { entityType: 'WebhookEndpoint', entityId: id, before: { active: true }, after: { active: false } },
      events: [{ type: 'webhookEndpoint.deactivated', aggregateType: 'WebhookEndpoint', aggregateId: id, partnerScope: endpoint.partnerCode, payload: { id } }],
    };
  });
}

/**
 * Lets an endpoint receive deliveries again, whether its owner deactivated it or it was disabled for failing:
 * its failure count starts over. Deliveries that died meanwhile stay dead (replay them); new events flow.
 */
export async function enableEndpoint(db: TenantDb, command: CommandContext, owner: Owner, id: string, field: string) {
  const existing = await endpointNamed(db, owner, id, field);
  if (existing.active) return existing;
  return runCommand(db, { ...command, action: 'webhookEndpoint.enable' }, async (tx) => {
    const endpoint = await tx.webhookEndpoint.update({
      where: { id },
      data: { active: true, disabledAt: null, consecutiveFailures: 0, failingSince: null, pausedUntil: null, busyUntil: null, wakeAt: null, updatedAt: command.now },
    });
    return {
      result: endpoint,
      audit: { entityType: 'WebhookEndpoint', entityId: id, before: { active: false, disabledAt: existing.disabledAt }, after: { active: true } },
      events: [{ type: 'webhookEndpoint.enabled', aggregateType: 'WebhookEndpoint', aggregateId: id, partnerScope: endpoint.partnerCode, payload: { id } }],
    };
  });
}

/** Sends a finished delivery's event to its endpoint again, as a new delivery that points at the old one. */
export async function replayDelivery(db: TenantDb, queue: JobQueue, policy: RetryPolicy, schema: string, command: CommandContext, owner: Owner, deliveryId: string) {
  const original = await db.webhookDelivery.findUnique({ where: { id: deliveryId }, include: { endpoint: true } });
  if (!original || (owner !== null && original.partnerCode !== owner)) throw new AppError('NOT_FOUND', 'no webhook delivery with that id', { field: inputPath('deliveryId') });
  if (original.status !== 'succeeded' && original.status !== 'dead') throw new AppError('CONFLICT', 'this delivery is still being attempted; replay it once it has succeeded or died', { field: inputPath('deliveryId'), status: original.status });
  if (!original.endpoint.active) throw new AppError('CONFLICT', 'the endpoint is deactivated', { field: inputPath('deliveryId') });
  return runCommand(db, { ...command, action: 'webhookDelivery.replay' }, async (tx) => {
    const delivery = await tx.webhookDelivery.create({
      data: {
        id: randomUUID(), endpointId: original.endpointId, partnerCode: original.partnerCode, eventId: original.eventId, eventSeq: original.eventSeq,
        eventType: original.eventType, status: 'pending', replayOf: original.id, createdAt: command.now, updatedAt: command.now,
      },
    });
    // A replay is its owner saying the receiver is back: it goes out now rather than after the endpoint's pause.
    await tx.webhookEndpoint.update({ where: { id: original.endpointId }, data: { pausedUntil: null } });
    // The endpoint's wake-up commits with the delivery, or neither exists.
    await wakeEndpoints(inTransaction(tx), queue, schema, [original.endpointId], null, policy);
    return {
      result: delivery,
      audit: { entityType: 'WebhookDelivery', entityId: delivery.id, after: { replayOf: original.id, eventId: original.eventId } },
      events: [{ type: 'webhookDelivery.replayed', aggregateType: 'WebhookDelivery', aggregateId: delivery.id, partnerScope: original.partnerCode, payload: { replayOf: original.id, eventId: original.eventId } }],
      replay: { deliveryId: delivery.id },
    };
  }, async (stored, tx) => tx.webhookDelivery.findUniqueOrThrow({ where: { id: String(stored['deliveryId']) } }));
}

/**
 * An endpoint the caller named, `field` being where it sent the id, as it reads it (`input.endpointId` in a
 * mutation, `endpointId` as a query's argument): unknown, or another partner's (which does not exist as far as this
 * partner can tell), is NOT_FOUND naming that field, for every operation on an endpoint.
 */
export async function endpointNamed(db: TenantDb, owner: Owner, id: string, field: string) {
  const endpoint = await db.webhookEndpoint.findUnique({ where: { id } });
  if (!endpoint || (owner !== null && endpoint.partnerCode !== owner)) throw new AppError('NOT_FOUND', 'no webhook endpoint with that id', { field });
  return endpoint;
}

/** How long the replaced secret keeps signing after a rotation: up to a week, a day unless asked otherwise. */
export const OVERLAP_HOURS = { min: 0, max: 168, default: 24 } as const;

/**
 * Gives an endpoint a new signing secret, returned this once. For `overlapHours` each delivery carries a
 * signature under the replaced secret as well, so the receiver keeps verifying while it switches; with 0 the old
 * secret stops at once. A rotation inside an overlap replaces the newest secret; the older one is forgotten.
 */
export async function rotateSigningSecret(db: TenantDb, key: DataKey, command: CommandContext, owner: Owner, id: string, overlapHours: number) {
  if (!Number.isInteger(overlapHours) || overlapHours < OVERLAP_HOURS.min || overlapHours > OVERLAP_HOURS.max) {
    throw new InvalidField('overlapHours', `overlapHours must be a whole number from ${OVERLAP_HOURS.min} to ${OVERLAP_HOURS.max}`);
  }
  await endpointNamed(db, owner, id, inputPath('endpointId'));
  return runCommand(db, { ...command, action: 'webhookEndpoint.rotateSecret' }, async (tx) => {
    // Locks the row first, so two rotations at once each replace the secret the other left, never the same one.
    const before = await tx.webhookEndpoint.update({ where: { id }, data: { updatedAt: command.now } });
    const secret = newSigningSecret();
    const previousSecretExpiresAt = overlapHours > 0 ? new Date(command.now.getTime() + overlapHours * 3_600_000) : null;
    const endpoint = await tx.webhookEndpoint.update({
      where: { id },
      data: {
        secretSealed: sealSecret(key, secret),
        previousSecretSealed: previousSecretExpiresAt ? before.secretSealed : null,
        previousSecretExpiresAt, secretRotatedAt: command.now,
      },
    });
    const shown = { id, secretRotatedAt: command.now.toISOString(), previousSecretExpiresAt: previousSecretExpiresAt?.toISOString() ?? null };
    return {
      result: { endpoint, signingSecret: secret, previousSecretExpiresAt },
      audit: { entityType: 'WebhookEndpoint', entityId: id, before: { secretRotatedAt: before.secretRotatedAt?.toISOString() ?? null }, after: shown },
      events: [{ type: 'webhookEndpoint.secretRotated', aggregateType: 'WebhookEndpoint', aggregateId: id, partnerScope: endpoint.partnerCode, payload: shown }],
    };
  });
}

/**
 * Sends a `webhookEndpoint.tested` event to one endpoint through the ordinary path (signing, destination policy,
 * retries) and returns its delivery, so the owner can watch the attempts. `settle` numbers the committed event
 * and creates its delivery (dispatch.ts sends a test event only to the endpoint it names).
 */
export async function sendTestWebhook(db: TenantDb, settle: () => Promise<void>, command: CommandContext, owner: Owner, id: string) {
  const endpoint = await endpointNamed(db, owner, id, inputPath('endpointId'));
  if (!endpoint.active) throw new AppError('CONFLICT', 'the endpoint is deactivated; enable it first', { field: inputPath('endpointId') });
  const payload = { id, message: 'A test delivery: nothing happened in the lender\'s books.' };
  // With an idempotency key, a repeat finds the first request's event and so its delivery, instead of a second one.
  const eventId = await runCommand(db, { ...command, action: 'webhookEndpoint.test' }, async () => {
    const newEventId = randomUUID();
    return {
      result: newEventId,
      audit: { entityType: 'WebhookEndpoint', entityId: id, after: { eventId: newEventId } },
      events: [{ id: newEventId, type: TEST_EVENT_TYPE, aggregateType: 'WebhookEndpoint', aggregateId: id, partnerScope: endpoint.partnerCode, payload }],
      replay: { eventId: newEventId },
    };
  }, async (stored) => String(stored['eventId']));
  await settle();
  const delivery = await db.webhookDelivery.findFirst({ where: { eventId, endpointId: id } });
  // Deactivated between the check and the settle: the event was recorded, nothing is sent.
  if (!delivery) throw new AppError('CONFLICT', 'the endpoint was deactivated before the test could be sent', { field: inputPath('endpointId') });
  return delivery;
}
