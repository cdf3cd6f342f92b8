// A lender setting itself up through the API (services/origination/approvalAuthorityMatrices.ts and its
// neighbours): versioned setup data, drafted by one tenant admin and activated by someone else where it changes
// lending decisions. Staff only; partners see none of it.
import { destinationPolicy } from '../outbound/settings.js';
import { RoleEnum, storedEnum } from './enums.js';
import { builder } from './builder.js';
import { commandDbOf, commandOf, type GraphContext } from './context.js';
import { money } from '../domain/money.js';
import { objectPayload } from './payloads.js';
import { listSize } from './limits.js';
import {
  decideMatrixActivation, draftMatrix, requestMatrixActivation, type AuthorityMatrixRow,
} from '../services/origination/approvalAuthorityMatrices.js';
import type { StoredAuthority } from '../domain/origination/approvalAuthority.js';
import { LoanProductRef } from './loanProduct.js';
import { latestChecklist, MAX_CHECKLIST_ITEMS, setProductChecklist, type ChecklistRow } from '../services/origination/documentChecklists.js';
import type { ChecklistEntry } from '../services/origination/applicationDocuments.js';
import {
  activeCheckProviderSettings, decideCheckProviderSettingsActivation, draftCheckProviderSettings, PROVIDER_KINDS, requestCheckProviderSettingsActivation,
  storedProviders, type CheckProviderSettingsRow, type ProviderKind, type StoredProvider,
} from '../services/origination/checkProviderSettings.js';
import { isUuid } from '../domain/globalId.js';

export const SetupVersionStatusEnum = storedEnum('SetupVersionStatus', 'Where a version of a lender\'s setup stands.', {
  draft: 'Drafted; changes nothing.',
  pending_activation: 'Put forward for activation; waiting for a second person.',
  active: 'In force (one version at a time).',
  retired: 'Replaced by a later version.',
});

// Approval authority matrix.

const AuthorityLimitRef = builder.objectRef<{ riskGrade: string; maxAmount: string | null; currency: string }>('ApprovalAuthorityLimit').implement({
  description: 'The most a level may approve at one risk grade.',
  authScopes: { can: 'setup.read' },
  fields: (t) => ({
    riskGrade: t.exposeString('riskGrade', { description: 'The risk grade, or `*` for every grade the level does not list (and applications without a grade).' }),
    maxAmount: t.field({ type: 'Money', nullable: true, description: 'The limit; null for no limit.', resolve: (l) => (l.maxAmount === null ? null : money(l.maxAmount, l.currency)) }),
  }),
});

const AuthorityLevelRef = builder.objectRef<StoredAuthority['levels'][number] & { currency: string }>('ApprovalAuthorityLevel').implement({
  description: 'An approver level and its limits, listed from the least authority to the most.',
  authScopes: { can: 'setup.read' },
  fields: (t) => ({
    level: t.exposeString('level', { description: 'The level, as roles name it: `underwriter`, `credit_committee`.' }),
    limits: t.field({
      type: [AuthorityLimitRef], description: 'Its limit at each grade it may approve; a grade missing (and no `*`) it may not approve.',
      resolve: (l) => l.limits.map((limit) => ({ ...limit, currency: l.currency })),
    }),
  }),
});

const AuthorityRoleRef = builder.objectRef<{ role: string; levels: readonly string[] }>('ApprovalAuthorityRole').implement({
  description: 'The levels a role holds; an approver holding several roles has the most any of their levels allows.',
  authScopes: { can: 'setup.read' },
  fields: (t) => ({
    role: t.field({ type: RoleEnum, description: 'The role (docs/authz.md).', resolve: (r) => r.role }),
    levels: t.stringList({ description: 'The levels it holds.', resolve: (r) => [...r.levels] }),
  }),
});

export const ApprovalAuthorityMatrixRef = builder.objectRef<AuthorityMatrixRow>('ApprovalAuthorityMatrix');

