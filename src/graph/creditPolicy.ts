// Credit policy versions of a product (src/services/origination/creditPolicies.ts): drafted as JSON rule sets,
// simulated over past automated decisions, activated through maker-checker. Staff only; partners see none of it.
import { storedEnum } from './enums.js';
import { builder } from './builder.js';
import { commandDbOf, commandOf, type GraphContext } from './context.js';
import { AppError } from '../errors.js';
import { LoanProductRef } from './loanProduct.js';
import { ApplicationRef } from './application.js';
import type { TenantDb } from '../tenancy/tenantClients.js';
import {
  decideActivation, DEFAULT_SIMULATION_LIMIT, draftPolicy, MAX_SIMULATION_LIMIT, requestActivation, simulateDraft,
  type DraftSimulation, type SimulatedChange,
} from '../services/origination/creditPolicies.js';
import { InvalidField } from '../errors.js';
import { listSize } from './limits.js';
import { objectPayload } from './payloads.js';
import { isUuid } from '../domain/globalId.js';

type CreditPolicyRow = Awaited<ReturnType<TenantDb['creditPolicy']['findUniqueOrThrow']>>;

const CreditPolicyStatusEnum = storedEnum('CreditPolicyStatus', 'Where a version of a credit policy stands.', {
  draft: 'Drafted; decides nothing.',
  pending_activation: 'Put forward for activation; waiting for a second person.',
  active: 'Decides the product\'s applications (one version per product).',
  retired: 'Replaced by a later version.',
});

export const CreditPolicyRef = builder.objectRef<CreditPolicyRow>('CreditPolicy');

const SimulatedReasonRef = builder.objectRef<{ code: string; message: string }>('CreditPolicySimulatedReason').implement({
  description: 'A reason the simulated version gives for its outcome.',
  authScopes: { can: 'policies.read' },
  fields: (t) => ({
    code: t.exposeString('code', { description: 'The reason code (docs/origination-rules.md).' }),
    message: t.exposeString('message', { description: 'In words.' }),
  }),
});

const SimulatedChangeRef = builder.objectRef<SimulatedChange>('CreditPolicySimulatedChange').implement({
  description: 'A past decision the simulated version would have decided differently.',
  authScopes: { can: 'policies.read' },
  fields: (t) => ({
    applicationId: t.globalID({ description: 'The application (global id).', resolve: (c) => ({ type: 'Application', id: c.applicationId }) }),
    reference: t.exposeString('reference', { description: 'The application\'s reference.' }),
    application: t.field({
      type: ApplicationRef, nullable: true, description: 'The application.',
      resolve: (c, _args, context) => context.loaders.applicationById.load(c.applicationId),
    }),
    from: t.exposeString('from', { description: 'What was decided then: `APPROVE`, `DECLINE` or `REFER`.' }),
    to: t.exposeString('to', { description: 'What this version would decide.' }),
    reasons: t.field({ type: [SimulatedReasonRef], description: 'This version\'s reasons for its outcome.', resolve: (c) => c.reasons }),
  }),
});

const OutcomeMoveRef = builder.objectRef<{ from: string; to: string; count: number }>('CreditPolicyOutcomeMove').implement({
  description: 'How many past decisions would move from one outcome to another.',
  authScopes: { can: 'policies.read' },
  fields: (t) => ({
    from: t.exposeString('from', { description: 'The outcome then.' }),
    to: t.exposeString('to', { description: 'The simulated outcome.' }),
    count: t.exposeInt('count', { description: 'How many.' }),
  }),
});

const SkippedRef = builder.objectRef<DraftSimulation['skipped'][number]>('CreditPolicySimulationSkipped').implement({
  description: 'A past decision the simulated version cannot read, and why.',
  authScopes: { can: 'policies.read' },
  fields: (t) => ({
    applicationId: t.globalID({ description: 'The application (global id).', resolve: (s) => ({ type: 'Application', id: s.applicationId }) }),
    reference: t.exposeString('reference', { description: 'The application\'s reference.' }),
    field: t.exposeString('field', { description: 'The field of the stored input that does not fit the rule set.' }),
    message: t.exposeString('message', { description: 'Why.' }),
  }),
});

