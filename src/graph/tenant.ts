// Tenant: a lender's registry entry. Platform admins onboard, suspend and reactivate tenants and see schema
// versions; a tenant's own staff see their tenant's public settings (name, currency, business date).
import { builder } from './builder.js';
import { AppError, badInput, inputPath, withArticle, statusInWords } from '../errors.js';
import { isBehind, latestTenantVersion, latestVersion, schemasBehind } from '../tenancy/migrations.js';
import { TenantConflictError } from '../tenancy/provisioning.js';
import { offboardTenant, onboardTenant } from '../tenancy/onboarding.js';
import type { TenantRecord, TenantStatus } from '../tenancy/registry.js';
import { between, checkRange, countedConnectionTypes, listPage, orderEnum, orderingOf, type SortKey } from './lists.js';
import type { GraphContext } from './context.js';
import { objectPayload, payloadType } from './payloads.js';
import { dashboardOriginsOf, MAX_DASHBOARD_ORIGINS } from '../crossOrigin.js';

const TenantStatusEnum = builder.enumType('TenantStatus', {
  description: 'Where a tenant stands on the platform.',
  values: {
    PROVISIONING: { value: 'provisioning', description: 'Database side made; the identity provider\'s side is pending. Serves nothing yet.' },
    ONBOARDING_FAILED: { value: 'onboarding_failed', description: 'Onboarding failed and was undone (statusReason says why); repeating createTenant tries again.' },
    ACTIVE: { value: 'active', description: 'Serving requests.' },
    SUSPENDED: { value: 'suspended', description: 'Every request for it fails with TENANT_SUSPENDED.' },
    OFFBOARDED: { value: 'offboarded', description: 'Left the platform; its identities are disabled.' },
  } as const,
});

export const TenantRef = builder.objectRef<TenantRecord>('Tenant');

builder.node(TenantRef, {
  id: { resolve: (row) => row.id },
  loadMany: (ids, context: GraphContext) => ids.map((id) => context.loaders.tenantById.load(id)),
  description: 'A lender on the platform.',
  // Platform admins see every tenant (and never act within one); a tenant's own principals see only their own.
  authScopes: (tenant, context) =>
    context.tenant?.id === tenant.id ? { can: 'tenant.settings.read' } : { can: 'platform.tenants.read' },
  fields: (t) => ({
    slug: t.exposeString('slug', { description: 'Stable short name, also the Keycloak organization alias.' }),
    displayName: t.exposeString('displayName', { description: 'Name shown to people.' }),
    status: t.field({ type: TenantStatusEnum, description: 'Where it stands.', resolve: (x) => x.status }),
    statusReason: t.exposeString('statusReason', { nullable: true, description: 'Why it was last suspended or reactivated.' }),
    sandbox: t.exposeBoolean('sandbox', { description: 'A sandbox tenant, seeded with demo data for partner integration.' }),
    currency: t.exposeString('currency', { description: 'Default ISO 4217 currency.' }),
    timeZone: t.exposeString('timeZone', { description: 'IANA time zone its business dates are in.' }),
    businessDate: t.field({ type: 'Date', description: 'Current business date, advanced by end of day.', resolve: (x) => x.businessDate }),
    schemaVersion: t.exposeString('schemaVersion', {
      nullable: true,
      description: 'Latest migration applied to its schema.',
      authScopes: { can: 'platform.tenants.read' },
    }),
    schemaUpToDate: t.boolean({
      description: 'Whether its schema is at (or past) the latest tenant migration this build knows.',
      authScopes: { can: 'platform.tenants.read' },
      resolve: (x, _args, context) => !isBehind(x.schemaVersion, latestTenantVersion(context.runtime.migrations)),
    }),
    database: t.exposeString('database', {
      description: 'The PostgreSQL database its schema is placed on, by the name the platform\'s settings give it (`main` is the platform\'s own).',
      authScopes: { can: 'platform.tenants.read' },
    }),
    dashboardOrigins: t.exposeStringList('dashboardOrigins', { authScopes: { can: 'tenant.dashboardOrigins.manage' }, description: 'Web origins its embedded dashboards are served from: browsers may call the API for this tenant from these, and from nowhere else (docs/operations.md, "Dashboards in the browser").' }),
    createdAt: t.field({ type: 'DateTime', description: 'When it was onboarded.', resolve: (x) => x.createdAt }),
    updatedAt: t.field({ type: 'DateTime', description: 'When its registry entry last changed.', resolve: (x) => x.updatedAt }),
  }),
});

