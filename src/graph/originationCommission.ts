// Origination partners' commissions: each partner's rule, and its statement (every commission accrued on a loan it
// brought, what was clawed back, and what the lender owes it in all). An origination partner reads its own only
// (GraphContext.db is partner-scoped).
import { builder } from './builder.js';
import { actorField } from './actors.js';
import { badInput } from '../errors.js';
import { commandDbOf, commandOf, type GraphContext } from './context.js';
import { LIST_SIZES } from './limits.js';
import { objectPayload } from './payloads.js';
import { Decimal, money } from '../domain/money.js';
import { formatNumber } from '../domain/referenceNumbers.js';
import { setOriginationCommission } from '../services/origination/commissions.js';
import { businessDateOf } from '../tenancy/dateColumns.js';
import type { TenantDb } from '../tenancy/tenantClients.js';

type CommissionRow = Awaited<ReturnType<TenantDb['originationCommission']['findUniqueOrThrow']>>;
type RuleRow = Awaited<ReturnType<TenantDb['originationCommissionRule']['findUniqueOrThrow']>>;

const loanNumberOf = (context: GraphContext) => context.loaders.named<string, string | null>('commissionLoanNumber', async (ids) => {
  // The commission was read through the caller's scope; only the loan's number is shown from it.
  const loans = await commandDbOf(context).loan.findMany({ where: { id: { in: [...ids] } }, select: { id: true, number: true } });
  return ids.map((id) => {
    const loan = loans.find((l) => l.id === id);
    return loan ? formatNumber('loan', loan.number) : null;
  });
});

export const OriginationCommissionRef = builder.objectRef<CommissionRow>('OriginationCommission');

const commissionById = (context: GraphContext) => context.loaders.named<string, CommissionRow | null>('commissionById', async (ids) => {
  const rows = await context.db!.originationCommission.findMany({ where: { id: { in: [...ids] } } });
  return ids.map((id) => rows.find((r) => r.id === id) ?? null);
});

builder.node(OriginationCommissionRef, {
  description: 'A commission accrued to an origination partner on a loan it brought, by its rule, and clawed back when the loan closed early.',
  id: { resolve: (row) => row.id },
  loadMany: (ids, context: GraphContext) => ids.map((id) => commissionById(context).load(id)),
  authScopes: { can: 'commissions.read' },
  fields: (t) => ({
    partnerCode: t.exposeString('partnerCode', { description: 'The origination partner.' }),
    loanNumber: t.string({ nullable: true, description: 'The loan\'s number (e.g. L-000123).', resolve: (c, _args, context) => loanNumberOf(context).load(c.loanId) }),
    amount: t.field({ type: 'Money', description: 'The commission.', resolve: (c) => money(c.amount, c.currency) }),
    base: t.field({ type: 'Money', description: 'The principal it was a percentage of (paid out at booking).', resolve: (c) => money(c.base, c.currency) }),
    percent: t.field({ type: 'Decimal', description: 'The rule\'s percentage then.', resolve: (c) => c.percent.toString() }),
    cap: t.field({ type: 'Money', nullable: true, description: 'The rule\'s cap per loan then; null for none.', resolve: (c) => (c.cap === null ? null : money(c.cap, c.currency)) }),
    accruedOn: t.field({ type: 'Date', description: 'The business date the loan was booked.', resolve: (c) => businessDateOf(c.accruedOn) }),
    clawbackDays: t.exposeInt('clawbackDays', { description: 'Clawed back if the loan closes within this many days of its disbursement.' }),
    clawedBackOn: t.field({ type: 'Date', nullable: true, description: 'When end of day took it back (the loan closed early); null: it stands.', resolve: (c) => (c.clawedBackOn ? businessDateOf(c.clawedBackOn) : null) }),
  }),
});

interface Statement { partnerCode: string; commissions: CommissionRow[]; totals: { currency: string; accrued: Decimal; clawedBack: Decimal }[] }

const StatementTotalRef = builder.objectRef<{ currency: string; accrued: Decimal; clawedBack: Decimal }>('OriginationCommissionTotal').implement({
  description: 'A partner\'s commissions in one currency.',
  authScopes: { can: 'commissions.read' },
  fields: (t) => ({
    accrued: t.field({ type: 'Money', description: 'Every commission accrued.', resolve: (x) => money(x.accrued.toFixed(), x.currency) }),
    clawedBack: t.field({ type: 'Money', description: 'What was clawed back.', resolve: (x) => money(x.clawedBack.toFixed(), x.currency) }),
    owed: t.field({ type: 'Money', description: 'Accrued less clawed back: what the lender owes the partner in commissions.', resolve: (x) => money(x.accrued.minus(x.clawedBack).toFixed(), x.currency) }),
  }),
});

