// Partner: an origination or co-lending partner of the lender, and its API client. A partner reading this sees
// only itself: GraphContext.db is partner-scoped (src/authz/partnerScope.ts), not these resolvers.
import { builder } from './builder.js';
import { noSuchCode } from '../errors.js';
import { commandOf, type GraphContext } from './context.js';
import { between, checkRange, countedConnectionTypes, listPage, orderEnum, orderingOf, type SortKey } from './lists.js';
import type { Prisma } from '../generated/prisma/client.js';
import type { TenantDb } from '../tenancy/tenantClients.js';
import { payloadType } from './payloads.js';
import { registerPartner, rotateSecret } from '../services/partners.js';

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

const PARTNER_ORDER = {
  CODE: { field: 'code', kind: 'text', label: 'code' },
  NAME: { field: 'name', kind: 'text', label: 'name shown to people' },
  CREATED_AT: { field: 'createdAt', kind: 'time', label: 'when it was registered' },
} as const satisfies Record<string, SortKey>;
const PartnerOrderEnum = orderEnum('Partner', PARTNER_ORDER);

builder.queryField('partners', (t) =>
  t.connection({
    type: PartnerRef,
    description: 'The lender\'s partners, by code unless `orderBy` says otherwise. A partner sees only itself.',
    authScopes: { can: 'partners.read' },
    args: {
      orderBy: t.arg({ type: PartnerOrderEnum, required: false, description: 'The order of the list; `CODE_ASC` when absent.' }),
      kind: t.arg({ type: PartnerKindEnum, required: false, description: 'Only partners of this kind.' }),
      active: t.arg.boolean({ required: false, description: 'Only partners whose tokens are honoured (true) or not (false).' }),
      createdFrom: t.arg({ type: 'DateTime', required: false, description: 'Only partners registered at or after this instant.' }),
      createdTo: t.arg({ type: 'DateTime', required: false, description: 'Only partners registered at or before this instant.' }),
    },
    resolve: (_root, args, context) => {
      checkRange('createdFrom', args.createdFrom, 'createdTo', args.createdTo);
      const created = between(args.createdFrom, args.createdTo);
      const where = {
        ...(args.kind ? { kind: args.kind } : {}),
        ...(args.active != null ? { status: args.active ? 'active' : { not: 'active' } } : {}),
        ...(created ? { createdAt: created } : {}),
      };
      return listPage(context, args, orderingOf(PARTNER_ORDER, args.orderBy, 'code:asc'), where, {
        findMany: (query) => context.db!.partner.findMany(query as Prisma.PartnerFindManyArgs),
        count: (query) => context.db!.partner.count(query as Prisma.PartnerCountArgs),
      });
    },
  }, ...countedConnectionTypes('Partner')),
);

const RegisterPartnerInput = builder.inputType('RegisterPartnerInput', {
  description: 'A new partner.',
  fields: (t) => ({
    code: t.string({ required: true, description: 'Its id in tokens: 3–40 lowercase letters, digits or hyphens.' }),
    name: t.string({ required: true, description: 'Name shown to people.' }),
    kind: t.field({ type: PartnerKindEnum, required: true, description: 'Origination or co-lending.' }),
    idempotencyKey: t.field({ type: 'IdempotencyKey', required: false, description: 'Repeat the request with the same key (8–200 characters) to get the same partner back, never a second one; a replay carries no client secret. Without a key the code does the same: the same code and details again answer the partner as it stands.' }),
  }),
});

/** A partner with its client secret, shown this once: what registering and rotating answer. */
function partnerSecretPayload(mutation: string, description: string) {
  return payloadType<{ partner: PartnerRow; clientSecret: string | null }>(mutation, description, (t) => ({
    partner: t.field({ type: PartnerRef, nullable: true, description: 'The partner.', resolve: (p) => p.partner ?? null }),
    clientSecret: t.string({
      nullable: true,
      description: 'Its client secret: store it now, it is not shown again. Null on a repeated registration, and with the development issuer, which has no client secrets (use `npm run token -- --partner`).',
      resolve: (p) => p.clientSecret ?? null,
    }),
  }));
}

const RegisterPartnerPayload = partnerSecretPayload('registerPartner', 'The new partner and its client secret, shown this once; a repeat returns the partner without a secret.');
const RotatePartnerSecretPayload = partnerSecretPayload('rotatePartnerSecret', 'The partner and its new client secret, shown this once.');

const RotatePartnerSecretInput = builder.inputType('RotatePartnerSecretInput', {
  description: 'Which partner.',
  fields: (t) => ({ code: t.string({ required: true, description: 'The partner\'s code.' }) }),
});

builder.mutationFields((t) => ({
  registerPartner: t.field({
    type: RegisterPartnerPayload,
    description: 'Registers a partner and creates its confidential client at the identity provider; its tokens carry this tenant, the partner code and kind. Sent again with a registered code and the same name and kind, it answers that partner as it stands, without its secret (clientSecret null: rotatePartnerSecret issues a new one), and writes nothing; with another name or kind it is a CONFLICT naming them.',
    authScopes: { can: 'partners.manage' },
    args: { input: t.arg({ type: RegisterPartnerInput, required: true, description: 'The new partner.' }) },
    resolve: async (_root, { input }, context) => {
      const result = await registerPartner(context.db!, context.runtime.identity, {
        ...commandOf(context),
        ...(input.idempotencyKey != null ? { idempotency: { key: input.idempotencyKey, input: { code: input.code, name: input.name, kind: input.kind } } } : {}),
      }, { code: input.code, name: input.name, kind: input.kind });
      context.log.info({ partner: input.code, kind: input.kind }, 'partner registered');
      return result;
    },
  }),
  rotatePartnerSecret: t.field({
    type: RotatePartnerSecretPayload,
    description: 'Issues the partner a new client secret; the old one stops working at once.',
    authScopes: { can: 'partners.manage' },
    args: { input: t.arg({ type: RotatePartnerSecretInput, required: true, description: 'Which partner.' }) },
    resolve: async (_root, { input }, context) => {
      const result = await rotateSecret(context.db!, context.runtime.identity, commandOf(context), input.code);
      if (!result) throw noSuchCode('code', 'no partner with that code');
      context.log.info({ partner: input.code }, 'partner secret rotated');
      return result;
    },
  }),
}));
