// Where borrower messages go out: one interface for every SMS or e-mail gateway a lender contracts, and the sandbox
// provider, which sends nothing and records every message it is given in the tenant's own sandbox_notification
// table, for a lender trying reminders (and the tests) to read instead of a phone. A message is sent at least once:
// its id travels as the provider's idempotency key, so a provider that honours one sends it once.
import type { Databases } from '../../tenancy/placement.js';
import { randomUUID } from 'node:crypto';
import { poolSql } from '../../tenancy/tenantSql.js';
import type { ReminderChannel } from '../../domain/servicing/reminders.js';

export interface OutgoingMessage {
  /** The message's id: the provider's idempotency key. */
  id: string;
  channel: ReminderChannel;
  /** The phone number or e-mail address, in full. */
  recipient: string;
  body: string;
}

export interface NotificationProvider {
  readonly name: string;
  /** Sends, or throws; the reference is the provider's for the message. */
  send(schemaName: string, message: OutgoingMessage, now: Date): Promise<{ reference: string }>;
}

/** Records each message in the tenant's sandbox_notification table; a message given twice is recorded once. */
export function sandboxNotificationProvider(databases: Databases): NotificationProvider {
  return {
    name: 'sandbox',
    async send(schemaName, message, now) {
      const { rows } = await poolSql(await databases.poolForSchema(schemaName), schemaName).query<{ id: string }>((s) => `
        INSERT INTO ${s}.sandbox_notification (id, message_id, channel, recipient, body, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)
        ON CONFLICT (message_id) DO UPDATE SET message_id = EXCLUDED.message_id RETURNING id::text`,
      [randomUUID(), message.id, message.channel, message.recipient, message.body, now.toISOString()]);
      return { reference: `sandbox:${rows[0]!.id}` };
    },
  };
}
