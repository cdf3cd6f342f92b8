// Collections (src/services/collections/cases.ts, docs/collections.md): the cases end of day opens on loans past
// due, their timelines and promises to pay, the rules that open and assign them, and the figures supervisors read.
// A collections agent reads and works only the cases assigned to them; a supervisor, the tenant admin, auditors and
// compliance read every case.
import { builder } from './builder.js';
import { actorOf, commandDbOf, commandOf, keyedCommandOf, perRequest, type GraphContext } from './context.js';
import { countedConnectionTypes, listPage, orderEnum, orderingOf, type SortKey } from './lists.js';
import { storedEnum } from './enums.js';
import { objectPayload } from './payloads.js';
import { LIST_SIZES } from './limits.js';
import { LoanRef } from './loan.js';
import { LoanProductRef } from './loanProduct.js';
import { StaffMemberRef } from './staff.js';
import { perParent } from './loaders.js';
import type { Prisma } from '../generated/prisma/client.js';
import { businessDateOf } from '../tenancy/dateColumns.js';
import { Decimal, money } from '../domain/money.js';
import { globalIdOf } from '../domain/globalId.js';
import { MAX_GROUP_COLLECTORS, type CollectorGroup } from '../domain/servicing/collections.js';
import { MAX_BUCKETS } from '../domain/servicing/delinquencyBuckets.js';
import {
  ACTIVITY_OUTCOMES, assignCollectionCase, caseFilter, caseScopeOf, collectionFigures, collectionRules, logCollectionActivity,
  recordPromiseToPay, setCollectionRule, type ActivityChannel, type ActivityOutcome, type CaseEntryRow, type CaseRow, type CaseScope,
  type CollectionFigures, type CollectionRuleView, type PromiseRow, type QueueFigure, ROLL_RATE_MONTHS,
} from '../services/collections/cases.js';

/** The principal's case scope, looked up once per request. */
function scopeOf(context: GraphContext): Promise<CaseScope> {
  return perRequest(context, 'caseScope', () => caseScopeOf(context.db!, actorOf(context)));
}

/** Each case's promises (the latest first, at most 200) for a page of cases, in one statement. */
const promisesOf = (context: GraphContext) => context.loaders.named<string, PromiseRow[]>('promisesByCase', async (ids) =>
  perParent(ids, await context.db!.promiseToPay.findMany({ where: { caseId: { in: [...ids] } }, orderBy: [{ caseId: 'asc' }, { madeAt: 'desc' }, { id: 'desc' }] }), 'caseId', 200));

/** Each case's timeline (its last 500 entries) for a page of cases, in one statement. */
const timelineOf = (context: GraphContext) => context.loaders.named<string, CaseEntryRow[]>('timelineByCase', async (ids) =>
  perParent(ids, await context.db!.collectionCaseEntry.findMany({ where: { caseId: { in: [...ids] } }, orderBy: [{ caseId: 'asc' }, { seq: 'desc' }] }), 'caseId', 500)
    .map((entries) => entries.reverse()));

/** Each loan's case (the open one, else the latest) the caller may see, for a page of loans, in one statement. */
const caseOfLoan = (context: GraphContext) => context.loaders.named<string, CaseRow | null>('caseByLoan', async (ids) =>
  perParent(ids, await context.db!.collectionCase.findMany({
    where: { loanId: { in: [...ids] }, ...caseFilter(await scopeOf(context)) }, orderBy: [{ loanId: 'asc' }, { status: 'desc' }, { openedOn: 'desc' }],
  }), 'loanId', 1).map((list) => list[0] ?? null));

export const CollectionCaseRef = builder.objectRef<CaseRow>('CollectionCase');
const PromiseToPayRef = builder.objectRef<PromiseRow>('PromiseToPay');

