// Co-lending arrangements: the lender's co-lending rules, arrangements with co-lending partners and their
// versions (proposed by one person, approved by another). A co-lending partner reads its own arrangements only:
// GraphContext.db is partner-scoped (src/authz/partnerScope.ts). Shares of loans are in loanParticipation.ts.
import { builder } from './builder.js';
import { actorField, optionalActorField } from './actors.js';
import { commandDbOf, commandOf, type GraphContext } from './context.js';
import { LIST_SIZES } from './limits.js';
import { objectPayload } from './payloads.js';
import type { ArrangementVersionRow } from '../services/coLending/arrangements.js';
import { coLendingRules, decideArrangement, proposeArrangement, setCoLendingRules } from '../services/coLending/arrangements.js';
import { MAX_ARRANGEMENT_VERSIONS, type CoLendingRules, type SplitModel } from '../domain/servicing/coLending.js';
import { InvalidField } from '../errors.js';
import { ApplicationRef } from './application.js';
import { OfferRef } from './assessment.js';
import { coLendApplication } from '../services/coLending/participations.js';
import { Decimal } from '../domain/money.js';
import { businessDateOf } from '../tenancy/dateColumns.js';
import type { TenantDb } from '../tenancy/tenantClients.js';

export type ArrangementRow = Awaited<ReturnType<TenantDb['coLendingArrangement']['findUniqueOrThrow']>>;

export const SplitModelEnum = builder.enumType('CoLendingSplitModel', {
  description: 'How an arrangement splits the borrower\'s payments between the lender and the partner (docs/co-lending.md).',
  values: {
    EMI_BASED: { value: 'emiBased', description: 'The partner expects its own level (EMI) schedule on its share at its rate; principal at its share, interest in the ratio of its schedule\'s interest to the borrower\'s.' },
    COLLECTION_SHARE: { value: 'collectionShare', description: 'Principal and interest collected both at the partner\'s share (it earns the borrower\'s rate on its share).' },
    PRINCIPAL_PLUS_PARTNER_RATE: { value: 'principalPlusPartnerRate', description: 'Principal at the partner\'s share, interest at the partner\'s own rate on its share.' },
  } satisfies Record<string, { value: SplitModel; description: string }>,
});

export const BorrowerDataEnum = builder.enumType('CoLenderBorrowerData', {
  description: 'What a co-lending partner may see of the borrowers of the loans it shares.',
  values: {
    NONE: { value: 'none', description: 'Nothing: the loan\'s number and standing only.' },
    MASKED: { value: 'masked', description: 'Initials, city and year of birth: enough to recognise a borrower it also knows, not to contact one.' },
  } satisfies Record<string, { value: 'none' | 'masked'; description: string }>,
});

const VersionStatusEnum = builder.enumType('CoLendingArrangementVersionStatus', {
  description: 'Where a version of an arrangement\'s terms stands.',
  values: {
    PENDING: { value: 'pending', description: 'Proposed; waiting for another person to decide.' },
    APPROVED: { value: 'approved', description: 'In force: new shares of loans are taken under it.' },
    REJECTED: { value: 'rejected', description: 'Rejected; never in force.' },
    SUPERSEDED: { value: 'superseded', description: 'Was in force until a later version was approved; loans assigned under it keep it.' },
  },
});

const RulesRef = builder.objectRef<CoLendingRules & { own: boolean }>('CoLendingRules').implement({
  description: 'The limits every arrangement is held to: the lender\'s own, or the Reserve Bank of India\'s Co-Lending Directions, 2025 until it sets them.',
  authScopes: { canAny: ['coLending.read', 'coLending.manage'] },
  fields: (t) => ({
    minimumRetentionPercent: t.field({ type: 'Decimal', description: 'The share of every loan the lender keeps at least (10 by default).', resolve: (r) => r.minimumRetentionPercent }),
    maximumGuaranteePercent: t.field({ type: 'Decimal', description: 'The most a default loss guarantee may cover, as a share of the loans it guarantees (5 by default).', resolve: (r) => r.maximumGuaranteePercent }),
    assignmentWindowDays: t.int({ description: 'A partner takes its share at most this many days after disbursement (15 by default).', resolve: (r) => r.assignmentWindowDays }),
    lendersOwn: t.boolean({ description: 'The lender set these; false: the 2025 values apply.', resolve: (r) => r.own }),
  }),
});