const TENANT_ORDER = {
  SLUG: { field: 'slug', kind: 'text', label: 'slug' },
  DISPLAY_NAME: { field: 'displayName', kind: 'text', label: 'name shown to people' },
  CREATED_AT: { field: 'createdAt', kind: 'time', label: 'when it was onboarded' },
  UPDATED_AT: { field: 'updatedAt', kind: 'time', label: 'when it last changed' },
} as const satisfies Record<string, SortKey>;
const TenantOrderEnum = orderEnum('Tenant', TENANT_ORDER);

builder.queryFields((t) => ({
  currentTenant: t.field({
    type: TenantRef,
    description: 'The tenant this request acts for.',
    authScopes: { can: 'tenant.settings.read' },
    resolve: (_root, _args, context) => context.tenant!,
  }),
  tenants: t.connection({
    type: TenantRef,
    description: 'Every tenant, by slug unless `orderBy` says otherwise, with filters for an operator\'s views and for syncing (`updatedSince`).',
    authScopes: { can: 'platform.tenants.read' },
    args: {
      orderBy: t.arg({ type: TenantOrderEnum, required: false, description: 'The order of the list; `SLUG_ASC` when absent.' }),
      status: t.arg({ type: TenantStatusEnum, required: false, description: 'Only tenants in this status.' }),
      sandbox: t.arg.boolean({ required: false, description: 'Only sandbox (true) or real (false) lenders.' }),
      createdFrom: t.arg({ type: 'DateTime', required: false, description: 'Only tenants created at or after this instant.' }),
      createdTo: t.arg({ type: 'DateTime', required: false, description: 'Only tenants created at or before this instant.' }),
      updatedSince: t.arg({ type: 'DateTime', required: false, description: 'Only tenants changed at or after this instant (status, onboarding): for syncing.' }),
    },
    resolve: (_root, args, context) => {
      checkRange('createdFrom', args.createdFrom, 'createdTo', args.createdTo);
      const created = between(args.createdFrom, args.createdTo);
      const where = {
        ...(args.status ? { status: args.status } : {}),
        ...(args.sandbox != null ? { sandbox: args.sandbox } : {}),
        ...(created ? { createdAt: created } : {}),
        ...(args.updatedSince ? { updatedAt: { gte: args.updatedSince } } : {}),
      };
      const { registry } = context.runtime;
      return listPage(context, args, orderingOf(TENANT_ORDER, args.orderBy, 'slug:asc'), where, {
        findMany: (query) => registry.list(query),
        count: (query) => registry.count(query),
      });
    },
  }, ...countedConnectionTypes('Tenant')),
  tenantBySlug: t.field({
    type: TenantRef,
    nullable: true,
    description: 'One tenant by slug.',
    authScopes: { can: 'platform.tenants.read' },
    args: { slug: t.arg.string({ required: true, description: 'The tenant\'s slug.' }) },
    resolve: (_root, args, context) => context.runtime.registry.findBySlug(args.slug),
  }),
  schemaStatus: t.field({
    type: SchemaStatusRef,
    description: 'Migration state of the platform and every tenant schema.',
    authScopes: { can: 'platform.tenants.read' },
    resolve: async (_root, _args, context) => {
      const { pool, migrations } = context.runtime;
      const platformVersion = (await pool.query<{ v: string | null }>('SELECT max(id) AS v FROM platform.schema_migration')).rows[0]?.v ?? null;
      const behind = await schemasBehind(pool, migrations);
      return {
        platformVersion,
        latestPlatformVersion: latestVersion(migrations, 'platform'),
        latestTenantVersion: latestTenantVersion(migrations),
        tenantsBehind: behind.filter((schema) => schema !== 'platform').length,
      };
    },
  }),
}));