const CaseStatusEnum = storedEnum('CollectionCaseStatus', 'Whether a collection case is being worked.', {
  open: 'Being worked: the loan is past due.',
  closed: 'Closed by end of day: the loan was cured or is no longer active.',
});
const CloseReasonEnum = storedEnum('CollectionCaseCloseReason', 'Why end of day closed a case.', {
  cured: 'Nothing is past due any more.',
  loanClosed: 'The loan is no longer active (repaid, or otherwise closed).',
  writtenOff: 'The loan was written off.',
});
const ActivityChannelEnum = storedEnum('CollectionActivityChannel', 'How a collector reached out.', {
  call: 'A telephone call.',
  visit: 'A visit in person.',
  message: 'A message (text, e-mail, letter).',
  note: 'A note for the file; nobody was contacted.',
} satisfies Record<ActivityChannel, string>);
const ActivityOutcomeEnum = storedEnum('CollectionActivityOutcome', 'What came of an activity.', ACTIVITY_OUTCOMES);
const PromiseStatusEnum = storedEnum('PromiseToPayStatus', 'Where a promise to pay stands (docs/collections.md, "Promises").', {
  pending: 'Not judged yet: its date has not ended and what arrived falls short.',
  kept: 'What arrived from the day it was made reached the amount (less the loan\'s underpayment tolerance) by the promised date.',
  broken: 'The promised date ended short of the amount; the case was escalated.',
  replaced: 'A later promise on the case replaced it before it was judged.',
});
const EntryKindEnum = storedEnum('CollectionCaseEntryKind', 'What a timeline entry records.', {
  opened: 'End of day opened the case.',
  assigned: 'The case was given to a collector (by its rule at end of day, or by hand), or taken from one.',
  activity: 'A collector\'s call, visit, message or note.',
  promiseMade: 'A promise to pay was recorded.',
  promiseKept: 'End of day judged a promise kept.',
  promiseBroken: 'End of day judged a promise broken.',
  promiseReplaced: 'A pending promise was replaced by a new one.',
  escalated: 'A broken promise raised the case\'s escalation level.',
  closed: 'End of day closed the case.',
});

const dateOf = (value: Date) => businessDateOf(value);

/** Someone on the staff, as collections show them: enough to read a queue by, without `staff.read`. */
const CollectorRef = builder.objectRef<{ id: string; displayName: string }>('Collector').implement({
  description: 'A member of staff who works collection cases.',
  authScopes: { can: 'collections.read' },
  fields: (t) => ({
    staffMemberId: t.field({ type: 'ID', description: 'Their StaffMember id (what assignments and rules name).', resolve: (c) => globalIdOf('StaffMember', c.id) }),
    displayName: t.exposeString('displayName', { description: 'Their name (their e-mail address and roles are read on StaffMember, with `staff.read`).' }),
  }),
});

function collector(context: GraphContext, id: string | null) {
  return id === null ? null : context.loaders.staffMemberById.load(id);
}

const CaseEntryRef = builder.objectRef<CaseEntryRow>('CollectionCaseEntry').implement({
  description: 'One entry of a case\'s timeline.',
  authScopes: { can: 'collections.read' },
  fields: (t) => ({
    kind: t.field({ type: EntryKindEnum, description: 'What it records.', resolve: (e) => e.kind as 'opened' }),
    businessDate: t.field({ type: 'Date', description: 'The business date it happened on.', resolve: (e) => dateOf(e.businessDate) }),
    at: t.field({ type: 'DateTime', description: 'When it was recorded.', resolve: (e) => e.at }),
    by: t.exposeString('by', { description: 'Who: a token subject, or `end-of-day`.' }),
    channel: t.field({ type: ActivityChannelEnum, nullable: true, description: 'An activity\'s channel.', resolve: (e) => e.channel as ActivityChannel | null }),
    outcome: t.field({ type: ActivityOutcomeEnum, nullable: true, description: 'An activity\'s outcome.', resolve: (e) => e.outcome as ActivityOutcome | null }),
    note: t.exposeString('note', { nullable: true, description: 'An activity\'s note.' }),
    details: t.field({ type: 'JSON', description: 'What else the entry records: for an assignment `to`, `from` (StaffMember database ids) and `bucket`; for a promise its id, amount and date; for an escalation the level; for a close the reason.', resolve: (e) => e.details as object }),
  }),
});