const SimulationRef = builder.objectRef<DraftSimulation>('CreditPolicySimulation').implement({
  description: 'What a version would have decided on the product\'s past automated decisions (the latest of each application, newest first).',
  authScopes: { can: 'policies.read' },
  fields: (t) => ({
    evaluated: t.exposeInt('evaluated', { description: 'Past decisions evaluated.' }),
    changed: t.exposeInt('changed', { description: 'How many would be decided differently.' }),
    changes: t.field({ type: [SimulatedChangeRef], description: 'Each decision that would change, newest first.', resolve: (s) => s.changes }),
    byChange: t.field({
      type: [OutcomeMoveRef], description: 'The changes counted by outcome, then to where.',
      resolve: (s) => Object.entries(s.byChange).map(([key, count]) => {
        const [from, to] = key.split('->') as [string, string];
        return { from, to, count };
      }).sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to)),
    }),
    skipped: t.field({ type: [SkippedRef], description: 'Past decisions whose stored input this version cannot read (not counted in `evaluated`).', resolve: (s) => s.skipped }),
  }),
});

builder.node(CreditPolicyRef, {
  description: 'One version of a product\'s credit policy: a rule set as data, drafted, activated by a second person, retired when replaced.',
  id: { resolve: (row) => row.id },
  loadMany: async (ids, context: GraphContext) => {
    // Outside a tenant (a platform admin) no policy exists.
    const valid = context.tenant ? ids.filter((id) => isUuid(id)) : [];
    const rows = valid.length > 0 ? await commandDbOf(context).creditPolicy.findMany({ where: { id: { in: valid } } }) : [];
    return ids.map((id) => rows.find((row) => row.id === id) ?? null);
  },
  authScopes: { can: 'policies.read' },
  fields: (t) => ({
    product: t.field({ type: LoanProductRef, description: 'The product it decides for.', resolve: async (p, _args, context) => (await context.loaders.loanProductById.load(p.productId))! }),
    version: t.exposeInt('version', { description: 'The version number, 1 for the first.' }),
    status: t.expose('status', { type: CreditPolicyStatusEnum, description: 'Draft, pending activation, active (one per product) or retired.' }),
    ruleSet: t.field({ type: 'JSON', description: 'The rule set, an object as docs/origination-rules.md describes it.', resolve: (p) => p.ruleSet }),
    createdBy: t.exposeString('createdBy', { description: 'Who drafted it.' }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was drafted.', resolve: (p) => p.createdAt }),
    activationRequestedBy: t.exposeString('activationRequestedBy', { nullable: true, description: 'Who asked for its activation (the maker).' }),
    activatedBy: t.exposeString('activatedBy', { nullable: true, description: 'Who approved its activation (the checker).' }),
    activatedAt: t.field({ type: 'DateTime', nullable: true, description: 'When it became active.', resolve: (p) => p.activatedAt }),
    simulation: t.field({
      type: SimulationRef,
      nullable: true,
      description: 'For a draft or pending version: what it would have decided on the product\'s past automated decisions, and which would change. Null for active and retired versions.',
      authScopes: { can: 'policies.read' },
      args: { limit: t.arg.int({ required: false, description: `How many past decisions, newest first (default ${DEFAULT_SIMULATION_LIMIT}, at most ${MAX_SIMULATION_LIMIT}).` }) },
      resolve: async (p, args, context) => {
        if (p.status !== 'draft' && p.status !== 'pending_activation') return null;
        try {
          return await simulateDraft(commandDbOf(context), context.tenant!.schemaName, p.id, args.limit ?? DEFAULT_SIMULATION_LIMIT);
        } catch (error) {
          if (error instanceof InvalidField) throw new AppError('BAD_USER_INPUT', error.message, { field: error.field });
          throw error;
        }
      },
    }),
  }),
});

const versionsOf = (context: GraphContext, productId: string) =>
  commandDbOf(context).creditPolicy.findMany({ where: { productId }, orderBy: { version: 'desc' }, take: listSize('Query.creditPolicies') });

builder.objectFields(LoanProductRef, (t) => ({
  creditPolicies: t.field({
    type: [CreditPolicyRef],
    description: 'Every version of the product\'s credit policy, newest first: drafts, the one pending activation, the active one and those retired.',
    authScopes: { can: 'policies.read' },
    resolve: (product, _args, context) => versionsOf(context, product.id),
  }),
}));

builder.queryField('creditPolicies', (t) =>
  t.field({
    type: [CreditPolicyRef],
    description: 'Every version of a product\'s credit policy, newest first.',
    authScopes: { can: 'policies.read' },
    args: { productCode: t.arg.string({ required: true, description: 'The product.' }) },
    resolve: async (_root, args, context) => {
      const product = await commandDbOf(context).loanProduct.findUnique({ where: { code: args.productCode } });
      if (!product) throw new AppError('NOT_FOUND', 'no loan product with that code', { field: 'productCode' });
      return versionsOf(context, product.id);
    },
  }),
);

builder.queryField('pendingCreditPolicyActivations', (t) =>
  t.field({
    type: [CreditPolicyRef],
    description: 'The checker\'s queue: credit policy versions waiting for someone to approve or reject their activation.',
    authScopes: { canAny: ['policies.activate', 'approvals.read'] },
    resolve: (_root, _args, context) =>
      commandDbOf(context).creditPolicy.findMany({ where: { status: 'pending_activation' }, orderBy: [{ productId: 'asc' }, { version: 'asc' }], take: listSize('Query.pendingCreditPolicyActivations') }),
  }),
);

const DraftCreditPolicyInput = builder.inputType('DraftCreditPolicyInput', {
  description: 'A new version of a product\'s credit policy. It decides nothing until activated by a second person.',
  fields: (t) => ({
    productCode: t.string({ required: true, description: 'The product.' }),
    ruleSet: t.field({ type: 'JSON', required: true, description: 'The rule set, an object as docs/origination-rules.md describes it; its `version` is assigned, its currency must be the product\'s.' }),
  }),
});

const DraftCreditPolicyPayload = objectPayload('draftCreditPolicy', 'creditPolicy', CreditPolicyRef, 'The drafted version.');

builder.mutationField('draftCreditPolicy', (t) =>
  t.field({
    type: DraftCreditPolicyPayload,
    description: 'Drafts the next version of a product\'s credit policy; errors name the rule set\'s field (`input.ruleSet.rules[3].min`).',
    authScopes: { can: 'policies.draft' },
    args: { input: t.arg({ type: DraftCreditPolicyInput, required: true, description: 'The product and the rule set.' }) },
    resolve: async (_root, { input }, context) => ({ creditPolicy: await draftPolicy(commandDbOf(context), commandOf(context), input.productCode, input.ruleSet) }),
  }),
);

const RequestCreditPolicyActivationInput = builder.inputType('RequestCreditPolicyActivationInput', {
  description: 'The draft to put forward for activation.',
  fields: (t) => ({ policyId: t.globalID({ required: true, for: CreditPolicyRef, description: 'The draft version.' }) }),
});

const RequestCreditPolicyActivationPayload = objectPayload('requestCreditPolicyActivation', 'creditPolicy', CreditPolicyRef, 'The version, now pending activation.');

builder.mutationField('requestCreditPolicyActivation', (t) =>
  t.field({
    type: RequestCreditPolicyActivationPayload,
    description: 'Puts a draft forward for activation (the maker). Nothing changes until someone else approves it.',
    authScopes: { can: 'policies.draft' },
    args: { input: t.arg({ type: RequestCreditPolicyActivationInput, required: true, description: 'The draft.' }) },
    resolve: async (_root, { input }, context) => ({ creditPolicy: await requestActivation(commandDbOf(context), commandOf(context), input.policyId.id) }),
  }),
);

const DecideCreditPolicyActivationInput = builder.inputType('DecideCreditPolicyActivationInput', {
  description: 'The checker\'s decision on a version pending activation.',
  fields: (t) => ({
    policyId: t.globalID({ required: true, for: CreditPolicyRef, description: 'The version pending activation.' }),
    approve: t.boolean({ required: true, description: 'True activates it (retiring the active version); false sends it back to draft.' }),
    reason: t.string({ required: false, description: 'Why (required to reject).' }),
  }),
});

const DecideCreditPolicyActivationPayload = objectPayload('decideCreditPolicyActivation', 'creditPolicy', CreditPolicyRef, 'The version as decided: active on approval, back to draft on rejection.');

builder.mutationField('decideCreditPolicyActivation', (t) =>
  t.field({
    type: DecideCreditPolicyActivationPayload,
    description: 'Approves or rejects the activation of a credit policy version; neither who drafted it nor who asked for it may approve it.',
    authScopes: { can: 'policies.activate' },
    args: { input: t.arg({ type: DecideCreditPolicyActivationInput, required: true, description: 'The decision.' }) },
    resolve: async (_root, { input }, context) =>
      ({ creditPolicy: await decideActivation(commandDbOf(context), commandOf(context), input.policyId.id, input.approve, input.reason?.trim() || null) }),
  }),
);
