// Underwriting (src/services/origination/underwriting.ts): the queue of referred applications, underwriters'
// recommendations (the maker) decided by someone else with the authority (the checker), and the report of
// overrides of the credit policy for compliance.
import { ApprovalStatusEnum, storedEnum } from './enums.js';
import { builder } from './builder.js';
import { money } from '../domain/money.js';
import { commandDbOf, commandOf, type GraphContext } from './context.js';
import { ApplicationRef } from './application.js';
import { between, checkRange, countedConnectionTypes, listPage, orderEnum, orderingOf, type SortKey, checkersQueueWhere, checkersQueueArgs } from './lists.js';
import type { Prisma } from '../generated/prisma/client.js';
import { dateColumn } from '../tenancy/dateColumns.js';
import type { TenantDb } from '../tenancy/tenantClients.js';
import { mayApprove } from '../domain/origination/approvalAuthority.js';
import { activeAuthority } from '../services/origination/approvalAuthorityMatrices.js';
import {
  authorityLevelsFor, decide, overrideRowsOf, recommend, rolesHolding, type OverrideReportRow,
} from '../services/origination/underwriting.js';
import { objectPayload } from './payloads.js';

const RecommendationEnum = storedEnum('UnderwriterRecommendation', 'What an underwriter recommends on a referred application.', {
  approve: 'Approve, with an offer.',
  decline: 'Decline.',
});

type RequestRow = Awaited<ReturnType<TenantDb['approvalRequest']['findUniqueOrThrow']>>;
type ApplicationRow = Awaited<ReturnType<TenantDb['application']['findUniqueOrThrow']>>;

export const ApprovalRequestRef = builder.objectRef<RequestRow>('ApprovalRequest');

builder.node(ApprovalRequestRef, {
  description: 'An underwriter\'s recommendation on a referred application, decided by someone else with the authority.',
  id: { resolve: (row) => row.id },
  loadMany: (ids, context: GraphContext) => ids.map((id) => context.loaders.approvalRequestById.load(id)),
  authScopes: { can: 'underwriting.read' },
  fields: (t) => ({
    application: t.field({ type: ApplicationRef, nullable: true, description: 'The application.', resolve: (r, _args, context) => context.loaders.applicationById.load(r.applicationId) }),
    recommendation: t.expose('recommendation', { type: RecommendationEnum, description: 'Approve or decline.' }),
    amount: t.field({
      type: 'Money', description: 'The amount recommended (at most what the application asks for).',
      resolve: async (r, _args, context) => {
        const application = await context.loaders.applicationById.load(r.applicationId);
        return money(r.amount, application?.currency ?? 'USD');
      },
    }),
    riskGrade: t.exposeString('riskGrade', { nullable: true, description: 'The risk grade of the credit policy\'s decision.' }),
    override: t.exposeBoolean('override', { description: 'Approving it overrides the credit policy (a DECLINE rule failed, or the amount is above the grade\'s maximum); computed by the server.' }),
    reason: t.exposeString('reason', { description: 'The underwriter\'s reason.' }),
    status: t.expose('status', { type: ApprovalStatusEnum, description: 'Pending, approved or rejected.' }),
    requestedBy: t.exposeString('requestedBy', { description: 'The maker.' }),
    requestedAt: t.field({ type: 'DateTime', description: 'When it was recommended.', resolve: (r) => r.requestedAt }),
    decidedBy: t.exposeString('decidedBy', { nullable: true, description: 'The checker.' }),
    decidedAt: t.field({ type: 'DateTime', nullable: true, description: 'When it was decided.', resolve: (r) => r.decidedAt }),
    decisionReason: t.exposeString('decisionReason', { nullable: true, description: 'The checker\'s reason (required to reject).' }),
  }),
});

interface QueueItem {
  application: ApplicationRow;
  pendingRequest: RequestRow | null;
}

const QueueItemRef = builder.objectRef<QueueItem>('UnderwritingQueueItem').implement({
  description: 'A referred application waiting for underwriting, with its pending recommendation if any.',
  authScopes: { can: 'underwriting.recommend' },
  fields: (t) => ({
    application: t.field({ type: ApplicationRef, description: 'The referred application.', resolve: (item) => item.application }),
    referredAt: t.field({ type: 'DateTime', description: 'When it was referred (its last change of status).', resolve: (item) => item.application.updatedAt }),
    pendingRequest: t.field({ type: ApprovalRequestRef, nullable: true, description: 'The recommendation waiting for a checker, if one was made.', resolve: (item) => item.pendingRequest }),
  }),
});