interface SchemaStatus {
  platformVersion: string | null;
  latestPlatformVersion: string | null;
  latestTenantVersion: string | null;
  tenantsBehind: number;
}

const SchemaStatusRef = builder.objectRef<SchemaStatus>('SchemaStatus').implement({
  description: 'Migration state across schemas; each tenant\'s own version is Tenant.schemaVersion.',
  authScopes: { can: 'platform.tenants.read' },
  fields: (t) => ({
    platformVersion: t.exposeString('platformVersion', { nullable: true, description: 'Latest migration applied to the platform schema.' }),
    latestPlatformVersion: t.exposeString('latestPlatformVersion', { nullable: true, description: 'Latest platform migration this build knows.' }),
    latestTenantVersion: t.exposeString('latestTenantVersion', { nullable: true, description: 'Latest tenant migration this build knows.' }),
    tenantsBehind: t.exposeInt('tenantsBehind', { description: 'Active or suspended tenants behind the latest tenant migration.' }),
  }),
});

const FirstAdminInput = builder.inputType('FirstAdminInput', {
  description: 'A person at the lender who will administer it.',
  fields: (t) => ({
    email: t.string({ required: true, description: 'Their work e-mail: also their sign-in name.' }),
    name: t.string({ required: true, description: 'Full name.' }),
  }),
});

const CreateTenantInput = builder.inputType('CreateTenantInput', {
  description: 'A new lender.',
  fields: (t) => ({
    slug: t.string({ required: true, description: 'Lowercase letters, digits, single hyphens; 3–40 characters.' }),
    displayName: t.string({ required: true, description: 'Name shown to people.' }),
    currency: t.string({ required: true, description: 'Default ISO 4217 currency.' }),
    timeZone: t.string({ required: true, description: 'IANA time zone, e.g. Asia/Kolkata.' }),
    businessDate: t.field({ type: 'Date', required: false, description: 'First business date: today in timeZone when left out, and never after it (a tenant\'s date moves only by its end of day; a sandbox\'s also by `advanceSandboxClock`) nor more than 1,827 days (five years) before it (an older book is brought in by backdating its loans\' disbursements). A past date is caught up by end of day at once.' }),
    sandbox: t.boolean({ required: false, defaultValue: false, description: 'Seed realistic demo data for partner integration.' }),
    firstAdmin: t.field({ type: FirstAdminInput, required: false, description: 'The lender\'s first tenant admin; sets a password on first sign-in.' }),
    database: t.string({ required: false, description: 'Which PostgreSQL database its schema goes on, by the name the platform\'s settings give it (`main`, the platform\'s own, unless said; docs/operations.md, "Placing tenants on more than one server").' }),
  }),
});

const CreateTenantPayload = payloadType<{ tenant: TenantRecord; created: boolean; firstAdminCreated: boolean | null }>(
  'createTenant',
  'The tenant, newly made or found already made by an identical earlier request. Its status says where onboarding stands.',
  (t) => ({
    tenant: t.field({ type: TenantRef, nullable: true, description: 'The tenant.', resolve: (p) => p.tenant ?? null }),
    created: t.boolean({ nullable: true, description: 'False when an identical request had already created it.', resolve: (p) => p.created ?? null }),
    firstAdminCreated: t.boolean({
      nullable: true,
      description: 'Whether this request made the `firstAdmin` asked for, in the identity provider. False when no identity provider is configured (the development issuer, `KEYCLOAK_URL` unset): the first admin exists only in one, so nobody was made, and the lender is administered with a token from `npm run token -- --tenant <slug> --role tenant-admin` instead (docs/operations.md, "Tenants"). False too on a repeat of a request that had already onboarded the tenant, and when onboarding failed (the tenant\'s status says so). Null when no `firstAdmin` was asked for.',
      resolve: (p) => p.firstAdminCreated ?? null,
    }),
  }),
);

