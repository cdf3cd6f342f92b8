// Collections' commands and reads (docs/collections.md): the rules end of day opens and assigns cases by, a
// supervisor's hand assignment, a collector's activities and the borrower's promises to pay. Who sees which case:
// staff allowed every case (`collections.readAll`) see them all; a collections agent only the cases assigned to
// them, and may work only those. Every change is a command: audited, announced, and on the case's timeline.
import { randomUUID } from 'node:crypto';
import { runCommand, type Actor, type CommandContext } from '../../commands/runCommand.js';
import { allows } from '../../authz/capabilities.js';
import type { Role } from '../../authz/roles.js';
import { AppError, InvalidField, inputPath, noSuchCode } from '../../errors.js';
import { Decimal, minorUnits } from '../../domain/money.js';
import {
  assertValidPromise, assertValidRule, DEFAULT_OPEN_AT_DAYS, MAX_NOTE_LENGTH, rollRates, type BucketFlow, type CollectorGroup,
} from '../../domain/servicing/collections.js';
import type { Prisma } from '../../generated/prisma/client.js';
import type { TenantDb, Tx } from '../../tenancy/tenantClients.js';
import { schemaForSlug } from '../../tenancy/schemaNames.js';
import { tenantSql } from '../../tenancy/tenantSql.js';
import { businessDateOf, dateColumn } from '../../tenancy/dateColumns.js';
import { bucketsFor, delinquencyPolicyOf } from '../servicing/delinquencyPolicy.js';

export const ACTIVITY_CHANNELS = ['call', 'visit', 'message', 'note'] as const;
export type ActivityChannel = (typeof ACTIVITY_CHANNELS)[number];

/** What came of an activity, in a collector's words (stored as the API names them). */
export const ACTIVITY_OUTCOMES = {
  REACHED: 'Spoke with the borrower.',
  NO_ANSWER: 'Nobody answered.',
  LEFT_MESSAGE: 'Left a message.',
  WRONG_CONTACT: 'The number or address is not the borrower\'s.',
  PROMISED_TO_PAY: 'The borrower promised to pay (record the promise itself with recordPromiseToPay).',
  REFUSED_TO_PAY: 'The borrower refused to pay.',
  DISPUTED: 'The borrower disputes what is owed.',
  CALLBACK_REQUESTED: 'The borrower asked to be called back.',
  PAYMENT_ARRANGED: 'A payment was arranged another way (a transfer, a debit).',
  SENT: 'A message was sent.',
  NOTED: 'A note for the file; nobody was contacted.',
} as const;
export type ActivityOutcome = keyof typeof ACTIVITY_OUTCOMES;

export type CaseRow = Prisma.CollectionCaseGetPayload<object>;
export type PromiseRow = Prisma.PromiseToPayGetPayload<object>;
export type CaseEntryRow = Prisma.CollectionCaseEntryGetPayload<object>;

/** Which cases a principal sees: all of them, or those assigned to the staff member it is (none when it is nobody's). */
export type CaseScope = { all: true } | { all: false; staffMemberId: string | null };

export async function caseScopeOf(db: TenantDb | Tx, actor: Pick<Actor, 'subject' | 'roles'>): Promise<CaseScope> {
  if (allows('collections.readAll', actor.roles as Role[], true)) return { all: true };
  const member = await db.staffMember.findUnique({ where: { identitySubject: actor.subject }, select: { id: true, status: true } });
  return { all: false, staffMemberId: member && member.status === 'active' ? member.id : null };
}

/** The Prisma filter of the cases a scope sees. */
export function caseFilter(scope: CaseScope): Prisma.CollectionCaseWhereInput {
  // A collector who is nobody on the staff list sees nothing: an id no row has.
  return scope.all ? {} : { assignedTo: scope.staffMemberId ?? '00000000-0000-0000-0000-000000000000' };
}

/** The case, if the principal may see it. */
export async function visibleCase(db: TenantDb | Tx, scope: CaseScope, caseId: string): Promise<CaseRow | null> {
  return db.collectionCase.findFirst({ where: { id: caseId, ...caseFilter(scope) } });
}

