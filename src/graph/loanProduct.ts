// LoanProduct: the catalogue of what the lender offers. Product terms and versions arrive with servicing.
import { builder } from './builder.js';
import { money } from '../domain/money.js';
import type { GraphContext } from './context.js';
import { connectionTypes, keysetConnection, TEXT_KEY } from './pagination.js';
import type { TenantDb } from '../tenancy/tenantClients.js';

type LoanProductRow = Awaited<ReturnType<TenantDb['loanProduct']['findUniqueOrThrow']>>;

export const LoanProductRef = builder.objectRef<LoanProductRow>('LoanProduct');

builder.node(LoanProductRef, {
  id: { resolve: (row) => row.id },
  loadMany: (ids, context: GraphContext) => ids.map((id) => context.loaders.loanProductById.load(id)),
  description: 'A loan product the lender offers.',
  authScopes: { can: 'products.read' },
  fields: (t) => ({
    code: t.exposeString('code', { description: 'The lender\'s product code.' }),
    name: t.exposeString('name', { description: 'Name shown to people.' }),
    currency: t.exposeString('currency', { description: 'ISO 4217 currency of its loans.' }),
    minAmount: t.field({ type: 'Money', description: 'Smallest amount lent.', resolve: (p) => money(p.minAmount.toString(), p.currency) }),
    maxAmount: t.field({ type: 'Money', description: 'Largest amount lent.', resolve: (p) => money(p.maxAmount.toString(), p.currency) }),
    minTenorMonths: t.exposeInt('minTenor', { description: 'Shortest tenor, in months.' }),
    maxTenorMonths: t.exposeInt('maxTenor', { description: 'Longest tenor, in months.' }),
    annualRate: t.field({ type: 'Decimal', description: 'Nominal annual rate as a fraction, e.g. "0.149" for 14.9%.', resolve: (p) => p.annualRate.toString() }),
  }),
});

builder.queryField('loanProducts', (t) =>
  t.connection({
    type: LoanProductRef,
    description: 'The tenant\'s loan products, by code.',
    authScopes: { can: 'products.read' },
    resolve: (_root, args, context) =>
      keysetConnection(context, args, (product: LoanProductRow) => product.code, TEXT_KEY, ({ before, after, limit, inverted }) =>
        context.db!.loanProduct.findMany({
          where: { code: { gt: after, lt: before } },
          orderBy: { code: inverted ? 'desc' : 'asc' },
          take: limit,
        }),
      ),
  }, ...connectionTypes('LoanProduct')),
);