/** Each status change takes its own input (which tenant, and why), so each can grow on its own. */
function tenantStatusInput(name: string, why: string) {
  return builder.inputType(name, {
    description: `Which tenant, and why it is ${why}.`,
    fields: (t) => ({
      slug: t.string({ required: true, description: 'The tenant\'s slug.' }),
      reason: t.string({ required: true, description: 'Why; recorded with the status.' }),
    }),
  });
}

const SuspendTenantInput = tenantStatusInput('SuspendTenantInput', 'suspended');
const ReactivateTenantInput = tenantStatusInput('ReactivateTenantInput', 'reactivated');
const OffboardTenantInput = tenantStatusInput('OffboardTenantInput', 'offboarded');

const SetDashboardOriginsInput = builder.inputType('SetDashboardOriginsInput', {
  description: 'The web origins of the lender\'s embedded dashboards; the list replaces the one before.',
  fields: (t) => ({
    origins: t.stringList({ required: true, description: `Origins such as \`https://dashboard.example.com\` (scheme, host and port; no path), at most ${MAX_DASHBOARD_ORIGINS}. Empty: no browser may call the API from another site for this tenant.` }),
  }),
});
const SetDashboardOriginsPayload = objectPayload('setDashboardOrigins', 'tenant', TenantRef, 'The tenant, with its dashboard origins.');

const SuspendTenantPayload = objectPayload('suspendTenant', 'tenant', TenantRef, 'The tenant, suspended.');
const ReactivateTenantPayload = objectPayload('reactivateTenant', 'tenant', TenantRef, 'The tenant, active again.');
const OffboardTenantPayload = objectPayload('offboardTenant', 'tenant', TenantRef, 'The tenant, offboarded.');

async function changeStatus(context: GraphContext, slug: string, reason: string, status: 'active' | 'suspended') {
  if (reason.trim().length === 0) throw badInput(inputPath('reason'), 'reason must not be empty');
  const { registry } = context.runtime;
  const from: TenantStatus[] = status === 'suspended' ? ['active', 'suspended'] : ['suspended', 'active'];
  const tenant = await registry.setStatus(slug, status, reason, from);
  if (!tenant) {
    const existing = await registry.findBySlug(slug);
    if (!existing) throw new AppError('NOT_FOUND', 'no tenant with that slug', { field: inputPath('slug') });
    throw new AppError('CONFLICT', `${withArticle(statusInWords(existing.status))} tenant cannot be made ${statusInWords(status)}`, { field: inputPath('slug') });
  }
  context.log.info({ slug, status, reason }, 'tenant status changed');
  return { tenant };
}

