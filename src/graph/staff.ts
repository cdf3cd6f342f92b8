// Staff: the people who act for the lender, invited by a tenant admin with staff roles (src/services/staff.ts).
// They sign in at the identity provider (Keycloak, or tokens from `npm run token -- --user` in development);
// this is the lender's record of them. Staff only: partners have no rule for StaffMember and are refused.
import { builder } from './builder.js';
import { commandDbOf, commandOf, type GraphContext } from './context.js';
import { between, checkRange, countedConnectionTypes, listPage, orderEnum, orderingOf, type SortKey } from './lists.js';
import type { Prisma } from '../generated/prisma/client.js';
import { RoleEnum, storedEnum } from './enums.js';
import { objectPayload, payloadType } from './payloads.js';
import {
  changeStaffMemberRoles, deactivateStaffMember, inviteStaffMember, reactivateStaffMember, type StaffMemberRow,
} from '../services/staff.js';
import type { Role } from '../authz/roles.js';

export const StaffMemberRef = builder.objectRef<StaffMemberRow>('StaffMember');

const StaffMemberStatusEnum = storedEnum('StaffMemberStatus', 'Whether a staff member may act for the lender.', {
  active: 'May get tokens and act with their roles (an invited person sets a password at first sign-in).',
  deactivated: 'Gets no new tokens for this lender; their sessions were ended.',
});

builder.node(StaffMemberRef, {
  description: 'A person of the lender\'s staff, invited by e-mail with staff roles.',
  id: { resolve: (row) => row.id },
  loadMany: async (ids, context: GraphContext) => {
    const rows = await context.db!.staffMember.findMany({ where: { id: { in: [...ids] } } });
    return ids.map((id) => rows.find((row) => row.id === id) ?? null);
  },
  authScopes: { can: 'staff.read' },
  fields: (t) => ({
    email: t.exposeString('email', { description: 'Their e-mail address, which is also their sign-in name.' }),
    displayName: t.exposeString('displayName', { description: 'Their name shown to people.' }),
    roles: t.field({ type: [RoleEnum], description: 'Their staff roles.', resolve: (row) => row.roles as Role[] }),
    status: t.field({ type: StaffMemberStatusEnum, description: 'Active or deactivated.', resolve: (row) => row.status as 'active' | 'deactivated' }),
    subject: t.exposeString('identitySubject', { description: 'The subject (`sub`) of their tokens: what audit records and four-eyes checks name them by.' }),
    invitedBy: t.exposeString('invitedBy', { description: 'Who invited them (a token subject).' }),
    invitedAt: t.field({ type: 'DateTime', description: 'When they were invited.', resolve: (row) => row.invitedAt }),
    changedBy: t.exposeString('changedBy', { nullable: true, description: 'Who last changed their roles or status.' }),
    changedAt: t.field({ type: 'DateTime', nullable: true, description: 'When their roles or status last changed.', resolve: (row) => row.changedAt }),
  }),
});

const STAFF_ORDER = {
  EMAIL: { field: 'email', kind: 'text', label: 'e-mail address' },
  DISPLAY_NAME: { field: 'displayName', kind: 'text', label: 'name shown to people' },
  INVITED_AT: { field: 'invitedAt', kind: 'time', label: 'when they were invited' },
} as const satisfies Record<string, SortKey>;
const StaffMemberOrderEnum = orderEnum('StaffMember', STAFF_ORDER);

builder.queryField('staffMembers', (t) =>
  t.connection({
    type: StaffMemberRef,
    description: 'The lender\'s staff, by e-mail address unless `orderBy` says otherwise.',
    authScopes: { can: 'staff.read' },
    args: {
      orderBy: t.arg({ type: StaffMemberOrderEnum, required: false, description: 'The order of the list; `EMAIL_ASC` when absent.' }),
      status: t.arg({ type: StaffMemberStatusEnum, required: false, description: 'Only staff in this status.' }),
      role: t.arg({ type: RoleEnum, required: false, description: 'Only staff holding this role.' }),
      invitedFrom: t.arg({ type: 'DateTime', required: false, description: 'Only staff invited at or after this instant.' }),
      invitedTo: t.arg({ type: 'DateTime', required: false, description: 'Only staff invited at or before this instant.' }),
    },
    resolve: (_root, args, context) => {
      checkRange('invitedFrom', args.invitedFrom, 'invitedTo', args.invitedTo);
      const invited = between(args.invitedFrom, args.invitedTo);
      const where = {
        ...(args.status ? { status: args.status } : {}),
        ...(args.role ? { roles: { has: args.role } } : {}),
        ...(invited ? { invitedAt: invited } : {}),
      };
      return listPage(context, args, orderingOf(STAFF_ORDER, args.orderBy, 'email:asc'), where, {
        findMany: (query) => context.db!.staffMember.findMany(query as Prisma.StaffMemberFindManyArgs),
        count: (query) => context.db!.staffMember.count(query as Prisma.StaffMemberCountArgs),
      });
    },
  }, ...countedConnectionTypes('StaffMember')),
);

