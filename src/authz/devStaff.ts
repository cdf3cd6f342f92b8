// Tokens for named staff in development: `npm run token -- --tenant SLUG --user EMAIL` signs a token for a person
// a tenant admin invited (inviteStaffMember), with that person's subject and roles, from the tenant's
// staff_member row. So two disbursement officers are two people (two subjects), and maker-checker rules tell
// them apart; a deactivated person gets no token. Read with one plain query, as the token command's other
// checks are (no runtime, no ORM).
import type pg from 'pg';
import { isRole, type Role } from './roles.js';
import { poolSql } from '../tenancy/tenantSql.js';

export type StaffTokenSubject = { subject: string; email: string; roles: Role[] } | { refused: string };

export async function staffTokenSubject(pool: pg.Pool, tenant: { slug: string; schemaName: string }, email: string): Promise<StaffTokenSubject> {
  const rows = await poolSql(pool, tenant.schemaName).query<{ identity_subject: string; email: string; roles: string[]; status: string }>(
    (s) => `SELECT identity_subject, email, roles, status FROM ${s}.staff_member WHERE email = $1`, [email.trim().toLowerCase()],
  );
  const member = rows.rows[0];
  if (!member) return { refused: `no staff member ${email} in tenant ${tenant.slug}: invite them first (inviteStaffMember)` };
  if (member.status !== 'active') return { refused: `staff member ${email} of tenant ${tenant.slug} is deactivated: reactivate them first (reactivateStaffMember)` };
  return { subject: member.identity_subject, email: member.email, roles: member.roles.filter(isRole) };
}
