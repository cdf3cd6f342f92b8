// Which providers run a lender's checks is the lender's configuration (the registry's `check_providers`), not
// the code's: assessment asks checkProvidersFor(tenant) and never names a provider itself. Only the sandbox set
// exists (docs/sandbox-providers.md); a real set implements the same interfaces and gets its name here.
import type { BureauProvider, CheckKind, IncomeProvider, KycProvider } from '../../domain/origination/checks/providers.js';
import { SANDBOX_PROVIDER_NAMES, sandboxBureauProvider, sandboxIncomeProvider, sandboxKycProvider } from '../../domain/origination/checks/sandbox.js';
import type { TenantRecord } from '../../tenancy/registry.js';
import type { TenantDb, Tx } from '../../tenancy/tenantClients.js';
import { AppError } from '../../errors.js';
import { activeCheckProviderSettings, storedProviders } from './checkProviderSettings.js';

export interface CheckProviders {
  kyc: KycProvider;
  bureau: BureauProvider;
  income: IncomeProvider;
  names: Record<CheckKind, string>;
}

/** The deterministic sandbox providers; real providers implement the same interfaces. */
export const SANDBOX_PROVIDERS: CheckProviders = { kyc: sandboxKycProvider, bureau: sandboxBureauProvider, income: sandboxIncomeProvider, names: SANDBOX_PROVIDER_NAMES };

const PROVIDER_SETS: Readonly<Record<string, CheckProviders>> = { sandbox: SANDBOX_PROVIDERS };

/** The providers a tenant's checks go to, as its registry entry configures them. */
export function checkProvidersFor(tenant: Pick<TenantRecord, 'slug' | 'checkProviders'>): CheckProviders {
  const providers = Object.hasOwn(PROVIDER_SETS, tenant.checkProviders) ? PROVIDER_SETS[tenant.checkProviders] : undefined;
  // The column's CHECK keeps unknown names out; a name this build does not know is a deploy out of step.
  if (!providers) throw new Error(`tenant ${tenant.slug} is configured with check providers "${tenant.checkProviders}", which this build does not have`);
  return providers;
}

/**
 * The providers an assessment uses: the tenant's active check provider settings when it has a version
 * (checkProviderSettings.ts), otherwise the platform column as above. Only the sandbox is implemented: a check
 * kind set to another adapter is refused with CONFLICT PROVIDER_NOT_IMPLEMENTED, never quietly run in the sandbox.
 * (E-signature providers are stored with the rest; signing does not read them yet.)
 */
/**
 * The kinds of an active settings version that name an adapter this platform does not implement: they are refused,
 * never run in the sandbox instead.
 */
function unimplemented(active: NonNullable<Awaited<ReturnType<typeof activeCheckProviderSettings>>>, kinds: readonly ('kyc' | 'bureau' | 'income' | 'esign')[], doing: string): void {
  const stored = storedProviders(active);
  const missing = kinds.filter((kind) => stored[kind].provider !== 'sandbox');
  if (missing.length === 0) return;
  throw new AppError('CONFLICT', `check provider settings version ${active.version} names adapters this platform does not implement (${missing.map((kind) => `${kind}: ${stored[kind].provider}`).join(', ')}), so ${doing}: activate a version using sandbox for them`, {
    reason: 'PROVIDER_NOT_IMPLEMENTED', kinds: missing,
  });
}

/**
 * Refuses to submit an application whose checks could not run (the active settings name an adapter this platform does
 * not implement), inside the submitting transaction: nothing is written, and a draft stays a draft, instead of an
 * application left submitted and never assessed.
 */
export async function assertChecksCanRun(tx: TenantDb | Tx): Promise<void> {
  const active = await activeCheckProviderSettings(tx);
  if (active) unimplemented(active, ['kyc', 'bureau', 'income'], 'the application cannot be submitted (its checks cannot run)');
}

export async function providersForAssessment(db: TenantDb | Tx, tenant: Pick<TenantRecord, 'slug' | 'checkProviders'>): Promise<CheckProviders & { settingsVersion: number | null }> {
  const active = await activeCheckProviderSettings(db);
  if (!active) return { ...checkProvidersFor(tenant), settingsVersion: null };
  unimplemented(active, ['kyc', 'bureau', 'income'], 'checks cannot run');
  return { ...SANDBOX_PROVIDERS, settingsVersion: active.version };
}

/** Refuses signing when the lender's active settings name an e-sign adapter other than the sandbox's. */
export async function assertEsignAvailable(db: TenantDb | Tx): Promise<void> {
  const active = await activeCheckProviderSettings(db);
  if (active) unimplemented(active, ['esign'], 'the agreement cannot be signed');
}
