// The audit trail: append-only and hash-chained in the tenant's schema (see the migration). Verification
// recomputes every link and names the first broken one.
import { builder } from './builder.js';
import { verifyAuditChain, type ChainVerification } from '../commands/auditTrail.js';

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
