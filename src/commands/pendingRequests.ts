// Maker-checker requests (waivers, write-offs, restructures, underwriting recommendations, disbursements) are decided once: the checker's
// command locks the request row for its transaction, so a concurrent decision waits and then finds it decided.
import { AppError, inputPath, InvalidField, statusInWords } from '../errors.js';
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
  if (row.status !== 'pending') throw new AppError('CONFLICT', `this ${kind === 'writeOff' ? 'write-off' : kind} request is already ${statusInWords(row.status)}`, { field: inputPath('requestId') });
}

/** Each kind of maker-checker request: who made it and what its checker does, in a lender's words. */
export const FOUR_EYES = {
  disbursement: { maker: 'whoever requested a disbursement', decides: 'approve it' },
  recommendation: { maker: 'whoever made a recommendation', decides: 'decide it' },
  waiver: { maker: 'whoever asked for a waiver', decides: 'decide it' },
  writeOff: { maker: 'whoever asked for a write-off', decides: 'decide it' },
  restructure: { maker: 'whoever asked for a restructure', decides: 'decide it' },
  creditPolicy: { maker: 'whoever drafted a credit policy or asked for its activation', decides: 'approve it' },
  pricing: { maker: 'whoever drafted a product\'s pricing or asked for its activation', decides: 'approve it' },
  authorityMatrix: { maker: 'whoever drafted an approval authority matrix or asked for its activation', decides: 'approve it' },
  checkProviders: { maker: 'whoever drafted check provider settings or asked for their activation', decides: 'approve them' },
  arrangement: { maker: 'whoever proposed an arrangement\'s terms', decides: 'approve them' },
} as const;

export type FourEyesRequest = keyof typeof FOUR_EYES;

/** What the maker of a request is told on deciding it: one sentence, the same shape for every kind. */
export function makerIsCheckerMessage(request: FourEyesRequest): string {
  const { maker, decides } = FOUR_EYES[request];
  return `${maker} cannot also ${decides}: someone else must`;
}

/** The four-eyes rule as every maker-checker command answers it: FORBIDDEN naming the request. */
export function refuseMakerAsChecker(makers: string | readonly (string | null | undefined)[], checker: string, request: FourEyesRequest, field = inputPath('requestId')): void {
  try {
    assertMakerIsNotChecker(makers, checker);
  } catch (error) {
    if (error instanceof MakerIsChecker) throw new AppError('FORBIDDEN', makerIsCheckerMessage(request), { field, reason: 'MAKER_IS_CHECKER' });
    throw error;
  }
}
