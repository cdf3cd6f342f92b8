// Application: a loan application from the lender's staff, an origination partner or a bulk upload, with the
// parties playing roles on it and its status history (src/services/origination). A partner reads and moves only
// the applications it brought (GraphContext.db is partner-scoped; commands check ownership).
import { parse } from 'csv-parse/sync';
import { builder } from './builder.js';
import { actorField } from './actors.js';
import { money } from '../domain/money.js';
import { inputPath, InvalidField } from '../errors.js';
import { commandDbOf, commandOf, type GraphContext } from './context.js';
import { between, checkRange, countedConnectionTypes, listPage, numberArg, orderEnum, orderingOf, requirePartyReader, type SortKey } from './lists.js';
import type { Prisma } from '../generated/prisma/client.js';
import { formatNumber } from '../domain/referenceNumbers.js';
import { LoanProductRef } from './loanProduct.js';
import { LoanRef } from './loan.js';
import { PartyIdentifierKindEnum, PartyKindEnum, PartyRef } from './party.js';
import { ApplicationChannelEnum, ApplicationStatusEnum, storedEnum } from './enums.js';
import type { TenantDb } from '../tenancy/tenantClients.js';
import { createApplication, expireStaleApplications, importApplications, moveApplication, updateApplication, type ApplicationInput } from '../services/origination/applications.js';
import type { PartyInput } from '../services/origination/parties.js';
import { assessApplication } from '../services/origination/assessment.js';
import { providersForAssessment } from '../services/origination/checkProviders.js';
import { schedulePendingChecks } from '../services/origination/pendingChecks.js';
import { listSize } from './limits.js';
import { objectPayload, payloadType } from './payloads.js';

type ApplicationRow = Awaited<ReturnType<TenantDb['application']['findUniqueOrThrow']>>;
type ApplicationPartyRow = Awaited<ReturnType<TenantDb['applicationParty']['findUniqueOrThrow']>>;
type TransitionRow = Awaited<ReturnType<TenantDb['applicationTransition']['findUniqueOrThrow']>>;

export const ApplicationRef = builder.objectRef<ApplicationRow>('Application');

const partnerOf = (context: GraphContext) => context.principal!.partner?.id ?? null;

/**
 * Assesses an application as the caller, with the providers the tenant is configured with; shared by submission,
 * which assesses at once, and assessApplication (assessment.ts). `namedBy`: the input field that named the
 * application, or null for one assessed as it is created.
 */
export async function assessAs(context: GraphContext, applicationId: string, namedBy: string | null): Promise<{ status: string }> {
  const { runtime } = context;
  const command = commandOf(context);
  const policy = { sandboxCallbackDelayMs: runtime.config.SANDBOX_CALLBACK_DELAY_MS, callbackTimeoutSeconds: runtime.config.PROVIDER_CALLBACK_TIMEOUT_SECONDS };
  return assessApplication(commandDbOf(context), {
    dataKey: runtime.dataKey,
    providers: await providersForAssessment(commandDbOf(context), context.tenant!),
    followUpPending: (tx, pending) => schedulePendingChecks(runtime.webhooks.queueFor(context.tenant!.database), tx, command.tenant, pending, policy, command.now),
  }, command, context.tenant!.businessDate, applicationId, namedBy, partnerOf(context));
}


const ApplicationPartyRoleEnum = storedEnum('ApplicationPartyRole', 'The part a party plays on an application.', {
  applicant: 'The main applicant.',
  co_applicant: 'Applies jointly with the applicant.',
  guarantor: 'Guarantees the loan.',
});

const ApplicationPartyRoleRef = builder.objectRef<ApplicationPartyRow>('ApplicationParty').implement({
  description: 'A party playing a role on an application (staff only: partners hold their own copy of what they sent).',
  authScopes: { can: 'parties.read' },
  fields: (t) => ({
    role: t.expose('role', { type: ApplicationPartyRoleEnum, description: 'Applicant, co-applicant or guarantor.' }),
    party: t.field({ type: PartyRef, nullable: true, description: 'The party.', resolve: (r, _args, context) => context.loaders.partyById.load(r.partyId) }),
  }),
});

