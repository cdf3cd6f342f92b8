// Reading a person's contact details is itself recorded: every request that returns a party's personal data
// (name, e-mail, phone; national identifiers when they arrive) adds one audit record per party naming the
// fields read, in the same hash chain as changes. The record is written before the data is returned, so a read
// that could not be recorded fails instead of leaking unrecorded.
//
// On the tenant's pool the record is one round trip of plain SQL, its bookkeeping a statement prepared once per
// connection (runSqlCommand); through the ORM's transaction the bookkeeping went unnamed and PostgreSQL planned it
// on every read, more than three times what writing the record cost it (docs/performance.md).
import type pg from 'pg';
import type { TenantDb } from '../tenancy/tenantClients.js';
import { runCommandOn, type CommandContext } from './runCommand.js';

export interface PersonalDataRead {
  partyId: string;
  fields: string[];
}

export async function recordPersonalDataReads(db: TenantDb | pg.Pool, command: CommandContext, reads: PersonalDataRead[]): Promise<void> {
  if (reads.length === 0) return;
  await runCommandOn(db, { ...command, action: 'party.personalData.read' }, async () => ({
    result: undefined,
    audit: reads.map((read) => ({ entityType: 'Party', entityId: read.partyId, after: { fieldsRead: [...read.fields].sort() } })),
    events: [],
  }));
}
