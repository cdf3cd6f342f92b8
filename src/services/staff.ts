// The lender's staff: a tenant admin invites people by e-mail with staff roles, changes their roles,
// deactivates and reactivates them. Each change spans the identity provider (where people sign in) and the
// tenant's staff_member row (the lender's record, audited, with its outbox event). The identity call runs
// inside the command's database transaction, after every check; if the transaction then fails, the identity
// change is undone (as onboarding compensates), so a refusal or failure leaves neither side changed.
import { randomUUID } from 'node:crypto';
import type { StaffIdentity } from '../tenancy/identity.js';
import type { TenantDb, Tx } from '../tenancy/tenantClients.js';
import { runCommand, type CommandContext, type Outcome } from '../commands/runCommand.js';
import { createUnlessRepeated, fieldsThatDiffer, holdName, NameTaken } from '../commands/namedCreation.js';
import { AppError, InvalidField, inputPath } from '../errors.js';
import { STAFF_ROLES } from '../authz/roles.js';
import { schemaForSlug } from '../tenancy/schemaNames.js';
import { tenantSql } from '../tenancy/tenantSql.js';
import { isUuid } from '../domain/globalId.js';

export type StaffMemberRow = Awaited<ReturnType<TenantDb['staffMember']['findUniqueOrThrow']>>;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ADMIN = 'tenant-admin';

/** An e-mail address as stored: trimmed, lower case (addresses are compared that way). */
export function normalEmail(email: string): string {
  const value = email.trim().toLowerCase();
  if (value.length > 254 || !EMAIL.test(value)) throw new InvalidField('email', 'email must be an e-mail address (name@domain)');
  return value;
}

/** Staff roles only: never the platform's own nor a partner's; at least one, each once. */
export function staffRoles(roles: readonly string[]): string[] {
  if (roles.length === 0) throw new InvalidField('roles', 'roles must name at least one staff role');
  const refused = roles.filter((role) => !(STAFF_ROLES as readonly string[]).includes(role));
  if (refused.length > 0) throw new InvalidField('roles', `roles may only be staff roles (${STAFF_ROLES.join(', ')}); not ${refused.join(', ')}`);
  return [...new Set(roles)];
}

const view = (row: StaffMemberRow) => ({ email: row.email, displayName: row.displayName, roles: row.roles, status: row.status, identitySubject: row.identitySubject });

/**
 * Runs the command; the identity change it made (`undo` set by `work`) is reversed when the transaction does
 * not commit. A failing undo is logged by the caller's error path: the original error is what the caller sees.
 */
async function withIdentityUndo<T>(db: TenantDb, command: CommandContext & { action: string }, work: (tx: Tx, onFailure: (undo: () => Promise<void>) => void) => Promise<Outcome<T>>): Promise<T> {
  let undo: (() => Promise<void>) | null = null;
  try {
    return await runCommand(db, command, (tx) => work(tx, (u) => { undo = u; }));
  } catch (error) {
    const pending = undo as (() => Promise<void>) | null;
    if (pending) await pending().catch(() => undefined);
    throw error;
  }
}

export interface Invitation {
  member: StaffMemberRow;
  requiredActions: string[];
  emailSent: boolean;
}

/**
 * The address makes an invitation safe to send again (src/commands/namedCreation.ts): the same name and roles answer
 * the person as they stand, with nothing asked of the identity provider (no required actions, no second e-mail),
 * also when sent at the same moment (it waits on the address, holdName).
 * A deactivated person is reactivated, not invited again.
 */
export async function inviteStaffMember(db: TenantDb, identity: StaffIdentity, command: CommandContext, input: { email: string; displayName: string; roles: readonly string[] }): Promise<Invitation> {
  const email = normalEmail(input.email);
  const displayName = input.displayName.trim();
  if (displayName.length === 0 || displayName.length > 200) throw new InvalidField('displayName', 'displayName must be 1–200 characters');
  const roles = staffRoles(input.roles);
  const record = `staff member ${email}`;
  return createUnlessRepeated(record, () => withIdentityUndo(db, { ...command, action: 'staffMember.invite' }, async (tx, onFailure) => {
    await holdName(tx, command.tenant, record);
    if (await tx.staffMember.findUnique({ where: { email } })) throw new NameTaken();
    const invited = await identity.inviteStaff(command.tenant, { email, displayName, roles });
    onFailure(() => identity.removeStaff(command.tenant, invited.subject));
    const member = await tx.staffMember.create({
      data: { id: randomUUID(), email, displayName, roles, status: 'active', identitySubject: invited.subject, invitedBy: command.actor.subject, invitedAt: command.now },
    });
    return {
      result: { member, requiredActions: invited.requiredActions, emailSent: invited.emailSent },
      audit: { entityType: 'StaffMember', entityId: member.id, after: view(member) },
      events: [{ type: 'staffMember.invited', aggregateType: 'StaffMember', aggregateId: member.id, payload: { email, displayName, roles } }],
    };
  }), {
    existing: () => db.staffMember.findUniqueOrThrow({ where: { email } }),
    differences: (member) => fieldsThatDiffer({ displayName: member.displayName !== displayName, roles: [...member.roles].sort().join() !== [...roles].sort().join() }),
    answer: (member) => {
      if (member.status !== 'active') throw new AppError('CONFLICT', 'this e-mail address belongs to a deactivated staff member: reactivate them instead', { field: inputPath('email') });
      return { member, requiredActions: [], emailSent: false };
    },
  });
}