const TransitionRef = builder.objectRef<TransitionRow>('ApplicationTransition').implement({
  description: 'One move of an application\'s status.',
  authScopes: { can: 'applications.read' },
  fields: (t) => ({
    from: t.expose('fromStatus', { type: ApplicationStatusEnum, nullable: true, description: 'The status before; null at creation.' }),
    to: t.expose('toStatus', { type: ApplicationStatusEnum, description: 'The status after.' }),
    event: t.exposeString('event', { description: 'What moved it.' }),
    reason: t.exposeString('reason', { nullable: true, description: 'Why, when given.' }),
    actor: actorField(t, 'Who moved it.', (r) => r.actor),
    at: t.field({ type: 'DateTime', description: 'When.', resolve: (r) => r.at }),
  }),
});

builder.node(ApplicationRef, {
  description: 'A loan application.',
  id: { resolve: (row) => row.id },
  loadMany: (ids, context: GraphContext) => ids.map((id) => context.loaders.applicationById.load(id)),
  authScopes: { can: 'applications.read' },
  fields: (t) => ({
    number: t.string({ description: 'The tenant\'s number for it, e.g. A-000045: counted per lender from 1 as applications are created, never reused. Find it with `applications(number:)`.', resolve: (a) => formatNumber('application', a.number) }),
    reference: t.exposeString('reference', { description: 'The same number in its older spelling, e.g. APP-0000045 (kept for callers that stored it). Not the partner\'s own reference: that is `externalReference`.' }),
    status: t.expose('status', { type: ApplicationStatusEnum, description: 'Where it stands (docs/origination-rules.md has the transition table).' }),
    channel: t.expose('channel', { type: ApplicationChannelEnum, description: 'How it reached the lender.' }),
    product: t.field({ type: LoanProductRef, nullable: true, description: 'The product applied for.', resolve: (a, _args, context) => context.loaders.loanProductById.load(a.productId) }),
    productVersion: t.exposeInt('productVersion', { description: 'The product version it was checked against.' }),
    amount: t.field({ type: 'Money', description: 'The amount asked for.', resolve: (a) => money(a.amount, a.currency) }),
    numberOfRepayments: t.exposeInt('numberOfRepayments', { description: 'The tenor, in repayments.' }),
    purpose: t.exposeString('purpose', { description: 'What the money is for.' }),
    originationPartnerCode: t.exposeString('originationPartner', { nullable: true, description: 'The partner that brought it.' }),
    externalReference: t.exposeString('externalReference', { nullable: true, description: 'The partner\'s or lender\'s own reference.' }),
    missingInformation: t.stringList({
      description: 'What the checks need and the application lacks, named as `updateApplication`\'s input names it (e.g. `applicant.dateOfBirth`, `employer`), while it is `information_requested`; empty otherwise.',
      resolve: (a) => a.missingInformation,
    }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was created.', resolve: (a) => a.createdAt }),
    updatedAt: t.field({ type: 'DateTime', description: 'When it last changed: what `applications(updatedSince:)` compares.', resolve: (a) => a.updatedAt }),
    parties: t.field({
      type: [ApplicationPartyRoleRef], description: 'Applicants, co-applicants and guarantors (staff only).', authScopes: { can: 'parties.read' },
      resolve: (a, _args, context) => context.db!.applicationParty.findMany({ where: { applicationId: a.id }, orderBy: [{ role: 'asc' }, { partyId: 'asc' }], take: listSize('Application.parties') }),
    }),
    history: t.field({
      type: [TransitionRef], description: 'Every status change, oldest first.',
      resolve: (a, _args, context) => context.db!.applicationTransition.findMany({ where: { applicationId: a.id }, orderBy: { at: 'asc' }, take: listSize('Application.history') }),
    }),
    loan: t.field({
      type: LoanRef, nullable: true, description: 'The loan it became, once disbursed.',
      resolve: async (a, _args, context) => context.db!.loan.findFirst({ where: { applicationId: a.id } }),
    }),
  }),
});

const APPLICATION_ORDER = {
  NUMBER: { field: 'number', kind: 'int', label: 'its number' },
  CREATED_AT: { field: 'createdAt', kind: 'time', label: 'when it was created' },
  UPDATED_AT: { field: 'updatedAt', kind: 'time', label: 'when it last changed' },
} as const satisfies Record<string, SortKey>;
const ApplicationOrderEnum = orderEnum('Application', APPLICATION_ORDER);

builder.queryField('applications', (t) =>
  t.connection({
    type: ApplicationRef,
    description: 'Applications, by number unless `orderBy` says otherwise, narrowed by the filters given (all of them must hold). An origination partner sees and counts only those it brought.',
    authScopes: { can: 'applications.read' },
    args: {
      orderBy: t.arg({ type: ApplicationOrderEnum, required: false, description: 'The order of the list; `NUMBER_ASC` when absent.' }),
      status: t.arg({ type: ApplicationStatusEnum, required: false, description: 'Only applications in this status.' }),
      number: t.arg.string({ required: false, description: 'Only the application with this number: `A-000045`, its older spelling `APP-0000045`, or `45`.' }),
      externalReference: t.arg.string({ required: false, description: 'Only applications with this external reference (the partner\'s own, as it sent it), exactly.' }),
      applicantId: t.arg.globalID({ required: false, for: PartyRef, description: 'Only applications on which this party is the main applicant (staff: needs `parties.read`).' }),
      applicantName: t.arg.string({ required: false, description: 'Only applications whose main applicant\'s legal name contains this, ignoring case (staff: needs `parties.read`).' }),
      createdFrom: t.arg({ type: 'DateTime', required: false, description: 'Only applications created at or after this.' }),
      createdTo: t.arg({ type: 'DateTime', required: false, description: 'Only applications created at or before this.' }),
      updatedSince: t.arg({ type: 'DateTime', required: false, description: 'Only applications changed at or after this (a status move, an update): the sync filter, see docs/partners.md.' }),
    },
    resolve: (_root, args, context) => {
      checkRange('createdFrom', args.createdFrom, 'createdTo', args.createdTo);
      if (args.applicantId != null || args.applicantName != null) requirePartyReader(context, args.applicantId != null ? 'applicantId' : 'applicantName');
      const applicant = {
        ...(args.applicantId != null ? { partyId: args.applicantId.id } : {}),
        ...(args.applicantName != null ? { party: { legalName: { contains: args.applicantName, mode: 'insensitive' } } } : {}),
      };
      const where: Record<string, unknown> = {
        ...(args.status ? { status: args.status } : {}),
        ...(args.number != null ? { number: numberArg('application', 'number', args.number) } : {}),
        ...(args.externalReference != null ? { externalReference: args.externalReference } : {}),
        ...(args.applicantId != null || args.applicantName != null ? { parties: { some: { role: 'applicant', ...applicant } } } : {}),
        ...(args.createdFrom != null || args.createdTo != null ? { createdAt: between(args.createdFrom, args.createdTo) } : {}),
        ...(args.updatedSince != null ? { updatedAt: { gte: args.updatedSince } } : {}),
      };
      return listPage(context, args, orderingOf(APPLICATION_ORDER, args.orderBy, 'number:asc'), where, {
        findMany: (query) => context.db!.application.findMany(query as Prisma.ApplicationFindManyArgs),
        count: (query) => context.db!.application.count(query as Prisma.ApplicationCountArgs),
      });
    },
  }, ...countedConnectionTypes('Application')),
);

const IdentifierInput = builder.inputType('PartyIdentifierInput', {
  description: 'A national, tax or passport identifier.',
  fields: (t) => ({
    kind: t.field({ type: PartyIdentifierKindEnum, required: true, description: 'National id, tax id or passport.' }),
    country: t.string({ required: true, description: 'The issuing country: an ISO 3166-1 alpha-2 code ISO has assigned (`US`, `IN`; not `UK`, `EU` or `ZZ`).' }),
    value: t.string({ required: true, description: 'The identifier (stored sealed; shown masked).' }),
  }),
});

const AddressInput = builder.inputType('PostalAddressInput', {
  description: 'A postal address.',
  fields: (t) => ({
    lines: t.stringList({ required: true, description: 'Street lines (1–4).' }),
    city: t.string({ required: true, description: 'City or town.' }),
    region: t.string({ required: false, description: 'State, province or county.' }),
    postalCode: t.string({ required: true, description: 'Postal code.' }),
    country: t.string({ required: true, description: 'The country: an ISO 3166-1 alpha-2 code ISO has assigned, in capitals (`US`, `IN`; not `UK`, `EU` or `ZZ`).' }),
  }),
});

const PartyIntakeInput = builder.inputType('PartyIntakeInput', {
  description: 'A person or business on an application; resolved to the lender\'s existing party when the identifier, or the phone and e-mail, match.',
  fields: (t) => ({
    kind: t.field({ type: PartyKindEnum, required: true, description: 'A person or a business.' }),
    legalName: t.string({ required: true, description: 'Full legal name.' }),
    email: t.string({ required: false, description: 'E-mail.' }),
    phone: t.string({ required: false, description: 'Phone, preferably E.164.' }),
    dateOfBirth: t.field({ type: 'Date', required: false, description: 'For people.' }),
    address: t.field({ type: AddressInput, required: false, description: 'Postal address (identity checks match it).' }),
    identifiers: t.field({ type: [IdentifierInput], required: false, description: 'National, tax or passport identifiers.' }),
  }),
});

const CreateApplicationInput = builder.inputType('CreateApplicationInput', {
  description: 'A new application, checked against the product before anything is written.',
  fields: (t) => ({
    idempotencyKey: t.field({ type: 'IdempotencyKey', required: false, description: 'Repeat with the same key to get the same application, never a second one.' }),
    productCode: t.string({ required: true, description: 'The product.' }),
    amount: t.field({ type: 'Decimal', required: true, description: 'Within the product\'s limits.' }),
    numberOfRepayments: t.int({ required: true, description: 'Within the product\'s tenor.' }),
    purpose: t.string({ required: true, description: 'What the money is for.' }),
    applicant: t.field({ type: PartyIntakeInput, required: true, description: 'The main applicant.' }),
    coApplicants: t.field({ type: [PartyIntakeInput], required: false, description: 'Co-applicants.' }),
    guarantors: t.field({ type: [PartyIntakeInput], required: false, description: 'Guarantors.' }),
    declaredMonthlyIncome: t.field({ type: 'Decimal', required: false, description: 'The applicant\'s declared monthly income.' }),
    monthlyDebtPayments: t.field({ type: 'Decimal', required: false, description: 'What the applicant already pays on debts each month.' }),
    employer: t.string({ required: false, description: 'The applicant\'s employer (income verification).' }),
    externalReference: t.string({ required: false, description: 'The partner\'s or lender\'s own reference.' }),
    submit: t.boolean({ required: false, description: 'Submit at once (a draft otherwise).' }),
  }),
});

type PartyIntake = { kind: string; legalName: string; email?: string | null; phone?: string | null; dateOfBirth?: unknown; address?: { lines: string[]; city: string; region?: string | null; postalCode: string; country: string } | null; identifiers?: { kind: string; country: string; value: string }[] | null };
const intake = (p: PartyIntake): PartyInput => ({
  kind: p.kind as PartyInput['kind'], legalName: p.legalName, email: p.email ?? null, phone: p.phone ?? null,
  dateOfBirth: p.dateOfBirth ? String(p.dateOfBirth) : null, address: p.address ?? null,
  identifiers: (p.identifiers ?? []).map((i) => ({ kind: i.kind as 'national_id', country: i.country, value: i.value })),
});

const CreateApplicationPayload = objectPayload('createApplication', 'application', ApplicationRef, 'The application created (or, for a repeated idempotency key, the one created the first time), assessed when it was submitted.');

builder.mutationField('createApplication', (t) =>
  t.field({
    type: CreateApplicationPayload,
    description: 'Creates an application (submitted at once with `submit: true`). A partner\'s applications are its own.',
    authScopes: { can: 'applications.create' },
    args: { input: t.arg({ type: CreateApplicationInput, required: true, description: 'The application.' }) },
    resolve: async (_root, { input }, context) => {
      const db = commandDbOf(context);
      const partner = partnerOf(context);
      const { idempotencyKey, ...rest } = input;
      const application: ApplicationInput = {
        productCode: rest.productCode, amount: rest.amount.toFixed(), numberOfRepayments: rest.numberOfRepayments, purpose: rest.purpose,
        applicant: intake(rest.applicant), coApplicants: (rest.coApplicants ?? []).map(intake), guarantors: (rest.guarantors ?? []).map(intake),
        declaredMonthlyIncome: rest.declaredMonthlyIncome ? rest.declaredMonthlyIncome.toFixed() : null,
        monthlyDebtPayments: rest.monthlyDebtPayments ? rest.monthlyDebtPayments.toFixed() : null, employer: rest.employer ?? null,
        externalReference: rest.externalReference ?? null, submit: rest.submit ?? false,
      };
      const { applicationId } = await createApplication(db, context.runtime.dataKey, commandOf(context), context.tenant!.businessDate, application, partner ? 'partner' : 'staff', partner, idempotencyKey);
      // Submitted applications are assessed at once: checks, then the credit policy (a replayed key finds it assessed).
      const created = await db.application.findUniqueOrThrow({ where: { id: applicationId } });
      if (created.status === 'submitted') await assessAs(context, applicationId, null);
      return { application: await db.application.findUniqueOrThrow({ where: { id: applicationId } }) };
    },
  }),
);

for (const [field, event, description, inputDescription, payloadDescription] of [
  ['submitApplication', 'submit', 'Submits a draft for checks and a decision.', 'The draft to submit.', 'The application submitted, as its assessment left it.'],
  ['withdrawApplication', 'withdraw', 'Withdraws an application (the applicant changed their mind); it can never be disbursed.', 'The application to withdraw.', 'The application withdrawn.'],
] as const) {
  const name = field.charAt(0).toUpperCase() + field.slice(1);
  const input = builder.inputType(`${name}Input`, {
    description: inputDescription,
    fields: (f) => ({
      applicationId: f.globalID({ required: true, for: ApplicationRef, description: 'The application.' }),
      reason: f.string({ required: false, description: 'Why (kept in its history).' }),
    }),
  });
  const payload = objectPayload(field, 'application', ApplicationRef, payloadDescription);
  builder.mutationField(field, (t) =>
    t.field({
      type: payload,
      description,
      authScopes: { can: 'applications.create' },
      args: { input: t.arg({ type: input, required: true, description: inputDescription }) },
      resolve: async (_root, { input }, context) => {
        const db = commandDbOf(context);
        await moveApplication(db, commandOf(context), input.applicationId.id, event, partnerOf(context), input.reason ?? null);
        if (event === 'submit') await assessAs(context, input.applicationId.id, inputPath('applicationId'));
        return { application: await db.application.findUniqueOrThrow({ where: { id: input.applicationId.id } }) };
      },
    }),
  );
}

const UpdateApplicationInput = builder.inputType('UpdateApplicationInput', {
  description: 'An amendment to a draft, or to an application returned for missing information (`information_requested`); fields left out stay as they are.',
  fields: (t) => ({
    applicationId: t.globalID({ required: true, for: ApplicationRef, description: 'The application.' }),
    amount: t.field({ type: 'Decimal', required: false, description: 'Within the product\'s limits.' }),
    numberOfRepayments: t.int({ required: false, description: 'Within the product\'s tenor.' }),
    purpose: t.string({ required: false, description: 'What the money is for.' }),
    applicant: t.field({ type: PartyIntakeInput, required: false, description: 'The main applicant, in full; resolved to a party as at creation, and fills what that party has no value for.' }),
    declaredMonthlyIncome: t.field({ type: 'Decimal', required: false, description: 'The applicant\'s declared monthly income.' }),
    monthlyDebtPayments: t.field({ type: 'Decimal', required: false, description: 'What the applicant already pays on debts each month.' }),
    employer: t.string({ required: false, description: 'The applicant\'s employer (income verification).' }),
    externalReference: t.string({ required: false, description: 'The partner\'s or lender\'s own reference.' }),
    submit: t.boolean({ required: false, description: 'Submit once amended (refused, nothing written, while anything the checks need is still missing).' }),
  }),
});

const UpdateApplicationPayload = objectPayload('updateApplication', 'application', ApplicationRef, 'The application as amended (and, with `submit: true`, as its assessment left it).');

builder.mutationField('updateApplication', (t) =>
  t.field({
    type: UpdateApplicationPayload,
    description: 'Amends a draft or an application returned for missing information, and with `submit: true` submits it for checks and a decision. A partner amends only applications it brought.',
    authScopes: { can: 'applications.amend' },
    args: { input: t.arg({ type: UpdateApplicationInput, required: true, description: 'The amendment.' }) },
    resolve: async (_root, { input }, context) => {
      const db = commandDbOf(context);
      const applicationId = input.applicationId.id;
      await updateApplication(db, context.runtime.dataKey, commandOf(context), applicationId, {
        amount: input.amount ? input.amount.toFixed() : null, numberOfRepayments: input.numberOfRepayments ?? null, purpose: input.purpose ?? null,
        applicant: input.applicant ? intake(input.applicant) : null,
        declaredMonthlyIncome: input.declaredMonthlyIncome ? input.declaredMonthlyIncome.toFixed() : null,
        monthlyDebtPayments: input.monthlyDebtPayments ? input.monthlyDebtPayments.toFixed() : null,
        employer: input.employer ?? null, externalReference: input.externalReference ?? null, submit: input.submit ?? false,
      }, partnerOf(context));
      if (input.submit) await assessAs(context, applicationId, inputPath('applicationId'));
      return { application: await db.application.findUniqueOrThrow({ where: { id: applicationId } }) };
    },
  }),
);

type ImportRow = { row: number; applicationId: string | null; reference: string | null; errors: { field: string; message: string }[] };

const ImportRowRef = builder.objectRef<ImportRow>('ApplicationImportRow').implement({
  description: 'What happened to one row of an upload.',
  authScopes: { can: 'applications.create' },
  fields: (t) => ({
    row: t.exposeInt('row', { description: 'The data row, 1 for the first after the header.' }),
    reference: t.exposeString('reference', { nullable: true, description: 'The application created, when the upload was imported.' }),
    errors: t.stringList({ description: 'What is wrong with it, as `field: message`.', resolve: (r) => r.errors.map((e) => `${e.field}: ${e.message}`) }),
  }),
});

/** The columns an upload carries (docs/origination.md). */
export const IMPORT_COLUMNS = [
  'productCode', 'amount', 'numberOfRepayments', 'purpose', 'applicantKind', 'applicantLegalName', 'applicantEmail', 'applicantPhone',
  'applicantDateOfBirth', 'applicantNationalId', 'applicantIdCountry', 'declaredMonthlyIncome', 'monthlyDebtPayments', 'externalReference',
] as const;

/** A whole number as the API's Int takes it: digits alone (not `12.0`, `1.2e1` or hex); anything else is no number. */
function wholeNumberCell(text: string | undefined): number {
  return text !== undefined && /^\d{1,9}$/.test(text) ? Number(text) : Number.NaN;
}

function rowsOfCsv(csv: string): ApplicationInput[] {
  let records: Record<string, string>[];
  try {
    records = parse(csv, { columns: true, skip_empty_lines: true, trim: true, bom: true, max_record_size: 10_000 }) as Record<string, string>[];
  } catch (error) {
    throw new InvalidField('csv', `the CSV cannot be read: ${(error as Error).message.slice(0, 200)}`);
  }
  const header = records[0] ? Object.keys(records[0]) : [];
  const missing = IMPORT_COLUMNS.slice(0, 6).filter((c) => !header.includes(c));
  if (records.length > 0 && missing.length > 0) throw new InvalidField('csv', `the header lacks ${missing.join(', ')}`);
  return records.map((r) => ({
    productCode: r['productCode'] ?? '', amount: r['amount'] ?? '', numberOfRepayments: wholeNumberCell(r['numberOfRepayments']), purpose: r['purpose'] ?? '',
    applicant: {
      kind: (r['applicantKind'] || 'PERSON') as 'PERSON', legalName: r['applicantLegalName'] ?? '', email: r['applicantEmail'] || null, phone: r['applicantPhone'] || null,
      dateOfBirth: r['applicantDateOfBirth'] || null,
      identifiers: r['applicantNationalId'] ? [{ kind: 'national_id', country: r['applicantIdCountry'] || 'US', value: r['applicantNationalId'] }] : [],
    },
    declaredMonthlyIncome: r['declaredMonthlyIncome'] || null, monthlyDebtPayments: r['monthlyDebtPayments'] || null,
    externalReference: r['externalReference'] || null, submit: true,
  }));
}

// A bulk upload's report: every row imported, or none (then the rows say why). A row's faults are the report,
// not a refusal of the upload as a whole: they come in `rows` with `imported: 0`, and userErrors is for an
// upload refused as a whole (unreadable, a header lacking columns, no rows or more than 1,000).
const ImportApplicationsPayload = payloadType<{ imported: number; rows: ImportRow[] }>(
  'importApplications',
  'A bulk upload\'s report: every row imported, or none (then the rows say why); for a repeated idempotency key, the report of the import made the first time.',
  (t) => ({
    imported: t.int({ nullable: true, description: 'Applications created: all rows, or 0.', resolve: (r) => r.imported ?? null }),
    rows: t.field({ type: [ImportRowRef], nullable: true, description: 'One entry per data row.', resolve: (r) => r.rows ?? null }),
  }),
);

builder.mutationField('importApplications', (t) =>
  t.field({
    type: ImportApplicationsPayload,
    description: 'Imports a CSV of applications (submitted at once): all of them in one transaction, or none, with a report per row.',
    authScopes: { can: 'applications.create' },
    args: { input: t.arg({ type: builder.inputType('ImportApplicationsInput', {
      description: 'A CSV upload.',
      fields: (f) => ({
        idempotencyKey: f.field({ type: 'IdempotencyKey', required: false, description: 'Repeat the same file with the same key to get the same report and applications back, never a second import; a file that was not imported (a row at fault) leaves the key free for the corrected file.' }),
        csv: f.string({ required: true, description: `A header row then one application per row; columns: ${IMPORT_COLUMNS.join(', ')}.` }),
      }),
    }), required: true, description: 'The upload.' }) },
    resolve: (_root, { input }, context) =>
      importApplications(commandDbOf(context), context.runtime.dataKey, commandOf(context), context.tenant!.businessDate, { csv: input.csv, rows: rowsOfCsv(input.csv) }, partnerOf(context), input.idempotencyKey),
  }),
);

const ExpireStaleApplicationsPayload = payloadType<{ expired: string[] }>(
  'expireStaleApplications',
  'What lapsed.',
  (t) => ({
    expired: t.field({
      type: [ApplicationRef], nullable: true, description: 'The applications now expired.',
      resolve: async (r, _args, context) => (r.expired ? (await Promise.all(r.expired.slice(0, listSize('ExpireStaleApplicationsPayload.expired')).map((id) => context.loaders.applicationById.load(id)))).filter((a): a is ApplicationRow => a !== null) : null),
    }),
  }),
);

builder.mutationField('expireStaleApplications', (t) =>
  t.field({
    type: ExpireStaleApplicationsPayload,
    description: 'Lapses, as of the business date, offers not accepted or agreements not signed by the offer\'s date, and drafts never submitted and applications returned for missing information not submitted again within 30 business days (what end of day will run).',
    authScopes: { can: 'applications.expire' },
    resolve: (_root, _args, context) => expireStaleApplications(commandDbOf(context), commandOf(context), context.tenant!.businessDate),
  }),
);