builder.mutationFields((t) => ({
  createTenant: t.field({
    type: CreateTenantPayload,
    description: 'Onboards a lender: its own schema at the latest migration and registry entry (atomically on the platform\'s own database; in repeatable steps on another, `database`), then its organization, role groups and first admin in the identity provider. If the identity side fails, both sides are undone and the status is ONBOARDING_FAILED; repeating the request tries again, and an identical repeat of a finished one returns it. A repeat with other details is a CONFLICT naming each, a `businessDate` or `firstAdmin` held to what the tenant was created with (left out, they ask for nothing).',
    authScopes: { can: 'platform.tenants.manage' },
    args: { input: t.arg({ type: CreateTenantInput, required: true, description: 'The new tenant.' }) },
    resolve: async (_root, { input }, context) => {
      const { runtime } = context;
      if (input.firstAdmin && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(input.firstAdmin.email)) {
        throw badInput(inputPath('firstAdmin.email'), 'firstAdmin.email must be an e-mail address');
      }
      try {
        const result = await onboardTenant(runtime, {
          slug: input.slug,
          displayName: input.displayName,
          currency: input.currency,
          timeZone: input.timeZone,
          sandbox: input.sandbox ?? false,
          ...(input.businessDate ? { businessDate: input.businessDate } : {}),
          ...(input.database ? { database: input.database } : {}),
        }, input.firstAdmin ?? null, runtime.now());
        runtime.registry.forget(input.slug);
        const tenant = await runtime.registry.findBySlug(input.slug);
        context.log.info({ slug: input.slug, created: result.created, status: result.status }, 'tenant onboarding');
        return { tenant: tenant!, created: result.created, firstAdminCreated: result.firstAdminMade };
      } catch (error) {
        if (error instanceof TenantConflictError) {
          throw new AppError('CONFLICT', error.message, { field: inputPath(error.fields[0]!) });
        }
        throw error;
      }
    },
  }),
  setDashboardOrigins: t.field({
    type: SetDashboardOriginsPayload,
    description: 'Sets the web origins the lender\'s embedded dashboards are served from. Browsers may then call the API for this tenant from those sites (CORS); calls from any other site are refused with FORBIDDEN (`ORIGIN_NOT_ALLOWED`).',
    authScopes: { can: 'tenant.dashboardOrigins.manage' },
    args: { input: t.arg({ type: SetDashboardOriginsInput, required: true, description: 'The origins.' }) },
    resolve: async (_root, { input }, context) => {
      const origins = dashboardOriginsOf(input.origins, (index) => inputPath(`origins[${index}]`), inputPath('origins'), context.runtime.config.NODE_ENV !== 'production');
      const tenant = await context.runtime.registry.setDashboardOrigins(context.tenant!.slug, origins);
      context.log.info({ origins, by: context.principal?.subject }, 'dashboard origins changed');
      return { tenant: tenant! };
    },
  }),
  suspendTenant: t.field({
    type: SuspendTenantPayload,
    description: 'Suspends a tenant: every request for it fails with TENANT_SUSPENDED until reactivated.',
    authScopes: { can: 'platform.tenants.manage' },
    args: { input: t.arg({ type: SuspendTenantInput, required: true, description: 'Which tenant, and why.' }) },
    resolve: (_root, { input }, context) => changeStatus(context, input.slug, input.reason, 'suspended'),
  }),
  offboardTenant: t.field({
    type: OffboardTenantPayload,
    description: 'Offboards a lender: every request for it is refused from now on, and its people and partner clients can no longer sign in. Its data is kept. Repeating retries disabling identities.',
    authScopes: { can: 'platform.tenants.manage' },
    args: { input: t.arg({ type: OffboardTenantInput, required: true, description: 'Which tenant, and why.' }) },
    resolve: async (_root, { input }, context) => {
      if (input.reason.trim().length === 0) throw badInput(inputPath('reason'), 'reason must not be empty');
      const { runtime } = context;
      if (!(await offboardTenant(runtime, input.slug, input.reason))) {
        const existing = await runtime.registry.findBySlug(input.slug);
        if (!existing) throw new AppError('NOT_FOUND', 'no tenant with that slug', { field: inputPath('slug') });
        throw new AppError('CONFLICT', `${withArticle(statusInWords(existing.status))} tenant cannot be offboarded`, { field: inputPath('slug') });
      }
      runtime.registry.forget(input.slug);
      context.log.info({ slug: input.slug, reason: input.reason }, 'tenant offboarded');
      return { tenant: (await runtime.registry.findBySlug(input.slug))! };
    },
  }),
  reactivateTenant: t.field({
    type: ReactivateTenantPayload,
    description: 'Reactivates a suspended tenant.',
    authScopes: { can: 'platform.tenants.manage' },
    args: { input: t.arg({ type: ReactivateTenantInput, required: true, description: 'Which tenant, and why.' }) },
    resolve: (_root, { input }, context) => changeStatus(context, input.slug, input.reason, 'active'),
  }),
}));