builder.node(PromiseToPayRef, {
  description: 'A borrower\'s promise to pay an amount by a date, recorded on a collection case and judged by end of day.',
  id: { resolve: (p) => p.id },
  loadMany: async (ids, context: GraphContext) => {
    const scope = await scopeOf(context);
    const rows = await context.db!.promiseToPay.findMany({ where: { id: { in: [...ids] } } });
    const visible = new Set((await context.db!.collectionCase.findMany({ where: { id: { in: rows.map((r) => r.caseId) }, ...caseFilter(scope) }, select: { id: true } })).map((c) => c.id));
    return ids.map((id) => rows.find((row) => row.id === id && visible.has(row.caseId)) ?? null);
  },
  authScopes: { can: 'collections.read' },
  fields: (t) => ({
    amount: t.field({ type: 'Money', description: 'What was promised.', resolve: (p) => money(p.amount, p.currency) }),
    promisedDate: t.field({ type: 'Date', description: 'By when.', resolve: (p) => dateOf(p.promisedDate) }),
    madeOn: t.field({ type: 'Date', description: 'The business date it was made on: payments from then count towards it.', resolve: (p) => dateOf(p.madeOn) }),
    status: t.field({ type: PromiseStatusEnum, description: 'Where it stands.', resolve: (p) => p.status as 'pending' }),
    paid: t.field({ type: 'Money', nullable: true, description: 'What had arrived towards it when it was judged; null until then.', resolve: (p) => (p.paid === null ? null : money(p.paid, p.currency)) }),
    judgedOn: t.field({ type: 'Date', nullable: true, description: 'The business date end of day judged it on.', resolve: (p) => (p.judgedOn ? dateOf(p.judgedOn) : null) }),
    madeBy: t.exposeString('madeBy', { description: 'Who recorded it (subject).' }),
    case: t.field({ type: CollectionCaseRef, nullable: true, description: 'Its case.', resolve: async (p, _args, context) => context.db!.collectionCase.findFirst({ where: { id: p.caseId, ...caseFilter(await scopeOf(context)) } }) }),
  }),
});

builder.node(CollectionCaseRef, {
  description: 'A loan being worked by collections: opened by end of day when its days past due reached its rule\'s threshold, closed when it is cured or no longer active.',
  id: { resolve: (c) => c.id },
  loadMany: async (ids, context: GraphContext) => {
    const rows = await context.db!.collectionCase.findMany({ where: { id: { in: [...ids] }, ...caseFilter(await scopeOf(context)) } });
    return ids.map((id) => rows.find((row) => row.id === id) ?? null);
  },
  authScopes: { can: 'collections.read' },
  fields: (t) => ({
    loan: t.field({ type: LoanRef, nullable: true, description: 'The loan.', resolve: (c, _args, context) => context.loaders.loanById.load(c.loanId) }),
    status: t.field({ type: CaseStatusEnum, description: 'Open or closed.', resolve: (c) => c.status as 'open' }),
    openedOn: t.field({ type: 'Date', description: 'The business date end of day opened it.', resolve: (c) => dateOf(c.openedOn) }),
    openedDaysPastDue: t.exposeInt('openedDaysPastDue', { description: 'The loan\'s days past due then.' }),
    openedBucket: t.exposeString('openedBucket', { nullable: true, description: 'Its delinquency bucket then.' }),
    daysPastDue: t.int({ description: 'The loan\'s days past due now (as the last end of day left them).', resolve: async (c, _args, context) => (await context.loaders.loanById.load(c.loanId))!.daysPastDue }),
    bucket: t.string({ nullable: true, description: 'The loan\'s delinquency bucket now: the queue the case is in.', resolve: async (c, _args, context) => (await context.loaders.loanById.load(c.loanId))!.delinquencyBucket }),
    assignedTo: t.field({ type: CollectorRef, nullable: true, description: 'The collector working it; null for nobody yet.', resolve: (c, _args, context) => collector(context, c.assignedTo) }),
    assignedOn: t.field({ type: 'Date', nullable: true, description: 'When it was given to them.', resolve: (c) => (c.assignedOn ? dateOf(c.assignedOn) : null) }),
    escalationLevel: t.exposeInt('escalationLevel', { description: 'Raised by one for every promise broken; 0 when none was.' }),
    closedOn: t.field({ type: 'Date', nullable: true, description: 'When end of day closed it.', resolve: (c) => (c.closedOn ? dateOf(c.closedOn) : null) }),
    closeReason: t.field({ type: CloseReasonEnum, nullable: true, description: 'Why it was closed.', resolve: (c) => c.closeReason as 'cured' | null }),
    pendingPromise: t.field({ type: PromiseToPayRef, nullable: true, description: 'The promise not yet judged, if any.', resolve: async (c, _args, context) => (await promisesOf(context).load(c.id)).find((p) => p.status === 'pending') ?? null }),
    promises: t.field({ type: [PromiseToPayRef], description: 'Every promise made on it, the latest first.', resolve: (c, _args, context) => promisesOf(context).load(c.id) }),
    timeline: t.field({ type: [CaseEntryRef], description: 'What happened to it, oldest first (at most the last 500 entries).', resolve: (c, _args, context) => timelineOf(context).load(c.id) }),
  }),
});
LIST_SIZES['CollectionCase.promises'] = 200;
LIST_SIZES['CollectionCase.timeline'] = 500;

