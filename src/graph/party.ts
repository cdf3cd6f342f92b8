// Party: one record per real person or business known to the lender.
import { ApplicationChannelEnum, storedEnum } from './enums.js';
import { builder } from './builder.js';
import type { GraphContext } from './context.js';
import { between, checkRange, countedConnectionTypes, listPage, orderEnum, orderingOf, type SortKey } from './lists.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { TenantDb } from '../tenancy/tenantClients.js';
import { commandDbOf, commandOf } from './context.js';
import { maskIdentifier, revealIdentifier } from '../services/origination/parties.js';
import { resolvePartyMatchReview } from '../services/origination/partyReviews.js';
import { AppError } from '../errors.js';
import { listSize } from './limits.js';
import { objectPayload } from './payloads.js';

/** Reading a party's personal data is audited: the request's reads are recorded together (loaders.ts). */
function recordRead(context: GraphContext, partyId: string, field: string): Promise<true> {
  return context.loaders.personalDataRead.load(`${partyId}|${field}`);
}

type PartyRow = Awaited<ReturnType<TenantDb['party']['findUniqueOrThrow']>>;

export const PartyKindEnum = builder.enumType('PartyKind', {
  description: 'Whether a party is a natural person or a business.',
  values: {
    PERSON: { value: 'PERSON', description: 'A natural person.' },
    BUSINESS: { value: 'BUSINESS', description: 'A company, partnership or other business.' },
  } as const,
});

export const PartyRef = builder.objectRef<PartyRow>('Party');

builder.node(PartyRef, {
  id: { resolve: (row) => row.id },
  loadMany: (ids, context: GraphContext) => ids.map((id) => context.loaders.partyById.load(id)),
  description: 'A real person or business known to the lender; borrower, applicant and guarantor are roles it plays.',
  authScopes: { can: 'parties.read' },
  fields: (t) => ({
    kind: t.field({ type: PartyKindEnum, description: 'Person or business.', resolve: (p) => p.kind as 'PERSON' | 'BUSINESS' }),
    legalName: t.string({ description: 'Full legal name. Reading it is audited.', resolve: async (p, _args, context) => (await recordRead(context, p.id, 'legalName'), p.legalName) }),
    email: t.string({ nullable: true, description: 'Contact e-mail. Reading it is audited.', resolve: async (p, _args, context) => (await recordRead(context, p.id, 'email'), p.email) }),
    phone: t.string({ nullable: true, description: 'Contact phone, E.164. Reading it is audited.', resolve: async (p, _args, context) => (await recordRead(context, p.id, 'phone'), p.phone) }),
    createdAt: t.field({ type: 'DateTime', description: 'When the lender first recorded it.', resolve: (p) => p.createdAt }),
  }),
});

const PARTY_ORDER = {
  CREATED_AT: { field: 'createdAt', kind: 'time', label: 'when it was first recorded' },
  UPDATED_AT: { field: 'updatedAt', kind: 'time', label: 'when it last changed' },
  NAME: { field: 'legalName', kind: 'text', label: 'legal name' },
} as const satisfies Record<string, SortKey>;
const PartyOrderEnum = orderEnum('Party', PARTY_ORDER);

builder.queryField('parties', (t) =>
  t.connection({
    type: PartyRef,
    description: 'The tenant\'s parties, oldest first unless `orderBy` says otherwise, narrowed by the filters given.',
    authScopes: { can: 'parties.read' },
    args: {
      orderBy: t.arg({ type: PartyOrderEnum, required: false, description: 'The order of the list; `CREATED_AT_ASC` when absent.' }),
      kind: t.arg({ type: PartyKindEnum, required: false, description: 'Only people, or only businesses.' }),
      name: t.arg.string({ required: false, description: 'Only parties whose legal name contains this, ignoring case.' }),
      createdFrom: t.arg({ type: 'DateTime', required: false, description: 'Only parties first recorded at or after this.' }),
      createdTo: t.arg({ type: 'DateTime', required: false, description: 'Only parties first recorded at or before this.' }),
      updatedSince: t.arg({ type: 'DateTime', required: false, description: 'Only parties changed at or after this: the sync filter, see docs/partners.md.' }),
    },
    resolve: (_root, args, context) => {
      checkRange('createdFrom', args.createdFrom, 'createdTo', args.createdTo);
      const where: Record<string, unknown> = {
        ...(args.kind ? { kind: args.kind } : {}),
        ...(args.name != null ? { legalName: { contains: args.name, mode: 'insensitive' } } : {}),
        ...(args.createdFrom != null || args.createdTo != null ? { createdAt: between(args.createdFrom, args.createdTo) } : {}),
        ...(args.updatedSince != null ? { updatedAt: { gte: args.updatedSince } } : {}),
      };
      return listPage(context, args, orderingOf(PARTY_ORDER, args.orderBy, 'createdAt:asc'), where, {
        findMany: (query) => context.db!.party.findMany(query as Prisma.PartyFindManyArgs),
        count: (query) => context.db!.party.count(query as Prisma.PartyCountArgs),
      });
    },
  }, ...countedConnectionTypes('Party')),
);

