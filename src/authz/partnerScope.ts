// The partner scoping rule, in one place. A partner principal's data access is the tenant's client wrapped by
// this extension: every model operation gets the partner's filter added to its `where`, and a model with no
// rule here is refused, as is raw SQL. Every query, node(id:) lookup, connection and subscription reads through
// GraphContext.db, so none can forget the rule — but for loans by id, which the request's loader reads with plain
// SQL (src/graph/loanRows.ts) and which take the same rule from PARTNER_SQL_SCOPES below. Models arrive with their rules: applications will be scoped to
// those the origination partner submitted, loans to those the co-lending partner participates in. Commands
// (writes) run on the tenant's own client, because their bookkeeping (outbox, audit, idempotency) is not the
// caller's to read; each command takes the acting partner as an argument and checks ownership itself
// (e.g. src/services/webhooks/endpoints.ts), and test/authz/partners.test.ts probes every mutation as another partner.
import { AppError } from '../errors.js';
import type { Principal } from './principal.js';
import type { TenantDb } from '../tenancy/tenantClients.js';

export type PartnerRef = NonNullable<Principal['partner']>;

type Rule = (partner: PartnerRef) => Record<string, unknown>;

/** What a partner may read of each model (writes come with the models that need them). */
export const PARTNER_READ_SCOPES: Readonly<Record<string, Rule>> = {
  /** A partner sees its own registration, no other partner's. */
  Partner: (partner) => ({ code: partner.id }),
  /** The product catalogue is what partners originate against: all of it. */
  LoanProduct: () => ({}),
  LoanProductVersion: () => ({}),
  /** How the lender rounds amounts in each currency shapes the schedules partners preview: readable, not writable. */
  CurrencySetting: () => ({}),
  /** A partner's own webhook endpoints, deliveries and attempts; never the lender's or another partner's. */
  WebhookEndpoint: (partner) => ({ partnerCode: partner.id }),
  WebhookDelivery: (partner) => ({ partnerCode: partner.id }),
  WebhookAttempt: (partner) => ({ delivery: { partnerCode: partner.id } }),
  /** Loans the origination partner brought, and their transactions; nothing of the lender's books or queues. */
  Loan: (partner) => ({ originationPartner: partner.id }),
  /** Applications the origination partner submitted, and their history; not the parties (staff only). */
  Application: (partner) => ({ originationPartner: partner.id }),
  ApplicationTransition: (partner) => ({ application: { originationPartner: partner.id } }),
  LoanTransaction: (partner) => ({ loan: { originationPartner: partner.id } }),
  /** A co-lending partner's own shares of loans and its own arrangements; never another partner's. */
  LoanParticipation: (partner) => ({ partnerCode: partner.id }),
  CoLendingArrangement: (partner) => ({ partnerCode: partner.id }),
  CoLendingArrangementVersion: (partner) => ({ arrangement: { partnerCode: partner.id } }),
  /** The lender's co-lending limits are the terms every arrangement is held to: readable, not writable. */
  CoLendingRules: () => ({}),
  /** A co-lending partner's own settlements. */
  CoLendingSettlement: (partner) => ({ partnerCode: partner.id }),
  CoLendingSettlementLine: (partner) => ({ settlement: { partnerCode: partner.id } }),
  /** An origination partner's own commissions and rule. */
  OriginationCommission: (partner) => ({ partnerCode: partner.id }),
  OriginationCommissionRule: (partner) => ({ partnerCode: partner.id }),
};

/**
 * The same rules for the readers that use plain SQL instead of a scoped client (src/graph/loanRows.ts): the column
 * that must hold the partner's value. Only models read that way are here; each must say what its rule above says.
 */
export const PARTNER_SQL_SCOPES = {
  Loan: (partner: PartnerRef) => ({ column: 'origination_partner', value: partner.id }),
} as const satisfies Partial<Record<keyof typeof PARTNER_READ_SCOPES, (partner: PartnerRef) => { column: string; value: string }>>;

const READS = new Set(['findUnique', 'findUniqueOrThrow', 'findFirst', 'findFirstOrThrow', 'findMany', 'count', 'aggregate', 'groupBy']);

function refuse(): never {
  throw new AppError('FORBIDDEN', 'not visible to partners');
}

export function scopeToPartner(db: TenantDb, partner: PartnerRef): TenantDb {
  return db.$extends({
    name: 'lendgraph-partner-scope',
    query: {
      async $allOperations({ model, operation, args, query }) {
        const rule = model ? PARTNER_READ_SCOPES[model] : undefined;
        if (!rule || !READS.has(operation)) refuse();
        const where = (args as { where?: Record<string, unknown> }).where ?? {};
        const existing = where['AND'];
        const and = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing];
        // Unique fields stay at the top so findUnique keeps its meaning; the rule joins the AND list.
        return query({ ...args, where: { ...where, AND: [...and, rule(partner)] } } as typeof args);
      },
    },
  }) as unknown as TenantDb;
}