/** A case the actor may work, open, locked for the command; refused naming `caseId` otherwise. */
async function workableCase(tx: Tx, command: CommandContext, caseId: string): Promise<CaseRow> {
  const scope = await caseScopeOf(tx, command.actor);
  // Locked first, then judged: a case reassigned meanwhile is judged as it now is.
  await tenantSql(tx, schemaForSlug(command.tenant)).query((s) => `SELECT 1 FROM ${s}.collection_case WHERE id = $1::uuid FOR UPDATE`, caseId);
  const locked = await visibleCase(tx, scope, caseId);
  if (!locked) throw new AppError('NOT_FOUND', scope.all ? 'no collection case with that id' : 'no collection case with that id among the cases assigned to you', { field: inputPath('caseId') });
  if (locked.status !== 'open') throw new AppError('CONFLICT', `the case was closed on ${businessDateOf(locked.closedOn!)}: end of day opens a new one if the loan falls behind again`, { field: inputPath('caseId') });
  return locked;
}

async function addEntry(tx: Tx, caseId: string, businessDate: string, command: CommandContext, entry: { kind: string; channel?: string; outcome?: string; note?: string | null; details?: Record<string, unknown> }): Promise<CaseEntryRow> {
  return tx.collectionCaseEntry.create({
    data: {
      id: randomUUID(), caseId, kind: entry.kind, businessDate: dateColumn(businessDate), at: command.now, by: command.actor.subject,
      channel: entry.channel ?? null, outcome: entry.outcome ?? null, note: entry.note ?? null, details: (entry.details ?? {}) as object,
    },
  });
}

/** Active staff members who may work cases (collections agents or supervisors), by id; refuses any other naming the field. */
async function assertCollectors(tx: Tx, ids: readonly { id: string; field: string }[]): Promise<void> {
  if (ids.length === 0) return;
  const members = await tx.staffMember.findMany({ where: { id: { in: ids.map((x) => x.id) } } });
  for (const { id, field } of ids) {
    const member = members.find((m) => m.id === id);
    if (!member) throw new InvalidField(field, 'no staff member with that id');
    if (member.status !== 'active') throw new InvalidField(field, 'that staff member is deactivated');
    if (!member.roles.some((role) => role === 'collections-agent' || role === 'collections-supervisor')) {
      throw new InvalidField(field, 'that staff member is neither a collections agent nor a collections supervisor');
    }
  }
}

export interface CollectionRuleInput {
  /** Null for the lender's default rule. */
  productCode: string | null;
  openAtDays: number;
  collectors: CollectorGroup[];
}

export type CollectionRuleView = { id: string | null; productId: string | null; productCode: string | null; openAtDays: number; collectors: CollectorGroup[]; changedBy: string | null; changedAt: Date | null };

/** The rules: the default (as set, or the built-in one) first, then each product's. */
export async function collectionRules(db: TenantDb | Tx): Promise<CollectionRuleView[]> {
  const rows = await db.collectionRule.findMany();
  const products = await db.loanProduct.findMany({ where: { id: { in: rows.flatMap((r) => (r.productId ? [r.productId] : [])) } }, select: { id: true, code: true } });
  const view = (row: (typeof rows)[number]): CollectionRuleView => ({
    id: row.id, productId: row.productId, productCode: products.find((p) => p.id === row.productId)?.code ?? null,
    openAtDays: row.openAtDays, collectors: row.collectors as unknown as CollectorGroup[], changedBy: row.changedBy, changedAt: row.changedAt,
  });
  const fallback = rows.find((r) => r.productId === null);
  return [
    fallback ? view(fallback) : { id: null, productId: null, productCode: null, openAtDays: DEFAULT_OPEN_AT_DAYS, collectors: [], changedBy: null, changedAt: null },
    ...rows.filter((r) => r.productId !== null).map(view).sort((a, b) => (a.productCode! < b.productCode! ? -1 : 1)),
  ];
}

