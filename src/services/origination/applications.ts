// Applications from every channel — the lender's staff, origination partners over the API, and bulk upload —
// validated against the product before anything is written, with their applicants and guarantors resolved to
// parties (never copied). Every status change goes through the transition table and records its history, an
// event (the partner that brought the application sees it) and an audit record.
import { randomUUID } from 'node:crypto';
import { AppError, inputPath, InvalidField, noSuchCode, statusInWords } from '../../errors.js';
import { Decimal, minorUnits, parseDecimalText } from '../../domain/money.js';
import { applicationEventsFrom, nextApplicationStatus, IllegalApplicationTransition, type ApplicationEvent, type ApplicationStatus } from '../../domain/origination/applicationStatus.js';
import type { TenantDb } from '../../tenancy/tenantClients.js';
import { runCommand, type AuditDraft, type EventDraft, type CommandContext } from '../../commands/runCommand.js';
import { APPLICATION_TRANSITION_EVENT } from '../../events/catalogue.js';
import { assertOffered, productLimitsOf, productVersion } from '../servicing/loanProducts.js';
import { assertWithinProduct } from '../../domain/servicing/product.js';
import { schemaForSlug } from '../../tenancy/schemaNames.js';
import { tenantSql } from '../../tenancy/tenantSql.js';
import type { DataKey } from '../../tenancy/sealing.js';
import type { Tx } from '../../tenancy/tenantClients.js';
import { asSubmitted, checkPartyInput, comparableName, resolveParty, submittedParty, type CheckedParty, type PartyInput } from './parties.js';
import { dateColumn } from '../../tenancy/dateColumns.js';
import { lapsedIfWaitingBefore, WAITING_LIFETIME_DAYS } from '../../domain/origination/applicationLapse.js';
import { describeMissing, missingForChecks } from '../../domain/origination/requiredInformation.js';
import { assertSandboxTags } from '../../domain/origination/checks/sandbox.js';
import { dateInZone } from '../../domain/businessDate.js';
import { latestChecklist } from './documentChecklists.js';
import { assertChecksCanRun } from './checkProviders.js';
import { assertPriced } from './productPricing.js';

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
  // The Decimal scalar's own reading: a file's cells are held to what the API takes (no exponent, `+`, `.5` or hex).
  const parsed = parseDecimalText(value);
  if ('problem' in parsed) throw new InvalidField(field, `${field} ${parsed.problem}`);
  const amount = parsed.value;
  if (amount.lt(0) || amount.decimalPlaces() > minorUnits(currency)) {
    throw new InvalidField(field, `${field} must be zero or more, in whole minor units of ${currency}`);
  }
  return amount;
}

/** The application's own terms and figures, checked against the product; errors name the field under `path`. */
async function checkTerms(db: TenantDb | Tx, input: Omit<ApplicationInput, 'applicant' | 'coApplicants' | 'guarantors' | 'submit'>, path: string) {
  const product = await db.loanProduct.findUnique({ where: { code: input.productCode } });
  if (!product) throw noSuchCode(`${path}productCode`, 'no loan product with that code');
  assertOffered(product, `${path}productCode`);
  const amount = decimalField(input.amount, `${path}amount`, product.currency);
  if (amount === null) throw new InvalidField(`${path}amount`, 'amount is required');
  const version = (await productVersion(db as TenantDb, product))!;
  assertWithinProduct(productLimitsOf(product), { principal: amount, numberOfRepayments: input.numberOfRepayments, every: version.terms.repaymentEvery }, {
    principal: `${path}amount`, numberOfRepayments: `${path}numberOfRepayments`,
  });
  const purpose = (input.purpose ?? '').trim();
  if (purpose.length < 2 || purpose.length > 200) throw new InvalidField(`${path}purpose`, 'purpose must be 2–200 characters');
  const externalReference = input.externalReference?.trim() || null;
  if (externalReference !== null && externalReference.length > 100) throw new InvalidField(`${path}externalReference`, 'externalReference must be at most 100 characters');
  return {
    product, version: version.version, amount, numberOfRepayments: input.numberOfRepayments, purpose,
    declaredMonthlyIncome: decimalField(input.declaredMonthlyIncome, `${path}declaredMonthlyIncome`, product.currency),
    monthlyDebtPayments: decimalField(input.monthlyDebtPayments, `${path}monthlyDebtPayments`, product.currency),
    externalReference, employer: input.employer?.trim() || null,
  };
}