const GuaranteeRef = builder.objectRef<{ capPercent: string; triggerDaysPastDue: number }>('DefaultLossGuarantee').implement({
  description: 'The lender\'s default loss guarantee to the partner: the most it makes good, and when it is invoked.',
  authScopes: { canAny: ['coLending.read', 'coLending.manage', 'coLending.approve'] },
  fields: (t) => ({
    capPercent: t.field({ type: 'Decimal', description: 'The most it covers, as a share of the guaranteed loans\' disbursed principal.', resolve: (g) => g.capPercent }),
    triggerDaysPastDue: t.exposeInt('triggerDaysPastDue', { description: 'Invoked for a loan this many days past due.' }),
  }),
});

export const ArrangementRef = builder.objectRef<ArrangementRow>('CoLendingArrangement');

export const arrangementById = (context: GraphContext) => context.loaders.named<string, ArrangementRow | null>('arrangementById', async (ids) => {
  const rows = await context.db!.coLendingArrangement.findMany({ where: { id: { in: [...ids] } } });
  return ids.map((id) => rows.find((r) => r.id === id) ?? null);
});

export const ArrangementVersionRef = builder.objectRef<ArrangementVersionRow>('CoLendingArrangementVersion').implement({
  description: 'One version of an arrangement\'s terms.',
  authScopes: { canAny: ['coLending.read', 'coLending.manage', 'coLending.approve'] },
  fields: (t) => ({
    arrangement: t.field({ type: ArrangementRef, nullable: true, description: 'The arrangement it is a version of.', resolve: (v, _args, context) => arrangementById(context).load(v.arrangementId) }),
    version: t.exposeInt('version', { description: 'Numbered from 1 per arrangement.' }),
    status: t.field({ type: VersionStatusEnum, description: 'Pending, in force, rejected or superseded.', resolve: (v) => v.status as 'pending' }),
    sharePercent: t.field({ type: 'Decimal', description: 'The partner\'s share of each loan\'s principal.', resolve: (v) => v.sharePercent.toString() }),
    partnerRatePercent: t.field({ type: 'Decimal', description: 'The partner\'s yearly rate on its share.', resolve: (v) => v.partnerRatePercent.toString() }),
    model: t.field({ type: SplitModelEnum, description: 'How payments are split.', resolve: (v) => v.model as SplitModel }),
    servicingFeePercent: t.field({ type: 'Decimal', description: 'A yearly rate on the partner\'s principal the lender keeps from its interest for servicing.', resolve: (v) => v.servicingFeePercent.toString() }),
    guarantee: t.field({
      type: GuaranteeRef, nullable: true, description: 'The default loss guarantee; null for none.',
      resolve: (v) => (v.guaranteeCapPercent === null ? null : { capPercent: v.guaranteeCapPercent.toString(), triggerDaysPastDue: v.guaranteeTriggerDays! }),
    }),
    sharesFees: t.exposeBoolean('sharesFees', { description: 'Fees collected are shared at the partner\'s share (else the lender keeps them).' }),
    sharesPenalties: t.exposeBoolean('sharesPenalties', { description: 'Penalties collected are shared at the partner\'s share (else the lender keeps them).' }),
    productCodes: t.exposeStringList('productCodes', { description: 'The products whose loans it takes shares of; empty: any.' }),
    maxLoanPrincipal: t.field({ type: 'Decimal', nullable: true, description: 'The largest loan (approved principal) it takes a share of; null: no limit.', resolve: (v) => v.maxLoanPrincipal?.toString() ?? null }),
    totalLimit: t.field({ type: 'Decimal', nullable: true, description: 'The most it funds in all; null: no limit.', resolve: (v) => v.totalLimit?.toString() ?? null }),
    validFrom: t.field({ type: 'Date', description: 'Shares are taken under it from this business date.', resolve: (v) => businessDateOf(v.validFrom) }),
    validTo: t.field({ type: 'Date', nullable: true, description: 'And until this one; null: open-ended.', resolve: (v) => (v.validTo ? businessDateOf(v.validTo) : null) }),
    borrowerData: t.field({ type: BorrowerDataEnum, description: 'What the partner may see of its loans\' borrowers.', resolve: (v) => v.borrowerData as 'none' }),
    proposedBy: actorField(t, 'Who proposed it (the maker).', (v) => v.proposedBy),
    proposedAt: t.field({ type: 'DateTime', description: 'When.', resolve: (v) => v.proposedAt }),
    decidedBy: optionalActorField(t, 'Who decided it (the checker); null while pending.', (v) => v.decidedBy),
    decidedAt: t.field({ type: 'DateTime', nullable: true, description: 'When.', resolve: (v) => v.decidedAt }),
    decisionReason: t.exposeString('decisionReason', { nullable: true, description: 'The checker\'s note.' }),
  }),
});