/** Sets a product's rule, or the default; applied from the next end of day. */
export async function setCollectionRule(db: TenantDb, command: CommandContext, input: CollectionRuleInput, tenantCurrency: string): Promise<CollectionRuleView> {
  return runCommand(db, { ...command, action: 'collectionRule.changed' }, async (tx) => {
    const product = input.productCode === null ? null : await tx.loanProduct.findUnique({ where: { code: input.productCode } });
    if (input.productCode !== null && !product) throw noSuchCode('productCode', 'no loan product with that code');
    const policy = await delinquencyPolicyOf(tx, tenantCurrency);
    // The default rule serves every product: its buckets are any bucket some product's loans are counted in.
    const products = product ? [product] : await tx.loanProduct.findMany({ select: { delinquencyBuckets: true } });
    const bucketNames = [...new Set([...(product ? [] : policy.buckets.map((b) => b.name)), ...products.flatMap((p) => bucketsFor(policy, p).map((b) => b.name))])];
    assertValidRule(input, bucketNames);
    await assertCollectors(tx, input.collectors.flatMap((group, k) => group.staffMemberIds.map((id, n) => ({ id, field: `collectors.${k}.staffMemberIds.${n}` }))));
    const before = await tx.collectionRule.findFirst({ where: { productId: product?.id ?? null } });
    const data = { openAtDays: input.openAtDays, collectors: input.collectors as unknown as object, changedBy: command.actor.subject, changedAt: command.now };
    const row = before
      ? await tx.collectionRule.update({ where: { id: before.id }, data })
      : await tx.collectionRule.create({ data: { id: randomUUID(), productId: product?.id ?? null, ...data } });
    const result: CollectionRuleView = { id: row.id, productId: row.productId, productCode: product?.code ?? null, openAtDays: row.openAtDays, collectors: input.collectors, changedBy: row.changedBy, changedAt: row.changedAt };
    return {
      result,
      audit: { entityType: 'CollectionRule', entityId: row.id, before: before ? { openAtDays: before.openAtDays, collectors: before.collectors } : null, after: { productCode: result.productCode, openAtDays: row.openAtDays, collectors: input.collectors } },
      events: [{
        type: 'collectionRule.changed', aggregateType: 'CollectionRule', aggregateId: row.id,
        payload: { productCode: result.productCode, openAtDays: row.openAtDays, collectors: input.collectors.map((g) => ({ bucket: g.bucket, staffMembers: g.staffMemberIds })), setBy: command.actor.subject },
      }],
    };
  });
}

/**
 * Gives a case to a collector, or (null) to nobody. The assignment it already has, for the bucket its loan is in, is
 * a repeat: it writes nothing (no timeline entry, event or audit record) and answers the case as it stands.
 */
export async function assignCollectionCase(db: TenantDb, command: CommandContext, businessDate: string, caseId: string, staffMemberId: string | null): Promise<CaseRow> {
  return runCommand(db, { ...command, action: 'collectionCase.assigned' }, async (tx) => {
    const found = await workableCase(tx, command, caseId);
    if (staffMemberId !== null) await assertCollectors(tx, [{ id: staffMemberId, field: 'staffMemberId' }]);
    const loan = await tx.loan.findUniqueOrThrow({ where: { id: found.loanId }, select: { delinquencyBucket: true } });
    if (found.assignedTo === staffMemberId && (staffMemberId === null || found.assignedBucket === loan.delinquencyBucket)) return { result: found, audit: [], events: [] };
    const updated = await tx.collectionCase.update({
      where: { id: caseId },
      // Assigned by hand for the loan's bucket now: end of day hands it on only when the loan rolls into another.
      data: { assignedTo: staffMemberId, assignedBucket: staffMemberId === null ? null : loan.delinquencyBucket, assignedOn: staffMemberId === null ? null : dateColumn(businessDate), updatedAt: command.now },
    });
    await addEntry(tx, caseId, businessDate, command, { kind: 'assigned', details: { to: staffMemberId, from: found.assignedTo, bucket: loan.delinquencyBucket } });
    return {
      result: updated,
      audit: { entityType: 'CollectionCase', entityId: caseId, before: { assignedTo: found.assignedTo }, after: { assignedTo: staffMemberId } },
      events: [{ type: 'collectionCase.assigned', aggregateType: 'CollectionCase', aggregateId: caseId, payload: { loan: found.loanId, assignedTo: staffMemberId, previouslyAssignedTo: found.assignedTo, assignedBy: command.actor.subject } }],
    };
  });
}