/** Where collections stand on a loan, with its promise to pay still to be judged (if any). */
interface CollectionStatus {
  case: CaseRow;
  promisedDate: Date | null;
}

/**
 * Each loan's latest case with its pending promise, for a page of loans: read on the tenant's own client, as the
 * loan itself was already read through the caller's scope (a partner reaches only its loans).
 */
export const statusOfLoan = (context: GraphContext) => context.loaders.named<string, CollectionStatus | null>('collectionStatusByLoan', async (ids) => {
  const db = commandDbOf(context);
  const cases = perParent(ids, await db.collectionCase.findMany({ where: { loanId: { in: [...ids] } }, orderBy: [{ loanId: 'asc' }, { status: 'desc' }, { openedOn: 'desc' }] }), 'loanId', 1)
    .map((list) => list[0] ?? null);
  const open = cases.flatMap((c) => (c && c.status === 'open' ? [c.id] : []));
  const promises = open.length === 0 ? [] : await db.promiseToPay.findMany({ where: { caseId: { in: open }, status: 'pending' }, select: { caseId: true, promisedDate: true } });
  return cases.map((c) => (c ? { case: c, promisedDate: promises.find((p) => p.caseId === c.id)?.promisedDate ?? null } : null));
});

export const LoanCollectionStatusRef = builder.objectRef<CollectionStatus>('LoanCollectionStatus').implement({
  description: 'Where collections stand on a loan, for whoever may read the loan (its partners as well as staff) or a share of it (a co-lending partner, through its participation): whether a case is open, since when, in which bucket, how escalated, and whether a promise to pay is pending — never who works it, what was said or what was promised.',
  authScopes: { canAny: ['loans.read', 'coLending.read'] },
  fields: (t) => ({
    open: t.boolean({ description: 'A case is being worked.', resolve: (s) => s.case.status === 'open' }),
    openedOn: t.field({ type: 'Date', description: 'When end of day opened the (latest) case.', resolve: (s) => dateOf(s.case.openedOn) }),
    closedOn: t.field({ type: 'Date', nullable: true, description: 'When it was closed; null while open.', resolve: (s) => (s.case.closedOn ? dateOf(s.case.closedOn) : null) }),
    closeReason: t.field({ type: CloseReasonEnum, nullable: true, description: 'Why it was closed; null while open.', resolve: (s) => s.case.closeReason as 'cured' | null }),
    escalationLevel: t.int({ description: 'Raised by one for every promise to pay broken.', resolve: (s) => s.case.escalationLevel }),
    promisePendingUntil: t.field({ type: 'Date', nullable: true, description: 'The date a promise to pay not yet judged falls on; null when none is pending.', resolve: (s) => (s.promisedDate ? dateOf(s.promisedDate) : null) }),
  }),
});

