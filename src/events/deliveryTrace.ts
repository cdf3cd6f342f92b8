// Where a committed event's time goes on its way to subscribers, for whoever measures it (bench/subscribers.ts
// through bench/gatewayProbe.ts): each stage publishes a mark on a diagnostics channel. With nobody subscribed a
// mark costs one boolean check, so the stages stay marked in production code.
import diagnosticsChannel from 'node:diagnostics_channel';

export const DELIVERY_TRACE_CHANNEL = 'lendgraph:subscription-delivery';

export type DeliveryStage =
  /** The LISTEN connection heard a command's "settle me" (COMMIT_CHANNEL). */
  | 'commitHeard'
  /** The LISTEN connection heard a settle pass's "read me" (OUTBOX_CHANNEL). */
  | 'outboxHeard'
  /** The feed read the new rows from the table and handed each to its subscribers. */
  | 'outboxRead'
  /** A shared group ran its document for the event. */
  | 'executed'
  /** A shared group wrote its frame to every member's socket (handed to the kernel, or queued in ws when full). */
  | 'framesWritten';

export interface DeliveryMark {
  stage: DeliveryStage;
  /** Wall-clock milliseconds, sub-millisecond, comparable across processes on one machine. */
  at: number;
  schema?: string;
  seq?: number;
  members?: number;
}

const channel = diagnosticsChannel.channel(DELIVERY_TRACE_CHANNEL);

export function markDelivery(stage: DeliveryStage, detail: Omit<DeliveryMark, 'stage' | 'at'> = {}): void {
  if (!channel.hasSubscribers) return;
  channel.publish({ stage, at: performance.timeOrigin + performance.now(), ...detail } satisfies DeliveryMark);
}
