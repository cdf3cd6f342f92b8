// Which tenant a request acts for. Only the verified token and the server-side registry decide: a selector the
// client sends may choose among the tenants the token is entitled to, nothing more. Fail closed.
import { AppError } from '../errors.js';
import type { TenantRecord } from '../tenancy/registry.js';
import type { Principal } from './principal.js';

export interface TenantLookup {
  findBySlug(slug: string): Promise<TenantRecord | null>;
}

export async function resolveTenant(
  principal: Principal | null,
  selector: string | undefined,
  registry: TenantLookup,
): Promise<TenantRecord | null> {
  if (!principal) {
    if (selector) throw new AppError('UNAUTHENTICATED', 'a tenant can only be selected with a valid token');
    return null;
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
  // An entitlement to a tenant the registry does not know is refused the same way as no entitlement.
  if (!tenant || tenant.status === 'offboarded') throw new AppError('FORBIDDEN', 'this token is not entitled to that tenant');
  if (tenant.status === 'suspended') throw new AppError('TENANT_SUSPENDED', 'this tenant is suspended');
  if (tenant.status !== 'active') throw new AppError('FORBIDDEN', 'this tenant is still being onboarded');
  return tenant;
}
