// The tenant registry in the `platform` schema, read through the platform Prisma client. Lookups by slug are
// cached for a short TTL because every request resolves its tenant; this process drops its own entry the
// moment it changes a tenant's status, and other processes see the change within the TTL.
import { LRUCache } from 'lru-cache';
import type { PrismaClient } from '../generated/prisma/client.js';
import { businessDateOf } from './dateColumns.js';

export type TenantStatus = 'provisioning' | 'onboarding_failed' | 'active' | 'suspended' | 'offboarded';

export interface TenantRecord {
  id: string;
  slug: string;
  displayName: string;
  status: TenantStatus;
  statusReason: string | null;
  sandbox: boolean;
  /** The set of check providers its applications go to (services/origination/checkProviders.ts). */
  checkProviders: string;
  currency: string;
  timeZone: string;
  /** The tenant's current business date, YYYY-MM-DD. */
  businessDate: string;
  schemaName: string;
  schemaVersion: string | null;
  /** The database its schema lives in, by name (src/tenancy/placement.ts). */
  database: string;
  /** Web origins its embedded dashboards are served from; browsers elsewhere are refused (docs/operations.md). */
  dashboardOrigins: string[];
  createdAt: Date;
  updatedAt: Date;
}

type TenantRow = Awaited<ReturnType<PrismaClient['tenant']['findUniqueOrThrow']>>;

export function toTenantRecord(row: TenantRow): TenantRecord {
  return {
    id: row.id,
    slug: row.slug,
    displayName: row.displayName,
    status: row.status as TenantStatus,
    statusReason: row.statusReason,
    sandbox: row.sandbox,
    checkProviders: row.checkProviders,
    currency: row.currency,
    timeZone: row.timeZone,
    businessDate: businessDateOf(row.businessDate),
    schemaName: row.schemaName,
    schemaVersion: row.schemaVersion,
    database: row.database,
    dashboardOrigins: row.dashboardOrigins,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

export class TenantRegistry {
  private readonly bySlug: LRUCache<string, { record: TenantRecord | null }>;
  private readonly dashboardOrigins: LRUCache<string, { listed: boolean }>;
  private readonly reading = new Map<string, Promise<TenantRecord | null>>();

  constructor(
    private readonly platform: PrismaClient,
    ttlMs: number,
  ) {
    this.bySlug = new LRUCache({ max: 10_000, ttl: Math.max(ttlMs, 1) });
    this.dashboardOrigins = new LRUCache({ max: 10_000, ttl: Math.max(ttlMs, 1) });
  }

  /** Whether any active tenant lists this web origin for its dashboards (asked by browsers' preflights). */
  async isDashboardOrigin(origin: string): Promise<boolean> {
    const cached = this.dashboardOrigins.get(origin);
    if (cached) return cached.listed;
    const listed = (await this.platform.tenant.count({ where: { status: 'active', dashboardOrigins: { has: origin } }, take: 1 })) > 0;
    this.dashboardOrigins.set(origin, { listed });
    return listed;
  }

  /** Replaces a tenant's dashboard origins; null when no such tenant. */
  async setDashboardOrigins(slug: string, origins: string[]): Promise<TenantRecord | null> {
    const result = await this.platform.tenant.updateManyAndReturn({ where: { slug }, data: { dashboardOrigins: origins, updatedAt: new Date() } });
    this.forget(slug);
    this.dashboardOrigins.clear();
    const row = result[0];
    return row ? toTenantRecord(row) : null;
  }

  async findBySlug(slug: string): Promise<TenantRecord | null> {
    const cached = this.bySlug.get(slug);
    if (cached) return cached.record;
    // Callers that miss together (every live stream of a tenant, once its entry expires) share one read.
    const shared = this.reading.get(slug);
    if (shared) return shared;
    const reading: Promise<TenantRecord | null> = this.platform.tenant.findUnique({ where: { slug } }).then((row) => {
      const record = row ? toTenantRecord(row) : null;
      // Kept only if nothing changed the tenant meanwhile (forget() drops the read it would have shared).
      if (this.reading.get(slug) === reading) this.bySlug.set(slug, { record });
      return record;
    }).finally(() => {
      if (this.reading.get(slug) === reading) this.reading.delete(slug);
    });
    this.reading.set(slug, reading);
    return reading;
  }

  async findManyById(ids: readonly string[]): Promise<TenantRecord[]> {
    const rows = await this.platform.tenant.findMany({ where: { id: { in: [...ids] } } });
    return rows.map(toTenantRecord);
  }

  /** Keyset page ordered by slug; `after` / `before` are slugs. */
  /** Tenants under a Prisma query (the platform list's filters, order and page). */
  async list(query: { where: Record<string, unknown>; orderBy: Record<string, 'asc' | 'desc'>[]; take: number }): Promise<TenantRecord[]> {
    const rows = await this.platform.tenant.findMany(query as Parameters<PrismaClient['tenant']['findMany']>[0]);
    return rows.map(toTenantRecord);
  }

  /** How many tenants match a Prisma filter. */
  count(query: { where: Record<string, unknown> }): Promise<number> {
    return this.platform.tenant.count(query as Parameters<PrismaClient['tenant']['count']>[0]);
  }

  /** Moves a tenant to `status` only from one of `from`; null when no such tenant is in such a state. */
  async setStatus(slug: string, status: TenantStatus, reason: string | null, from: TenantStatus[]): Promise<TenantRecord | null> {
    const result = await this.platform.tenant.updateManyAndReturn({
      where: { slug, status: { in: from } },
      data: { status, statusReason: reason, updatedAt: new Date() },
    });
    this.forget(slug);
    const row = result[0];
    return row ? toTenantRecord(row) : null;
  }

  forget(slug: string): void {
    this.bySlug.delete(slug);
    this.reading.delete(slug);
  }
}
