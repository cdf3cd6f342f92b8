// Restructures: the maker's request (new terms from a date, a payment holiday, a re-ageing), the checker's decision
// and queue (docs/restructure.md). What a restructure did to a loan is on its account (`LoanAccount.restructures`).
import { builder } from './builder.js';
import { commandDbOf, commandOf, keyedCommandOf, type GraphContext } from './context.js';
import { checkersQueueField, decisionFields } from './lists.js';
import { objectPayload } from './payloads.js';
import { LoanRef, LoanTransactionRef, tenantBusinessDate } from './loan.js';
import type { LoanRestructureRequestRow } from './loaders.js';
import type { Prisma } from '../generated/prisma/client.js';
import { InvalidField } from '../errors.js';
import { businessDateOf } from '../tenancy/dateColumns.js';
import type { RestructureTerms } from '../services/servicing/loanRecords.js';
import { decideRestructure, requestRestructure } from '../services/servicing/restructures.js';

export const HolidayInterestEnum = builder.enumType('HolidayInterest', {
  description: 'What happens to the interest of a payment holiday\'s periods.',
  values: {
    ACCRUE: { value: 'accrue', description: 'It accrues and is owed with the first instalment after the holiday.' },
    WAIVE: { value: 'waive', description: 'It is not charged: interest runs again from one period before the first instalment after the holiday.' },
  } as const,
});

export const LoanRestructureRequestRef = builder.objectRef<LoanRestructureRequestRow>('LoanRestructureRequest');
const terms = (r: LoanRestructureRequestRow) => r.terms as unknown as RestructureTerms;

builder.node(LoanRestructureRequestRef, {
  description: 'A restructure one person asked for and another decides: new terms from a date.',
  id: { resolve: (row) => row.id },
  loadMany: (ids, context: GraphContext) => ids.map((id) => context.loaders.loanRestructureRequestById.load(id)),
  // Makers, checkers, auditors and compliance read requests; partners' data access has no rule for them.
  authScopes: { canAny: ['loans.restructure.request', 'loans.restructure.approve', 'approvals.read'] },
  fields: (t) => ({
    loan: t.field({ type: LoanRef, nullable: true, description: 'The loan.', resolve: (r, _args, context) => context.loaders.loanById.load(r.loanId) }),
    valueDate: t.field({ type: 'Date', description: 'When the new terms start.', resolve: (r) => businessDateOf(r.valueDate) }),
    capitaliseArrears: t.boolean({ description: 'Whether everything due and unpaid on the date becomes principal of the new schedule (the loan is then current).', resolve: (r) => terms(r).capitaliseArrears }),
    annualRatePercent: t.field({ type: 'Decimal', nullable: true, description: 'The new annual rate; null: unchanged.', resolve: (r) => terms(r).annualRatePercent ?? null }),
    instalments: t.int({ nullable: true, description: 'How many instalments after the date; null: as many as there were still to come.', resolve: (r) => terms(r).instalments ?? null }),
    holidayPeriods: t.int({ description: 'Whole repayment periods before the first new instalment with nothing due (0: none).', resolve: (r) => terms(r).holidayPeriods ?? 0 }),
    holidayInterest: t.field({ type: HolidayInterestEnum, nullable: true, description: 'The holiday\'s interest; null without a holiday.', resolve: (r) => (terms(r).holidayPeriods ? terms(r).holidayInterest ?? 'accrue' : null) }),
    reason: t.exposeString('reason', { description: 'Why it was asked for.' }),
    ...decisionFields(t),
    transaction: t.field({ type: LoanTransactionRef, nullable: true, description: 'The restructure transaction, once approved.', resolve: (r, _args, context) => (r.transactionId ? context.loaders.loanTransactionById.load(r.transactionId) : null) }),
  }),
});

checkersQueueField('loanRestructureRequests', 'LoanRestructureRequest', {
  type: LoanRestructureRequestRef, capability: 'loans.restructure.approve', requests: 'Restructure requests',
  model: (db) => ({
    findMany: (query) => db.loanRestructureRequest.findMany(query as Prisma.LoanRestructureRequestFindManyArgs),
    count: (query) => db.loanRestructureRequest.count(query as Prisma.LoanRestructureRequestCountArgs),
  }),
});