builder.node(ApprovalAuthorityMatrixRef, {
  description: 'One version of the lender\'s approval authority matrix: who may approve how much at each risk grade, in the tenant\'s currency.',
  id: { resolve: (row) => row.id },
  loadMany: async (ids, context: GraphContext) => {
    const valid = context.tenant ? ids.filter((id) => isUuid(id)) : [];
    const rows = valid.length > 0 ? await commandDbOf(context).approvalAuthorityMatrix.findMany({ where: { id: { in: valid } } }) : [];
    return ids.map((id) => rows.find((row) => row.id === id) ?? null);
  },
  authScopes: { can: 'setup.read' },
  fields: (t) => ({
    version: t.exposeInt('version', { description: 'The version number, 1 for the first.' }),
    status: t.expose('status', { type: SetupVersionStatusEnum, description: 'Draft, pending activation, active (one at a time) or retired.' }),
    currency: t.exposeString('currency', { description: 'The currency of its limits (the tenant\'s).' }),
    levels: t.field({
      type: [AuthorityLevelRef], description: 'The levels, from the least authority to the most.',
      resolve: (m) => (m.levels as unknown as StoredAuthority['levels']).map((level) => ({ ...level, currency: m.currency })),
    }),
    roles: t.field({
      type: [AuthorityRoleRef], description: 'Which levels each role holds; a role not listed holds none.',
      resolve: (m) => m.roles as unknown as StoredAuthority['roles'],
    }),
    createdBy: t.exposeString('createdBy', { description: 'Who drafted it.' }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was drafted.', resolve: (m) => m.createdAt }),
    activationRequestedBy: t.exposeString('activationRequestedBy', { nullable: true, description: 'Who asked for its activation (the maker).' }),
    activatedBy: t.exposeString('activatedBy', { nullable: true, description: 'Who approved its activation (the checker).' }),
    activatedAt: t.field({ type: 'DateTime', nullable: true, description: 'When it became active.', resolve: (m) => m.activatedAt }),
  }),
});

builder.queryField('approvalAuthorityMatrix', (t) =>
  t.field({
    type: ApprovalAuthorityMatrixRef,
    nullable: true,
    description: 'The active version of the approval authority matrix; null when none is stored (a sandbox tenant then uses the sandbox matrix, any other is refused approvals).',
    authScopes: { can: 'setup.read' },
    resolve: (_root, _args, context) => commandDbOf(context).approvalAuthorityMatrix.findFirst({ where: { status: 'active' } }),
  }),
);

builder.queryField('approvalAuthorityMatrixVersions', (t) =>
  t.field({
    type: [ApprovalAuthorityMatrixRef],
    description: 'Every version of the approval authority matrix, newest first: drafts, the one pending activation, the active one and those retired.',
    authScopes: { can: 'setup.read' },
    resolve: (_root, _args, context) =>
      commandDbOf(context).approvalAuthorityMatrix.findMany({ orderBy: { version: 'desc' }, take: listSize('Query.approvalAuthorityMatrixVersions') }),
  }),
);

builder.queryField('pendingApprovalAuthorityMatrixActivations', (t) =>
  t.field({
    type: [ApprovalAuthorityMatrixRef],
    description: 'The checker\'s queue: approval authority matrix versions waiting for someone to approve or reject their activation.',
    authScopes: { canAny: ['setup.activate', 'approvals.read'] },
    resolve: (_root, _args, context) =>
      commandDbOf(context).approvalAuthorityMatrix.findMany({ where: { status: 'pending_activation' }, orderBy: { version: 'asc' }, take: listSize('Query.pendingApprovalAuthorityMatrixActivations') }),
  }),
);

const AuthorityLimitInput = builder.inputType('ApprovalAuthorityLimitInput', {
  description: 'The most a level may approve at one risk grade.',
  fields: (t) => ({
    riskGrade: t.string({ required: true, description: 'The risk grade, or `*` for every grade the level does not list.' }),
    maxAmount: t.field({ type: 'Decimal', required: false, description: 'The limit in the tenant\'s currency, more than zero; absent or null for no limit.' }),
  }),
});

const AuthorityLevelInput = builder.inputType('ApprovalAuthorityLevelInput', {
  description: 'An approver level and its limits.',
  fields: (t) => ({
    level: t.string({ required: true, description: 'The level\'s name.' }),
    limits: t.field({ type: [AuthorityLimitInput], required: true, description: 'Its limit at each grade it may approve; each grade once.' }),
  }),
});

const AuthorityRoleInput = builder.inputType('ApprovalAuthorityRoleInput', {
  description: 'The levels a role holds.',
  fields: (t) => ({
    role: t.field({ type: RoleEnum, required: true, description: 'A staff role (docs/authz.md); partners and the platform hold no approval authority.' }),
    levels: t.stringList({ required: true, description: 'Levels of this matrix.' }),
  }),
});

const DraftApprovalAuthorityMatrixInput = builder.inputType('DraftApprovalAuthorityMatrixInput', {
  description: 'A new version of the approval authority matrix, in the tenant\'s currency. It changes nothing until a second person activates it.',
  fields: (t) => ({
    levels: t.field({ type: [AuthorityLevelInput], required: true, description: 'The levels, from the least authority to the most: each may approve at least what every level before it may, at every grade.' }),
    roles: t.field({ type: [AuthorityRoleInput], required: true, description: 'Which levels each role holds; each role once.' }),
  }),
});

const DraftApprovalAuthorityMatrixPayload = objectPayload('draftApprovalAuthorityMatrix', 'approvalAuthorityMatrix', ApprovalAuthorityMatrixRef, 'The drafted version.');

builder.mutationField('draftApprovalAuthorityMatrix', (t) =>
  t.field({
    type: DraftApprovalAuthorityMatrixPayload,
    description: 'Drafts the next version of the approval authority matrix; errors name the field (`input.levels[1].limits[0].maxAmount`).',
    authScopes: { can: 'setup.draft' },
    args: { input: t.arg({ type: DraftApprovalAuthorityMatrixInput, required: true, description: 'The levels and the roles.' }) },
    resolve: async (_root, { input }, context) => ({
      approvalAuthorityMatrix: await draftMatrix(
        commandDbOf(context), commandOf(context), context.tenant!.currency,
        input.levels.map((level) => ({ level: level.level, limits: level.limits.map((limit) => ({ riskGrade: limit.riskGrade, maxAmount: limit.maxAmount == null ? null : String(limit.maxAmount) })) })),
        input.roles.map((role) => ({ role: role.role, levels: role.levels })),
      ),
    }),
  }),
);

const RequestApprovalAuthorityMatrixActivationInput = builder.inputType('RequestApprovalAuthorityMatrixActivationInput', {
  description: 'The draft to put forward for activation.',
  fields: (t) => ({ matrixId: t.globalID({ required: true, for: ApprovalAuthorityMatrixRef, description: 'The draft version.' }) }),
});

const RequestApprovalAuthorityMatrixActivationPayload = objectPayload('requestApprovalAuthorityMatrixActivation', 'approvalAuthorityMatrix', ApprovalAuthorityMatrixRef, 'The version, now pending activation.');

builder.mutationField('requestApprovalAuthorityMatrixActivation', (t) =>
  t.field({
    type: RequestApprovalAuthorityMatrixActivationPayload,
    description: 'Puts a draft forward for activation (the maker). Nothing changes until someone else approves it.',
    authScopes: { can: 'setup.draft' },
    args: { input: t.arg({ type: RequestApprovalAuthorityMatrixActivationInput, required: true, description: 'The draft.' }) },
    resolve: async (_root, { input }, context) => ({ approvalAuthorityMatrix: await requestMatrixActivation(commandDbOf(context), commandOf(context), input.matrixId.id) }),
  }),
);

const DecideApprovalAuthorityMatrixActivationInput = builder.inputType('DecideApprovalAuthorityMatrixActivationInput', {
  description: 'The checker\'s decision on a version pending activation.',
  fields: (t) => ({
    matrixId: t.globalID({ required: true, for: ApprovalAuthorityMatrixRef, description: 'The version pending activation.' }),
    approve: t.boolean({ required: true, description: 'True activates it (retiring the active version); false sends it back to draft.' }),
    reason: t.string({ required: false, description: 'Why (required to reject).' }),
  }),
});

const DecideApprovalAuthorityMatrixActivationPayload = objectPayload('decideApprovalAuthorityMatrixActivation', 'approvalAuthorityMatrix', ApprovalAuthorityMatrixRef, 'The version as decided: active on approval, back to draft on rejection.');

builder.mutationField('decideApprovalAuthorityMatrixActivation', (t) =>
  t.field({
    type: DecideApprovalAuthorityMatrixActivationPayload,
    description: 'Approves or rejects the activation of an approval authority matrix version; neither who drafted it nor who asked for it may approve it.',
    authScopes: { can: 'setup.activate' },
    args: { input: t.arg({ type: DecideApprovalAuthorityMatrixActivationInput, required: true, description: 'The decision.' }) },
    resolve: async (_root, { input }, context) =>
      ({ approvalAuthorityMatrix: await decideMatrixActivation(commandDbOf(context), commandOf(context), input.matrixId.id, input.approve, input.reason?.trim() || null) }),
  }),
);

// Product document checklists.

const ChecklistEntryRef = builder.objectRef<ChecklistEntry>('ProductDocumentChecklistItem').implement({
  description: 'A kind of document a product\'s checklist asks for.',
  authScopes: { can: 'setup.read' },
  fields: (t) => ({
    kind: t.exposeString('kind', { description: 'The kind of document (snake_case), as uploads name it.' }),
    required: t.exposeBoolean('required', { description: 'Whether disbursement waits for it to be verified.' }),
    description: t.exposeString('description', { description: 'What it is, in words.' }),
  }),
});

export const ProductDocumentChecklistRef = builder.objectRef<ChecklistRow>('ProductDocumentChecklist').implement({
  description: 'A version of a product\'s document checklist; applications keep the version they were created under.',
  authScopes: { can: 'setup.read' },
  fields: (t) => ({
    version: t.exposeInt('version', { description: 'The version number, 1 for the first set through the API.' }),
    items: t.field({ type: [ChecklistEntryRef], description: 'The kinds of document it asks for.', resolve: (c) => c.items as unknown as ChecklistEntry[] }),
    createdBy: t.exposeString('createdBy', { description: 'Who set it.' }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was set.', resolve: (c) => c.createdAt }),
  }),
});

builder.objectFields(LoanProductRef, (t) => ({
  documentChecklist: t.field({
    type: ProductDocumentChecklistRef,
    nullable: true,
    description: 'The latest version of its document checklist, which new applications work to; null when none was ever set (its fixed requirements apply, all required).',
    authScopes: { can: 'setup.read' },
    resolve: (product, _args, context) => latestChecklist(commandDbOf(context), product.id),
  }),
}));

const ChecklistItemInput = builder.inputType('ProductDocumentChecklistItemInput', {
  description: 'A kind of document to ask for.',
  fields: (t) => ({
    kind: t.string({ required: true, description: 'The kind (snake_case; `other` is taken).' }),
    required: t.boolean({ required: true, description: 'Whether disbursement waits for it to be verified.' }),
    description: t.string({ required: true, description: 'What it is, in words (at most 200 characters).' }),
  }),
});

const SetProductDocumentChecklistInput = builder.inputType('SetProductDocumentChecklistInput', {
  description: 'A product\'s new document checklist, for applications created from now on.',
  fields: (t) => ({
    productCode: t.string({ required: true, description: 'The product.' }),
    items: t.field({ type: [ChecklistItemInput], required: true, description: `The kinds of document, at most ${MAX_CHECKLIST_ITEMS}, each once.` }),
  }),
});

const SetProductDocumentChecklistPayload = objectPayload('setProductDocumentChecklist', 'productDocumentChecklist', ProductDocumentChecklistRef, 'The new version.');

builder.mutationField('setProductDocumentChecklist', (t) =>
  t.field({
    type: SetProductDocumentChecklistPayload,
    description: 'Sets a product\'s document checklist as a new version: applications created from now on work to it, earlier ones keep theirs. Takes effect at once (it decides no credit question; docs/origination-rules.md).',
    authScopes: { can: 'setup.draft' },
    args: { input: t.arg({ type: SetProductDocumentChecklistInput, required: true, description: 'The product and its checklist.' }) },
    resolve: async (_root, { input }, context) => ({
      productDocumentChecklist: await setProductChecklist(commandDbOf(context), commandOf(context), input.productCode,
        input.items.map((item) => ({ kind: item.kind, required: item.required, description: item.description }))),
    }),
  }),
);

// Check provider settings: which KYC, bureau, income and e-sign providers the lender uses. Secrets go in and
// never come out: only whether one is set and its last four characters.

const CheckProviderKindEnum = storedEnum('CheckProviderKind', 'What a provider does for the lender.', {
  kyc: 'Identity (KYC) checks.',
  bureau: 'Credit bureau reports.',
  income: 'Income verification.',
  esign: 'Electronic signature of agreements.',
});

const CheckProviderSettingRef = builder.objectRef<StoredProvider & { kind: ProviderKind }>('CheckProviderSetting').implement({
  description: 'The provider one kind of check goes to, and its settings; its secret is never shown.',
  authScopes: { can: 'setup.read' },
  fields: (t) => ({
    kind: t.field({ type: CheckProviderKindEnum, description: 'What it does.', resolve: (p) => p.kind }),
    provider: t.exposeString('provider', { description: '`sandbox` or the adapter\'s name (e.g. `http-adapter`).' }),
    endpointUrl: t.exposeString('endpointUrl', { nullable: true, description: 'The adapter\'s https endpoint; null for the sandbox.' }),
    accountReference: t.exposeString('accountReference', { nullable: true, description: 'The lender\'s account with the provider, when it has one.' }),
    secretSet: t.boolean({ description: 'Whether a secret is stored (sealed; it is never returned).', resolve: (p) => p.secretLastFour !== null }),
    secretLastFour: t.exposeString('secretLastFour', { nullable: true, description: 'The last four characters of the secret, to tell secrets apart; null when none is set.' }),
  }),
});

export const CheckProviderSettingsRef = builder.objectRef<CheckProviderSettingsRow>('CheckProviderSettings');

builder.node(CheckProviderSettingsRef, {
  description: 'One version of which providers the lender\'s checks and e-signatures go to.',
  id: { resolve: (row) => row.id },
  loadMany: async (ids, context: GraphContext) => {
    const valid = context.tenant ? ids.filter((id) => isUuid(id)) : [];
    const rows = valid.length > 0 ? await commandDbOf(context).checkProviderSettings.findMany({ where: { id: { in: valid } } }) : [];
    return ids.map((id) => rows.find((row) => row.id === id) ?? null);
  },
  authScopes: { can: 'setup.read' },
  fields: (t) => ({
    version: t.exposeInt('version', { description: 'The version number, 1 for the first.' }),
    status: t.expose('status', { type: SetupVersionStatusEnum, description: 'Draft, pending activation, active (one at a time) or retired.' }),
    providers: t.field({
      type: [CheckProviderSettingRef], description: 'The provider for each kind: KYC, bureau, income, e-sign.',
      resolve: (row) => { const stored = storedProviders(row); return PROVIDER_KINDS.map((kind) => ({ ...stored[kind], kind })); },
    }),
    createdBy: t.exposeString('createdBy', { description: 'Who drafted it.' }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was drafted.', resolve: (m) => m.createdAt }),
    activationRequestedBy: t.exposeString('activationRequestedBy', { nullable: true, description: 'Who asked for its activation (the maker).' }),
    activatedBy: t.exposeString('activatedBy', { nullable: true, description: 'Who approved its activation (the checker).' }),
    activatedAt: t.field({ type: 'DateTime', nullable: true, description: 'When it became active.', resolve: (m) => m.activatedAt }),
  }),
});

builder.queryField('checkProviderSettings', (t) =>
  t.field({
    type: CheckProviderSettingsRef,
    nullable: true,
    description: 'The active version of the lender\'s check provider settings; null when none is stored (the platform\'s configured providers apply, docs/sandbox-providers.md).',
    authScopes: { can: 'setup.read' },
    resolve: (_root, _args, context) => activeCheckProviderSettings(commandDbOf(context)),
  }),
);

builder.queryField('checkProviderSettingsVersions', (t) =>
  t.field({
    type: [CheckProviderSettingsRef],
    description: 'Every version of the check provider settings, newest first.',
    authScopes: { can: 'setup.read' },
    resolve: (_root, _args, context) =>
      commandDbOf(context).checkProviderSettings.findMany({ orderBy: { version: 'desc' }, take: listSize('Query.checkProviderSettingsVersions') }),
  }),
);

const CheckProviderInput = builder.inputType('CheckProviderSettingInput', {
  description: 'The provider for one kind, its settings and (write-only) its secret.',
  fields: (t) => ({
    kind: t.field({ type: CheckProviderKindEnum, required: true, description: 'What it does; each kind once.' }),
    provider: t.string({ required: true, description: '`sandbox`, or an adapter\'s name (lower-case letters, digits, dashes).' }),
    endpointUrl: t.string({ required: false, description: 'The adapter\'s endpoint, https only; required for anything but the sandbox.' }),
    accountReference: t.string({ required: false, description: 'The lender\'s account with the provider (at most 100 characters).' }),
    secret: t.string({ required: false, description: 'The adapter\'s secret (8 to 4096 characters): sealed at once and never returned; the sandbox takes none.' }),
  }),
});

const DraftCheckProviderSettingsInput = builder.inputType('DraftCheckProviderSettingsInput', {
  description: 'A new version of the check provider settings. It changes nothing until a second person activates it.',
  fields: (t) => ({
    providers: t.field({ type: [CheckProviderInput], required: true, description: 'One entry for each kind: KYC, bureau, income and e-sign.' }),
  }),
});

const DraftCheckProviderSettingsPayload = objectPayload('draftCheckProviderSettings', 'checkProviderSettings', CheckProviderSettingsRef, 'The drafted version.');

builder.mutationField('draftCheckProviderSettings', (t) =>
  t.field({
    type: DraftCheckProviderSettingsPayload,
    description: 'Drafts the next version of the check provider settings; errors name the field (`input.providers[1].endpointUrl`).',
    authScopes: { can: 'setup.draft' },
    args: { input: t.arg({ type: DraftCheckProviderSettingsInput, required: true, description: 'The providers.' }) },
    resolve: async (_root, { input }, context) => ({
      checkProviderSettings: await draftCheckProviderSettings(commandDbOf(context), context.runtime.dataKey, commandOf(context), input.providers.map((p) => ({
        kind: p.kind, provider: p.provider, endpointUrl: p.endpointUrl ?? null, accountReference: p.accountReference ?? null, secret: p.secret ?? null,
      })), destinationPolicy(context.runtime.config)),
    }),
  }),
);

const RequestCheckProviderSettingsActivationInput = builder.inputType('RequestCheckProviderSettingsActivationInput', {
  description: 'The draft to put forward for activation.',
  fields: (t) => ({ settingsId: t.globalID({ required: true, for: CheckProviderSettingsRef, description: 'The draft version.' }) }),
});

const RequestCheckProviderSettingsActivationPayload = objectPayload('requestCheckProviderSettingsActivation', 'checkProviderSettings', CheckProviderSettingsRef, 'The version, now pending activation.');

builder.mutationField('requestCheckProviderSettingsActivation', (t) =>
  t.field({
    type: RequestCheckProviderSettingsActivationPayload,
    description: 'Puts a draft forward for activation (the maker). Nothing changes until someone else approves it.',
    authScopes: { can: 'setup.draft' },
    args: { input: t.arg({ type: RequestCheckProviderSettingsActivationInput, required: true, description: 'The draft.' }) },
    resolve: async (_root, { input }, context) => ({ checkProviderSettings: await requestCheckProviderSettingsActivation(commandDbOf(context), commandOf(context), input.settingsId.id) }),
  }),
);

const DecideCheckProviderSettingsActivationInput = builder.inputType('DecideCheckProviderSettingsActivationInput', {
  description: 'The checker\'s decision on a version pending activation.',
  fields: (t) => ({
    settingsId: t.globalID({ required: true, for: CheckProviderSettingsRef, description: 'The version pending activation.' }),
    approve: t.boolean({ required: true, description: 'True activates it (retiring the active version); false sends it back to draft.' }),
    reason: t.string({ required: false, description: 'Why (required to reject).' }),
  }),
});

const DecideCheckProviderSettingsActivationPayload = objectPayload('decideCheckProviderSettingsActivation', 'checkProviderSettings', CheckProviderSettingsRef, 'The version as decided: active on approval, back to draft on rejection.');

builder.mutationField('decideCheckProviderSettingsActivation', (t) =>
  t.field({
    type: DecideCheckProviderSettingsActivationPayload,
    description: 'Approves or rejects the activation of a check provider settings version; neither who drafted it nor who asked for it may approve it.',
    authScopes: { can: 'setup.activate' },
    args: { input: t.arg({ type: DecideCheckProviderSettingsActivationInput, required: true, description: 'The decision.' }) },
    resolve: async (_root, { input }, context) =>
      ({ checkProviderSettings: await decideCheckProviderSettingsActivation(commandDbOf(context), commandOf(context), input.settingsId.id, input.approve, input.reason?.trim() || null) }),
  }),
);
