// Applications from every channel — the lender's staff, origination partners over the API, and bulk upload —
// validated against the product before anything is written, with their applicants and guarantors resolved to
// parties (never copied). Every status change goes through the transition table and records its history, an
// event (the partner that brought the application sees it) and an audit record.
import { randomUUID } from 'node:crypto';
import { AppError, InvalidField } from '../../errors.js';
import { Decimal, minorUnits } from '../../domain/money.js';
import { nextApplicationStatus, IllegalApplicationTransition, type ApplicationEvent, type ApplicationStatus } from '../../domain/origination/applicationStatus.js';
import type { TenantDb } from '../tenantClients.js';
import { runCommand, type AuditDraft, type Command, type EventDraft } from '../commands.js';
import { productVersion } from '../loanProducts.js';
import { quoteIdent, schemaForSlug } from '../schemaNames.js';
import type { DataKey } from '../sealing.js';
import type { Tx } from '../loans/postings.js';
import { checkPartyInput, resolveParty, type CheckedParty, type PartyInput } from './parties.js';
import { dateColumn } from '../dateColumns.js';
import { addDays } from '../../domain/calendar.js';
import { dateInZone } from '../../domain/businessDate.js';

export type Channel = 'staff' | 'partner' | 'bulk';

export interface ApplicationInput {
  productCode: string;
  amount: string;
  numberOfRepayments: number;
  purpose: string;
  applicant: PartyInput;
  coApplicants?: PartyInput[] | null;
  guarantors?: PartyInput[] | null;
  declaredMonthlyIncome?: string | null;
  monthlyDebtPayments?: string | null;
  employer?: string | null;
  externalReference?: string | null;
  /** Submit at once rather than leave a draft. */
  submit?: boolean | null;
}

type ProductRow = Awaited<ReturnType<TenantDb['loanProduct']['findUniqueOrThrow']>>;

interface CheckedApplication {
  product: ProductRow;
  version: number;
  amount: Decimal;
  numberOfRepayments: number;
  purpose: string;
  parties: { role: 'applicant' | 'co_applicant' | 'guarantor'; party: CheckedParty; path: string }[];
  declaredMonthlyIncome: Decimal | null;
  monthlyDebtPayments: Decimal | null;
  externalReference: string | null;
  employer: string | null;
  submit: boolean;
}

function decimalField(value: string | null | undefined, field: string, currency: string): Decimal | null {
  if (value === null || value === undefined || value === '') return null;
  let amount: Decimal;
  try {
    amount = new Decimal(value);
  } catch {
    throw new InvalidField(field, `${field} must be a decimal number`);
  }
  if (!amount.isFinite() || amount.lt(0) || amount.gte('1e15') || amount.decimalPlaces() > minorUnits(currency)) {
    throw new InvalidField(field, `${field} must be zero or more, in whole minor units of ${currency}`);
  }
  // "-0.00" is zero, never a negative amount.
  return amount.isZero() ? new Decimal(0) : amount;
}

