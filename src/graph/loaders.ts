// Per-request DataLoaders: batch and de-duplicate lookups within one operation, never across requests or tenants.
import DataLoader from 'dataloader';
import type { Runtime } from '../runtime.js';
import type { TenantDb } from '../tenancy/tenantClients.js';
import type { TenantRecord } from '../tenancy/registry.js';
import { AppError } from '../errors.js';

type PartyRow = Awaited<ReturnType<TenantDb['party']['findUniqueOrThrow']>>;
type LoanProductRow = Awaited<ReturnType<TenantDb['loanProduct']['findUniqueOrThrow']>>;
type PartnerRow = Awaited<ReturnType<TenantDb['partner']['findUniqueOrThrow']>>;
export type WebhookEndpointRow = Awaited<ReturnType<TenantDb['webhookEndpoint']['findUniqueOrThrow']>>;
export type WebhookDeliveryRow = Awaited<ReturnType<TenantDb['webhookDelivery']['findUniqueOrThrow']>>;
export type WebhookAttemptRow = Awaited<ReturnType<TenantDb['webhookAttempt']['findUniqueOrThrow']>>;
export type LoanRow = Awaited<ReturnType<TenantDb['loan']['findUniqueOrThrow']>>;
export type LoanTransactionRow = Awaited<ReturnType<TenantDb['loanTransaction']['findUniqueOrThrow']>>;
export type ApplicationRow = Awaited<ReturnType<TenantDb['application']['findUniqueOrThrow']>>;
export type LoanWaiverRequestRow = Awaited<ReturnType<TenantDb['loanWaiverRequest']['findUniqueOrThrow']>>;
export type DisbursementRequestRow = Awaited<ReturnType<TenantDb['disbursementRequest']['findUniqueOrThrow']>>;
export type ApprovalRequestRow = Awaited<ReturnType<TenantDb['approvalRequest']['findUniqueOrThrow']>>;

export interface Loaders {
  tenantById: DataLoader<string, TenantRecord | null>;
  partyById: DataLoader<string, PartyRow | null>;
  loanProductById: DataLoader<string, LoanProductRow | null>;
  partnerById: DataLoader<string, PartnerRow | null>;
  webhookEndpointById: DataLoader<string, WebhookEndpointRow | null>;
  webhookDeliveryById: DataLoader<string, WebhookDeliveryRow | null>;
  webhookAttemptsByDelivery: DataLoader<string, WebhookAttemptRow[]>;
  loanById: DataLoader<string, LoanRow | null>;
  loanTransactionById: DataLoader<string, LoanTransactionRow | null>;
  loanWaiverRequestById: DataLoader<string, LoanWaiverRequestRow | null>;
  applicationById: DataLoader<string, ApplicationRow | null>;
  disbursementRequestById: DataLoader<string, DisbursementRequestRow | null>;
  approvalRequestById: DataLoader<string, ApprovalRequestRow | null>;
}

function byId<T extends { id: string }>(ids: readonly string[], rows: T[]): (T | null)[] {
  const found = new Map(rows.map((row) => [row.id, row]));
  return ids.map((id) => found.get(id) ?? null);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids from clients that are not UUIDs cannot exist; dropping them keeps a bad id from becoming a SQL error. */
function uuids(ids: readonly string[]): string[] {
  return ids.filter((id) => UUID.test(id));
}

export function createLoaders(runtime: Runtime, dbFor: () => TenantDb | null): Loaders {
  const tenantOnly = <T>(load: (db: TenantDb, ids: string[]) => Promise<T[]>) =>
    async (ids: readonly string[]) => {
      const db = dbFor();
      if (!db) return [];
      try {
        return await load(db, uuids(ids));
      } catch (error) {
        // What a partner may not see does not exist for it: node(id:) answers null, as for another tenant's id,
        // rather than confirming the object is there.
        if (error instanceof AppError && error.code === 'FORBIDDEN') return [];
        throw error;
      }
    };
  return {
    tenantById: new DataLoader(async (ids) => byId(ids, await runtime.registry.findManyById(uuids(ids)))),
    partyById: new DataLoader(async (ids) =>
      byId(ids, await tenantOnly((d, valid) => d.party.findMany({ where: { id: { in: valid } } }))(ids)),
    ),
    loanProductById: new DataLoader(async (ids) =>
      byId(ids, await tenantOnly((d, valid) => d.loanProduct.findMany({ where: { id: { in: valid } } }))(ids)),
    ),
    partnerById: new DataLoader(async (ids) =>
      byId(ids, await tenantOnly((d, valid) => d.partner.findMany({ where: { id: { in: valid } } }))(ids)),
    ),
    webhookEndpointById: new DataLoader(async (ids) =>
      byId(ids, await tenantOnly((d, valid) => d.webhookEndpoint.findMany({ where: { id: { in: valid } } }))(ids)),
    ),
    webhookDeliveryById: new DataLoader(async (ids) =>
      byId(ids, await tenantOnly((d, valid) => d.webhookDelivery.findMany({ where: { id: { in: valid } } }))(ids)),
    ),
    webhookAttemptsByDelivery: new DataLoader(async (ids) => {
      const rows = await tenantOnly((d, valid) => d.webhookAttempt.findMany({ where: { deliveryId: { in: valid } }, orderBy: { attempt: 'asc' } }))(ids);
      return ids.map((id) => rows.filter((row) => row.deliveryId === id));
    }),
    loanById: new DataLoader(async (ids) =>
      byId(ids, await tenantOnly((d, valid) => d.loan.findMany({ where: { id: { in: valid } } }))(ids)),
    ),
    loanTransactionById: new DataLoader(async (ids) =>
      byId(ids, await tenantOnly((d, valid) => d.loanTransaction.findMany({ where: { id: { in: valid } } }))(ids)),
    ),
    loanWaiverRequestById: new DataLoader(async (ids) =>
      byId(ids, await tenantOnly((d, valid) => d.loanWaiverRequest.findMany({ where: { id: { in: valid } } }))(ids)),
    ),
    applicationById: new DataLoader(async (ids) =>
      byId(ids, await tenantOnly((d, valid) => d.application.findMany({ where: { id: { in: valid } } }))(ids)),
    ),
    disbursementRequestById: new DataLoader(async (ids) =>
      byId(ids, await tenantOnly((d, valid) => d.disbursementRequest.findMany({ where: { id: { in: valid } } }))(ids)),
    ),
    approvalRequestById: new DataLoader(async (ids) =>
      byId(ids, await tenantOnly((d, valid) => d.approvalRequest.findMany({ where: { id: { in: valid } } }))(ids)),
    ),
  };
}
