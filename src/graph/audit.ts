// The audit trail: append-only and hash-chained in the tenant's schema (see the migration). Verification
// recomputes every link and names the first broken one; the records themselves are read a page at a time, in the
// chain's order, by who, what and which record.
import { builder } from './builder.js';
import { verifyAuditChain, type ChainVerification } from '../commands/auditTrail.js';
import { badInput, withArticle } from '../errors.js';
import { decodeGlobalId } from '../domain/globalId.js';
import { keysetConnection, connectionTypes, SEQ_KEY } from './pagination.js';
import type { TenantDb } from '../tenancy/tenantClients.js';
import { RoleEnum } from './enums.js';
import { isRole } from '../authz/roles.js';

const ChainVerificationRef = builder.objectRef<ChainVerification>('AuditChainVerification').implement({
  description: 'Whether the audit trail is exactly as written.',
  authScopes: { can: 'audit.verify' },
  fields: (t) => ({
    intact: t.exposeBoolean('intact', { description: 'Every record links to the one before and matches its hash.' }),
    records: t.exposeInt('records', { description: 'How many records were checked.' }),
    firstBrokenSeq: t.exposeInt('firstBrokenSeq', { nullable: true, description: 'The first record whose link does not hold.' }),
    reason: t.exposeString('reason', { nullable: true, description: 'What is wrong with it.' }),
  }),
});

builder.queryField('auditChainVerification', (t) =>
  t.field({
    type: ChainVerificationRef,
    description: 'Recomputes the tenant\'s audit chain from the first record and reports the first broken link.',
    authScopes: { can: 'audit.verify' },
    resolve: (_root, _args, context) => verifyAuditChain(context.runtime.tenantPool(context.tenant!), context.runtime.settler, context.tenant!.schemaName),
  }),
);

type AuditRecordRow = Awaited<ReturnType<TenantDb['auditRecord']['findUniqueOrThrow']>>;

/**
 * One record of the trail, as who did what to which record. What the record held before and after is left out: it
 * may be a borrower's personal data, which the API gives only through the fields that record their own reads.
 */
const AuditRecordRef = builder.objectRef<AuditRecordRow>('AuditRecord').implement({
  description: 'One entry of the audit trail: who did what to which record, when, with which roles and in which request.',
  authScopes: { can: 'audit.read' },
  fields: (t) => ({
    seq: t.string({ description: 'Its place in the hash chain (auditChainVerification names a broken one by it); pages follow it.', resolve: (r) => String(r.seq) }),
    occurredAt: t.field({ type: 'DateTime', description: 'When the command that wrote it ran.', resolve: (r) => r.occurredAt }),
    actor: t.exposeString('actor', { description: 'Who: the token\'s subject (a person, a partner\'s client, or the system: end-of-day, auto-debit, …).' }),
    roles: t.field({ type: [RoleEnum], description: 'The roles the actor acted with (none for the system).', resolve: (r) => r.roles.filter(isRole) }),
    partner: t.exposeString('partner', { nullable: true, description: 'The partner the actor acted for, if any.' }),
    clientId: t.exposeString('clientId', { nullable: true, description: 'The OAuth client the token came from, if any.' }),
    action: t.exposeString('action', { description: 'What was done, e.g. loan.repay, loan.approveWaiver, currency.setCashRounding.' }),
    entityType: t.exposeString('entityType', { description: 'The kind of record it was done to, e.g. Loan, LoanWaiverRequest.' }),
    entityId: t.exposeString('entityId', { description: 'Which one: its database id (for a node, the id inside its global id).' }),
    requestId: t.exposeString('requestId', { description: 'The request it came from (the x-request-id the caller sent or was given), as the logs carry it.' }),
  }),
});

builder.queryField('auditRecords', (t) =>
  t.connection({
    type: AuditRecordRef,
    description: 'The audit trail, in the order it was chained (oldest first), a page at a time; narrowed by the filters given (all must hold). '
      + 'Records are in it once their command has committed and the trail has chained them.',
    authScopes: { can: 'audit.read' },
    args: {
      entityType: t.arg.string({ required: false, description: 'Only records about this kind of record, e.g. Loan.' }),
      entityId: t.arg.string({ required: false, description: 'Only records about this record: its database id, or its global id (which also says its kind).' }),
      actor: t.arg.string({ required: false, description: 'Only what this subject did.' }),
      action: t.arg.string({ required: false, description: 'Only this action (e.g. loan.repay), or every action of a kind with a trailing `.*` (e.g. loan.*).' }),
    },
    resolve: (_root, args, context) => {
      for (const name of ['entityType', 'entityId', 'actor', 'action'] as const) {
        const value = args[name];
        if (value != null && (value.length === 0 || value.length > 200)) throw badInput(name, `${name} must be 1–200 characters`);
      }
      const global = args.entityId != null ? decodeGlobalId(args.entityId) : null;
      const entityType = args.entityType ?? global?.typename ?? null;
      if (global && args.entityType != null && global.typename !== args.entityType) throw badInput('entityId', `entityId is the id of ${withArticle(global.typename)}, not of ${withArticle(args.entityType)}`);
      const entityId = global ? global.id : args.entityId ?? null;
      const action = args.action == null ? {} : args.action.endsWith('.*') ? { action: { startsWith: args.action.slice(0, -1) } } : { action: args.action };
      return keysetConnection(context, args, (row: AuditRecordRow) => String(row.seq), SEQ_KEY, ({ after, before, limit, inverted }) =>
        context.db!.auditRecord.findMany({
          where: {
            seq: { not: null, ...(after !== undefined ? { gt: BigInt(after) } : {}), ...(before !== undefined ? { lt: BigInt(before) } : {}) },
            ...(entityType !== null ? { entityType } : {}), ...(entityId !== null ? { entityId } : {}), ...(args.actor != null ? { actor: args.actor } : {}), ...action,
          },
          orderBy: { seq: inverted ? 'desc' : 'asc' }, take: limit,
        }));
    },
  }, ...connectionTypes('AuditRecord')),
);