/** Everything checked against the product before a write; errors name the field under `path`. */
export async function checkApplication(db: TenantDb | Tx, input: ApplicationInput, asOf: string, path = ''): Promise<CheckedApplication> {
  const terms = await checkTerms(db, input, path);
  const parties: CheckedApplication['parties'] = [
    { role: 'applicant', party: checkPartyInput(input.applicant, `${path}applicant.`, asOf), path: `${path}applicant.` },
    ...(input.coApplicants ?? []).map((p, k) => ({ role: 'co_applicant' as const, party: checkPartyInput(p, `${path}coApplicants.${k}.`, asOf), path: `${path}coApplicants.${k}.` })),
    ...(input.guarantors ?? []).map((p, k) => ({ role: 'guarantor' as const, party: checkPartyInput(p, `${path}guarantors.${k}.`, asOf), path: `${path}guarantors.${k}.` })),
  ];
  if (parties.length > 10) throw new InvalidField(`${path}guarantors`, 'an application has at most 10 parties');
  // A mistyped sandbox tag is the submitter's to fix now, not a check that errs after the application is written.
  for (const one of parties) if (one.party.email) assertSandboxTags(one.party.email, `${one.path}email`);
  // The same person twice in one role is the submitter's own mistake, told from what it sent (never from who
  // else the lender knows).
  for (const [k, one] of parties.entries()) {
    const twin = parties.slice(0, k).find((other) => other.role === one.role && samePersonSent(other.party, one.party));
    if (twin) throw new InvalidField(one.path.slice(0, -1), `the same person is named twice as ${one.role.replace('_', '-')}`);
  }
  return { ...terms, parties, submit: input.submit ?? false };
}

/**
 * Refuses a submission the checks could not run on, naming every missing field (as the mutation's input names
 * it) in `extensions.fields`, the first in `extensions.field`. Nothing is written.
 */
export function missingInformationError(missing: readonly string[], hint: string): AppError {
  return new AppError('BAD_USER_INPUT', `${describeMissing(missing)}: ${hint}`, {
    field: inputPath(missing[0]!), fields: missing.map(inputPath), reason: 'MISSING_INFORMATION',
  });
}

/** What the checks need that an intake, as submitted, does not give. */
function missingFromIntake(checked: CheckedApplication): string[] {
  const applicant = checked.parties.find((p) => p.role === 'applicant')!.party;
  return missingForChecks({
    dateOfBirth: Boolean(applicant.dateOfBirth), nationalId: applicant.identifiers.some((i) => i.kind === 'national_id'),
    phone: Boolean(applicant.phoneNormalised), email: Boolean(applicant.emailNormalised), address: Boolean(applicant.address),
    declaredMonthlyIncome: checked.declaredMonthlyIncome !== null, employer: checked.employer !== null,
  });
}

