// Per-request DataLoaders: batch and de-duplicate lookups within one operation, never across requests or tenants.
// Every loader of a request is made here, with its context, so none outlives the request or hides in a module.
import DataLoader from 'dataloader';
import type pg from 'pg';
import { recordPersonalDataReads } from '../commands/personalData.js';
import type { CommandContext } from '../commands/runCommand.js';
import type { DocumentRow } from '../services/origination/applicationDocuments.js';
import type { Runtime } from '../runtime.js';
import type { TenantDb } from '../tenancy/tenantClients.js';
import type { TenantRecord } from '../tenancy/registry.js';
import { AppError } from '../errors.js';
import type { PartnerRef } from '../authz/partnerScope.js';
import { loanRowsById } from './loanRows.js';

type PartyRow = Awaited<ReturnType<TenantDb['party']['findUniqueOrThrow']>>;
type LoanProductRow = Awaited<ReturnType<TenantDb['loanProduct']['findUniqueOrThrow']>>;
type PartnerRow = Awaited<ReturnType<TenantDb['partner']['findUniqueOrThrow']>>;
type StaffMemberRow = Awaited<ReturnType<TenantDb['staffMember']['findUniqueOrThrow']>>;
export type WebhookEndpointRow = Awaited<ReturnType<TenantDb['webhookEndpoint']['findUniqueOrThrow']>>;
export type WebhookDeliveryRow = Awaited<ReturnType<TenantDb['webhookDelivery']['findUniqueOrThrow']>>;
export type WebhookAttemptRow = Awaited<ReturnType<TenantDb['webhookAttempt']['findUniqueOrThrow']>>;
export type LoanRow = Awaited<ReturnType<TenantDb['loan']['findUniqueOrThrow']>>;
export type LoanTransactionRow = Awaited<ReturnType<TenantDb['loanTransaction']['findUniqueOrThrow']>>;
export type ApplicationRow = Awaited<ReturnType<TenantDb['application']['findUniqueOrThrow']>>;
export type LoanWaiverRequestRow = Awaited<ReturnType<TenantDb['loanWaiverRequest']['findUniqueOrThrow']>>;
export type LoanWriteOffRequestRow = Awaited<ReturnType<TenantDb['loanWriteOffRequest']['findUniqueOrThrow']>>;
export type LoanRestructureRequestRow = Awaited<ReturnType<TenantDb['loanRestructureRequest']['findUniqueOrThrow']>>;
export type DisbursementRequestRow = Awaited<ReturnType<TenantDb['disbursementRequest']['findUniqueOrThrow']>>;
export type ApprovalRequestRow = Awaited<ReturnType<TenantDb['approvalRequest']['findUniqueOrThrow']>>;
export type PartyMatchReviewRow = Awaited<ReturnType<TenantDb['partyMatchReview']['findUniqueOrThrow']>>;

export interface Loaders {
  /**
   * A loader of this request made by the file that needs it (a list per parent, read for a page of parents in one
   * statement): the first call with `name` makes it, later calls get the same one.
   */
  named<K, V>(name: string, batch: DataLoader.BatchLoadFn<K, V>): DataLoader<K, V>;
  tenantById: DataLoader<string, TenantRecord | null>;
  partyById: DataLoader<string, PartyRow | null>;
  loanProductById: DataLoader<string, LoanProductRow | null>;
  partnerById: DataLoader<string, PartnerRow | null>;
  webhookEndpointById: DataLoader<string, WebhookEndpointRow | null>;
  webhookDeliveryById: DataLoader<string, WebhookDeliveryRow | null>;
  webhookAttemptsByDelivery: DataLoader<string, WebhookAttemptRow[]>;
  loanById: DataLoader<string, LoanRow | null>;
  loanTransactionById: DataLoader<string, LoanTransactionRow | null>;
  /** A loan's transactions in arrival order (through the caller's scope): a page of loans' replays read in one statement. */
  loanTransactionsByLoan: DataLoader<string, LoanTransactionRow[]>;
  loanWaiverRequestById: DataLoader<string, LoanWaiverRequestRow | null>;
  loanWriteOffRequestById: DataLoader<string, LoanWriteOffRequestRow | null>;
  loanRestructureRequestById: DataLoader<string, LoanRestructureRequestRow | null>;
  staffMemberById: DataLoader<string, StaffMemberRow | null>;
  applicationById: DataLoader<string, ApplicationRow | null>;
  disbursementRequestById: DataLoader<string, DisbursementRequestRow | null>;
  approvalRequestById: DataLoader<string, ApprovalRequestRow | null>;
  /** Reviews through the caller's own client (a partner's refuses parties: none exist for it). */
  partyMatchReviewById: DataLoader<string, PartyMatchReviewRow | null>;
  /** Documents read on the tenant's client, kept only where the caller can see their application. */
  applicationDocumentById: DataLoader<string, DocumentRow | null>;
  /**
   * Personal data read, keyed `partyId|field`: the reads of one batch are recorded in one audit command
   * (src/commands/personalData.ts), not one per field.
   */
  personalDataRead: DataLoader<string, true>;
}

