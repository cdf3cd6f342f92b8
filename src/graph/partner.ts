// Partner: an origination or co-lending partner of the lender, and its API client. A partner reading this sees
// only itself: GraphContext.db is partner-scoped (src/authz/partnerScope.ts), not these resolvers.
import { builder } from './builder.js';
import { AppError, inputPath } from '../errors.js';
import { commandOf, type GraphContext } from './context.js';
import { connectionTypes, keysetConnection, TEXT_KEY } from './pagination.js';
import type { TenantDb } from '../tenancy/tenantClients.js';
import { payloadType } from './payloads.js';
import { PartnerExistsError, registerPartner, rotateSecret } from '../services/partners.js';

type PartnerRow = Awaited<ReturnType<TenantDb['partner']['findUniqueOrThrow']>>;

export const PartnerKindEnum = builder.enumType('PartnerKind', {
  description: 'What a partner does with the lender.',
  values: {
    ORIGINATION: { value: 'origination', description: 'Brings applications over the API; sees only those it submitted.' },
    COLENDING: { value: 'colending', description: 'Funds a share of loans; sees only loans it participates in, and only its share.' },
  } as const,
});

export const PartnerRef = builder.objectRef<PartnerRow>('Partner');

builder.node(PartnerRef, {
  description: 'A partner of the lender and its API client.',
  id: { resolve: (row) => row.id },
  loadMany: (ids, context: GraphContext) => ids.map((id) => context.loaders.partnerById.load(id)),
  authScopes: { can: 'partners.read' },
  fields: (t) => ({
    code: t.exposeString('code', { description: 'The partner id its tokens carry (lendgraph_partner.id).' }),
    name: t.exposeString('name', { description: 'Name shown to people.' }),
    kind: t.field({ type: PartnerKindEnum, description: 'Origination or co-lending.', resolve: (p) => p.kind as 'origination' | 'colending' }),
    active: t.boolean({ description: 'Whether its tokens are honoured.', resolve: (p) => p.status === 'active' }),
    clientId: t.exposeString('clientId', { description: 'Its client id at the identity provider (client-credentials grant).' }),
    secretRotatedAt: t.field({ type: 'DateTime', nullable: true, description: 'When its client secret was last rotated.', resolve: (p) => p.secretRotatedAt }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was registered.', resolve: (p) => p.createdAt }),
  }),
});

builder.queryField('partners', (t) =>
  t.connection({
    type: PartnerRef,
    description: 'The lender\'s partners, by code. A partner sees only itself.',
    authScopes: { can: 'partners.read' },
    resolve: (_root, args, context) =>
      keysetConnection(context, args, (partner: PartnerRow) => partner.code, TEXT_KEY, ({ before, after, limit, inverted }) =>
        context.db!.partner.findMany({ where: { code: { gt: after, lt: before } }, orderBy: { code: inverted ? 'desc' : 'asc' }, take: limit }),
      ),
  }, ...connectionTypes('Partner')),
);

const RegisterPartnerInput = builder.inputType('RegisterPartnerInput', {
  description: 'A new partner.',
  fields: (t) => ({
    code: t.string({ required: true, description: 'Its id in tokens: 3–40 lowercase letters, digits or hyphens.' }),
    name: t.string({ required: true, description: 'Name shown to people.' }),
    kind: t.field({ type: PartnerKindEnum, required: true, description: 'Origination or co-lending.' }),
    idempotencyKey: t.field({ type: 'IdempotencyKey', required: false, description: 'Repeat the request with the same key (8–200 characters) to get the same partner back, never a second one; a replay carries no client secret.' }),
  }),
});

/** A partner with its client secret, shown this once: what registering and rotating answer. */
function partnerSecretPayload(mutation: string, description: string) {
  return payloadType<{ partner: PartnerRow; clientSecret: string | null }>(mutation, description, (t) => ({
    partner: t.field({ type: PartnerRef, nullable: true, description: 'The partner.', resolve: (p) => p.partner ?? null }),
    clientSecret: t.string({
      nullable: true,
      description: 'Its client secret: store it now, it is not shown again. Null with the development issuer, which has no client secrets (use `npm run token -- --partner`).',
      resolve: (p) => p.clientSecret ?? null,
    }),
  }));
}

const RegisterPartnerPayload = partnerSecretPayload('registerPartner', 'The new partner and its client secret, shown this once; an idempotent replay returns the partner without a secret.');
const RotatePartnerSecretPayload = partnerSecretPayload('rotatePartnerSecret', 'The partner and its new client secret, shown this once.');

const RotatePartnerSecretInput = builder.inputType('RotatePartnerSecretInput', {
  description: 'Which partner.',
  fields: (t) => ({ code: t.string({ required: true, description: 'The partner\'s code.' }) }),
});

builder.mutationFields((t) => ({
  registerPartner: t.field({
    type: RegisterPartnerPayload,
    description: 'Registers a partner and creates its confidential client at the identity provider; its tokens carry this tenant, the partner code and kind.',
    authScopes: { can: 'partners.manage' },
    args: { input: t.arg({ type: RegisterPartnerInput, required: true, description: 'The new partner.' }) },
    resolve: async (_root, { input }, context) => {
      try {
        const result = await registerPartner(context.db!, context.runtime.identity, {
          ...commandOf(context),
          ...(input.idempotencyKey != null ? { idempotency: { key: input.idempotencyKey, input: { code: input.code, name: input.name, kind: input.kind } } } : {}),
        }, { code: input.code, name: input.name, kind: input.kind });
        context.log.info({ partner: input.code, kind: input.kind }, 'partner registered');
        return result;
      } catch (error) {
        if (error instanceof PartnerExistsError) throw new AppError('CONFLICT', error.message, { field: inputPath('code') });
        throw error;
      }
    },
  }),
  rotatePartnerSecret: t.field({
    type: RotatePartnerSecretPayload,
    description: 'Issues the partner a new client secret; the old one stops working at once.',
    authScopes: { can: 'partners.manage' },
    args: { input: t.arg({ type: RotatePartnerSecretInput, required: true, description: 'Which partner.' }) },
    resolve: async (_root, { input }, context) => {
      const result = await rotateSecret(context.db!, context.runtime.identity, commandOf(context), input.code);
      if (!result) throw new AppError('NOT_FOUND', 'no partner with that code', { field: inputPath('code') });
      context.log.info({ partner: input.code }, 'partner secret rotated');
      return result;
    },
  }),
}));
