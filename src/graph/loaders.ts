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
import { loanRowsById, loanRowsInNumberOrder, loanTermsById } from './loanRows.js';
import { loanProductRowsById, type LoanProductRow } from './productRows.js';
import type { KeysetPage } from './lists.js';
import { isUuid } from '../domain/globalId.js';

type PartyRow = Awaited<ReturnType<TenantDb['party']['findUniqueOrThrow']>>;
type PartnerRow = Awaited<ReturnType<TenantDb['partner']['findUniqueOrThrow']>>;
type StaffMemberRow = Awaited<ReturnType<TenantDb['staffMember']['findUniqueOrThrow']>>;
export type WebhookEndpointRow = Awaited<ReturnType<TenantDb['webhookEndpoint']['findUniqueOrThrow']>>;
export type WebhookDeliveryRow = Awaited<ReturnType<TenantDb['webhookDelivery']['findUniqueOrThrow']>>;
export type WebhookAttemptRow = Awaited<ReturnType<TenantDb['webhookAttempt']['findUniqueOrThrow']>>;
type StoredLoanRow = Awaited<ReturnType<TenantDb['loan']['findUniqueOrThrow']>>;

/**
 * What a loan's replay needs beyond its row: the terms and allocation it was booked with, its accounts, its tranche
 * plan. Read apart (`loanTermsById`), only when a loan is replayed: a page of loans reads none of it, and written
 * out as JSON it was most of what the page's statement cost the server (docs/performance.md).
 */
export type LoanTermsRow = Pick<StoredLoanRow, 'id' | 'terms' | 'allocation' | 'accounts' | 'tranchePlan'>;

/**
 * A loan as the graph reads it: the table's row without its terms (`LoanTermsRow`) and without the position's
 * arrays (what each instalment still to come will make receivable), which end of day and the reminders read in SQL
 * and no field of the API reads. A row read through the ORM has them all, and is a LoanRow too.
 */
export type LoanRow = Omit<StoredLoanRow, Exclude<keyof LoanTermsRow, 'id'> | 'upcomingDueDates' | 'upcomingInterest' | 'upcomingFee' | 'upcomingPenalty' | 'upcomingOwing'>;
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
  /**
   * A page of the tenant's loans with no filter, in number order (through the caller's scope), read in one
   * statement with their rows, which `loanById` then holds; none without a tenant.
   */
  loansInNumberOrder(page: KeysetPage): Promise<LoanRow[]>;
  tenantById: DataLoader<string, TenantRecord | null>;
  partyById: DataLoader<string, PartyRow | null>;
  loanProductById: DataLoader<string, LoanProductRow | null>;
  /**
   * A product this request has read already, without waiting (null when it was looked for and is not there;
   * undefined when not read yet): an object whose fields all answer at once is answered without a promise.
   */
  loanProductRead(id: string): LoanProductRow | null | undefined;
  partnerById: DataLoader<string, PartnerRow | null>;
  webhookEndpointById: DataLoader<string, WebhookEndpointRow | null>;
  webhookDeliveryById: DataLoader<string, WebhookDeliveryRow | null>;
  webhookAttemptsByDelivery: DataLoader<string, WebhookAttemptRow[]>;
  loanById: DataLoader<string, LoanRow | null>;
  /** What a replay of a loan needs beyond its row (LoanTermsRow), through the caller's scope. */
  loanTermsById: DataLoader<string, LoanTermsRow | null>;
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

/** Ids from clients that are not UUIDs cannot exist; dropping them keeps a bad id from becoming a SQL error. */
function uuids(ids: readonly string[]): string[] {
  return ids.filter((id) => isUuid(id));
}

/**
 * The loaders of one request, each made when first used. A request reads through two or three of the twenty; a
 * WebSocket keeps its operation's context (and so its loaders) for as long as the subscription lives, so loaders
 * made up front cost every subscriber their memory (docs/performance.md).
 */