const QUEUE_ORDER = {
  REFERRED_AT: { field: 'updatedAt', kind: 'time', label: 'when it was referred (its last change)' },
  CREATED_AT: { field: 'createdAt', kind: 'time', label: 'when the application was created' },
  NUMBER: { field: 'number', kind: 'int', label: 'the application\'s number' },
} as const satisfies Record<string, SortKey>;
const QueueOrderEnum = orderEnum('UnderwritingQueueItem', QUEUE_ORDER);

builder.queryField('underwritingQueue', (t) =>
  t.connection({
    type: QueueItemRef,
    description: 'Referred applications, longest waiting first unless `orderBy` says otherwise, each with its pending recommendation if any.',
    authScopes: { can: 'underwriting.recommend' },
    args: {
      orderBy: t.arg({ type: QueueOrderEnum, required: false, description: 'The order of the queue; `REFERRED_AT_ASC` (longest waiting first) when absent.' }),
      referredFrom: t.arg({ type: 'DateTime', required: false, description: 'Only applications referred at or after this.' }),
      referredTo: t.arg({ type: 'DateTime', required: false, description: 'Only applications referred at or before this.' }),
    },
    resolve: (_root, args, context) => {
      checkRange('referredFrom', args.referredFrom, 'referredTo', args.referredTo);
      const db = context.db!;
      const where: Record<string, unknown> = {
        status: 'referred',
        ...(args.referredFrom != null || args.referredTo != null ? { updatedAt: between(args.referredFrom, args.referredTo) } : {}),
      };
      return listPage(context, args, orderingOf(QUEUE_ORDER, args.orderBy, 'updatedAt:asc'), where, {
        findMany: async (query) => {
          const applications = await db.application.findMany(query as Prisma.ApplicationFindManyArgs);
          const pending = applications.length === 0 ? [] : await db.approvalRequest.findMany({ where: { applicationId: { in: applications.map((a) => a.id) }, status: 'pending' } });
          return applications.map((application) => ({ ...application, application, pendingRequest: pending.find((r) => r.applicationId === application.id) ?? null }));
        },
        count: (query) => db.application.count(query as Prisma.ApplicationCountArgs),
      });
    },
  }, ...countedConnectionTypes('UnderwritingQueueItem')),
);

const REQUEST_ORDER = {
  REQUESTED_AT: { field: 'requestedAt', kind: 'time', label: 'when it was recommended' },
} as const satisfies Record<string, SortKey>;
const ApprovalRequestOrderEnum = orderEnum('ApprovalRequest', REQUEST_ORDER);

builder.queryField('approvalRequests', (t) =>
  t.connection({
    type: ApprovalRequestRef,
    description: 'Approval requests in one status (pending unless asked otherwise), oldest first unless `orderBy` says otherwise: the checkers\' queue.',
    authScopes: { can: 'underwriting.read' },
    args: {
      orderBy: t.arg({ type: ApprovalRequestOrderEnum, required: false, description: 'The order of the list; `REQUESTED_AT_ASC` when absent.' }),
      ...checkersQueueArgs('recommended'),
    },
    resolve: (_root, args, context) => {
      const where = checkersQueueWhere(args);
      return listPage(context, args, orderingOf(REQUEST_ORDER, args.orderBy, 'requestedAt:asc'), where, {
        findMany: (query) => context.db!.approvalRequest.findMany(query as Prisma.ApprovalRequestFindManyArgs),
        count: (query) => context.db!.approvalRequest.count(query as Prisma.ApprovalRequestCountArgs),
      });
    },
  }, ...countedConnectionTypes('ApprovalRequest')),
);

const ApprovalAuthorityRef = builder.objectRef<{ levels: string[]; allowed: boolean; level: string | null; limit: string | null; reason: string | null; levelsThatMay: string[]; rolesThatMay: string[] }>('ApprovalAuthority').implement({
  description: 'Whether the caller may approve an amount at a risk grade, by the authority matrix.',
  authScopes: { can: 'underwriting.approve' },
  fields: (t) => ({
    levels: t.exposeStringList('levels', { description: 'The matrix levels the caller\'s roles hold.' }),
    allowed: t.exposeBoolean('allowed', { description: 'Whether the caller may approve it.' }),
    level: t.exposeString('level', { nullable: true, description: 'The level that allows it.' }),
    limit: t.field({ type: 'Decimal', nullable: true, description: 'That level\'s limit at the grade; null for no limit.', resolve: (a) => a.limit }),
    reason: t.exposeString('reason', { nullable: true, description: 'Why not, when refused.' }),
    levelsThatMay: t.exposeStringList('levelsThatMay', { description: 'The matrix levels that may approve it.' }),
    rolesThatMay: t.exposeStringList('rolesThatMay', { description: 'The roles holding those levels.' }),
  }),
});