builder.objectFields(LoanRef, (t) => ({
  collectionCase: t.field({
    type: CollectionCaseRef, nullable: true, authScopes: { can: 'collections.read' },
    description: 'Its open collection case, or the last one closed; null when it never had one (or, for a collections agent, when it is not theirs).',
    resolve: (loan, _args, context) => caseOfLoan(context).load(loan.id),
  }),
  collectionStatus: t.field({
    type: LoanCollectionStatusRef, nullable: true, authScopes: { can: 'loans.read' },
    description: 'Where collections stand on it (docs/collections.md, "What partners see"); null when it never had a case. Its days past due and bucket are the loan\'s own fields.',
    resolve: (loan, _args, context) => statusOfLoan(context).load(loan.id),
  }),
}));

const CASE_ORDER = {
  OPENED_ON: { field: 'openedOn', kind: 'date', label: 'the business date it was opened' },
  ESCALATION_LEVEL: { field: 'escalationLevel', kind: 'int', label: 'escalation level' },
  UPDATED_AT: { field: 'updatedAt', kind: 'time', label: 'when it last changed' },
} as const satisfies Record<string, SortKey>;
const CaseOrderEnum = orderEnum('CollectionCase', CASE_ORDER);

builder.queryField('collectionCases', (t) =>
  t.connection({
    type: CollectionCaseRef,
    description: 'Collection cases, open ones unless `status` says otherwise, the oldest opened first unless `orderBy` says otherwise. A collections agent sees only the cases assigned to them: their own queue.',
    authScopes: { can: 'collections.read' },
    args: {
      status: t.arg({ type: CaseStatusEnum, required: false, description: 'Only cases in this status (OPEN when absent).' }),
      bucket: t.arg.string({ required: false, description: 'Only cases whose loan is in this delinquency bucket now: one queue.' }),
      assignedTo: t.arg.globalID({ required: false, for: StaffMemberRef, description: 'Only cases assigned to this collector.' }),
      unassigned: t.arg.boolean({ required: false, description: 'Only cases nobody works yet (true), or only assigned ones (false).' }),
      escalated: t.arg.boolean({ required: false, description: 'Only cases escalated by a broken promise (true), or only those never escalated (false).' }),
      orderBy: t.arg({ type: CaseOrderEnum, required: false, description: 'The order; `OPENED_ON_ASC` when absent.' }),
    },
    resolve: async (_root, args, context) => {
      const scope = await scopeOf(context);
      const where: Prisma.CollectionCaseWhereInput = {
        status: args.status ?? 'open',
        ...(args.assignedTo ? { assignedTo: args.assignedTo.id } : {}),
        ...(args.unassigned === true ? { assignedTo: null } : args.unassigned === false ? { assignedTo: { not: null } } : {}),
        ...(args.escalated === true ? { escalationLevel: { gt: 0 } } : args.escalated === false ? { escalationLevel: 0 } : {}),
        ...(args.bucket ? { loan: { delinquencyBucket: args.bucket } } : {}),
      };
      // The scope last: an agent's own filter cannot be widened by any argument.
      const scoped = { AND: [where, caseFilter(scope)] };
      return listPage(context, args, orderingOf(CASE_ORDER, args.orderBy, 'openedOn:asc'), scoped, {
        findMany: (query) => context.db!.collectionCase.findMany(query as Prisma.CollectionCaseFindManyArgs),
        count: (query) => context.db!.collectionCase.count(query as Prisma.CollectionCaseCountArgs),
      });
    },
  }, ...countedConnectionTypes('CollectionCase')),
);

