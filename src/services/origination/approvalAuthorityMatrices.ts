// The tenant's approval authority matrix as versioned data, managed the way a credit policy is
// (services/origination/creditPolicies.ts): versions are drafted (never edited in place), put forward for
// activation by one person (the maker) and activated by another (the checker: neither who drafted nor who asked),
// which in one transaction retires the active version. It changes who may approve a loan, so maker-checker is
// not optional. The database holds the same lines: one active version (a unique partial index) and
// `activated_by <> activation_requested_by`. Approvals record the level and limit they were made under, so an
// earlier approval keeps what it had when a later version takes over.
//
// Decisions:
// - One matrix per tenant, in the tenant's currency (not per product): authority is about who the approver is,
//   and the grades are the credit policies' grades.
// - A tenant with no active version: a sandbox tenant uses the sandbox matrix in its currency (the one it is
//   seeded with, for sandbox tenants provisioned before matrices were stored); any other tenant is refused with
//   CONFLICT NO_AUTHORITY_MATRIX when an approval needs one, saying how to set one up.
import { randomUUID } from 'node:crypto';
import { AppError, inputPath, InvalidField, statusInWords } from '../../errors.js';
import {
  authorityFromStored, authorityMatrixFromInput, SANDBOX_AUTHORITY_ROLES, sandboxAuthorityMatrix, storedAuthority,
  type AuthorityLevelInput, type AuthorityMatrix, type AuthorityRoleInput, type AuthorityRoles, type StoredAuthority,
} from '../../domain/origination/approvalAuthority.js';
import { STAFF_ROLES } from '../../authz/roles.js';
import type { TenantDb, Tx } from '../../tenancy/tenantClients.js';
import { runCommand, type CommandContext } from '../../commands/runCommand.js';
import { refuseMakerAsChecker } from '../../commands/pendingRequests.js';
import { schemaForSlug } from '../../tenancy/schemaNames.js';
import { tenantSql } from '../../tenancy/tenantSql.js';
import { sandboxScale } from '../../tenancy/sandboxSeed.js';
import type { TenantRecord } from '../../tenancy/registry.js';
import { isUuid } from '../../domain/globalId.js';

export type AuthorityMatrixRow = Awaited<ReturnType<TenantDb['approvalAuthorityMatrix']['findUniqueOrThrow']>>;
export type SetupStatus = 'draft' | 'pending_activation' | 'active' | 'retired';

/** The authority in force: the matrix mayApprove reads and which levels each role holds. */
export interface ActiveAuthority {
  matrix: AuthorityMatrix;
  roles: AuthorityRoles;
  /** The stored version's id; null for the sandbox fallback. */
  matrixId: string | null;
}

function shown(row: AuthorityMatrixRow) {
  return {
    version: row.version, status: row.status, currency: row.currency, createdBy: row.createdBy,
    activationRequestedBy: row.activationRequestedBy, activatedBy: row.activatedBy, activatedAt: row.activatedAt?.toISOString() ?? null,
  };
}

/** Drafts are numbered and activations made one at a time per tenant. */
async function lockMatrices(tx: Tx, tenant: string): Promise<void> {
  await tenantSql(tx, schemaForSlug(tenant)).execute((schema) => `LOCK TABLE ${schema}.approval_authority_matrix IN SHARE ROW EXCLUSIVE MODE`);
}

async function findMatrix(db: TenantDb | Tx, matrixId: string): Promise<AuthorityMatrixRow> {
  const row = isUuid(matrixId) ? await db.approvalAuthorityMatrix.findUnique({ where: { id: matrixId } }) : null;
  if (!row) throw new InvalidField('matrixId', 'no approval authority matrix version with that id');
  return row;
}

function expectStatus(row: AuthorityMatrixRow, status: SetupStatus, doing: string): void {
  if (row.status !== status) {
    throw new AppError('CONFLICT', `version ${row.version} is ${statusInWords(row.status)}: only a ${statusInWords(status)} version can be ${doing}`, {
      field: inputPath('matrixId'), reason: 'ILLEGAL_TRANSITION', from: row.status,
    });
  }
}

export function authorityOf(row: AuthorityMatrixRow): ActiveAuthority {
  const { levels, roles } = authorityFromStored({ levels: row.levels, roles: row.roles } as unknown as StoredAuthority);
  return { matrix: { version: row.version, currency: row.currency, levels }, roles, matrixId: row.id };
}

/** The authority in force for a tenant (see the decisions above for a tenant without an active version). */
export async function activeAuthority(db: TenantDb | Tx, tenant: Pick<TenantRecord, 'sandbox' | 'currency'>): Promise<ActiveAuthority> {
  const row = await db.approvalAuthorityMatrix.findFirst({ where: { status: 'active' } });
  if (row) return authorityOf(row);
  if (tenant.sandbox) return { matrix: sandboxAuthorityMatrix(tenant.currency, sandboxScale(tenant.currency)), roles: SANDBOX_AUTHORITY_ROLES, matrixId: null };
  throw new AppError('CONFLICT', 'this lender has no active approval authority matrix, so nobody may approve: draft one (draftApprovalAuthorityMatrix) and have a second person activate it', {
    reason: 'NO_AUTHORITY_MATRIX',
  });
}