/** What the checks need that is not on file: the applicant party's data and the application's own figures. */
export async function missingOnFile(
  tx: Tx, application: { id: string; declaredMonthlyIncome: unknown; employer: string | null },
): Promise<{ partyId: string; missing: string[] }> {
  // What this application's submitter sent, never another channel's data about the same person.
  const link = await tx.applicationParty.findFirstOrThrow({ where: { applicationId: application.id, role: 'applicant' }, include: { party: true } });
  const identifiers = link.submitted ? [] : await tx.partyIdentifier.findMany({ where: { partyId: link.partyId } });
  const sent = asSubmitted(link, link.party, identifiers);
  return {
    partyId: link.partyId,
    missing: missingForChecks({
      dateOfBirth: sent.dateOfBirth !== null, nationalId: sent.identifiers.some((i) => i.kind === 'national_id'), phone: Boolean(sent.phone),
      email: Boolean(sent.email), address: sent.address !== null, declaredMonthlyIncome: application.declaredMonthlyIncome !== null, employer: Boolean(application.employer),
    }),
  };
}

function samePersonSent(a: CheckedParty, b: CheckedParty): boolean {
  if (a.identifiers.some((i) => b.identifiers.some((j) => i.kind === j.kind && i.country === j.country && i.value === j.value))) return true;
  return a.phoneNormalised !== null && a.emailNormalised !== null && a.phoneNormalised === b.phoneNormalised && a.emailNormalised === b.emailNormalised
    && comparableName(a.legalName) === comparableName(b.legalName);
}

export interface Transitioned {
  event: EventDraft;
  audit: AuditDraft;
}

/**
 * Refuses a submission to be assessed at once (created submitted, submitted, amended and submitted) that its
 * assessment would refuse whatever the applicant sent: the lender's checks cannot run (assertChecksCanRun), or the
 * product has no active pricing, so no offer could ever be made. Inside the submitting transaction, so nothing is
 * written: no application is left submitted behind an error. An upload's applications are submitted to wait for
 * assessApplication, and those wait whatever the lender has set up; that refuses them until it is mended.
 */
async function assertAssessable(tx: Tx, productId: string): Promise<void> {
  await assertChecksCanRun(tx);
  await assertPriced(tx, productId);
}

/**
 * One move through the transition table, with its history row, event and audit record. A move the table refuses
 * names `namedBy`, the field of what the caller sent that named the application, as the caller reads it
 * (`input.applicationId`, `input.requestId` for a request made on it, a provider callback's `providerReference`),
 * or no field when nothing sent named it (end of day, a check's deadline, an application being created).
 */
export async function transition(
  tx: Tx, application: { id: string; status: string; reference: string; originationPartner: string | null },
  event: ApplicationEvent, namedBy: string | null, actor: string, now: Date, reason: string | null = null, extra: Record<string, unknown> = {},
): Promise<Transitioned & { to: ApplicationStatus }> {
  let to: ApplicationStatus;
  try {
    to = nextApplicationStatus(application.status as ApplicationStatus, event);
  } catch (error) {
    if (error instanceof IllegalApplicationTransition) {
      throw new AppError('CONFLICT', error.message, { ...(namedBy === null ? {} : { field: namedBy }), reason: 'ILLEGAL_TRANSITION', from: application.status, event });
    }
    throw error;
  }
  // Only from the status read: a concurrent move of the same application makes this one fail, not both succeed.
  const moved = await tx.application.updateMany({ where: { id: application.id, status: application.status }, data: { status: to, updatedAt: now } });
  if (moved.count !== 1) throw new AppError('CONFLICT', 'the application changed meanwhile; read it again');
  await tx.applicationTransition.create({
    data: { id: randomUUID(), applicationId: application.id, fromStatus: application.status, toStatus: to, event, reason, actor, at: now },
  });
  const payload = { applicationId: application.id, reference: application.reference, from: application.status, to, ...(reason ? { reason } : {}), ...extra };
  application.status = to;
  return {
    to,
    event: { type: APPLICATION_TRANSITION_EVENT[event]!, aggregateType: 'Application', aggregateId: application.id, partnerScope: application.originationPartner, payload },
    audit: { entityType: 'Application', entityId: application.id, before: { status: payload.from }, after: { status: to, event, ...(reason ? { reason } : {}) } },
  };
}