const QueueRef = builder.objectRef<QueueFigure>('CollectionQueue').implement({
  description: 'The open cases of one delinquency bucket.',
  authScopes: { can: 'collections.readAll' },
  fields: (t) => ({
    bucket: t.exposeString('bucket', { nullable: true, description: 'The bucket; null for loans not bucketed yet.' }),
    openCases: t.exposeInt('openCases', { description: 'Open cases whose loan is in it.' }),
    unassigned: t.exposeInt('unassigned', { description: 'Of those, the ones nobody works.' }),
    escalated: t.exposeInt('escalated', { description: 'Of those, the ones escalated by a broken promise.' }),
  }),
});

const RollRateRef = builder.objectRef<CollectionFigures['rollRates'][number]>('RollRate').implement({
  description: 'Of the loans in one bucket at a month\'s close, those in another (or gone) at the next month\'s close.',
  authScopes: { can: 'collections.readAll' },
  fields: (t) => ({
    fromMonthEnd: t.field({ type: 'Date', description: 'The earlier month\'s last day.', resolve: (r) => r.fromMonthEnd }),
    toMonthEnd: t.field({ type: 'Date', description: 'The next month\'s last day.', resolve: (r) => r.toMonthEnd }),
    fromBucket: t.exposeString('fromBucket', { description: 'The bucket at the earlier close.' }),
    toBucket: t.exposeString('toBucket', { nullable: true, description: 'The bucket at the later close; null when the loan left the book (repaid, closed, written off).' }),
    loans: t.exposeInt('loans', { description: 'How many loans made that move.' }),
    ratePercent: t.field({ type: 'Decimal', description: 'Of the loans in fromBucket at the earlier close, the percentage that made it (2 places).', resolve: (r) => r.ratePercent }),
  }),
});

const FiguresRef = builder.objectRef<CollectionFigures>('CollectionFigures').implement({
  description: 'The collections figures as of the business date (what the last end of day left).',
  authScopes: { can: 'collections.readAll' },
  fields: (t) => ({
    businessDate: t.field({ type: 'Date', description: 'The business date.', resolve: (f) => f.businessDate }),
    openCases: t.int({ description: 'Open cases, every bucket.', resolve: (f) => f.queues.reduce((sum, q) => sum + q.openCases, 0) }),
    queues: t.field({ type: [QueueRef], description: 'Open cases by delinquency bucket, from the least overdue.', resolve: (f) => f.queues }),
    promisesDueToday: t.exposeInt('promisesDueToday', { description: 'Pending promises whose date is the business date.' }),
    promisesJudged: t.exposeInt('promisesJudged', { description: 'Promises judged in the 30 days to the business date.' }),
    promisesKept: t.exposeInt('promisesKept', { description: 'Of those, the ones kept.' }),
    rollRates: t.field({ type: [RollRateRef], description: `Roll rates between buckets month over month, for the last ${ROLL_RATE_MONTHS} pairs of month closes recorded, the latest first.`, resolve: (f) => f.rollRates }),
    keptRatePercent: t.field({
      type: 'Decimal', nullable: true, description: 'promisesKept as a percentage of promisesJudged, to 2 places; null when none was judged.',
      resolve: (f) => (f.promisesJudged === 0 ? null : new Decimal(f.promisesKept).times(100).div(f.promisesJudged).toDecimalPlaces(2).toFixed(2)),
    }),
  }),
});
// Buckets of the policy and of every product's own: more than one set's worth.
LIST_SIZES['CollectionFigures.queues'] = 200;
LIST_SIZES['CollectionFigures.rollRates'] = ROLL_RATE_MONTHS * MAX_BUCKETS * (MAX_BUCKETS + 1);

builder.queryField('collectionFigures', (t) =>
  t.field({
    type: FiguresRef,
    description: 'Queue sizes by bucket, promises due today and the kept rate, over every case.',
    authScopes: { can: 'collections.readAll' },
    resolve: (_root, _args, context) => collectionFigures(commandDbOf(context), context.tenant!.schemaName, context.tenant!.businessDate),
  }),
);