/** A new draft version (the latest + 1) of the tenant's matrix, in its currency; errors name the input field. */
export async function draftMatrix(
  db: TenantDb, command: CommandContext, currency: string, levels: readonly AuthorityLevelInput[], roles: readonly AuthorityRoleInput[],
): Promise<AuthorityMatrixRow> {
  const built = authorityMatrixFromInput(currency, levels, roles, STAFF_ROLES);
  const stored = storedAuthority(built.matrix.levels, built.roles);
  return runCommand(db, { ...command, action: 'approvalAuthorityMatrix.draft' }, async (tx) => {
    await lockMatrices(tx, command.tenant);
    const latest = await tx.approvalAuthorityMatrix.aggregate({ _max: { version: true } });
    const version = (latest._max.version ?? 0) + 1;
    const row = await tx.approvalAuthorityMatrix.create({
      data: {
        id: randomUUID(), version, status: 'draft', currency, levels: stored.levels as unknown as object, roles: stored.roles as unknown as object,
        createdBy: command.actor.subject, createdAt: command.now,
      },
    });
    return {
      result: row,
      audit: { entityType: 'ApprovalAuthorityMatrix', entityId: row.id, after: { ...shown(row), levels: row.levels, roles: row.roles } },
      events: [{ type: 'approvalAuthorityMatrix.drafted', aggregateType: 'ApprovalAuthorityMatrix', aggregateId: row.id, payload: shown(row) }],
    };
  });
}

/** The maker's half: a draft is put forward for activation; nothing changes until someone else approves it. */
export async function requestMatrixActivation(db: TenantDb, command: CommandContext, matrixId: string): Promise<AuthorityMatrixRow> {
  await findMatrix(db, matrixId);
  return runCommand(db, { ...command, action: 'approvalAuthorityMatrix.requestActivation' }, async (tx) => {
    await lockMatrices(tx, command.tenant);
    const before = await tx.approvalAuthorityMatrix.findUniqueOrThrow({ where: { id: matrixId } });
    expectStatus(before, 'draft', 'put forward for activation');
    const after = await tx.approvalAuthorityMatrix.update({ where: { id: matrixId }, data: { status: 'pending_activation', activationRequestedBy: command.actor.subject } });
    return {
      result: after,
      audit: { entityType: 'ApprovalAuthorityMatrix', entityId: matrixId, before: shown(before), after: shown(after) },
      events: [{ type: 'approvalAuthorityMatrix.activationRequested', aggregateType: 'ApprovalAuthorityMatrix', aggregateId: matrixId, payload: shown(after) }],
    };
  });
}

/**
 * The checker's half. Approving retires the active version and activates this one in the same transaction; the
 * checker is neither who asked for the activation nor who drafted it (FORBIDDEN MAKER_IS_CHECKER). Rejecting sends
 * the version back to draft, with the reason in the audit trail and the event.
 */
export async function decideMatrixActivation(
  db: TenantDb, command: CommandContext, matrixId: string, approve: boolean, reason: string | null,
): Promise<AuthorityMatrixRow> {
  if (!approve && !reason?.trim()) throw new InvalidField('reason', 'a rejection needs a reason');
  await findMatrix(db, matrixId);
  return runCommand(db, { ...command, action: approve ? 'approvalAuthorityMatrix.approveActivation' : 'approvalAuthorityMatrix.rejectActivation' }, async (tx) => {
    await lockMatrices(tx, command.tenant);
    const before = await tx.approvalAuthorityMatrix.findUniqueOrThrow({ where: { id: matrixId } });
    expectStatus(before, 'pending_activation', approve ? 'activated' : 'rejected');
    if (!approve) {
      const after = await tx.approvalAuthorityMatrix.update({ where: { id: matrixId }, data: { status: 'draft', activationRequestedBy: null } });
      return {
        result: after,
        audit: { entityType: 'ApprovalAuthorityMatrix', entityId: matrixId, before: shown(before), after: { ...shown(after), reason } },
        events: [{ type: 'approvalAuthorityMatrix.activationRejected', aggregateType: 'ApprovalAuthorityMatrix', aggregateId: matrixId, payload: { ...shown(after), rejectedBy: command.actor.subject, reason } }],
      };
    }
    const checker = command.actor.subject;
    refuseMakerAsChecker([before.createdBy, before.activationRequestedBy], checker, 'authorityMatrix', inputPath('matrixId'));
    const retiring = await tx.approvalAuthorityMatrix.findFirst({ where: { status: 'active' } });
    const retired = retiring ? await tx.approvalAuthorityMatrix.update({ where: { id: retiring.id }, data: { status: 'retired' } }) : null;
    const after = await tx.approvalAuthorityMatrix.update({ where: { id: matrixId }, data: { status: 'active', activatedBy: checker, activatedAt: command.now } });
    return {
      result: after,
      audit: [
        ...(retiring && retired ? [{ entityType: 'ApprovalAuthorityMatrix', entityId: retiring.id, before: shown(retiring), after: shown(retired) }] : []),
        { entityType: 'ApprovalAuthorityMatrix', entityId: matrixId, before: shown(before), after: shown(after) },
      ],
      events: [
        ...(retired ? [{ type: 'approvalAuthorityMatrix.retired', aggregateType: 'ApprovalAuthorityMatrix', aggregateId: retired.id, payload: { ...shown(retired), replacedBy: after.version } }] : []),
        { type: 'approvalAuthorityMatrix.activated', aggregateType: 'ApprovalAuthorityMatrix', aggregateId: matrixId, payload: { ...shown(after), replaced: retired?.version ?? null } },
      ],
    };
  });
}