type IdentifierRow = Awaited<ReturnType<TenantDb['partyIdentifier']['findUniqueOrThrow']>>;
type MatchRow = Awaited<ReturnType<TenantDb['partyMatch']['findUniqueOrThrow']>>;

export const PartyIdentifierKindEnum = storedEnum('PartyIdentifierKind', 'What kind of identifier a party holds.', {
  national_id: 'A national identity number.',
  tax_id: 'A tax identification number.',
  passport: 'A passport number.',
});

const PartyMatchReasonEnum = storedEnum('PartyMatchReason', 'Why an intake resolved to a party.', {
  new: 'Nothing matched: the party was created.',
  identifier: 'An identifier matched.',
  phone_and_email: 'The phone and the e-mail both matched.',
  review: 'It resembled an existing party without agreeing with it: a party of its own, held for review.',
});

const PartyMatchReviewStatusEnum = storedEnum('PartyMatchReviewStatus', 'Where a possible duplicate party stands.', {
  open: 'Waiting for staff to decide.',
  distinct: 'Decided: two different people.',
  same_person: 'Decided: one person, merged into the existing party.',
});

const PartyIdentifierRef = builder.objectRef<IdentifierRow & { shown: string }>('PartyIdentifier').implement({
  description: 'A national, tax or passport identifier of a party.',
  authScopes: { can: 'parties.read' },
  fields: (t) => ({
    kind: t.expose('kind', { type: PartyIdentifierKindEnum, description: 'National id, tax id or passport.' }),
    country: t.exposeString('country', { description: 'Issuing country, ISO 3166.' }),
    value: t.exposeString('shown', { description: 'Masked (`••••1234`) in `identifiers`; in full in `unmaskedIdentifiers`.' }),
  }),
});

const PartyMatchRef = builder.objectRef<MatchRow>('PartyMatch').implement({
  description: 'An intake that resolved to this party, and why.',
  authScopes: { can: 'parties.read' },
  fields: (t) => ({
    reason: t.expose('reason', { type: PartyMatchReasonEnum, description: 'New (no match: the party was created), identifier or phone and e-mail.' }),
    detail: t.exposeString('detail', { nullable: true, description: 'Which identifier matched.' }),
    channel: t.expose('channel', { type: ApplicationChannelEnum, description: 'How the intake reached the lender.' }),
    matchedBy: t.exposeString('matchedBy', { description: 'Who submitted the intake.' }),
    matchedAt: t.field({ type: 'DateTime', description: 'When.', resolve: (m) => m.matchedAt }),
  }),
});

type ReviewRow = Awaited<ReturnType<TenantDb['partyMatchReview']['findUniqueOrThrow']>>;

export const PartyMatchReviewRef = builder.objectRef<ReviewRow>('PartyMatchReview');