async function createChecked(
  tx: Tx, dataKey: DataKey, command: CommandContext, businessDate: string, checked: CheckedApplication, channel: Channel, partner: string | null,
) {
  const id = randomUUID();
  const [numbered] = await tenantSql(tx, schemaForSlug(command.tenant)).query<{ n: bigint }[]>((schema) => `SELECT nextval('${schema}.application_number'::regclass) AS n`);
  const number = Number(numbered!.n);
  const reference = `APP-${String(number).padStart(7, '0')}`;
  // The application keeps the checklist version in force now, whatever the product's checklist becomes later.
  const checklist = await latestChecklist(tx, checked.product.id);
  const row = await tx.application.create({
    data: {
      id, number, reference, productId: checked.product.id, productVersion: checked.version, currency: checked.product.currency, amount: checked.amount.toFixed(),
      numberOfRepayments: checked.numberOfRepayments, purpose: checked.purpose, status: 'draft', channel, originationPartner: partner,
      externalReference: checked.externalReference, declaredMonthlyIncome: checked.declaredMonthlyIncome?.toFixed() ?? null,
      monthlyDebtPayments: checked.monthlyDebtPayments?.toFixed() ?? null, employer: checked.employer, createdBy: command.actor.subject, createdAt: command.now, updatedAt: command.now,
      createdOn: dateColumn(businessDate), documentChecklistId: checklist?.id ?? null,
    },
  });
  const matches: { role: string; partyId: string; reason: string }[] = [];
  for (const { role, party } of checked.parties) {
    const exclude = new Set(matches.filter((m) => m.role === role).map((m) => m.partyId));
    const resolved = await resolveParty(tx, dataKey, { tenant: command.tenant, actor: command.actor.subject, now: command.now, channel, partner, applicationId: id, exclude }, party);
    matches.push({ role, partyId: resolved.partyId, reason: resolved.reason });
    await tx.applicationParty.create({ data: { applicationId: id, partyId: resolved.partyId, role, submitted: submittedParty(dataKey, party) as object } });
  }
  const shown = { applicationId: id, reference, productCode: checked.product.code, amount: checked.amount.toFixed(), currency: checked.product.currency, numberOfRepayments: checked.numberOfRepayments, channel };
  const events: EventDraft[] = [{
    type: 'application.created', aggregateType: 'Application', aggregateId: id, partnerScope: partner,
    payload: { applicationId: id, reference, productCode: checked.product.code, amount: { amount: checked.amount, currency: checked.product.currency }, numberOfRepayments: checked.numberOfRepayments, channel, status: 'draft' },
  }];
  const audit: AuditDraft[] = [{ entityType: 'Application', entityId: id, after: { ...shown, status: 'draft', parties: matches } }];
  await tx.applicationTransition.create({ data: { id: randomUUID(), applicationId: id, fromStatus: null, toStatus: 'draft', event: 'create', actor: command.actor.subject, at: command.now } });
  if (checked.submit) {
    const moved = await transition(tx, { id, status: 'draft', reference, originationPartner: partner }, 'submit', null, command.actor.subject, command.now);
    events.push(moved.event);
    audit.push(moved.audit);
  }
  return { application: { ...row, status: checked.submit ? 'submitted' : 'draft' }, events, audit, matches };
}

