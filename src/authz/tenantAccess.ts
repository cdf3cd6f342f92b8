// Which tenant a request acts for. Only the verified token and the server-side registry decide: a selector the
// client sends may choose among the tenants the token is entitled to, nothing more. Fail closed.
import { AppError } from '../errors.js';
import type { TenantRecord } from '../tenancy/registry.js';
import { isBehind } from '../tenancy/migrations.js';
import type { Principal } from './principal.js';
import { STAFF_ROLES } from './roles.js';

export interface TenantLookup {
  findBySlug(slug: string): Promise<TenantRecord | null>;
}

/** Refuses a tenant the registry does not serve now: unknown or offboarded, suspended, or still being onboarded. */
export function assertServed(tenant: TenantRecord | null): asserts tenant is TenantRecord {
  // An entitlement to a tenant the registry does not know is refused the same way as no entitlement.
  if (!tenant || tenant.status === 'offboarded') throw new AppError('FORBIDDEN', 'this token is not entitled to that tenant');
  if (tenant.status === 'suspended') throw new AppError('TENANT_SUSPENDED', 'this tenant is suspended');
  if (tenant.status !== 'active') throw new AppError('FORBIDDEN', 'this tenant is still being onboarded');
}

/** A migration of one schema usually takes seconds; asking again sooner only adds load. */
export const TENANT_MIGRATING_RETRY_SECONDS = 30;

export async function resolveTenant(
  principal: Principal | null,
  selector: string | undefined,
  registry: TenantLookup,
  /** This build's latest tenant migration: a tenant whose schema is behind it is not served until migrated. */
  latestSchemaVersion: string | null,
): Promise<TenantRecord | null> {
  if (!principal) {
    if (selector) throw new AppError('UNAUTHENTICATED', 'a tenant can only be selected with a valid token');
    return null;
  }
  // A person works for one lender per account: staff roles are realm roles, not per organization, so an account in
  // two lenders' organizations would carry the roles one gave it into the other. Such a token is refused outright.
  if (principal.tenants.length > 1 && principal.roles.some((role) => STAFF_ROLES.includes(role))) {
    throw new AppError('FORBIDDEN', 'this account belongs to more than one lender, so its roles cannot be told apart: a person who works for two lenders has an account with each');
  }
  let slug: string | undefined;
  if (selector) {
    if (!principal.tenants.includes(selector)) throw new AppError('FORBIDDEN', 'this token is not entitled to that tenant');
    slug = selector;
  } else if (principal.tenants.length === 1) {
    slug = principal.tenants[0];
  } else if (principal.tenants.length > 1) {
    throw new AppError('BAD_USER_INPUT', 'this token is entitled to several tenants: choose one', { field: 'x-lendgraph-tenant' });
  }
  if (slug === undefined) return null;
  const tenant = await registry.findBySlug(slug);
  assertServed(tenant);
  // One lagging tenant answers this until the migration job reaches it; every other tenant, and the replica's
  // readiness, are unaffected (a rolling deploy may migrate tenants one by one).
  if (isBehind(tenant.schemaVersion, latestSchemaVersion)) {
    throw new AppError('TENANT_MIGRATING', 'this lender\'s data is being migrated to this version; retry shortly', { retryAfter: TENANT_MIGRATING_RETRY_SECONDS });
  }
  return tenant;
}