builder.queryField('approvalAuthority', (t) =>
  t.field({
    type: ApprovalAuthorityRef,
    description: 'What the caller may approve: whether the authority matrix lets them approve `amount` at `riskGrade`, and if not, who may.',
    authScopes: { can: 'underwriting.approve' },
    args: {
      amount: t.arg({ type: 'Decimal', required: true, description: 'The amount to approve.' }),
      riskGrade: t.arg.string({ required: false, description: 'The risk grade; none for an application without one.' }),
    },
    resolve: async (_root, args, context) => {
      const active = await activeAuthority(commandDbOf(context), context.tenant!);
      const levels = authorityLevelsFor(context.principal!.roles, active.roles);
      const answer = mayApprove(active.matrix, levels, String(args.amount), args.riskGrade ?? null);
      return answer.allowed
        ? { levels, allowed: true, level: answer.level, limit: answer.limit, reason: null, levelsThatMay: [], rolesThatMay: [] }
        : { levels, allowed: false, level: null, limit: null, reason: answer.reason, levelsThatMay: answer.levelsThatMay, rolesThatMay: rolesHolding(answer.levelsThatMay, active.roles) };
    },
  }),
);

const PolicyOverrideRef = builder.objectRef<OverrideReportRow>('PolicyOverride').implement({
  description: 'An underwriter\'s decision that overrode the credit policy, with its reason: for compliance.',
  authScopes: { can: 'underwriting.read' },
  fields: (t) => ({
    application: t.field({ type: ApplicationRef, nullable: true, description: 'The application.', resolve: (o, _args, context) => context.loaders.applicationById.load(o.decision.applicationId) }),
    outcome: t.string({ description: 'The decision: `APPROVE`.', resolve: (o) => o.decision.outcome }),
    amount: t.field({ type: 'Money', nullable: true, description: 'The most the decision lends.', resolve: (o) => (o.decision.maxAmount === null ? null : money(o.decision.maxAmount, o.currency)) }),
    riskGrade: t.string({ nullable: true, description: 'The risk grade.', resolve: (o) => o.decision.riskGrade }),
    policyVersion: t.int({ nullable: true, description: 'The credit policy version overridden.', resolve: (o) => o.decision.policyVersion }),
    failedRules: t.stringList({
      description: 'The rules that did not pass, as `id (outcomeIfFailed)`.',
      resolve: (o) => ((o.decision.ruleOutcomes ?? []) as unknown as { id: string; passed: boolean; outcomeIfFailed: string }[]).filter((r) => !r.passed).map((r) => `${r.id} (${r.outcomeIfFailed})`),
    }),
    overrideReason: t.string({ description: 'Why the rules were overridden.', resolve: (o) => o.decision.overrideReason ?? '' }),
    recommendedBy: t.string({ nullable: true, description: 'The underwriter who recommended it (the maker).', resolve: (o) => o.recommendedBy }),
    decidedBy: t.string({ description: 'Who approved it (the checker).', resolve: (o) => o.decision.decidedBy }),
    decidedAt: t.field({ type: 'DateTime', description: 'When.', resolve: (o) => o.decision.decidedAt }),
  }),
});

const OVERRIDE_ORDER = {
  DECIDED_AT: { field: 'decidedAt', kind: 'time', label: 'when it was decided' },
} as const satisfies Record<string, SortKey>;
const PolicyOverrideOrderEnum = orderEnum('PolicyOverride', OVERRIDE_ORDER);