export async function createApplication(
  db: TenantDb, dataKey: DataKey, command: CommandContext, businessDate: string, input: ApplicationInput, channel: Channel, partner: string | null, idempotencyKey?: string | null,
) {
  const checked = await checkApplication(db, input, dateInZone(command.now, 'UTC'));
  if (checked.submit) {
    const missing = missingFromIntake(checked);
    if (missing.length > 0) throw missingInformationError(missing, 'supply them, or leave the application a draft (submit: false) and complete it with updateApplication');
  }
  return runCommand(db, { ...command, action: 'application.create', ...(idempotencyKey != null ? { idempotency: { key: idempotencyKey, input } } : {}) }, async (tx) => {
    if (checked.submit) await assertAssessable(tx, checked.product.id);
    const created = await createChecked(tx, dataKey, command, businessDate, checked, channel, partner);
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
 * What a bulk upload answers: every row imported, or none, with each row's errors. It holds ids and references,
 * never what the rows said about people, so it is kept as is for a repeat of the upload's key.
 */
export interface ImportReport {
  imported: number;
  rows: ImportRow[];
}

/**
 * A bulk upload: every row is checked and the report lists each row's errors; only when every row is good are
 * they all created, in one transaction — nothing is ever half-imported. The checks run inside that transaction:
 * under the caller's key a file once imported gets its first report back, whatever checking it again would find
 * now (a product retired since), and a file with a faulty row leaves the key free for the corrected file.
 */
export async function importApplications(
  db: TenantDb, dataKey: DataKey, command: CommandContext, businessDate: string, upload: { csv: string; rows: ApplicationInput[] }, partner: string | null, idempotencyKey?: string | null,
): Promise<ImportReport> {
  const { rows } = upload;
  if (rows.length === 0 || rows.length > 1_000) throw new InvalidField('csv', 'an upload carries 1–1,000 applications');
  try {
    return await runCommand(db, { ...command, action: 'application.import', ...(idempotencyKey != null ? { idempotency: { key: idempotencyKey, input: { csv: upload.csv } } } : {}) }, async (tx) => {
      const report: ImportRow[] = [];
      const checked: CheckedApplication[] = [];
      for (const [k, row] of rows.entries()) {
        try {
          checked.push(await checkApplication(tx, row, dateInZone(command.now, 'UTC')));
          report.push({ row: k + 1, applicationId: null, reference: null, errors: [] });
        } catch (error) {
          const fault = rowFault(error);
          if (!fault) throw error;
          report.push({ row: k + 1, applicationId: null, reference: null, errors: [fault] });
        }
      }
      if (report.some((r) => r.errors.length > 0)) throw new RowsFailed(report);
      const events: EventDraft[] = [];
      const audit: AuditDraft[] = [];
      for (const [k, one] of checked.entries()) {
        try {
          const created = await createChecked(tx, dataKey, command, businessDate, one, 'bulk', partner);
          report[k] = { row: k + 1, applicationId: created.application.id, reference: created.application.reference, errors: [] };
          events.push(...created.events);
          audit.push(...created.audit);
        } catch (error) {
          const fault = rowFault(error);
          if (!fault) throw error;
          // Nothing of the upload stays: no row is reported imported.
          throw new RowsFailed(report.map((r, j) => (j === k
            ? { row: k + 1, applicationId: null, reference: null, errors: [fault] }
            : { ...r, applicationId: null, reference: null })));
        }
      }
      return { result: { imported: checked.length, rows: report }, replay: { imported: checked.length, rows: report }, audit, events };
    }, async (stored) => ({ imported: stored['imported'] as number, rows: stored['rows'] as ImportRow[] }));
  } catch (error) {
    if (!(error instanceof RowsFailed)) throw error;
    return { imported: 0, rows: error.rows };
  }
}

/** What makes a row of an upload faulty, named by its column: a value refused, or a code naming nothing. */
function rowFault(error: unknown): { field: string; message: string } | null {
  if (error instanceof InvalidField) return { field: error.field, message: error.message };
  const field = error instanceof AppError && error.code === 'NOT_FOUND' ? error.details['field'] : undefined;
  return typeof field === 'string' ? { field: field.replace(/^input\./, ''), message: (error as AppError).message } : null;
}

/** An upload with a faulty row: its report, answered as the upload's result once the transaction is rolled back. */
class RowsFailed extends Error {
  constructor(readonly rows: ImportRow[]) {
    super('an upload row is faulty');
  }
}

/** A transition asked for by a person (submit, withdraw, …): one command. */
export async function moveApplication(db: TenantDb, command: CommandContext, applicationId: string, event: ApplicationEvent, partner: string | null, reason: string | null = null) {
  return runCommand(db, { ...command, action: `application.${event}` }, async (tx) => {
    const application = await tx.application.findUnique({ where: { id: applicationId } });
    // A partner moves only applications it brought; anyone else's does not exist for it.
    if (!application || (partner !== null && application.originationPartner !== partner)) throw new InvalidField('applicationId', 'no application with that id');
    if (event === 'submit' && applicationEventsFrom(application.status as ApplicationStatus).includes('submit')) {
      // Submitting what the checks cannot run on would only send it back: refuse it now, naming what to add.
      const { missing } = await missingOnFile(tx, application);
      if (missing.length > 0) throw missingInformationError(missing, 'amend the application with updateApplication, then submit it');
      await assertAssessable(tx, application.productId);
    }
    const moved = await transition(tx, application, event, inputPath('applicationId'), command.actor.subject, command.now, reason);
    if (event === 'submit') await tx.application.update({ where: { id: applicationId }, data: { missingInformation: [] } });
    return { result: { applicationId }, audit: moved.audit, events: [moved.event] };
  });
}

/**
 * The lapsing a lender's end of day does: offers not accepted (or agreements not signed) by the offer's date,
 * and drafts never submitted, or applications returned for missing information never amended and submitted, within
 * WAITING_LIFETIME_DAYS business days, move to `expired` — each with its history, event and audit record. Expired
 * applications can never be disbursed.
 */
export async function expireStaleApplications(db: TenantDb, command: CommandContext, businessDate: string) {
  const waitingBefore = dateColumn(lapsedIfWaitingBefore(businessDate));
  return runCommand(db, { ...command, action: 'application.expireStale' }, async (tx) => {
    const lapsedOffers = await tx.applicationOffer.findMany({
      where: { status: { in: ['open', 'accepted'] }, validUntil: { lt: dateColumn(businessDate) } },
      select: { id: true, applicationId: true },
    });
    const candidates = await tx.application.findMany({
      where: {
        OR: [
          { status: { in: ['approved', 'offer_accepted'] }, id: { in: lapsedOffers.map((o) => o.applicationId) } },
          { status: 'draft', createdOn: { lt: waitingBefore } },
          { status: 'information_requested', informationRequestedOn: { lt: waitingBefore } },
        ],
      },
    });
    const events: EventDraft[] = [];
    const audit: AuditDraft[] = [];
    for (const application of candidates) {
      const moved = await transition(tx, application, 'expire', null, command.actor.subject, command.now, application.status === 'draft' ? `not submitted within ${WAITING_LIFETIME_DAYS} days`
        : application.status === 'information_requested' ? `the missing information was not supplied within ${WAITING_LIFETIME_DAYS} days` : 'the offer lapsed');
      events.push(moved.event);
      audit.push(moved.audit);
    }
    const expiredIds = new Set(candidates.map((a) => a.id));
    await tx.applicationOffer.updateMany({ where: { id: { in: lapsedOffers.filter((o) => expiredIds.has(o.applicationId)).map((o) => o.id) } }, data: { status: 'expired' } });
    const summary = { expired: candidates.length, businessDate };
    return { result: { expired: candidates.map((a) => a.id) }, audit: audit.length > 0 ? audit : { entityType: 'Tenant', entityId: command.tenant, after: summary }, events };
  });
}

/** What `updateApplication` may change; anything left out (or null) stays as it is. */
export interface ApplicationAmendment {
  amount?: string | null;
  numberOfRepayments?: number | null;
  purpose?: string | null;
  /** The main applicant, in full: resolved to a party as at intake (and fills what that party lacks). */
  applicant?: PartyInput | null;
  declaredMonthlyIncome?: string | null;
  monthlyDebtPayments?: string | null;
  employer?: string | null;
  externalReference?: string | null;
  /** Submit it once amended (refused, with nothing written, while anything the checks need is still missing). */
  submit?: boolean | null;
}

/** Only these can be amended: nothing has been decided on them, and nobody else is working on them. */
export const AMENDABLE_STATUSES: readonly ApplicationStatus[] = ['draft', 'information_requested'];

/**
 * The submitter (the partner that brought it, or the lender's staff) amends a draft or an application sent back
 * for missing information, and may resubmit it in the same command. The amended application is checked against
 * the product as a new one would be; one sent back keeps `missingInformation` current with what is still missing.
 */
export async function updateApplication(
  db: TenantDb, dataKey: DataKey, command: CommandContext, applicationId: string, amendment: ApplicationAmendment, partner: string | null,
) {
  return runCommand(db, { ...command, action: 'application.update' }, async (tx) => {
    const application = await tx.application.findUnique({ where: { id: applicationId } });
    if (!application || (partner !== null && application.originationPartner !== partner)) throw new InvalidField('applicationId', 'no application with that id');
    if (!AMENDABLE_STATUSES.includes(application.status as ApplicationStatus)) {
      throw new AppError('CONFLICT', `an application that is ${statusInWords(application.status)} cannot be amended: only drafts and applications returned for missing information`, {
        reason: 'NOT_AMENDABLE', status: application.status,
      });
    }
    const product = await tx.loanProduct.findUniqueOrThrow({ where: { id: application.productId } });
    const keep = (value: string | null | undefined, stored: { toString(): string } | null) => value ?? stored?.toString() ?? null;
    const terms = await checkTerms(tx, {
      productCode: product.code,
      amount: keep(amendment.amount, application.amount)!,
      numberOfRepayments: amendment.numberOfRepayments ?? application.numberOfRepayments,
      purpose: amendment.purpose ?? application.purpose,
      declaredMonthlyIncome: keep(amendment.declaredMonthlyIncome, application.declaredMonthlyIncome),
      monthlyDebtPayments: keep(amendment.monthlyDebtPayments, application.monthlyDebtPayments),
      employer: amendment.employer ?? application.employer,
      externalReference: amendment.externalReference ?? application.externalReference,
    }, '');
    const before = {
      amount: application.amount.toFixed(), numberOfRepayments: application.numberOfRepayments, purpose: application.purpose,
      declaredMonthlyIncome: application.declaredMonthlyIncome?.toFixed() ?? null, monthlyDebtPayments: application.monthlyDebtPayments?.toFixed() ?? null,
      employer: application.employer, externalReference: application.externalReference,
    };
    const after = {
      amount: terms.amount.toFixed(), numberOfRepayments: terms.numberOfRepayments, purpose: terms.purpose,
      declaredMonthlyIncome: terms.declaredMonthlyIncome?.toFixed() ?? null, monthlyDebtPayments: terms.monthlyDebtPayments?.toFixed() ?? null,
      employer: terms.employer, externalReference: terms.externalReference,
    };
    const changed: string[] = (Object.keys(after) as (keyof typeof after)[]).filter((key) => String(after[key]) !== String(before[key]));
    // Only from the status read: a concurrent move (or amendment) makes this one fail rather than both apply.
    const updated = await tx.application.updateMany({
      where: { id: applicationId, status: application.status, updatedAt: application.updatedAt },
      data: {
        amount: after.amount, numberOfRepayments: after.numberOfRepayments, purpose: after.purpose, declaredMonthlyIncome: after.declaredMonthlyIncome,
        monthlyDebtPayments: after.monthlyDebtPayments, employer: after.employer, externalReference: after.externalReference,
        productVersion: terms.version, updatedAt: command.now,
      },
    });
    if (updated.count !== 1) throw new AppError('CONFLICT', 'the application changed meanwhile; read it again');

    let applicantAudit: Record<string, unknown> = {};
    if (amendment.applicant) {
      const checked = checkPartyInput(amendment.applicant, 'applicant.', dateInZone(command.now, 'UTC'));
      const link = await tx.applicationParty.findFirstOrThrow({ where: { applicationId, role: 'applicant' } });
      const resolved = await resolveParty(tx, dataKey, {
        tenant: command.tenant, actor: command.actor.subject, now: command.now, channel: application.channel,
        partner: application.originationPartner, applicationId,
      }, checked);
      // What this submitter now says about its applicant is what the checks read, whoever the party turned out to be.
      const submitted = submittedParty(dataKey, checked) as object;
      if (link.partyId !== resolved.partyId) {
        if (await tx.applicationParty.findFirst({ where: { applicationId, partyId: resolved.partyId } })) {
          throw new InvalidField('applicant', 'this person already plays another role on the application');
        }
        await tx.applicationParty.delete({ where: { applicationId_partyId_role: { applicationId, partyId: link.partyId, role: 'applicant' } } });
        await tx.applicationParty.create({ data: { applicationId, partyId: resolved.partyId, role: 'applicant', submitted } });
      } else {
        await tx.applicationParty.update({ where: { applicationId_partyId_role: { applicationId, partyId: link.partyId, role: 'applicant' } }, data: { submitted } });
      }
      const completed = await completeParty(tx, resolved.partyId, checked, command.now);
      changed.push('applicant');
      applicantAudit = { applicant: { partyId: resolved.partyId, reason: resolved.reason, completed } };
    }

    const events: EventDraft[] = [{
      type: 'application.updated', aggregateType: 'Application', aggregateId: applicationId, partnerScope: application.originationPartner,
      payload: { applicationId, reference: application.reference, status: application.status, changed },
    }];
    const audit: AuditDraft[] = [{ entityType: 'Application', entityId: applicationId, before, after: { ...after, ...applicantAudit } }];
    const { missing } = await missingOnFile(tx, { id: applicationId, declaredMonthlyIncome: terms.declaredMonthlyIncome, employer: terms.employer });
    if (amendment.submit) {
      if (missing.length > 0) throw missingInformationError(missing, 'supply them in this amendment before submitting');
      await assertAssessable(tx, application.productId);
      const moved = await transition(tx, application, 'submit', inputPath('applicationId'), command.actor.subject, command.now);
      events.push(moved.event);
      audit.push(moved.audit);
      await tx.application.update({ where: { id: applicationId }, data: { missingInformation: [] } });
    } else if (application.status === 'information_requested') {
      await tx.application.update({ where: { id: applicationId }, data: { missingInformation: missing } });
    }
    return { result: { applicationId }, audit, events };
  });
}

/**
 * Fills what the party has no value for from the submitter's intake, never overwriting what is on file: what a
 * submitter says about a person it submits adds to the record, it does not rewrite someone else's.
 */
async function completeParty(tx: Tx, partyId: string, intake: CheckedParty, now: Date): Promise<string[]> {
  const party = await tx.party.findUniqueOrThrow({ where: { id: partyId } });
  const data: Parameters<Tx['party']['update']>[0]['data'] = {};
  const filled: string[] = [];
  if (party.dateOfBirth === null && intake.dateOfBirth) { data.dateOfBirth = dateColumn(intake.dateOfBirth); filled.push('dateOfBirth'); }
  if (party.address === null && intake.address) { data.address = intake.address as object; filled.push('address'); }
  if (!party.phone && intake.phoneNormalised) { data.phone = intake.phoneNormalised; data.phoneNormalised = intake.phoneNormalised; filled.push('phone'); }
  if (!party.email && intake.emailNormalised) { data.email = intake.email?.trim() ?? intake.emailNormalised; data.emailNormalised = intake.emailNormalised; filled.push('email'); }
  if (filled.length > 0) await tx.party.update({ where: { id: partyId }, data: { ...data, updatedAt: now } });
  return filled;
}
