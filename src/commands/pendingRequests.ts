// Maker-checker requests (waivers, write-offs, restructures, underwriting recommendations, disbursements) are decided once: the checker's
// command locks the request row for its transaction, so a concurrent decision waits and then finds it decided.
import { AppError, inputPath, InvalidField } from '../errors.js';
import { assertMakerIsNotChecker, MakerIsChecker } from '../domain/fourEyes.js';
import type { Tx } from '../tenancy/tenantClients.js';
import { schemaForSlug } from '../tenancy/schemaNames.js';
import { tenantSql } from '../tenancy/tenantSql.js';

const TABLES = {
  waiver: 'loan_waiver_request',
  approval: 'approval_request',
  disbursement: 'disbursement_request',
  writeOff: 'loan_write_off_request',
  restructure: 'loan_restructure_request',
} as const;

/** Locks a pending request; refuses one that does not exist (naming `requestId`) or is already decided. */
export async function lockPendingRequest(tx: Tx, tenant: string, kind: keyof typeof TABLES, requestId: string): Promise<void> {
  const [row] = await tenantSql(tx, schemaForSlug(tenant)).query<{ status: string }[]>((schema) => `SELECT status FROM ${schema}.${TABLES[kind]} WHERE id = $1::uuid FOR UPDATE`, requestId);
  if (!row) throw new InvalidField('requestId', `no ${kind === 'writeOff' ? 'write-off' : kind} request with that id`);
  if (row.status !== 'pending') throw new AppError('CONFLICT', `this ${kind === 'writeOff' ? 'write-off' : kind} request is already ${row.status}`, { field: inputPath('requestId') });
}

/**
 * The four-eyes rule as every maker-checker command answers it: FORBIDDEN naming the request, with why this
 * action needs a second person.
 */
export function refuseMakerAsChecker(makers: string | readonly (string | null | undefined)[], checker: string, why: string, field = inputPath('requestId')): void {
  try {
    assertMakerIsNotChecker(makers, checker);
  } catch (error) {
    if (error instanceof MakerIsChecker) throw new AppError('FORBIDDEN', `${error.message}: ${why}`, { field, reason: 'MAKER_IS_CHECKER' });
    throw error;
  }
}