/** Everything checked against the product before a write; errors name the field under `path`. */
export async function checkApplication(db: TenantDb | Tx, input: ApplicationInput, asOf: string, path = ''): Promise<CheckedApplication> {
  const product = await db.loanProduct.findUnique({ where: { code: input.productCode } });
  if (!product) throw new InvalidField(`${path}productCode`, 'no loan product with that code');
  const amount = decimalField(input.amount, `${path}amount`, product.currency);
  if (amount === null || amount.lt(product.minAmount.toString()) || amount.gt(product.maxAmount.toString())) {
    throw new InvalidField(`${path}amount`, `amount must be from ${product.minAmount.toString()} to ${product.maxAmount.toString()} ${product.currency}`);
  }
  const version = (await productVersion(db as TenantDb, product))!;
  const every = version.terms.repaymentEvery;
  const months = every.unit === 'months' ? input.numberOfRepayments * every.every : null;
  if (!Number.isInteger(input.numberOfRepayments) || input.numberOfRepayments < 1 || (months !== null && (months < product.minTenor || months > product.maxTenor))) {
    throw new InvalidField(`${path}numberOfRepayments`, `the tenor must be from ${product.minTenor} to ${product.maxTenor} months`);
  }
  const purpose = (input.purpose ?? '').trim();
  if (purpose.length < 2 || purpose.length > 200) throw new InvalidField(`${path}purpose`, 'purpose must be 2–200 characters');
  const parties: CheckedApplication['parties'] = [
    { role: 'applicant', party: checkPartyInput(input.applicant, `${path}applicant.`, asOf), path: `${path}applicant.` },
    ...(input.coApplicants ?? []).map((p, k) => ({ role: 'co_applicant' as const, party: checkPartyInput(p, `${path}coApplicants.${k}.`, asOf), path: `${path}coApplicants.${k}.` })),
    ...(input.guarantors ?? []).map((p, k) => ({ role: 'guarantor' as const, party: checkPartyInput(p, `${path}guarantors.${k}.`, asOf), path: `${path}guarantors.${k}.` })),
  ];
  if (parties.length > 10) throw new InvalidField(`${path}guarantors`, 'an application has at most 10 parties');
  const externalReference = input.externalReference?.trim() || null;
  if (externalReference !== null && externalReference.length > 100) throw new InvalidField(`${path}externalReference`, 'externalReference must be at most 100 characters');
  return {
    product, version: version.version, amount, numberOfRepayments: input.numberOfRepayments, purpose, parties,
    declaredMonthlyIncome: decimalField(input.declaredMonthlyIncome, `${path}declaredMonthlyIncome`, product.currency),
    monthlyDebtPayments: decimalField(input.monthlyDebtPayments, `${path}monthlyDebtPayments`, product.currency),
    externalReference, employer: input.employer?.trim() || null, submit: input.submit ?? false,
  };
}

export interface Transitioned {
  event: EventDraft;
  audit: AuditDraft;
}

/** One move through the transition table, with its history row, event and audit record. */
export async function transition(
  tx: Tx, application: { id: string; status: string; reference: string; originationPartner: string | null },
  event: ApplicationEvent, actor: string, now: Date, reason: string | null = null, extra: Record<string, unknown> = {},
): Promise<Transitioned & { to: ApplicationStatus }> {
  let to: ApplicationStatus;
  try {
    to = nextApplicationStatus(application.status as ApplicationStatus, event);
  } catch (error) {
    if (error instanceof IllegalApplicationTransition) throw new AppError('CONFLICT', error.message, { reason: 'ILLEGAL_TRANSITION', from: application.status, event });
    throw error;
  }
  // Only from the status read: a concurrent move of the same application makes this one fail, not both succeed.
  const moved = await tx.application.updateMany({ where: { id: application.id, status: application.status }, data: { status: to, updatedAt: now } });
  if (moved.count !== 1) throw new AppError('CONFLICT', 'the application changed meanwhile; read it again');
  await tx.applicationTransition.create({
    data: { id: randomUUID(), applicationId: application.id, fromStatus: application.status, toStatus: to, event, reason, actor, at: now },
  });
  const payload = { applicationId: application.id, reference: application.reference, from: application.status, to, event, ...(reason ? { reason } : {}), ...extra };
  application.status = to;
  return {
    to,
    event: { type: `application.${event}`, aggregateType: 'Application', aggregateId: application.id, partnerScope: application.originationPartner, payload },
    audit: { entityType: 'Application', entityId: application.id, before: { status: payload.from }, after: { status: to, event, ...(reason ? { reason } : {}) } },
  };
}