class RequestLoaders implements Loaders {
  #named: Map<string, unknown> | undefined;
  #tenantById: Loaders['tenantById'] | undefined;
  #partyById: Loaders['partyById'] | undefined;
  #loanProductById: Loaders['loanProductById'] | undefined;
  #loanProductsRead: Map<string, LoanProductRow | null> | undefined;
  #partnerById: Loaders['partnerById'] | undefined;
  #webhookEndpointById: Loaders['webhookEndpointById'] | undefined;
  #webhookDeliveryById: Loaders['webhookDeliveryById'] | undefined;
  #webhookAttemptsByDelivery: Loaders['webhookAttemptsByDelivery'] | undefined;
  #loanById: Loaders['loanById'] | undefined;
  #loanTermsById: Loaders['loanTermsById'] | undefined;
  #loanTransactionsByLoan: Loaders['loanTransactionsByLoan'] | undefined;
  #loanTransactionById: Loaders['loanTransactionById'] | undefined;
  #loanWaiverRequestById: Loaders['loanWaiverRequestById'] | undefined;
  #loanWriteOffRequestById: Loaders['loanWriteOffRequestById'] | undefined;
  #loanRestructureRequestById: Loaders['loanRestructureRequestById'] | undefined;
  #staffMemberById: Loaders['staffMemberById'] | undefined;
  #applicationById: Loaders['applicationById'] | undefined;
  #disbursementRequestById: Loaders['disbursementRequestById'] | undefined;
  #approvalRequestById: Loaders['approvalRequestById'] | undefined;
  #partyMatchReviewById: Loaders['partyMatchReviewById'] | undefined;
  #applicationDocumentById: Loaders['applicationDocumentById'] | undefined;
  #personalDataRead: Loaders['personalDataRead'] | undefined;

  constructor(
    private readonly runtime: Runtime,
    private readonly scope: LoaderScope,
  ) {}