const RequestLoanRestructureInput = builder.inputType('RequestLoanRestructureInput', {
  description: 'New terms to ask for; another person decides. A payment holiday: `holidayPeriods` alone. A re-ageing: `capitaliseArrears` alone.',
  fields: (t) => ({
    loanId: t.globalID({ required: true, for: LoanRef, description: 'The loan (active or overdue).' }),
    valueDate: t.field({ type: 'Date', required: false, description: 'When the new terms start; the business date when omitted.' }),
    capitaliseArrears: t.boolean({ required: true, description: 'True: everything due and unpaid on the date becomes principal of the new schedule, so the loan is current; false: it stays due.' }),
    annualRatePercent: t.field({ type: 'Decimal', required: false, description: 'The new annual rate, from the date; unchanged when omitted.' }),
    instalments: t.int({ required: false, description: 'How many instalments after the date; as many as there were still to come when omitted.' }),
    holidayPeriods: t.int({ required: false, description: 'Whole repayment periods with nothing due before the first new instalment (0 to 24).' }),
    holidayInterest: t.field({ type: HolidayInterestEnum, required: false, description: 'With a holiday: whether its interest accrues (the default) or is waived.' }),
    reason: t.string({ required: true, description: 'Why (3–1000 characters).' }),
    idempotencyKey: t.field({ type: 'IdempotencyKey', required: false, description: 'Repeat with the same key to get the same restructure request back, never a second one.' }),
  }),
});

const DecideLoanRestructureInput = builder.inputType('DecideLoanRestructureInput', {
  description: 'The checker\'s decision.',
  fields: (t) => ({
    requestId: t.globalID({ required: true, for: LoanRestructureRequestRef, description: 'The restructure request.' }),
    approve: t.boolean({ required: true, description: 'True posts the restructure; false rejects it.' }),
    reason: t.string({ required: false, description: 'Why (required to reject).' }),
  }),
});

builder.mutationFields((t) => ({
  requestLoanRestructure: t.field({
    type: objectPayload('requestLoanRestructure', 'loanRestructureRequest', LoanRestructureRequestRef, 'The restructure request, pending its checker (or, for a repeated idempotency key, the one asked for the first time, as it stands now).'),
    description: 'Asks for new terms on a loan from a date (the maker): a restructure, a reschedule, a payment holiday or a re-ageing. Tried against the loan as it stands (refused naming the field when it cannot take them, e.g. a new schedule that would owe 10^15); nothing changes until someone else approves it.',
    authScopes: { can: 'loans.restructure.request' },
    args: { input: t.arg({ type: RequestLoanRestructureInput, required: true, description: 'The new terms.' }) },
    resolve: async (_root, { input }, context) => {
      const businessDate = tenantBusinessDate(context);
      const loanRestructureRequest = await requestRestructure(commandDbOf(context), keyedCommandOf(context, input.idempotencyKey, input), businessDate, {
        loanId: input.loanId.id, valueDate: input.valueDate ? String(input.valueDate) : businessDate, capitaliseArrears: input.capitaliseArrears,
        annualRatePercent: input.annualRatePercent ?? null, instalments: input.instalments ?? null, holidayPeriods: input.holidayPeriods ?? null,
        holidayInterest: input.holidayInterest ?? null, reason: input.reason,
      });
      return { loanRestructureRequest };
    },
  }),
  decideLoanRestructure: t.field({
    type: objectPayload('decideLoanRestructure', 'loanRestructureRequest', LoanRestructureRequestRef, 'The restructure request as decided; on approval its `transaction` is the posted restructure.'),
    description: 'Approves (posts) or rejects a restructure someone else asked for.',
    authScopes: { can: 'loans.restructure.approve' },
    args: { input: t.arg({ type: DecideLoanRestructureInput, required: true, description: 'The decision.' }) },
    resolve: async (_root, { input }, context) => {
      if (!input.approve && !input.reason?.trim()) throw new InvalidField('reason', 'a rejection needs a reason');
      return { loanRestructureRequest: await decideRestructure(commandDbOf(context), commandOf(context), tenantBusinessDate(context), input.requestId.id, input.approve, input.reason?.trim() || null) };
    },
  }),
}));