export interface ActivityInput {
  channel: ActivityChannel;
  outcome: ActivityOutcome;
  note: string | null;
}

/** Logs a call, visit, message or note on a case. */
export async function logCollectionActivity(db: TenantDb, command: CommandContext, businessDate: string, caseId: string, input: ActivityInput): Promise<CaseEntryRow> {
  const note = input.note === null ? null : input.note.trim();
  if (note !== null && (note.length === 0 || note.length > MAX_NOTE_LENGTH)) throw new InvalidField('note', `a note is 1 to ${MAX_NOTE_LENGTH} characters, or absent`);
  if (input.channel === 'note' && note === null) throw new InvalidField('note', 'a NOTE activity carries its note');
  return runCommand(db, { ...command, action: 'collectionCase.activityLogged' }, async (tx) => {
    const found = await workableCase(tx, command, caseId);
    const entry = await addEntry(tx, caseId, businessDate, command, { kind: 'activity', channel: input.channel, outcome: input.outcome, note });
    await tx.collectionCase.update({ where: { id: caseId }, data: { updatedAt: command.now } });
    return {
      result: entry,
      // The note is the case's, not the trail's: the trail records that one was written, and how long.
      audit: { entityType: 'CollectionCase', entityId: caseId, after: { activity: entry.id, channel: input.channel, outcome: input.outcome, noteLength: note?.length ?? 0 } },
      events: [{ type: 'collectionCase.activityLogged', aggregateType: 'CollectionCase', aggregateId: caseId, payload: { loan: found.loanId, channel: input.channel.toUpperCase(), outcome: input.outcome, loggedBy: command.actor.subject } }],
    };
  });
}

/** Records a borrower's promise on an open case; a pending promise it replaces is marked so, never judged. */
export async function recordPromiseToPay(db: TenantDb, command: CommandContext, businessDate: string, caseId: string, input: { amount: Decimal; promisedDate: string }): Promise<PromiseRow> {
  return runCommand(db, { ...command, action: 'promiseToPay.recorded' }, async (tx) => {
    const found = await workableCase(tx, command, caseId);
    const loan = await tx.loan.findUniqueOrThrow({ where: { id: found.loanId }, select: { currency: true } });
    assertValidPromise(input, businessDate, minorUnits(loan.currency));
    const replaced = await tx.promiseToPay.findFirst({ where: { caseId, status: 'pending' } });
    if (replaced) {
      await tx.promiseToPay.update({ where: { id: replaced.id }, data: { status: 'replaced' } });
      await addEntry(tx, caseId, businessDate, command, { kind: 'promiseReplaced', details: { promiseId: replaced.id } });
    }
    const promise = await tx.promiseToPay.create({
      data: {
        id: randomUUID(), caseId, loanId: found.loanId, amount: input.amount.toFixed(), currency: loan.currency,
        madeOn: dateColumn(businessDate), promisedDate: dateColumn(input.promisedDate), status: 'pending',
        madeBy: command.actor.subject, madeAt: command.now,
      },
    });
    await addEntry(tx, caseId, businessDate, command, { kind: 'promiseMade', details: { promiseId: promise.id, amount: input.amount.toFixed(), currency: loan.currency, promisedDate: input.promisedDate } });
    await tx.collectionCase.update({ where: { id: caseId }, data: { updatedAt: command.now } });
    return {
      result: promise,
      audit: { entityType: 'PromiseToPay', entityId: promise.id, before: replaced ? { replaced: replaced.id } : null, after: { caseId, amount: input.amount.toFixed(), currency: loan.currency, promisedDate: input.promisedDate } },
      events: [{
        type: 'promiseToPay.recorded', aggregateType: 'PromiseToPay', aggregateId: promise.id,
        payload: { case: caseId, loan: found.loanId, amount: { amount: input.amount, currency: loan.currency }, promisedDate: input.promisedDate, replaced: replaced?.id ?? null, recordedBy: command.actor.subject },
      }],
      replay: { promiseId: promise.id },
    };
  }, (stored, tx) => tx.promiseToPay.findUniqueOrThrow({ where: { id: String(stored['promiseId']) } }));
}