const InviteStaffMemberPayload = payloadType<{ staffMember: StaffMemberRow; requiredActions: string[]; invitationEmailSent: boolean }>(
  'inviteStaffMember',
  'The invited staff member and what they must do at first sign-in.',
  (t) => ({
    staffMember: t.field({ type: StaffMemberRef, nullable: true, description: 'The staff member.', resolve: (p) => p.staffMember ?? null }),
    requiredActions: t.stringList({
      nullable: true,
      description: 'What the identity provider asks of them at first sign-in (Keycloak: UPDATE_PASSWORD); empty with the development issuer, and on a repeated invitation.',
      resolve: (p) => p.requiredActions ?? null,
    }),
    invitationEmailSent: t.boolean({
      nullable: true,
      description: 'Whether the identity provider e-mailed them; false means tell them to sign in (docs/operations.md, "Staff"). False on a repeated invitation: no second e-mail is sent.',
      resolve: (p) => p.invitationEmailSent ?? null,
    }),
  }),
);

builder.mutationFields((t) => ({
  inviteStaffMember: t.field({
    type: InviteStaffMemberPayload,
    description: 'Invites a person to the lender\'s staff with staff roles: a user in the tenant\'s organization at the identity provider, in its role groups, who sets a password at first sign-in. Sent again for an address already invited, with the same name and roles, it answers that staff member and writes nothing (nothing is asked of the identity provider again); with another name or roles it is a CONFLICT naming them; a deactivated person is reactivated instead (reactivateStaffMember).',
    authScopes: { can: 'staff.manage' },
    args: { input: t.arg({ type: builder.inputType('InviteStaffMemberInput', {
      description: 'The person to invite.',
      fields: (f) => ({
        email: f.string({ required: true, description: 'Their e-mail address (their sign-in name); compared in lower case.' }),
        displayName: f.string({ required: true, description: 'Their name shown to people (1–200 characters).' }),
        roles: f.field({ type: [RoleEnum], required: true, description: 'Their staff roles (not PLATFORM_ADMIN nor a partner role).' }),
      }),
    }), required: true, description: 'The person to invite.' }) },
    resolve: async (_root, { input }, context) => {
      const invitation = await inviteStaffMember(commandDbOf(context), context.runtime.identity, commandOf(context), { email: input.email, displayName: input.displayName, roles: input.roles });
      context.log.info({ staffMember: invitation.member.id }, 'staff member invited');
      return { staffMember: invitation.member, requiredActions: invitation.requiredActions, invitationEmailSent: invitation.emailSent };
    },
  }),
  changeStaffMemberRoles: t.field({
    type: objectPayload('changeStaffMemberRoles', 'staffMember', StaffMemberRef, 'The staff member with their new roles.'),
    description: 'Replaces a staff member\'s roles. Tokens they already hold keep the old roles until they expire; their next token has the new ones.',
    authScopes: { can: 'staff.manage' },
    args: { input: t.arg({ type: builder.inputType('ChangeStaffMemberRolesInput', {
      description: 'Whose roles, and the new ones.',
      fields: (f) => ({
        staffMemberId: f.globalID({ required: true, for: StaffMemberRef, description: 'The staff member.' }),
        roles: f.field({ type: [RoleEnum], required: true, description: 'All their roles from now on (staff roles only).' }),
      }),
    }), required: true, description: 'Whose roles, and the new ones.' }) },
    resolve: async (_root, { input }, context) => ({
      staffMember: await changeStaffMemberRoles(commandDbOf(context), context.runtime.identity, commandOf(context), input.staffMemberId.id, input.roles),
    }),
  }),
  deactivateStaffMember: t.field({
    type: objectPayload('deactivateStaffMember', 'staffMember', StaffMemberRef, 'The staff member, deactivated.'),
    description: 'Stops a staff member acting for the lender: no new tokens, sessions ended (a token already issued lasts until it expires).',
    authScopes: { can: 'staff.manage' },
    args: { input: t.arg({ type: builder.inputType('DeactivateStaffMemberInput', {
      description: 'Who.',
      fields: (f) => ({ staffMemberId: f.globalID({ required: true, for: StaffMemberRef, description: 'The staff member.' }) }),
    }), required: true, description: 'Who.' }) },
    resolve: async (_root, { input }, context) => ({
      staffMember: await deactivateStaffMember(commandDbOf(context), context.runtime.identity, commandOf(context), input.staffMemberId.id),
    }),
  }),
  reactivateStaffMember: t.field({
    type: objectPayload('reactivateStaffMember', 'staffMember', StaffMemberRef, 'The staff member, active again.'),
    description: 'Lets a deactivated staff member act for the lender again, with the roles they hold.',
    authScopes: { can: 'staff.manage' },
    args: { input: t.arg({ type: builder.inputType('ReactivateStaffMemberInput', {
      description: 'Who.',
      fields: (f) => ({ staffMemberId: f.globalID({ required: true, for: StaffMemberRef, description: 'The staff member.' }) }),
    }), required: true, description: 'Who.' }) },
    resolve: async (_root, { input }, context) => ({
      staffMember: await reactivateStaffMember(commandDbOf(context), context.runtime.identity, commandOf(context), input.staffMemberId.id),
    }),
  }),
}));