builder.node(PartyMatchReviewRef, {
  id: { resolve: (row) => row.id },
  loadMany: (ids, context: GraphContext) => ids.map((id) => context.loaders.partyMatchReviewById.load(id)),
  description: 'A submission that resembled an existing party without agreeing with it (docs/origination-rules.md): it became a party of its own, held here for staff to decide whether the two are the same person. The submitter was never told.',
  authScopes: { can: 'parties.read' },
  fields: (t) => ({
    party: t.field({ type: PartyRef, nullable: true, description: 'The party created for the submission.', resolve: (r, _args, context) => context.loaders.partyById.load(r.partyId) }),
    candidate: t.field({ type: PartyRef, nullable: true, description: 'The existing party it resembled.', resolve: (r, _args, context) => context.loaders.partyById.load(r.candidatePartyId) }),
    signals: t.exposeStringList('signals', { description: 'What matched: `identifier`, `phone_and_email`.' }),
    conflicts: t.exposeStringList('conflicts', { description: 'What disagreed: `legal_name`, `date_of_birth`, `kind`, `identifier:<kind>:<country>`, `named_twice`.' }),
    channel: t.expose('channel', { type: ApplicationChannelEnum, description: 'How the intake reached the lender.' }),
    partnerCode: t.exposeString('partner', { nullable: true, description: 'The partner that submitted it, if one did.' }),
    submittedBy: t.exposeString('submittedBy', { description: 'Who submitted it.' }),
    status: t.expose('status', { type: PartyMatchReviewStatusEnum, description: 'Open until staff decide; then distinct or the same person.' }),
    resolutionNote: t.exposeString('resolutionNote', { nullable: true, description: 'Why staff decided as they did.' }),
    resolvedBy: t.exposeString('resolvedBy', { nullable: true, description: 'Who decided.' }),
    resolvedAt: t.field({ type: 'DateTime', nullable: true, description: 'When.', resolve: (r) => r.resolvedAt }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was raised.', resolve: (r) => r.createdAt }),
  }),
});

builder.objectFields(PartyRef, (t) => ({
  matchReviews: t.field({
    type: [PartyMatchReviewRef],
    description: 'Reviews this party is in, as the new party or as the one resembled, oldest first.',
    authScopes: { can: 'parties.read' },
    resolve: (p, _args, context) => context.db!.partyMatchReview.findMany({ where: { OR: [{ partyId: p.id }, { candidatePartyId: p.id }] }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take: listSize('Party.matchReviews') }),
  }),
  identifiers: t.field({
    type: [PartyIdentifierRef],
    description: 'Identifiers, masked.',
    authScopes: { can: 'parties.read' },
    resolve: async (p, _args, context) =>
      (await context.db!.partyIdentifier.findMany({ where: { partyId: p.id }, orderBy: [{ kind: 'asc' }, { country: 'asc' }], take: listSize('Party.identifiers') })).map((row) => ({ ...row, shown: maskIdentifier(row.last4) })),
  }),
  unmaskedIdentifiers: t.field({
    type: [PartyIdentifierRef],
    description: 'Identifiers in full. Each read is audited.',
    authScopes: { can: 'parties.identifiers.read' },
    resolve: async (p, _args, context) => {
      // Only what is shown is read, so only what is shown is audited.
      const rows = await context.db!.partyIdentifier.findMany({ where: { partyId: p.id }, orderBy: [{ kind: 'asc' }, { country: 'asc' }], take: listSize('Party.unmaskedIdentifiers') });
      await Promise.all(rows.map((row) => recordRead(context, p.id, `identifier:${row.kind}:${row.country}`)));
      return rows.map((row) => ({ ...row, shown: revealIdentifier(context.runtime.dataKey, row.sealed) }));
    },
  }),
  matches: t.field({
    type: [PartyMatchRef],
    description: 'Every intake that resolved to this party, oldest first, with the reason.',
    authScopes: { can: 'parties.read' },
    resolve: (p, _args, context) => context.db!.partyMatch.findMany({ where: { partyId: p.id }, orderBy: { matchedAt: 'asc' }, take: listSize('Party.matches') }),
  }),
}));

const ReviewResolutionEnum = builder.enumType('PartyMatchResolution', {
  description: 'What staff decided about a possible duplicate.',
  values: {
    DISTINCT: { value: 'distinct', description: 'Two different people: both parties stay as they are.' },
    SAME_PERSON: { value: 'same_person', description: 'One person: the new party\'s roles, documents, checks, loans and missing identifiers move to the existing party.' },
  } as const,
});

const ResolvePartyMatchReviewPayload = objectPayload('resolvePartyMatchReview', 'partyMatchReview', PartyMatchReviewRef, 'The review as resolved.');

builder.mutationField('resolvePartyMatchReview', (t) =>
  t.field({
    type: ResolvePartyMatchReviewPayload,
    description: 'Resolves a possible duplicate party (docs/origination-rules.md, "Parties"), once: distinct people, or the same person (merged into the existing party).',
    authScopes: { can: 'parties.reconcile' },
    args: { input: t.arg({ type: builder.inputType('ResolvePartyMatchReviewInput', {
      description: 'The decision on a review.',
      fields: (f) => ({
        reviewId: f.globalID({ required: true, for: PartyMatchReviewRef, description: 'The review.' }),
        resolution: f.field({ type: ReviewResolutionEnum, required: true, description: 'Distinct people, or the same person.' }),
        note: f.string({ required: true, description: 'Why (3–1,000 characters); kept with the review and in the audit trail.' }),
      }),
    }), required: true, description: 'The decision.' }) },
    resolve: async (_root, { input }, context) => {
      await resolvePartyMatchReview(commandDbOf(context), commandOf(context), input.reviewId.id, input.resolution, input.note);
      return { partyMatchReview: await commandDbOf(context).partyMatchReview.findUniqueOrThrow({ where: { id: input.reviewId.id } }) };
    },
  }),
);