const versionsOf = (context: GraphContext) => context.loaders.named<string, ArrangementVersionRow[]>('arrangementVersions', async (ids) => {
  const rows = await context.db!.coLendingArrangementVersion.findMany({ where: { arrangementId: { in: [...ids] } }, orderBy: [{ arrangementId: 'asc' }, { version: 'asc' }] });
  return ids.map((id) => rows.filter((r) => r.arrangementId === id));
});

// Proposing refuses a version past the bound, so a page of arrangements is answered with every version of each.
LIST_SIZES['CoLendingArrangement.versions'] = MAX_ARRANGEMENT_VERSIONS;
builder.node(ArrangementRef, {
  description: 'An arrangement between the lender (originator and servicer) and a co-lending partner; its terms are versions.',
  id: { resolve: (row) => row.id },
  loadMany: (ids, context: GraphContext) => ids.map((id) => arrangementById(context).load(id)),
  authScopes: { canAny: ['coLending.read', 'coLending.manage', 'coLending.approve'] },
  fields: (t) => ({
    partnerCode: t.exposeString('partnerCode', { description: 'The co-lending partner.' }),
    name: t.exposeString('name', { description: 'The lender\'s name for it.' }),
    currency: t.exposeString('currency', { description: 'The currency of the loans it takes shares of.' }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was first proposed.', resolve: (a) => a.createdAt }),
    inForce: t.field({
      type: ArrangementVersionRef, nullable: true, description: 'The version in force; null before one is approved.',
      resolve: async (a, _args, context) => (await versionsOf(context).load(a.id)).find((v) => v.status === 'approved') ?? null,
    }),
    versions: t.field({ type: [ArrangementVersionRef], description: 'Every version, oldest first.', resolve: (a, _args, context) => versionsOf(context).load(a.id) }),
  }),
});

LIST_SIZES['Query.coLendingArrangements'] = 200;
builder.queryField('coLendingArrangements', (t) =>
  t.field({
    type: [ArrangementRef],
    description: 'The lender\'s co-lending arrangements, newest first (at most 200); a co-lending partner sees its own only.',
    authScopes: { canAny: ['coLending.read', 'coLending.manage'] },
    args: { partnerCode: t.arg.string({ required: false, description: 'Only this partner\'s.' }) },
    resolve: (_root, args, context) => context.db!.coLendingArrangement.findMany({
      where: args.partnerCode ? { partnerCode: args.partnerCode } : {}, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: 200,
    }),
  }),
);

LIST_SIZES['Query.coLendingVersionsToDecide'] = 200;
builder.queryField('coLendingVersionsToDecide', (t) =>
  t.field({
    type: [ArrangementVersionRef],
    description: 'The checkers\' queue: versions of arrangements waiting for a decision, oldest first (at most 200).',
    authScopes: { canAny: ['coLending.approve', 'approvals.read'] },
    resolve: (_root, _args, context) => context.db!.coLendingArrangementVersion.findMany({ where: { status: 'pending' }, orderBy: [{ proposedAt: 'asc' }], take: 200 }),
  }),
);

builder.queryField('coLendingRules', (t) =>
  t.field({
    type: RulesRef,
    description: 'The limits every co-lending arrangement is held to.',
    authScopes: { canAny: ['coLending.read', 'coLending.manage'] },
    resolve: (_root, _args, context) => coLendingRules(context.db!),
  }),
);

const GuaranteeInput = builder.inputType('DefaultLossGuaranteeInput', {
  description: 'A default loss guarantee: the most the lender makes good, and when it is invoked.',
  fields: (t) => ({
    capPercent: t.field({ type: 'Decimal', required: true, description: 'At most the rules\' maximum (5 % by default).' }),
    triggerDaysPastDue: t.int({ required: true, description: 'Days past due at which it is invoked for a loan (1 to 3650).' }),
  }),
});

const ProposeArrangementInput = builder.inputType('ProposeCoLendingArrangementInput', {
  description: 'A new arrangement (partnerCode, name, currency) or a new version of one (arrangementId), with its terms. Another person decides it.',
  fields: (t) => ({
    arrangementId: t.globalID({ required: false, for: ArrangementRef, description: `A new version of this arrangement (it holds at most ${MAX_ARRANGEMENT_VERSIONS}, rejected ones included); absent for a new arrangement.` }),
    partnerCode: t.string({ required: false, description: 'A new arrangement: the co-lending partner.' }),
    name: t.string({ required: false, description: 'A new arrangement: its name (1–120 characters), one per partner.' }),
    currency: t.string({ required: false, description: 'A new arrangement: the currency of its loans.' }),
    sharePercent: t.field({ type: 'Decimal', required: true, description: 'The partner\'s share of each loan (the lender keeps at least the rules\' minimum).' }),
    partnerRatePercent: t.field({ type: 'Decimal', required: true, description: 'The partner\'s yearly rate, 0 to 100.' }),
    model: t.field({ type: SplitModelEnum, required: true, description: 'How payments are split.' }),
    servicingFeePercent: t.field({ type: 'Decimal', required: false, description: 'A yearly rate on the partner\'s principal kept for servicing, at most its rate; 0 when absent.' }),
    guarantee: t.field({ type: GuaranteeInput, required: false, description: 'A default loss guarantee; none when absent.' }),
    sharesFees: t.boolean({ required: false, description: 'Share fees collected; false when absent.' }),
    sharesPenalties: t.boolean({ required: false, description: 'Share penalties collected; false when absent.' }),
    productCodes: t.stringList({ required: false, description: 'Only loans of these products; any when absent.' }),
    maxLoanPrincipal: t.field({ type: 'Decimal', required: false, description: 'Only loans approved for at most this.' }),
    totalLimit: t.field({ type: 'Decimal', required: false, description: 'The most the partner funds in all.' }),
    validFrom: t.field({ type: 'Date', required: true, description: 'From this business date.' }),
    validTo: t.field({ type: 'Date', required: false, description: 'Until this one; open-ended when absent.' }),
    borrowerData: t.field({ type: BorrowerDataEnum, required: false, description: 'What the partner may see of its loans\' borrowers; NONE when absent.' }),
  }),
});

const DecideArrangementInput = builder.inputType('DecideCoLendingArrangementInput', {
  description: 'The checker\'s decision on a pending version.',
  fields: (t) => ({
    arrangementId: t.globalID({ required: true, for: ArrangementRef, description: 'The arrangement.' }),
    version: t.int({ required: true, description: 'The pending version.' }),
    approve: t.boolean({ required: true, description: 'True puts it in force (the version before is superseded); false rejects it.' }),
    reason: t.string({ required: false, description: 'Why (required to reject).' }),
  }),
});

const SetRulesInput = builder.inputType('SetCoLendingRulesInput', {
  description: 'The lender\'s own co-lending limits; new versions of arrangements are held to them.',
  fields: (t) => ({
    minimumRetentionPercent: t.field({ type: 'Decimal', required: true, description: 'The share of every loan the lender keeps at least (0 to under 100).' }),
    maximumGuaranteePercent: t.field({ type: 'Decimal', required: true, description: 'The most a default loss guarantee may cover (0 to 100).' }),
    assignmentWindowDays: t.int({ required: true, description: 'Days after disbursement within which a share may be assigned (0 to 365).' }),
  }),
});

const ZERO = new Decimal(0);

builder.mutationFields((t) => ({
  setCoLendingRules: t.field({
    type: objectPayload('setCoLendingRules', 'coLendingRules', RulesRef, 'The rules as set.'),
    description: 'Sets the lender\'s own co-lending limits (audited); arrangements in force keep their terms.',
    authScopes: { can: 'coLending.manage' },
    args: { input: t.arg({ type: SetRulesInput, required: true, description: 'The limits.' }) },
    resolve: async (_root, { input }, context) => ({ coLendingRules: await setCoLendingRules(commandDbOf(context), commandOf(context), input) }),
  }),
  proposeCoLendingArrangement: t.field({
    type: objectPayload('proposeCoLendingArrangement', 'coLendingArrangement', ArrangementRef, 'The arrangement, its new version pending.'),
    description: 'Proposes a co-lending arrangement or a new version of its terms (the maker); nothing is in force until someone else approves it.',
    authScopes: { can: 'coLending.manage' },
    args: { input: t.arg({ type: ProposeArrangementInput, required: true, description: 'The terms.' }) },
    resolve: async (_root, { input }, context) => {
      const version = await proposeArrangement(commandDbOf(context), commandOf(context), {
        arrangementId: input.arrangementId?.id ?? null, partnerCode: input.partnerCode ?? null, name: input.name ?? null, currency: input.currency ?? null,
        terms: {
          sharePercent: input.sharePercent, partnerRatePercent: input.partnerRatePercent, model: input.model, servicingFeePercent: input.servicingFeePercent ?? ZERO,
          guarantee: input.guarantee ? { capPercent: input.guarantee.capPercent, triggerDaysPastDue: input.guarantee.triggerDaysPastDue } : null,
          sharesFees: input.sharesFees ?? false, sharesPenalties: input.sharesPenalties ?? false, productCodes: input.productCodes ?? [],
          maxLoanPrincipal: input.maxLoanPrincipal ?? null, totalLimit: input.totalLimit ?? null,
          validFrom: String(input.validFrom), validTo: input.validTo ? String(input.validTo) : null,
          borrowerData: input.borrowerData ?? 'none',
        },
      });
      return { coLendingArrangement: await commandDbOf(context).coLendingArrangement.findUniqueOrThrow({ where: { id: version.arrangementId } }) };
    },
  }),
  decideCoLendingArrangement: t.field({
    type: objectPayload('decideCoLendingArrangement', 'coLendingArrangement', ArrangementRef, 'The arrangement as decided.'),
    description: 'Approves (puts in force) or rejects a version someone else proposed.',
    authScopes: { can: 'coLending.approve' },
    args: { input: t.arg({ type: DecideArrangementInput, required: true, description: 'The decision.' }) },
    resolve: async (_root, { input }, context) => {
      if (!input.approve && !input.reason?.trim()) throw new InvalidField('reason', 'a rejection needs a reason');
      const decided = await decideArrangement(commandDbOf(context), commandOf(context), { arrangementId: input.arrangementId.id, version: input.version, approve: input.approve, reason: input.reason?.trim() || null });
      return { coLendingArrangement: await commandDbOf(context).coLendingArrangement.findUniqueOrThrow({ where: { id: decided.arrangementId } }) };
    },
  }),
}));

const BlendRef = builder.objectRef<{ arrangementId: string; version: number; sharePercent: string; partnerRatePercent: string; lenderRatePercent: string }>('CoLendingBlend').implement({
  description: 'How a co-lent offer\'s rate blends the lenders\' rates by share (docs/co-lending.md, "The borrower\'s rate").',
  authScopes: { can: 'coLending.read' },
  fields: (t) => ({
    arrangement: t.field({ type: ArrangementRef, nullable: true, description: 'The arrangement.', resolve: (b, _args, context) => arrangementById(context).load(b.arrangementId) }),
    arrangementVersion: t.exposeInt('version', { description: 'Its version the offer blends (the share is taken under it at disbursement).' }),
    partnerSharePercent: t.field({ type: 'Decimal', description: 'The partner\'s share.', resolve: (b) => b.sharePercent }),
    partnerRatePercent: t.field({ type: 'Decimal', description: 'The partner\'s rate.', resolve: (b) => b.partnerRatePercent }),
    lenderRatePercent: t.field({ type: 'Decimal', description: 'The lender\'s own rate, as its pricing priced the application.', resolve: (b) => b.lenderRatePercent }),
  }),
});

builder.objectFields(OfferRef, (t) => ({
  coLending: t.field({
    type: BlendRef, nullable: true, authScopes: { can: 'coLending.read' },
    description: 'Co-lent: how `annualRatePercent` (the borrower\'s rate, on which the APR is computed) blends the lenders\' rates; null when the lender lends alone.',
    resolve: (o) => (o.coLending as { arrangementId: string; version: number; sharePercent: string; partnerRatePercent: string; lenderRatePercent: string } | null) ?? null,
  }),
}));

builder.objectFields(ApplicationRef, (t) => ({
  coLendingArrangement: t.field({
    type: ArrangementRef, nullable: true, authScopes: { can: 'coLending.read' },
    description: 'The co-lending arrangement the lender will lend it under (its offer blends the rates; the partner\'s share is taken at disbursement); null: alone.',
    resolve: (a, _args, context) => (a.coLendingArrangementId ? arrangementById(context).load(a.coLendingArrangementId) : null),
  }),
}));

const CoLendApplicationInput = builder.inputType('SetApplicationCoLendingInput', {
  description: 'An application to be co-lent under an arrangement, or taken off it, before its offer is made.',
  fields: (t) => ({
    applicationId: t.globalID({ required: true, for: ApplicationRef, description: 'The application (not yet offered).' }),
    arrangementId: t.globalID({ required: false, for: ArrangementRef, description: 'The arrangement (with a version in force covering its product); absent or null takes it off.' }),
  }),
});

builder.mutationFields((t) => ({
  setApplicationCoLending: t.field({
    type: objectPayload('setApplicationCoLending', 'application', ApplicationRef, 'The application.'),
    description: 'Puts an application under a co-lending arrangement before its offer is made: the offer is priced at the blend of the lender\'s rate and the partner\'s, and the partner\'s share is taken with the payout.',
    authScopes: { can: 'coLending.manage' },
    args: { input: t.arg({ type: CoLendApplicationInput, required: true, description: 'The application and the arrangement.' }) },
    resolve: async (_root, { input }, context) => ({
      application: await coLendApplication(commandDbOf(context), commandOf(context), { applicationId: input.applicationId.id, arrangementId: input.arrangementId?.id ?? null }),
    }),
  }),
}));