LIST_SIZES['OriginationCommissionStatement.commissions'] = 1000;
LIST_SIZES['OriginationCommissionStatement.totals'] = 50;
const StatementRef = builder.objectRef<Statement>('OriginationCommissionStatement').implement({
  description: 'An origination partner\'s commission statement: each commission (newest first, at most 1,000) and the totals.',
  authScopes: { can: 'commissions.read' },
  fields: (t) => ({
    partnerCode: t.exposeString('partnerCode', { description: 'The origination partner.' }),
    totals: t.field({ type: [StatementTotalRef], description: 'Per currency, over every commission.', resolve: (s) => s.totals }),
    commissions: t.field({ type: [OriginationCommissionRef], description: 'Each commission, newest first.', resolve: (s) => s.commissions }),
  }),
});

builder.queryField('originationCommissionStatement', (t) =>
  t.field({
    type: StatementRef,
    description: 'An origination partner\'s commission statement (a partner\'s own: its code, or none).',
    authScopes: { can: 'commissions.read' },
    args: { partnerCode: t.arg.string({ required: false, description: 'The partner; the caller\'s own when a partner asks.' }) },
    resolve: async (_root, args, context) => {
      const own = context.principal?.partner?.id ?? null;
      // A partner reads its own statement only: any other code gets the same refusal, whether or not it exists.
      if (own !== null && args.partnerCode != null && args.partnerCode !== own) throw badInput('partnerCode', 'a partner reads its own commission statement: leave partnerCode out, or give your own code');
      if (own === null && args.partnerCode == null) throw badInput('partnerCode', 'partnerCode names the origination partner whose statement to read');
      const partnerCode = own ?? args.partnerCode!;
      const db = context.db!;
      const [commissions, accrued, clawedBack] = await Promise.all([
        db.originationCommission.findMany({ where: { partnerCode }, orderBy: [{ accruedOn: 'desc' }, { id: 'desc' }], take: 1000 }),
        db.originationCommission.groupBy({ by: ['currency'], where: { partnerCode }, _sum: { amount: true }, orderBy: { currency: 'asc' } }),
        db.originationCommission.groupBy({ by: ['currency'], where: { partnerCode, clawedBackOn: { not: null } }, _sum: { amount: true }, orderBy: { currency: 'asc' } }),
      ]);
      const totals = accrued.map((a) => ({
        currency: a.currency, accrued: new Decimal(a._sum.amount?.toString() ?? '0'),
        clawedBack: new Decimal(clawedBack.find((c) => c.currency === a.currency)?._sum.amount?.toString() ?? '0'),
      }));
      return { partnerCode, commissions, totals };
    },
  }),
);

const RuleRef = builder.objectRef<RuleRow>('OriginationCommissionRule').implement({
  description: 'An origination partner\'s commission rule: applied to loans booked from when it was set.',
  authScopes: { can: 'commissions.read' },
  fields: (t) => ({
    partnerCode: t.exposeString('partnerCode', { description: 'The origination partner.' }),
    percent: t.field({ type: 'Decimal', description: 'Of the principal paid out at booking.', resolve: (r) => r.percent.toString() }),
    cap: t.field({ type: 'Decimal', nullable: true, description: 'The most per loan, in the loan\'s currency; null for none.', resolve: (r) => r.cap?.toString() ?? null }),
    clawbackDays: t.exposeInt('clawbackDays', { description: 'Clawed back if the loan closes within this many days of its disbursement.' }),
    payableAccount: t.exposeString('payableAccount', { description: 'The partner\'s payable in the lender\'s books.' }),
    changedBy: actorField(t, 'Who set it.', (r) => r.changedBy),
  }),
});

const RuleInput = builder.inputType('SetOriginationCommissionInput', {
  description: 'An origination partner\'s commission rule.',
  fields: (t) => ({
    partnerCode: t.string({ required: true, description: 'The origination partner.' }),
    percent: t.field({ type: 'Decimal', required: true, description: 'Of the principal paid out at booking (more than 0, at most 100).' }),
    cap: t.field({ type: 'Decimal', required: false, description: 'The most per loan, in whole minor units of the lender\'s currency; none when absent.' }),
    clawbackDays: t.int({ required: true, description: 'Clawed back if the loan closes within this many days of disbursement (0 to 3650; 0: only a loan closed the day it was paid out).' }),
  }),
});

builder.mutationFields((t) => ({
  setOriginationCommission: t.field({
    type: objectPayload('setOriginationCommission', 'originationCommissionRule', RuleRef, 'The rule as set.'),
    description: 'Sets an origination partner\'s commission rule (audited): loans booked from now on accrue it.',
    authScopes: { can: 'commissions.manage' },
    args: { input: t.arg({ type: RuleInput, required: true, description: 'The rule.' }) },
    resolve: async (_root, { input }, context) => ({
      originationCommissionRule: await setOriginationCommission(commandDbOf(context), commandOf(context), context.tenant!.currency, {
        partnerCode: input.partnerCode, percent: input.percent, cap: input.cap ?? null, clawbackDays: input.clawbackDays,
      }),
    }),
  }),
}));