  /** Rows through the caller's own client; none without a tenant, and none where a partner may not look. */
  async #tenantOnly<T>(ids: readonly string[], load: (db: TenantDb, ids: string[]) => Promise<T[]>): Promise<T[]> {
    const db = this.scope.db();
    if (!db) return [];
    try {
      return await load(db, uuids(ids));
    } catch (error) {
      // What a partner may not see does not exist for it: node(id:) answers null, as for another tenant's id,
      // rather than confirming the object is there.
      if (error instanceof AppError && error.code === 'FORBIDDEN') return [];
      throw error;
    }
  }

  /** A loader of rows by id through the caller's own client. */
  #byId<T extends { id: string }>(load: (db: TenantDb, ids: string[]) => Promise<T[]>): DataLoader<string, T | null> {
    return new DataLoader(async (ids) => byId(ids, await this.#tenantOnly(ids, load)));
  }

  named<K, V>(name: string, batch: DataLoader.BatchLoadFn<K, V>): DataLoader<K, V> {
    const named = (this.#named ??= new Map());
    if (!named.has(name)) named.set(name, new DataLoader<K, V>(batch));
    return named.get(name) as DataLoader<K, V>;
  }

  async loansInNumberOrder(page: KeysetPage): Promise<LoanRow[]> {
    const reader = this.scope.sql();
    if (!reader) return [];
    const rows = await loanRowsInNumberOrder(reader.pool, reader.schemaName, reader.partner, page);
    for (const row of rows) this.loanById.prime(row.id, row);
    return rows;
  }

  get tenantById() {
    return (this.#tenantById ??= new DataLoader(async (ids) => byId(ids, await this.runtime.registry.findManyById(uuids(ids)))));
  }

  get partyById() {
    return (this.#partyById ??= this.#byId((d, valid) => d.party.findMany({ where: { id: { in: valid } } })));
  }

  // Plain SQL, as every page of loans asks for its products (src/graph/productRows.ts): the catalogue is every
  // partner's to read, as the scoped client's rule says.
  get loanProductById() {
    return (this.#loanProductById ??= new DataLoader(async (ids) => {
      const reader = this.scope.sql();
      const rows = byId(ids, reader ? await loanProductRowsById(reader.pool, reader.schemaName, uuids(ids)) : []);
      const read = (this.#loanProductsRead ??= new Map());
      ids.forEach((id, k) => read.set(id, rows[k]!));
      return rows;
    }));
  }

  loanProductRead(id: string): LoanProductRow | null | undefined {
    return this.#loanProductsRead?.get(id);
  }

  get partnerById() {
    return (this.#partnerById ??= this.#byId((d, valid) => d.partner.findMany({ where: { id: { in: valid } } })));
  }

  get webhookEndpointById() {
    return (this.#webhookEndpointById ??= this.#byId((d, valid) => d.webhookEndpoint.findMany({ where: { id: { in: valid } } })));
  }

  get webhookDeliveryById() {
    return (this.#webhookDeliveryById ??= this.#byId((d, valid) => d.webhookDelivery.findMany({ where: { id: { in: valid } } })));
  }

  get webhookAttemptsByDelivery() {
    return (this.#webhookAttemptsByDelivery ??= new DataLoader(async (ids) => {
      const rows = await this.#tenantOnly(ids, (d, valid) => d.webhookAttempt.findMany({ where: { deliveryId: { in: valid } }, orderBy: { attempt: 'asc' } }));
      return ids.map((id) => rows.filter((row) => row.deliveryId === id));
    }));
  }

  // Plain SQL, the most read row of all (src/graph/loanRows.ts): the same rows, through the same partner rule.
  get loanById() {
    return (this.#loanById ??= new DataLoader(async (ids) => {
      const reader = this.scope.sql();
      return byId(ids, reader ? await loanRowsById(reader.pool, reader.schemaName, uuids(ids), reader.partner) : []);
    }));
  }

  get loanTermsById() {
    return (this.#loanTermsById ??= new DataLoader(async (ids) => {
      const reader = this.scope.sql();
      return byId(ids, reader ? await loanTermsById(reader.pool, reader.schemaName, uuids(ids), reader.partner) : []);
    }));
  }

  get loanTransactionsByLoan() {
    return (this.#loanTransactionsByLoan ??= new DataLoader(async (ids) => {
      const rows = await this.#tenantOnly(ids, (d, valid) => d.loanTransaction.findMany({ where: { loanId: { in: valid } }, orderBy: [{ loanId: 'asc' }, { seq: 'asc' }] }));
      const byLoan = new Map<string, LoanTransactionRow[]>();
      for (const row of rows) {
        const list = byLoan.get(row.loanId);
        if (list) list.push(row);
        else byLoan.set(row.loanId, [row]);
      }
      return ids.map((id) => byLoan.get(id) ?? []);
    }));
  }

  get loanTransactionById() {
    return (this.#loanTransactionById ??= this.#byId((d, valid) => d.loanTransaction.findMany({ where: { id: { in: valid } } })));
  }

  get loanWaiverRequestById() {
    return (this.#loanWaiverRequestById ??= this.#byId((d, valid) => d.loanWaiverRequest.findMany({ where: { id: { in: valid } } })));
  }

  get loanWriteOffRequestById() {
    return (this.#loanWriteOffRequestById ??= this.#byId((d, valid) => d.loanWriteOffRequest.findMany({ where: { id: { in: valid } } })));
  }

  get loanRestructureRequestById() {
    return (this.#loanRestructureRequestById ??= this.#byId((d, valid) => d.loanRestructureRequest.findMany({ where: { id: { in: valid } } })));
  }

  get staffMemberById() {
    return (this.#staffMemberById ??= this.#byId((d, valid) => d.staffMember.findMany({ where: { id: { in: valid } } })));
  }

  get applicationById() {
    return (this.#applicationById ??= this.#byId((d, valid) => d.application.findMany({ where: { id: { in: valid } } })));
  }

  get disbursementRequestById() {
    return (this.#disbursementRequestById ??= this.#byId((d, valid) => d.disbursementRequest.findMany({ where: { id: { in: valid } } })));
  }

  get approvalRequestById() {
    return (this.#approvalRequestById ??= this.#byId((d, valid) => d.approvalRequest.findMany({ where: { id: { in: valid } } })));
  }

  get partyMatchReviewById() {
    return (this.#partyMatchReviewById ??= this.#byId((d, valid) => d.partyMatchReview.findMany({ where: { id: { in: valid } } })));
  }

  // ApplicationDocument has no relation a partner rule could follow, so documents are read on the tenant's
  // client and shown only where the caller's own client can read their application.
  get applicationDocumentById() {
    return (this.#applicationDocumentById ??= new DataLoader(async (ids) => {
      const db = this.scope.tenantDb();
      const valid = uuids(ids);
      const rows = valid.length === 0 || !db ? [] : await db.applicationDocument.findMany({ where: { id: { in: valid } } });
      const shown = await Promise.all(rows.map(async (row) => ((await this.applicationById.load(row.applicationId)) !== null ? row : null)));
      return byId(ids, shown.filter((row): row is DocumentRow => row !== null));
    }));
  }

  get personalDataRead() {
    return (this.#personalDataRead ??= new DataLoader(async (keys) => {
      const fields = new Map<string, string[]>();
      for (const key of keys) {
        const [id, name] = key.split('|') as [string, string];
        fields.set(id, [...(fields.get(id) ?? []), name]);
      }
      await recordPersonalDataReads(this.scope.sql()!.pool, this.scope.command(), [...fields].map(([id, names]) => ({ partyId: id, fields: names })));
      return keys.map(() => true as const);
    }));
  }
}

export function createLoaders(runtime: Runtime, scope: LoaderScope): Loaders {
  return new RequestLoaders(runtime, scope);
}
