// Write-offs: the maker's request, the checker's decision and queue, and the charge-off rules end of day follows
// (docs/write-off.md). What a write-off did to a loan is on the loan's account (`LoanAccount.writeOffs`,
// `LoanAccount.writtenOff`).
import { builder } from './builder.js';
import { commandDbOf, commandOf, keyedCommandOf, type GraphContext } from './context.js';
import { checkersQueueField, decisionFields } from './lists.js';
import { LIST_SIZES } from './limits.js';
import { objectPayload } from './payloads.js';
import { LoanRef, LoanTransactionRef, tenantBusinessDate } from './loan.js';
import { LoanProductRef } from './loanProduct.js';
import { LoanComponentEnum } from './loanTermsEnums.js';
import type { LoanWriteOffRequestRow } from './loaders.js';
import type { Prisma } from '../generated/prisma/client.js';
import { InvalidField } from '../errors.js';
import { businessDateOf } from '../tenancy/dateColumns.js';
import { chargeOffRules, decideWriteOff, requestWriteOff, setChargeOffRule, type ChargeOffRuleView } from '../services/servicing/writeOffs.js';

export const LoanWriteOffRequestRef = builder.objectRef<LoanWriteOffRequestRow>('LoanWriteOffRequest');

builder.node(LoanWriteOffRequestRef, {
  description: 'A write-off one person asked for and another decides: in full, or an amount of one component.',
  id: { resolve: (row) => row.id },
  loadMany: (ids, context: GraphContext) => ids.map((id) => context.loaders.loanWriteOffRequestById.load(id)),
  // Makers, checkers, auditors and compliance read requests; partners' data access has no rule for them.
  authScopes: { canAny: ['loans.writeOff.request', 'loans.writeOff.approve', 'approvals.read'] },
  fields: (t) => ({
    loan: t.field({ type: LoanRef, nullable: true, description: 'The loan.', resolve: (w, _args, context) => context.loaders.loanById.load(w.loanId) }),
    inFull: t.boolean({ description: 'True: everything owed is to be given up; false: `amount` of `component`.', resolve: (w) => w.amount === null }),
    component: t.field({ type: LoanComponentEnum, nullable: true, description: 'What is written off in part; null in full.', resolve: (w) => w.component as 'fee' | null }),
    amount: t.field({ type: 'Decimal', nullable: true, description: 'How much, in part, in the loan\'s currency; null in full.', resolve: (w) => w.amount?.toString() ?? null }),
    valueDate: t.field({ type: 'Date', description: 'The date it takes effect.', resolve: (w) => businessDateOf(w.valueDate) }),
    reason: t.exposeString('reason', { description: 'Why it was asked for.' }),
    ...decisionFields(t),
    transaction: t.field({ type: LoanTransactionRef, nullable: true, description: 'The write-off transaction, once approved.', resolve: (w, _args, context) => (w.transactionId ? context.loaders.loanTransactionById.load(w.transactionId) : null) }),
  }),
});

checkersQueueField('loanWriteOffRequests', 'LoanWriteOffRequest', {
  type: LoanWriteOffRequestRef, capability: 'loans.writeOff.approve', requests: 'Write-off requests',
  model: (db) => ({
    findMany: (query) => db.loanWriteOffRequest.findMany(query as Prisma.LoanWriteOffRequestFindManyArgs),
    count: (query) => db.loanWriteOffRequest.count(query as Prisma.LoanWriteOffRequestCountArgs),
  }),
});

const RequestLoanWriteOffInput = builder.inputType('RequestLoanWriteOffInput', {
  description: 'A write-off to ask for; another person decides it. Neither `component` nor `amount`: in full; both: in part.',
  fields: (t) => ({
    loanId: t.globalID({ required: true, for: LoanRef, description: 'The loan (active or overdue).' }),
    component: t.field({ type: LoanComponentEnum, required: false, description: 'In part: `PRINCIPAL`, `INTEREST`, `FEE` or `PENALTY`.' }),
    amount: t.field({ type: 'Decimal', required: false, description: 'In part: how much, in the loan\'s currency.' }),
    valueDate: t.field({ type: 'Date', required: false, description: 'When it takes effect; the business date when omitted.' }),
    reason: t.string({ required: true, description: 'Why (3–1000 characters).' }),
    idempotencyKey: t.field({ type: 'IdempotencyKey', required: false, description: 'Repeat with the same key to get the same write-off request back, never a second one.' }),
  }),
});

const DecideLoanWriteOffInput = builder.inputType('DecideLoanWriteOffInput', {
  description: 'The checker\'s decision.',
  fields: (t) => ({
    requestId: t.globalID({ required: true, for: LoanWriteOffRequestRef, description: 'The write-off request.' }),
    approve: t.boolean({ required: true, description: 'True posts the write-off; false rejects it.' }),
    reason: t.string({ required: false, description: 'Why (required to reject).' }),
  }),
});

