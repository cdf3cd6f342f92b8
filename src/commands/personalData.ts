// Reading a person's contact details is itself recorded: every request that returns a party's personal data
// (name, e-mail, phone; national identifiers when they arrive) adds one audit record per party naming the
// fields read, in the same hash chain as changes. The record is written before the data is returned, so a read
// that could not be recorded fails instead of leaking unrecorded.
import type { TenantDb } from '../tenancy/tenantClients.js';
import { runCommand, type CommandContext } from './runCommand.js';

export interface PersonalDataRead {
  partyId: string;
  fields: string[];
}

export async function recordPersonalDataReads(db: TenantDb, command: CommandContext, reads: PersonalDataRead[]): Promise<void> {
  if (reads.length === 0) return;
  await runCommand(db, { ...command, action: 'party.personalData.read' }, async () => ({
    result: undefined,
    audit: reads.map((read) => ({ entityType: 'Party', entityId: read.partyId, after: { fieldsRead: [...read.fields].sort() } })),
    events: [],
  }));
}
