// Disbursement requests: the hand-off from an application to a loan, requested by one disbursement officer and
// approved by another (src/services/origination/disbursement.ts).
import { ApprovalStatusEnum } from './enums.js';
import { builder } from './builder.js';
import { commandDbOf, commandOf, keyedCommandOf, type GraphContext } from './context.js';
import { checkersQueueField } from './lists.js';
import type { Prisma } from '../generated/prisma/client.js';
import { ApplicationRef } from './application.js';
import { LoanRef, plannedTrancheInput, TRANCHES_DESCRIPTION } from './loan.js';
import type { TenantDb } from '../tenancy/tenantClients.js';
import { decideDisbursement, requestDisbursement } from '../services/origination/disbursement.js';
import { InvalidField } from '../errors.js';
import { businessDateOf } from '../tenancy/dateColumns.js';
import { objectPayload } from './payloads.js';

type RequestRow = Awaited<ReturnType<TenantDb['disbursementRequest']['findUniqueOrThrow']>>;

export const DisbursementRequestRef = builder.objectRef<RequestRow>('DisbursementRequest');

builder.node(DisbursementRequestRef, {
  description: 'A request to pay out an application\'s loan, approved by someone other than who asked.',
  id: { resolve: (row) => row.id },
  loadMany: (ids, context: GraphContext) => ids.map((id) => context.loaders.disbursementRequestById.load(id)),
  authScopes: { canAny: ['loans.disburse', 'approvals.read'] },
  fields: (t) => ({
    application: t.field({ type: ApplicationRef, nullable: true, description: 'The application.', resolve: (r, _args, context) => context.loaders.applicationById.load(r.applicationId) }),
    disbursementDate: t.field({ type: 'Date', description: 'When the money is to be paid out.', resolve: (r) => businessDateOf(r.disbursementDate) }),
    firstRepaymentDate: t.field({ type: 'Date', nullable: true, description: 'The first due date, when set.', resolve: (r) => (r.firstRepaymentDate ? businessDateOf(r.firstRepaymentDate) : null) }),
    status: t.expose('status', { type: ApprovalStatusEnum, description: 'Pending, approved or rejected.' }),
    requestedBy: t.exposeString('requestedBy', { description: 'The maker.' }),
    requestedAt: t.field({ type: 'DateTime', description: 'When.', resolve: (r) => r.requestedAt }),
    decidedBy: t.exposeString('decidedBy', { nullable: true, description: 'The checker.' }),
    decidedAt: t.field({ type: 'DateTime', nullable: true, description: 'When it was decided.', resolve: (r) => r.decidedAt }),
    decisionReason: t.exposeString('decisionReason', { nullable: true, description: 'Why, for a rejection.' }),
    loan: t.field({ type: LoanRef, nullable: true, description: 'The loan booked on approval.', resolve: (r, _args, context) => (r.loanId ? context.loaders.loanById.load(r.loanId) : null) }),
  }),
});

checkersQueueField('disbursementRequests', 'DisbursementRequest', {
  type: DisbursementRequestRef, capability: 'loans.disburse', requests: 'Disbursement requests',
  model: (db) => ({
    findMany: (query) => db.disbursementRequest.findMany(query as Prisma.DisbursementRequestFindManyArgs),
    count: (query) => db.disbursementRequest.count(query as Prisma.DisbursementRequestCountArgs),
  }),
});

const RequestDisbursementPayload = objectPayload('requestDisbursement', 'disbursementRequest', DisbursementRequestRef, 'The request, pending its checker (or, for a repeated idempotency key, the one made the first time, as it stands now).');

builder.mutationField('requestDisbursement', (t) =>
  t.field({
    type: RequestDisbursementPayload,
    description: 'Asks for a signed application\'s loan to be paid out (the maker); another person approves it. Required documents must be verified.',
    authScopes: { can: 'loans.disburse' },
    args: { input: t.arg({ type: builder.inputType('RequestDisbursementInput', {
      description: 'The request.',
      fields: (f) => ({
        idempotencyKey: f.field({ type: 'IdempotencyKey', required: false, description: 'Repeat with the same key to get the same disbursement request back, never a second one.' }),
        applicationId: f.globalID({ required: true, for: ApplicationRef, description: 'The application (agreement signed).' }),
        disbursementDate: f.field({ type: 'Date', required: true, description: 'When to pay out (on or after the business date).' }),
        firstRepaymentDate: f.field({ type: 'Date', required: false, description: 'Sets the repayment day: after the disbursement date, at most two repayment periods after it; one period after disbursement when omitted.' }),
        tranches: f.field({ type: [plannedTrancheInput('RequestDisbursementPlannedTrancheInput')], required: false, description: `${TRANCHES_DESCRIPTION} The amount approved is the accepted offer's.` }),
      }),
    }), required: true, description: 'The request.' }) },
    resolve: async (_root, { input }, context) => {
      const db = commandDbOf(context);
      const ask = {
        applicationId: input.applicationId.id, disbursementDate: String(input.disbursementDate), firstRepaymentDate: input.firstRepaymentDate ? String(input.firstRepaymentDate) : null,
        tranches: input.tranches?.map((x) => ({ expectedDate: String(x.expectedDate), amount: x.amount })) ?? null,
      };
      const { requestId } = await requestDisbursement(db, keyedCommandOf(context, input.idempotencyKey, ask), context.tenant!.businessDate, ask);
      return { disbursementRequest: await db.disbursementRequest.findUniqueOrThrow({ where: { id: requestId } }) };
    },
  }),
);

const DecideDisbursementPayload = objectPayload('decideDisbursement', 'disbursementRequest', DisbursementRequestRef, 'The request as decided; on approval its `loan` is the booked loan.');

builder.mutationField('decideDisbursement', (t) =>
  t.field({
    type: DecideDisbursementPayload,
    description: 'Approves (books the loan in the same transaction as the application\'s move to disbursed) or rejects a disbursement request someone else made.',
    authScopes: { can: 'loans.disburse' },
    args: { input: t.arg({ type: builder.inputType('DecideDisbursementInput', {
      description: 'The decision.',
      fields: (f) => ({
        idempotencyKey: f.field({ type: 'IdempotencyKey', required: false, description: 'Repeat with the same key to get the same result, never a second loan.' }),
        requestId: f.globalID({ required: true, for: DisbursementRequestRef, description: 'The request.' }),
        approve: f.boolean({ required: true, description: 'True books and pays out the loan; false rejects the request.' }),
        reason: f.string({ required: false, description: 'Why (required to reject).' }),
      }),
    }), required: true, description: 'The decision.' }) },
    resolve: async (_root, { input }, context) => {
      if (!input.approve && !input.reason?.trim()) throw new InvalidField('reason', 'a rejection needs a reason');
      const db = commandDbOf(context);
      await decideDisbursement(db, commandOf(context), context.tenant!.businessDate, input.requestId.id, input.approve, input.reason?.trim() || null, input.idempotencyKey);
      return { disbursementRequest: await db.disbursementRequest.findUniqueOrThrow({ where: { id: input.requestId.id } }) };
    },
  }),
);

builder.objectField(LoanRef, 'application', (t) =>
  t.field({
    type: ApplicationRef,
    nullable: true,
    description: 'The application the loan was booked from (its decision, offer, parties and documents stay there, by reference).',
    authScopes: { can: 'applications.read' },
    resolve: (loan, _args, context) => (loan.applicationId ? context.loaders.applicationById.load(loan.applicationId) : null),
  }),
);