const ChargeOffRuleRef = builder.objectRef<ChargeOffRuleView>('ChargeOffRule').implement({
  description: 'When end of day writes a product\'s loans (or by default) off in full: at so many days past due, or never.',
  authScopes: { canAny: ['loans.writeOff.request', 'loans.writeOff.approve', 'loans.chargeOff.manage'] },
  fields: (t) => ({
    product: t.field({ type: LoanProductRef, nullable: true, description: 'The product; null for the lender\'s default rule.', resolve: (r, _args, context) => (r.productId ? context.db!.loanProduct.findUnique({ where: { id: r.productId } }) : null) }),
    atDaysPastDue: t.int({ nullable: true, description: 'A loan still overdue is charged off when its days past due reach this; null: never by rule.', resolve: (r) => r.atDays }),
    changedBy: t.exposeString('changedBy', { nullable: true, description: 'Who last set it; null for the built-in default (never).' }),
    changedAt: t.field({ type: 'DateTime', nullable: true, description: 'When.', resolve: (r) => r.changedAt }),
  }),
});
LIST_SIZES['Query.chargeOffRules'] = 1000;

builder.queryField('chargeOffRules', (t) =>
  t.field({
    type: [ChargeOffRuleRef],
    description: 'The default rule first (the built-in one charges nothing off, until the lender sets its own), then each product\'s own.',
    authScopes: { canAny: ['loans.writeOff.request', 'loans.writeOff.approve', 'loans.chargeOff.manage'] },
    resolve: (_root, _args, context) => chargeOffRules(commandDbOf(context)),
  }),
);

const SetChargeOffRuleInput = builder.inputType('SetChargeOffRuleInput', {
  description: 'A product\'s charge-off rule, or the default.',
  fields: (t) => ({
    productCode: t.string({ required: false, description: 'The product; absent for the lender\'s default rule (products without their own).' }),
    atDaysPastDue: t.int({ required: false, description: 'Charge a loan off when its days past due reach this (1 to 3650); null or absent: never by rule.' }),
  }),
});

builder.mutationFields((t) => ({
  requestLoanWriteOff: t.field({
    type: objectPayload('requestLoanWriteOff', 'loanWriteOffRequest', LoanWriteOffRequestRef, 'The write-off request, pending its checker (or, for a repeated idempotency key, the one asked for the first time, as it stands now).'),
    description: 'Asks for a write-off (the maker). Nothing is written off until someone else approves it.',
    authScopes: { can: 'loans.writeOff.request' },
    args: { input: t.arg({ type: RequestLoanWriteOffInput, required: true, description: 'The write-off.' }) },
    resolve: async (_root, { input }, context) => {
      const businessDate = tenantBusinessDate(context);
      const loanWriteOffRequest = await requestWriteOff(commandDbOf(context), keyedCommandOf(context, input.idempotencyKey, input), businessDate, {
        loanId: input.loanId.id, component: input.component ?? null, amount: input.amount ?? null,
        valueDate: input.valueDate ? String(input.valueDate) : businessDate, reason: input.reason,
      });
      return { loanWriteOffRequest };
    },
  }),
  decideLoanWriteOff: t.field({
    type: objectPayload('decideLoanWriteOff', 'loanWriteOffRequest', LoanWriteOffRequestRef, 'The write-off request as decided; on approval its `transaction` is the posted write-off.'),
    description: 'Approves (posts) or rejects a write-off someone else asked for.',
    authScopes: { can: 'loans.writeOff.approve' },
    args: { input: t.arg({ type: DecideLoanWriteOffInput, required: true, description: 'The decision.' }) },
    resolve: async (_root, { input }, context) => {
      if (!input.approve && !input.reason?.trim()) throw new InvalidField('reason', 'a rejection needs a reason');
      return { loanWriteOffRequest: await decideWriteOff(commandDbOf(context), commandOf(context), tenantBusinessDate(context), input.requestId.id, input.approve, input.reason?.trim() || null) };
    },
  }),
  setChargeOffRule: t.field({
    type: objectPayload('setChargeOffRule', 'chargeOffRule', ChargeOffRuleRef, 'The rule as set.'),
    description: 'Sets when end of day writes a product\'s loans (or by default) off in full; applied from the next end of day. Each charge-off is posted by the rule (`charge-off-rule`) and audited.',
    authScopes: { can: 'loans.chargeOff.manage' },
    args: { input: t.arg({ type: SetChargeOffRuleInput, required: true, description: 'The rule.' }) },
    resolve: async (_root, { input }, context) => ({
      chargeOffRule: await setChargeOffRule(commandDbOf(context), commandOf(context), { productCode: input.productCode ?? null, atDays: input.atDaysPastDue ?? null }),
    }),
  }),
}));
