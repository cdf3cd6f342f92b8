// The caller as the platform sees it: useful to an embedded dashboard deciding what to show.
import { RoleEnum } from './enums.js';
import { PartnerKindEnum } from './partner.js';
import { builder } from './builder.js';
import type { Principal } from '../authz/principal.js';

const PartnerRef = builder.objectRef<{ id: string; kind: string }>('PartnerIdentity').implement({
  description: 'The partner a partner client acts for.',
  authScopes: { authenticated: true },
  fields: (t) => ({
    id: t.exposeString('id', { description: 'The partner\'s id within the tenant.' }),
    kind: t.field({ type: PartnerKindEnum, description: 'Origination or co-lending.', resolve: (p) => p.kind as 'origination' | 'colending' }),
  }),
});

const ViewerRef = builder.objectRef<Principal>('Viewer').implement({
  description: 'The verified principal making this request.',
  authScopes: { authenticated: true },
  fields: (t) => ({
    subject: t.exposeString('subject', { description: 'The identity provider\'s subject id.' }),
    username: t.exposeString('username', { nullable: true, description: 'Preferred username, when the token has one.' }),
    clientId: t.exposeString('clientId', { nullable: true, description: 'The OAuth client the token was issued to.' }),
    roles: t.expose('roles', { type: [RoleEnum], description: 'Lendgraph roles the token carries.' }),
    tenants: t.exposeStringList('tenants', { description: 'Slugs of the tenants the token is entitled to.' }),
    partner: t.field({
      type: PartnerRef,
      nullable: true,
      description: 'Set when the caller is a partner client.',
      resolve: (principal) => principal.partner,
    }),
    expiresAt: t.field({ type: 'DateTime', description: 'When the token expires.', resolve: (p) => p.expiresAt }),
  }),
});

builder.queryField('viewer', (t) =>
  t.field({
    type: ViewerRef,
    description: 'Who is calling.',
    authScopes: { authenticated: true },
    resolve: (_root, _args, context) => context.principal!,
  }),
);