async function memberFor(tx: Tx, tenant: string, id: string, field: string): Promise<StaffMemberRow> {
  // Row-locked: two admins changing one person wait for each other instead of both passing the checks.
  if (!isUuid(id)) throw new InvalidField(field, 'no staff member with that id');
  const [locked] = await tenantSql(tx, schemaForSlug(tenant)).query<{ id: string }[]>((schema) => `SELECT id::text FROM ${schema}.staff_member WHERE id = $1::uuid FOR UPDATE`, id);
  if (!locked) throw new InvalidField(field, 'no staff member with that id');
  return tx.staffMember.findUniqueOrThrow({ where: { id } });
}

/** An admin may not take their own tenant-admin role away, nor deactivate themselves: another admin does that. */
function refuseSelfLockout(command: CommandContext, member: StaffMemberRow, keepsAdmin: boolean, field: string): void {
  if (member.identitySubject === command.actor.subject && member.roles.includes(ADMIN) && !keepsAdmin) {
    throw new InvalidField(field, 'you cannot remove your own tenant-admin role: the tenant could be left without an admin; another tenant admin can');
  }
}

export async function changeStaffMemberRoles(db: TenantDb, identity: StaffIdentity, command: CommandContext, id: string, requested: readonly string[]): Promise<StaffMemberRow> {
  const roles = staffRoles(requested);
  return withIdentityUndo(db, { ...command, action: 'staffMember.changeRoles' }, async (tx, onFailure) => {
    const before = await memberFor(tx, command.tenant, id, 'staffMemberId');
    refuseSelfLockout(command, before, roles.includes(ADMIN), 'roles');
    // A deactivated person holds no groups at the identity provider; their roles apply when they are reactivated.
    if (before.status === 'active') {
      await identity.setStaffRoles(command.tenant, before.identitySubject, roles);
      onFailure(() => identity.setStaffRoles(command.tenant, before.identitySubject, before.roles));
    }
    const member = await tx.staffMember.update({ where: { id }, data: { roles, changedBy: command.actor.subject, changedAt: command.now } });
    return {
      result: member,
      audit: { entityType: 'StaffMember', entityId: id, before: { roles: before.roles }, after: { roles: member.roles } },
      events: [{ type: 'staffMember.rolesChanged', aggregateType: 'StaffMember', aggregateId: id, payload: { email: member.email, roles: member.roles, previousRoles: before.roles } }],
    };
  });
}

export async function deactivateStaffMember(db: TenantDb, identity: StaffIdentity, command: CommandContext, id: string): Promise<StaffMemberRow> {
  return withIdentityUndo(db, { ...command, action: 'staffMember.deactivate' }, async (tx, onFailure) => {
    const before = await memberFor(tx, command.tenant, id, 'staffMemberId');
    if (before.identitySubject === command.actor.subject) throw new InvalidField('staffMemberId', 'you cannot deactivate yourself; another tenant admin can');
    if (before.status === 'deactivated') throw new AppError('CONFLICT', 'this staff member is already deactivated', { field: inputPath('staffMemberId') });
    await identity.deactivateStaff(command.tenant, before.identitySubject);
    onFailure(() => identity.reactivateStaff(command.tenant, before.identitySubject, before.roles));
    const member = await tx.staffMember.update({ where: { id }, data: { status: 'deactivated', changedBy: command.actor.subject, changedAt: command.now } });
    return {
      result: member,
      audit: { entityType: 'StaffMember', entityId: id, before: { status: before.status }, after: { status: member.status } },
      events: [{ type: 'staffMember.deactivated', aggregateType: 'StaffMember', aggregateId: id, payload: { email: member.email } }],
    };
  });
}

export async function reactivateStaffMember(db: TenantDb, identity: StaffIdentity, command: CommandContext, id: string): Promise<StaffMemberRow> {
  return withIdentityUndo(db, { ...command, action: 'staffMember.reactivate' }, async (tx, onFailure) => {
    const before = await memberFor(tx, command.tenant, id, 'staffMemberId');
    if (before.status === 'active') throw new AppError('CONFLICT', 'this staff member is already active', { field: inputPath('staffMemberId') });
    await identity.reactivateStaff(command.tenant, before.identitySubject, before.roles);
    onFailure(() => identity.deactivateStaff(command.tenant, before.identitySubject));
    const member = await tx.staffMember.update({ where: { id }, data: { status: 'active', changedBy: command.actor.subject, changedAt: command.now } });
    return {
      result: member,
      audit: { entityType: 'StaffMember', entityId: id, before: { status: before.status }, after: { status: member.status } },
      events: [{ type: 'staffMember.reactivated', aggregateType: 'StaffMember', aggregateId: id, payload: { email: member.email, roles: member.roles } }],
    };
  });
}