const CollectorGroupRef = builder.objectRef<CollectorGroup>('CollectorGroup').implement({
  description: 'The collectors who take a rule\'s cases in one bucket, in turn.',
  authScopes: { can: 'collections.read' },
  fields: (t) => ({
    bucket: t.exposeString('bucket', { nullable: true, description: 'The delinquency bucket; null for a case in any bucket without a group of its own.' }),
    collectors: t.field({
      type: [CollectorRef], description: 'The collectors, in turn order.',
      resolve: async (g, _args, context) => (await context.loaders.staffMemberById.loadMany(g.staffMemberIds)).flatMap((row) => (row && !(row instanceof Error) ? [row] : [])),
    }),
  }),
});
LIST_SIZES['CollectorGroup.collectors'] = MAX_GROUP_COLLECTORS;

const CollectionRuleRef = builder.objectRef<CollectionRuleView>('CollectionRule').implement({
  description: 'When end of day opens a collection case on a product\'s loans, and who works it.',
  authScopes: { can: 'collections.read' },
  fields: (t) => ({
    product: t.field({ type: LoanProductRef, nullable: true, description: 'The product; null for the lender\'s default rule.', resolve: (r, _args, context) => (r.productId ? context.db!.loanProduct.findUnique({ where: { id: r.productId } }) : null) }),
    openAtDays: t.exposeInt('openAtDays', { description: 'A case opens when a loan\'s days past due reach this.' }),
    collectors: t.field({ type: [CollectorGroupRef], description: 'Who works the cases, by bucket; empty: cases wait for a supervisor to assign them.', resolve: (r) => r.collectors }),
    changedBy: t.exposeString('changedBy', { nullable: true, description: 'Who last set it; null for the built-in default.' }),
    changedAt: t.field({ type: 'DateTime', nullable: true, description: 'When.', resolve: (r) => r.changedAt }),
  }),
});
LIST_SIZES['CollectionRule.collectors'] = MAX_BUCKETS + 1;
LIST_SIZES['Query.collectionRules'] = 1000;

builder.queryField('collectionRules', (t) =>
  t.field({
    type: [CollectionRuleRef],
    description: 'The default rule first (the built-in one, from 1 day past due to nobody, until the lender sets its own), then each product\'s own.',
    authScopes: { can: 'collections.read' },
    resolve: (_root, _args, context) => collectionRules(commandDbOf(context)),
  }),
);

const CollectorGroupInput = builder.inputType('CollectorGroupInput', {
  description: 'The collectors who take cases in one bucket, in turn.',
  fields: (t) => ({
    bucket: t.string({ required: false, description: 'A delinquency bucket of the product; null or absent for a case in any bucket without a group of its own.' }),
    staffMemberIds: t.globalIDList({ required: true, for: StaffMemberRef, description: `Active collections agents or supervisors, each once, in turn order (at most ${MAX_GROUP_COLLECTORS}).` }),
  }),
});

const SetCollectionRuleInput = builder.inputType('SetCollectionRuleInput', {
  description: 'A product\'s collection rule, or the default.',
  fields: (t) => ({
    productCode: t.string({ required: false, description: 'The product; absent for the lender\'s default rule (products without their own).' }),
    openAtDays: t.int({ required: true, description: 'Open a case when a loan\'s days past due reach this (1 to 3650).' }),
    collectors: t.field({ type: [CollectorGroupInput], required: true, description: 'Who works the cases, by bucket; empty for nobody (a supervisor assigns by hand).' }),
  }),
});