async function createChecked(
  tx: Tx, dataKey: DataKey, command: Omit<Command, 'action'>, checked: CheckedApplication, channel: Channel, partner: string | null,
) {
  const id = randomUUID();
  const [numbered] = await tx.$queryRawUnsafe<{ n: bigint }[]>('SELECT nextval($1::regclass) AS n', `${quoteIdent(schemaForSlug(command.tenant))}.application_number`);
  const reference = `APP-${String(numbered!.n).padStart(7, '0')}`;
  const row = await tx.application.create({
    data: {
      id, reference, productId: checked.product.id, productVersion: checked.version, currency: checked.product.currency, amount: checked.amount.toFixed(),
      numberOfRepayments: checked.numberOfRepayments, purpose: checked.purpose, status: 'draft', channel, originationPartner: partner,
      externalReference: checked.externalReference, declaredMonthlyIncome: checked.declaredMonthlyIncome?.toFixed() ?? null,
      monthlyDebtPayments: checked.monthlyDebtPayments?.toFixed() ?? null, employer: checked.employer, createdBy: command.actor.subject, createdAt: command.now, updatedAt: command.now,
    },
  });
  const matches: { role: string; partyId: string; reason: string }[] = [];
  for (const { role, party, path } of checked.parties) {
    const resolved = await resolveParty(tx, dataKey, { tenant: command.tenant, actor: command.actor.subject, now: command.now, channel }, party, path);
    if (matches.some((m) => m.partyId === resolved.partyId && m.role === role)) throw new InvalidField(path, 'the same party is named twice in one role');
    matches.push({ role, partyId: resolved.partyId, reason: resolved.reason });
    await tx.applicationParty.create({ data: { applicationId: id, partyId: resolved.partyId, role } });
  }
  const shown = { applicationId: id, reference, productCode: checked.product.code, amount: checked.amount.toFixed(), currency: checked.product.currency, numberOfRepayments: checked.numberOfRepayments, channel };
  const events: EventDraft[] = [{ type: 'application.created', aggregateType: 'Application', aggregateId: id, partnerScope: partner, payload: { ...shown, status: 'draft' } }];
  const audit: AuditDraft[] = [{ entityType: 'Application', entityId: id, after: { ...shown, status: 'draft', parties: matches } }];
  await tx.applicationTransition.create({ data: { id: randomUUID(), applicationId: id, fromStatus: null, toStatus: 'draft', event: 'create', actor: command.actor.subject, at: command.now } });
  if (checked.submit) {
    const moved = await transition(tx, { id, status: 'draft', reference, originationPartner: partner }, 'submit', command.actor.subject, command.now);
    events.push(moved.event);
    audit.push(moved.audit);
  }
  return { application: { ...row, status: checked.submit ? 'submitted' : 'draft' }, events, audit, matches };
}

export async function createApplication(
  db: TenantDb, dataKey: DataKey, command: Omit<Command, 'action'>, input: ApplicationInput, channel: Channel, partner: string | null, idempotencyKey?: string | null,
) {
  const checked = await checkApplication(db, input, dateInZone(command.now, 'UTC'));
  return runCommand(db, { ...command, action: 'application.create', ...(idempotencyKey ? { idempotency: { key: idempotencyKey, input } } : {}) }, async (tx) => {
    const created = await createChecked(tx, dataKey, command, checked, channel, partner);
    return { result: { applicationId: created.application.id }, replay: { applicationId: created.application.id }, audit: created.audit, events: created.events };
  }, async (stored) => ({ applicationId: stored['applicationId'] as string }));
}

export interface ImportRow {
  row: number;
  applicationId: string | null;
  reference: string | null;
  errors: { field: string; message: string }[];
}

/**
 * A bulk upload: every row is checked first and the report lists each row's errors; only when every row is good
 * are they all created, in one transaction — nothing is ever half-imported.
 */
