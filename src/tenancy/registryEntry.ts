// Writing a tenant's row in the registry (platform.tenant), for every path that makes one: onboarding on the
// platform's database, onboarding on another, and a tenant restored from a backup. One statement, so the paths
// cannot drift apart in what they set; the registry itself (registry.ts) reads and changes rows afterwards.
import type pg from 'pg';
import type { TenantRecord } from './registry.js';

/**
 * A registry row as written: a tenant's record, except that a new tenant leaves its check providers and dashboard
 * sites to the columns' defaults, and a restored one keeps its creation time as its backup wrote it (text, to the
 * microsecond).
 */
export type RegistryEntry = Omit<TenantRecord, 'checkProviders' | 'dashboardOrigins' | 'createdAt'> & {
  createdAt: Date | string;
  checkProviders?: string;
  dashboardOrigins?: readonly string[];
  /** What a repeat of createTenant is held to (src/tenancy/provisioning.ts); null on a row from before they were kept. */
  firstBusinessDate: string | null;
  firstAdminEmail: string | null;
};

/**
 * Inserts the row. `retry`: an onboarding that failed is tried again under the same id, and the row it left is
 * given what this request says (its check providers and dashboard sites, set since by the lender, are kept);
 * otherwise a row with that id already there is an error.
 */
export async function writeRegistryEntry(client: pg.ClientBase, entry: RegistryEntry, options: { retry: boolean }): Promise<void> {
  const columns: [string, string, unknown][] = [
    ['id', 'uuid', entry.id], ['slug', 'text', entry.slug], ['display_name', 'text', entry.displayName], ['status', 'text', entry.status],
    ['status_reason', 'text', entry.statusReason], ['sandbox', 'boolean', entry.sandbox], ['currency', 'text', entry.currency],
    ['time_zone', 'text', entry.timeZone], ['business_date', 'date', entry.businessDate], ['schema_name', 'text', entry.schemaName],
    ['schema_version', 'text', entry.schemaVersion], ['database', 'text', entry.database], ['created_at', 'timestamptz', entry.createdAt],
    ['updated_at', 'timestamptz', entry.updatedAt], ['first_business_date', 'date', entry.firstBusinessDate],
    ['first_admin_email', 'text', entry.firstAdminEmail],
  ];
  if (entry.checkProviders !== undefined) columns.push(['check_providers', 'text', entry.checkProviders]);
  if (entry.dashboardOrigins !== undefined) columns.push(['dashboard_origins', 'text[]', [...entry.dashboardOrigins]]);
  // What a retry keeps: the row's identity, when it was first made, and what the lender has set since.
  const kept = new Set(['id', 'slug', 'schema_name', 'created_at', 'check_providers', 'dashboard_origins']);
  const retried = columns.map(([name]) => name).filter((name) => !kept.has(name));
  await client.query(
    `INSERT INTO platform.tenant (${columns.map(([name]) => name).join(', ')})
     VALUES (${columns.map(([, type], k) => `$${k + 1}::${type}`).join(', ')})
     ${options.retry ? `ON CONFLICT (id) DO UPDATE SET ${retried.map((name) => `${name} = EXCLUDED.${name}`).join(', ')}` : ''}`,
    columns.map(([, , value]) => value),
  );
}