builder.queryField('policyOverrides', (t) =>
  t.connection({
    type: PolicyOverrideRef,
    description: 'Decisions that overrode the credit policy, oldest first unless `orderBy` says otherwise, decided from `from` to `to` when given (UTC days, both included).',
    authScopes: { can: 'underwriting.read' },
    args: {
      orderBy: t.arg({ type: PolicyOverrideOrderEnum, required: false, description: 'The order of the list; `DECIDED_AT_ASC` when absent.' }),
      from: t.arg({ type: 'Date', required: false, description: 'First day.' }),
      to: t.arg({ type: 'Date', required: false, description: 'Last day.' }),
      updatedSince: t.arg({ type: 'DateTime', required: false, description: 'Only overrides decided at or after this (a decision never changes afterwards): the sync filter.' }),
    },
    resolve: (_root, args, context) => {
      checkRange('from', args.from, 'to', args.to);
      const db = context.db!;
      const decided = between(args.from != null ? dateColumn(String(args.from)) : null, args.to != null ? new Date(dateColumn(String(args.to)).getTime() + 86_400_000) : null);
      const where: Record<string, unknown> = {
        override: true,
        // `to` is a whole UTC day: decisions before the next midnight.
        ...(decided ? { decidedAt: { ...(decided.gte ? { gte: decided.gte } : {}), ...(decided.lte ? { lt: decided.lte } : {}) } } : {}),
        ...(args.updatedSince != null ? { AND: [{ decidedAt: { gte: args.updatedSince } }] } : {}),
      };
      return listPage(context, args, orderingOf(OVERRIDE_ORDER, args.orderBy, 'decidedAt:asc'), where, {
        findMany: async (query) => (await overrideRowsOf(db, await db.applicationDecision.findMany(query as Prisma.ApplicationDecisionFindManyArgs)))
          .map((row) => ({ ...row, id: row.decision.id, decidedAt: row.decision.decidedAt })),
        count: (query) => db.applicationDecision.count(query as Prisma.ApplicationDecisionCountArgs),
      });
    },
  }, ...countedConnectionTypes('PolicyOverride')),
);

const RecommendApplicationPayload = objectPayload('recommendApplication', 'approvalRequest', ApprovalRequestRef, 'The recommendation, pending its checker.');

builder.mutationField('recommendApplication', (t) =>
  t.field({
    type: RecommendApplicationPayload,
    description: 'Recommends approving or declining a referred application (the maker); someone else with the authority decides. One pending recommendation per application.',
    authScopes: { can: 'underwriting.recommend' },
    args: { input: t.arg({ type: builder.inputType('RecommendApplicationInput', {
      description: 'The recommendation.',
      fields: (f) => ({
        applicationId: f.globalID({ required: true, for: ApplicationRef, description: 'The referred application.' }),
        recommendation: f.field({ type: RecommendationEnum, required: true, description: 'Approve or decline.' }),
        amount: f.field({ type: 'Decimal', required: false, description: 'The amount to approve; the application\'s when absent, never more.' }),
        reason: f.string({ required: true, description: 'Why; at least 10 characters when approving overrides the credit policy.' }),
      }),
    }), required: true, description: 'The recommendation.' }) },
    resolve: async (_root, { input }, context) => {
      const db = commandDbOf(context);
      const { requestId } = await recommend(db, commandOf(context), context.tenant!.businessDate, {
        applicationId: input.applicationId.id, recommendation: input.recommendation as 'approve' | 'decline',
        amount: input.amount === null || input.amount === undefined ? null : String(input.amount), reason: input.reason,
      });
      return { approvalRequest: await db.approvalRequest.findUniqueOrThrow({ where: { id: requestId } }) };
    },
  }),
);

const DecideApprovalRequestPayload = objectPayload('decideApprovalRequest', 'approvalRequest', ApprovalRequestRef, 'The recommendation as decided; its application shows what came of it.');

builder.mutationField('decideApprovalRequest', (t) =>
  t.field({
    type: DecideApprovalRequestPayload,
    description: 'Approves (carries out the recommendation: an approval with its offer, or a decline) or rejects (the application stays referred) a recommendation someone else made, within the authority matrix.',
    authScopes: { can: 'underwriting.approve' },
    args: { input: t.arg({ type: builder.inputType('DecideApprovalRequestInput', {
      description: 'The decision.',
      fields: (f) => ({
        requestId: f.globalID({ required: true, for: ApprovalRequestRef, description: 'The approval request.' }),
        approve: f.boolean({ required: true, description: 'True carries out the recommendation; false rejects it.' }),
        reason: f.string({ required: false, description: 'Why (required to reject).' }),
      }),
    }), required: true, description: 'The decision.' }) },
    resolve: async (_root, { input }, context) => {
      const db = commandDbOf(context);
      await decide(db, commandOf(context), context.tenant!, input.requestId.id, input.approve, input.reason ?? null);
      return { approvalRequest: await db.approvalRequest.findUniqueOrThrow({ where: { id: input.requestId.id } }) };
    },
  }),
);