export interface QueueFigure {
  bucket: string | null;
  openCases: number;
  unassigned: number;
  escalated: number;
}

export interface CollectionFigures {
  businessDate: string;
  queues: QueueFigure[];
  promisesDueToday: number;
  /** Promises judged in the 30 days to the business date: how many, how many kept. */
  promisesJudged: number;
  promisesKept: number;
  /** Month over month, the latest first: from each bucket at one close to each at the next. */
  rollRates: (BucketFlow & { ratePercent: string })[];
}

/** How many month pairs the figures' roll rates cover. */
export const ROLL_RATE_MONTHS = 6;

/** The figures supervisors read the book by, as of the business date. */
export async function collectionFigures(db: TenantDb, schemaName: string, businessDate: string): Promise<CollectionFigures> {
  const sql = tenantSql(db, schemaName);
  const queues = await sql.query<{ bucket: string | null; open: number; unassigned: number; escalated: number }[]>((s) => `
    SELECT l.delinquency_bucket AS bucket, count(*)::int AS open, count(*) FILTER (WHERE c.assigned_to IS NULL)::int AS unassigned,
           count(*) FILTER (WHERE c.escalation_level > 0)::int AS escalated
      FROM ${s}.collection_case c JOIN ${s}.loan l ON l.id = c.loan_id
     WHERE c.status = 'open' GROUP BY l.delinquency_bucket ORDER BY min(l.days_past_due), l.delinquency_bucket`);
  const [promises] = await sql.query<{ due: number; judged: number; kept: number }[]>((s) => `
    SELECT (SELECT count(*)::int FROM ${s}.promise_to_pay WHERE status = 'pending' AND promised_date = $1::date) AS due,
           (SELECT count(*)::int FROM ${s}.promise_to_pay WHERE judged_on > $1::date - 30 AND judged_on <= $1::date) AS judged,
           (SELECT count(*)::int FROM ${s}.promise_to_pay WHERE status = 'kept' AND judged_on > $1::date - 30 AND judged_on <= $1::date) AS kept`, businessDate);
  // A month's close and the next one's, for the latest months both were recorded for.
  const flows = await sql.query<BucketFlow[]>((s) => `
    WITH closes AS (
      SELECT a.month_end, (date_trunc('month', a.month_end) + interval '2 month' - interval '1 day')::date AS next_end
        FROM (SELECT DISTINCT month_end FROM ${s}.loan_month_end_bucket) a
    ), pairs AS (
      SELECT c.month_end, c.next_end FROM closes c
       WHERE EXISTS (SELECT 1 FROM ${s}.loan_month_end_bucket b WHERE b.month_end = c.next_end)
       ORDER BY c.month_end DESC LIMIT $1
    )
    SELECT p.month_end::text AS "fromMonthEnd", p.next_end::text AS "toMonthEnd", a.bucket AS "fromBucket", b.bucket AS "toBucket", count(*)::int AS loans
      FROM pairs p JOIN ${s}.loan_month_end_bucket a ON a.month_end = p.month_end
      LEFT JOIN ${s}.loan_month_end_bucket b ON b.month_end = p.next_end AND b.loan_id = a.loan_id
     GROUP BY 1, 2, 3, 4 ORDER BY 1 DESC, 3, 4 NULLS LAST`, ROLL_RATE_MONTHS);
  return {
    businessDate,
    rollRates: rollRates(flows),
    queues: queues.map((q) => ({ bucket: q.bucket, openCases: q.open, unassigned: q.unassigned, escalated: q.escalated })),
    promisesDueToday: promises!.due, promisesJudged: promises!.judged, promisesKept: promises!.kept,
  };
}