export async function importApplications(db: TenantDb, dataKey: DataKey, command: Omit<Command, 'action'>, rows: ApplicationInput[], partner: string | null) {
  if (rows.length === 0 || rows.length > 1_000) throw new InvalidField('csv', 'an upload carries 1–1,000 applications');
  const report: ImportRow[] = [];
  const checked: CheckedApplication[] = [];
  for (const [k, row] of rows.entries()) {
    try {
      checked.push(await checkApplication(db, row, dateInZone(command.now, 'UTC')));
      report.push({ row: k + 1, applicationId: null, reference: null, errors: [] });
    } catch (error) {
      if (!(error instanceof InvalidField)) throw error;
      report.push({ row: k + 1, applicationId: null, reference: null, errors: [{ field: error.field, message: error.message }] });
    }
  }
  if (report.some((r) => r.errors.length > 0)) return { imported: 0, rows: report };
  try {
    return await runCommand(db, { ...command, action: 'application.import' }, async (tx) => {
      const events: EventDraft[] = [];
      const audit: AuditDraft[] = [];
      for (const [k, one] of checked.entries()) {
        try {
          const created = await createChecked(tx, dataKey, command, one, 'bulk', partner);
          report[k] = { row: k + 1, applicationId: created.application.id, reference: created.application.reference, errors: [] };
          events.push(...created.events);
          audit.push(...created.audit);
        } catch (error) {
          if (error instanceof InvalidField) throw new RowFailed(k, error);
          throw error;
        }
      }
      return { result: { imported: checked.length, rows: report }, audit, events };
    });
  } catch (error) {
    if (!(error instanceof RowFailed)) throw error;
    report[error.index] = { row: error.index + 1, applicationId: null, reference: null, errors: [{ field: error.cause.field, message: error.cause.message }] };
    return { imported: 0, rows: report.map((r) => ({ ...r, applicationId: null, reference: null })) };
  }
}

class RowFailed extends Error {
  constructor(readonly index: number, override readonly cause: InvalidField) {
    super(cause.message);
  }
}

/** A transition asked for by a person (submit, withdraw, …): one command. */
export async function moveApplication(db: TenantDb, command: Omit<Command, 'action'>, applicationId: string, event: ApplicationEvent, partner: string | null, reason: string | null = null) {
  return runCommand(db, { ...command, action: `application.${event}` }, async (tx) => {
    const application = await tx.application.findUnique({ where: { id: applicationId } });
    // A partner moves only applications it brought; anyone else's does not exist for it.
    if (!application || (partner !== null && application.originationPartner !== partner)) throw new InvalidField('applicationId', 'no application with that id');
    const moved = await transition(tx, application, event, command.actor.subject, command.now, reason);
    return { result: { applicationId }, audit: moved.audit, events: [moved.event] };
  });
}

/** How long a draft may wait to be submitted before it lapses. */
export const DRAFT_LIFETIME_DAYS = 30;

/**
 * The lapsing a lender's end of day does: offers not accepted (or agreements not signed) by the offer's date,
 * and drafts never submitted within DRAFT_LIFETIME_DAYS, move to `expired` — each with its history, event and
 * audit record. Expired applications can never be disbursed.
 */
export async function expireStaleApplications(db: TenantDb, command: Omit<Command, 'action'>, businessDate: string) {
  const draftsBefore = dateColumn(addDays(businessDate, -DRAFT_LIFETIME_DAYS));
  return runCommand(db, { ...command, action: 'application.expireStale' }, async (tx) => {
    const lapsedOffers = await tx.applicationOffer.findMany({
      where: { status: { in: ['open', 'accepted'] }, validUntil: { lt: dateColumn(businessDate) } },
      select: { id: true, applicationId: true },
    });
    const candidates = await tx.application.findMany({
      where: {
        OR: [
          { status: { in: ['approved', 'offer_accepted'] }, id: { in: lapsedOffers.map((o) => o.applicationId) } },
          { status: 'draft', createdAt: { lt: draftsBefore } },
        ],
      },
    });
    const events: EventDraft[] = [];
    const audit: AuditDraft[] = [];
    for (const application of candidates) {
      const moved = await transition(tx, application, 'expire', command.actor.subject, command.now, application.status === 'draft' ? `not submitted within ${DRAFT_LIFETIME_DAYS} days` : 'the offer lapsed');
      events.push(moved.event);
      audit.push(moved.audit);
    }
    const expiredIds = new Set(candidates.map((a) => a.id));
    await tx.applicationOffer.updateMany({ where: { id: { in: lapsedOffers.filter((o) => expiredIds.has(o.applicationId)).map((o) => o.id) } }, data: { status: 'expired' } });
    const summary = { expired: candidates.length, businessDate };
    return { result: { expired: candidates.map((a) => a.id) }, audit: audit.length > 0 ? audit : { entityType: 'Tenant', entityId: command.tenant, after: summary }, events };
  });
}