/** What the loaders of one request read with. */
export interface LoaderScope {
  /** The caller's data access (scoped to a partner's own), null without a tenant. */
  db: () => TenantDb | null;
  /** The tenant's own client, for what the caller's scope cannot read by itself; null without a tenant. */
  tenantDb: () => TenantDb | null;
  /** The caller's command, for the audit of personal-data reads. */
  command: () => CommandContext;
  /** Where plain-SQL readers read (the tenant's schema on the pool) and for which partner, null without a tenant. */
  sql: () => { schemaName: string; pool: pg.Pool; partner: PartnerRef | null } | null;
}

/**
 * Rows read for many parents at once, in the order wanted, as each parent's list: at most `take` each (the
 * first), or each parent's first row alone when `take` is 1 (null when it has none).
 */
export function perParent<T, K extends keyof T>(parents: readonly string[], rows: readonly T[], key: K, take: number): T[][] {
  const lists = new Map<unknown, T[]>();
  for (const row of rows) {
    const list = lists.get(row[key]);
    if (!list) lists.set(row[key], [row]);
    else if (list.length < take) list.push(row);
  }
  return parents.map((id) => lists.get(id) ?? []);
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

export function createLoaders(runtime: Runtime, scope: LoaderScope): Loaders {
  const dbFor = scope.db;
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
  const applicationById: Loaders['applicationById'] = new DataLoader(async (ids) =>
    byId(ids, await tenantOnly((d, valid) => d.application.findMany({ where: { id: { in: valid } } }))(ids)),
  );
  const named = new Map<string, unknown>();
  return {
    named: <K, V>(name: string, batch: DataLoader.BatchLoadFn<K, V>) => {
      if (!named.has(name)) named.set(name, new DataLoader<K, V>(batch));
      return named.get(name) as DataLoader<K, V>;
    },
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
    // Plain SQL, the most read row of all (src/graph/loanRows.ts): the same rows, through the same partner rule.
    loanById: new DataLoader(async (ids) => {
      const reader = scope.sql();
      return byId(ids, reader ? await loanRowsById(reader.pool, reader.schemaName, uuids(ids), reader.partner) : []);
    }),
    loanTransactionsByLoan: new DataLoader(async (ids) => {
      const rows = await tenantOnly((d, valid) => d.loanTransaction.findMany({ where: { loanId: { in: valid } }, orderBy: [{ loanId: 'asc' }, { seq: 'asc' }] }))(ids);
      const byLoan = new Map<string, LoanTransactionRow[]>();
      for (const row of rows) {
        const list = byLoan.get(row.loanId);
        if (list) list.push(row);
        else byLoan.set(row.loanId, [row]);
      }
      return ids.map((id) => byLoan.get(id) ?? []);
    }),
    loanTransactionById: new DataLoader(async (ids) =>
      byId(ids, await tenantOnly((d, valid) => d.loanTransaction.findMany({ where: { id: { in: valid } } }))(ids)),
    ),
    loanWaiverRequestById: new DataLoader(async (ids) =>
      byId(ids, await tenantOnly((d, valid) => d.loanWaiverRequest.findMany({ where: { id: { in: valid } } }))(ids)),
    ),
    loanWriteOffRequestById: new DataLoader(async (ids) =>
      byId(ids, await tenantOnly((d, valid) => d.loanWriteOffRequest.findMany({ where: { id: { in: valid } } }))(ids)),
    ),
    loanRestructureRequestById: new DataLoader(async (ids) =>
      byId(ids, await tenantOnly((d, valid) => d.loanRestructureRequest.findMany({ where: { id: { in: valid } } }))(ids)),
    ),
    staffMemberById: new DataLoader(async (ids) =>
      byId(ids, await tenantOnly((d, valid) => d.staffMember.findMany({ where: { id: { in: valid } } }))(ids)),
    ),
    applicationById,
    disbursementRequestById: new DataLoader(async (ids) =>
      byId(ids, await tenantOnly((d, valid) => d.disbursementRequest.findMany({ where: { id: { in: valid } } }))(ids)),
    ),
    approvalRequestById: new DataLoader(async (ids) =>
      byId(ids, await tenantOnly((d, valid) => d.approvalRequest.findMany({ where: { id: { in: valid } } }))(ids)),
    ),
    partyMatchReviewById: new DataLoader(async (ids) =>
      byId(ids, await tenantOnly((d, valid) => d.partyMatchReview.findMany({ where: { id: { in: valid } } }))(ids)),
    ),
    // ApplicationDocument has no relation a partner rule could follow, so documents are read on the tenant's
    // client and shown only where the caller's own client can read their application.
    applicationDocumentById: new DataLoader(async (ids) => {
      const db = scope.tenantDb();
      const valid = uuids(ids);
      const rows = valid.length === 0 || !db ? [] : await db.applicationDocument.findMany({ where: { id: { in: valid } } });
      const shown = await Promise.all(rows.map(async (row) => ((await applicationById.load(row.applicationId)) !== null ? row : null)));
      return byId(ids, shown.filter((row): row is DocumentRow => row !== null));
    }),
    personalDataRead: new DataLoader(async (keys) => {
      const fields = new Map<string, string[]>();
      for (const key of keys) {
        const [id, name] = key.split('|') as [string, string];
        fields.set(id, [...(fields.get(id) ?? []), name]);
      }
      await recordPersonalDataReads(scope.tenantDb()!, scope.command(), [...fields].map(([id, names]) => ({ partyId: id, fields: names })));
      return keys.map(() => true as const);
    }),
  };
}