builder.mutationFields((t) => ({
  setCollectionRule: t.field({
    type: objectPayload('setCollectionRule', 'collectionRule', CollectionRuleRef, 'The rule as set.'),
    description: 'Sets when end of day opens cases on a product\'s loans (or by default) and who works them; applied from the next end of day. Errors name the field (`input.collectors[1].bucket`).',
    authScopes: { can: 'collections.manage' },
    args: { input: t.arg({ type: SetCollectionRuleInput, required: true, description: 'The rule.' }) },
    resolve: async (_root, { input }, context) => ({
      collectionRule: await setCollectionRule(commandDbOf(context), commandOf(context), {
        productCode: input.productCode ?? null, openAtDays: input.openAtDays,
        collectors: input.collectors.map((g) => ({ bucket: g.bucket ?? null, staffMemberIds: g.staffMemberIds.map((id) => id.id) })),
      }, context.tenant!.currency),
    }),
  }),
  assignCollectionCase: t.field({
    type: objectPayload('assignCollectionCase', 'collectionCase', CollectionCaseRef, 'The case, with its collector.'),
    description: 'Gives an open case to a collector (an active collections agent or supervisor), or takes it from whoever has it. End of day hands it on again only when its loan rolls into a bucket other collectors work.',
    authScopes: { can: 'collections.manage' },
    args: { input: t.arg({ type: builder.inputType('AssignCollectionCaseInput', {
      description: 'The case and its collector.',
      fields: (f) => ({
        caseId: f.globalID({ required: true, for: CollectionCaseRef, description: 'The case.' }),
        staffMemberId: f.globalID({ required: false, for: StaffMemberRef, description: 'The collector; absent or null to take it from whoever has it.' }),
      }),
    }), required: true, description: 'The case and its collector.' }) },
    resolve: async (_root, { input }, context) => ({
      collectionCase: await assignCollectionCase(commandDbOf(context), commandOf(context), context.tenant!.businessDate, input.caseId.id, input.staffMemberId?.id ?? null),
    }),
  }),
  logCollectionActivity: t.field({
    type: objectPayload('logCollectionActivity', 'entry', CaseEntryRef, 'The timeline entry written.'),
    description: 'Logs a call, visit, message or note on an open case (a collections agent only on theirs).',
    authScopes: { can: 'collections.work' },
    args: { input: t.arg({ type: builder.inputType('LogCollectionActivityInput', {
      description: 'What was done.',
      fields: (f) => ({
        caseId: f.globalID({ required: true, for: CollectionCaseRef, description: 'The case.' }),
        channel: f.field({ type: ActivityChannelEnum, required: true, description: 'How.' }),
        outcome: f.field({ type: ActivityOutcomeEnum, required: true, description: 'What came of it.' }),
        note: f.string({ required: false, description: 'What to remember (1 to 2000 characters); a NOTE carries one.' }),
      }),
    }), required: true, description: 'What was done.' }) },
    resolve: async (_root, { input }, context) => ({
      entry: await logCollectionActivity(commandDbOf(context), commandOf(context), context.tenant!.businessDate, input.caseId.id, {
        channel: input.channel as ActivityChannel, outcome: input.outcome as ActivityOutcome, note: input.note ?? null,
      }),
    }),
  }),
  recordPromiseToPay: t.field({
    type: objectPayload('recordPromiseToPay', 'promiseToPay', PromiseToPayRef, 'The promise recorded (or, for a repeated idempotency key, the one recorded the first time, as it stands now).'),
    description: 'Records the borrower\'s promise to pay an amount by a date on an open case (a collections agent only on theirs); it replaces a promise still pending. End of day judges it from the payments that arrive (docs/collections.md, "Promises").',
    authScopes: { can: 'collections.work' },
    args: { input: t.arg({ type: builder.inputType('RecordPromiseToPayInput', {
      description: 'The promise.',
      fields: (f) => ({
        caseId: f.globalID({ required: true, for: CollectionCaseRef, description: 'The case.' }),
        amount: f.field({ type: 'Decimal', required: true, description: 'What the borrower promised, in the loan\'s currency.' }),
        promisedDate: f.field({ type: 'Date', required: true, description: 'By when: from the business date to 90 days after it.' }),
        idempotencyKey: f.field({ type: 'IdempotencyKey', required: false, description: 'Repeat with the same key to get the same promise back, never a second one.' }),
      }),
    }), required: true, description: 'The promise.' }) },
    resolve: async (_root, { input }, context) => ({
      promiseToPay: await recordPromiseToPay(commandDbOf(context), keyedCommandOf(context, input.idempotencyKey, input), context.tenant!.businessDate, input.caseId.id, { amount: input.amount, promisedDate: input.promisedDate }),
    }),
  }),
}));
