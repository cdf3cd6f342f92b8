// A loan's statement for a period through the API (Loan.statement), and the same statement as a CSV or PDF
// download (GET /statements/loans/<loan id>.csv|pdf?from=&to=), read with the caller's own token and scope: a
// partner downloads only statements of loans it brought.
import type { Request, Response } from 'express';
import { storedEnum } from './enums.js';
import { TRANSACTION_KINDS } from '../services/servicing/loanRecords.js';
import { builder } from './builder.js';
import { money, type Decimal } from '../domain/money.js';
import { assertNotAfterBusinessDate, isBusinessDate } from '../domain/businessDate.js';
import { daysBetween } from '../domain/calendar.js';
import { loanStatement, type LoanStatement, type StatementBalances, type StatementLine } from '../domain/servicing/statement.js';
import { statementCsv } from '../documents/statementCsv.js';
import { statementPdf } from '../documents/statementPdf.js';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { AppError, InvalidField } from '../errors.js';
import type { Runtime } from '../runtime.js';
import type { GraphContext } from './context.js';
import { queryParameter, rawIdOf, replyWithError, routeContext, type RouteLimits } from './httpRoutes.js';
import type { LoanRow } from './loaders.js';
import { LoanComponentEnum, LoanRef, LoanStatusEnum, LoanTransactionRef, replayOnce, useGlobalId } from './loan.js';
import { feesAndPenalties, type FeeOrPenaltyItem } from '../domain/servicing/statementFees.js';
import { formatNumber } from '../domain/referenceNumbers.js';
import { allows } from '../authz/capabilities.js';

/** Statements cover at most this many days, so one request cannot replay a loan's whole life many times over. */
export const MAX_STATEMENT_DAYS = 3_660;

export async function statementFor(context: GraphContext, loan: LoanRow, from: string, to: string): Promise<LoanStatement> {
  if (!isBusinessDate(from)) throw new InvalidField('from', 'from must be a business date (YYYY-MM-DD)');
  if (!isBusinessDate(to)) throw new InvalidField('to', 'to must be a business date (YYYY-MM-DD)');
  if (from > to) throw new InvalidField('to', 'to must be on or after from');
  assertNotAfterBusinessDate(to, context.tenant!.businessDate, 'to');
  if (daysBetween(from, to) > MAX_STATEMENT_DAYS) throw new InvalidField('to', `a statement covers at most ${MAX_STATEMENT_DAYS} days`);
  return replayOnce(context, loan, `statement|${from}|${to}`, ({ account, transactions }) => loanStatement({ loan: account, transactions, from, to }));
}

type Balances = StatementBalances & { currency: string };

const BalancesRef = builder.objectRef<Balances>('StatementBalances').implement({
  description: 'What the borrower owes at a point of a statement (the loan\'s sub-ledger).',
  authScopes: { can: 'loans.read' },
  fields: (t) => ({
    principal: t.field({ type: 'Money', description: 'Principal.', resolve: (b) => money(b.principal, b.currency) }),
    interest: t.field({ type: 'Money', description: 'Interest due.', resolve: (b) => money(b.interest, b.currency) }),
    fee: t.field({ type: 'Money', description: 'Fees due.', resolve: (b) => money(b.fee, b.currency) }),
    penalty: t.field({ type: 'Money', description: 'Penalties due.', resolve: (b) => money(b.penalty, b.currency) }),
    held: t.field({ type: 'Money', description: 'The borrower\'s money held (advance and excess).', resolve: (b) => money(b.held, b.currency) }),
    totalOwed: t.field({ type: 'Money', description: 'All of the above less what is held.', resolve: (b) => money(b.totalOwed, b.currency) }),
  }),
});

const AllocationEffectEnum = storedEnum('StatementAllocationEffect', 'What a statement line did to an instalment\'s component.', {
  charged: 'Added to what the instalment asks for.',
  paid: 'Paid on it.',
  waived: 'Forgiven.',
});

const StatementLineKindEnum = storedEnum('LoanStatementLineKind', 'What a statement line records.', {
  disbursement: 'The loan was paid out.',
  instalmentDue: 'An instalment fell due.',
  adjustment: 'An adjustment made by the replay.',
  ...Object.fromEntries(TRANSACTION_KINDS.map((kind) => [kind, `A ${kind} transaction.`])),
});

const StatementAllocationRef = builder.objectRef<{ instalment: number; dueDate: string; component: string; as: string; amount: Decimal; currency: string }>('StatementAllocation').implement({
  description: 'One instalment and component a statement line charged, paid or waived (negative when undone).',
  authScopes: { can: 'loans.read' },
  fields: (t) => ({
    instalment: t.exposeInt('instalment', { description: 'The instalment.' }),
    dueDate: t.field({ type: 'Date', description: 'Its due date.', resolve: (a) => a.dueDate }),
    component: t.field({ type: LoanComponentEnum, description: 'Principal, interest, fee or penalty.', resolve: (a) => a.component as 'principal' }),
    as: t.expose('as', { type: AllocationEffectEnum, description: 'Charged, paid or waived.' }),
    amount: t.field({ type: 'Money', description: 'How much.', resolve: (a) => money(a.amount, a.currency) }),
  }),
});

const StatementLineRef = builder.objectRef<StatementLine & { currency: string }>('LoanStatementLine').implement({
  description: 'One event of a statement, with the balances after it.',
  authScopes: { can: 'loans.read' },
  fields: (t) => ({
    date: t.field({ type: 'Date', description: 'Its value date.', resolve: (l) => l.date }),
    kind: t.field({ type: StatementLineKindEnum, description: 'What happened: the disbursement, an instalment falling due, a transaction, or an adjustment.', resolve: (l) => l.kind }),
    transactionId: t.exposeString('transactionId', { nullable: true, description: 'The transaction (raw id); null for the disbursement and instalments falling due.', deprecationReason: useGlobalId('transactionGlobalId') }),
    transactionGlobalId: t.globalID({
      nullable: true, description: 'The transaction (`LoanTransaction.id`); null for the disbursement, instalments falling due and the replay\'s adjustments.',
      resolve: (l) => (l.transactionId ? { type: LoanTransactionRef, id: l.transactionId } : null),
    }),
    description: t.exposeString('description', { description: 'What happened, in words.' }),
    amount: t.field({ type: 'Money', description: 'The event\'s own amount.', resolve: (l) => money(l.amount, l.currency) }),
    allocation: t.field({ type: [StatementAllocationRef], description: 'Where it went.', resolve: (l) => l.allocation.map((a) => ({ ...a, currency: l.currency })) }),
    balance: t.field({ type: BalancesRef, description: 'Balances after it.', resolve: (l) => ({ ...l.balance, currency: l.currency }) }),
    backdated: t.exposeBoolean('backdated', { description: 'It arrived after a transaction with a later value date and was replayed into place.' }),
    reversedByTransactionId: t.string({
      nullable: true, description: 'The reversal that undid it, when dated within the statement.', deprecationReason: useGlobalId('reversedByTransactionGlobalId'),
      resolve: (l) => l.reversedBy?.id ?? null,
    }),
    reversedByTransactionGlobalId: t.globalID({
      nullable: true, description: 'The reversal that undid it (`LoanTransaction.id`), when dated within the statement.',
      resolve: (l) => (l.reversedBy ? { type: LoanTransactionRef, id: l.reversedBy.id } : null),
    }),
    reversesTransactionId: t.string({ nullable: true, description: 'On a reversal: what it undoes.', deprecationReason: useGlobalId('reversesTransactionGlobalId'), resolve: (l) => l.reverses?.id ?? null }),
    reversesTransactionGlobalId: t.globalID({
      nullable: true, description: 'On a reversal: what it undoes (`LoanTransaction.id`), which may be before the statement.',
      resolve: (l) => (l.reverses ? { type: LoanTransactionRef, id: l.reverses.id } : null),
    }),
  }),
});

type ComponentTotals = Record<'principal' | 'interest' | 'fee' | 'penalty', Decimal> & { currency: string };

const ComponentTotalsRef = builder.objectRef<ComponentTotals>('StatementComponentAmounts').implement({
  description: 'An amount per component over a statement\'s period.',
  authScopes: { can: 'loans.read' },
  fields: (t) => ({
    principal: t.field({ type: 'Money', description: 'Principal.', resolve: (a) => money(a.principal, a.currency) }),
    interest: t.field({ type: 'Money', description: 'Interest.', resolve: (a) => money(a.interest, a.currency) }),
    fee: t.field({ type: 'Money', description: 'Fees.', resolve: (a) => money(a.fee, a.currency) }),
    penalty: t.field({ type: 'Money', description: 'Penalties.', resolve: (a) => money(a.penalty, a.currency) }),
  }),
});

const FeeOrPenaltyRef = builder.objectRef<FeeOrPenaltyItem & { currency: string }>('StatementFeeOrPenalty').implement({
  description: 'One fee or penalty charged, waived or paid in a statement\'s period, on one instalment.',
  authScopes: { can: 'loans.read' },
  fields: (t) => ({
    date: t.field({ type: 'Date', description: 'The value date of the line it is on.', resolve: (i) => i.date }),
    kind: t.field({ type: StatementLineKindEnum, description: 'The kind of line it is on (a charge, a waiver, a repayment, a reversal, an instalment falling due …).', resolve: (i) => i.kind }),
    transactionId: t.exposeString('transactionId', { nullable: true, description: 'The transaction (raw id), as on the statement\'s lines; null for instalments falling due.', deprecationReason: useGlobalId('transactionGlobalId') }),
    transactionGlobalId: t.globalID({
      nullable: true, description: 'The transaction of the line it is on (`LoanTransaction.id`); null for instalments falling due.',
      resolve: (i) => (i.transactionId ? { type: LoanTransactionRef, id: i.transactionId } : null),
    }),
    description: t.exposeString('description', { description: 'The line\'s description.' }),
    component: t.field({ type: LoanComponentEnum, description: 'FEE or PENALTY.', resolve: (i) => i.component }),
    as: t.field({ type: AllocationEffectEnum, description: 'Charged, waived or paid.', resolve: (i) => i.as }),
    instalment: t.exposeInt('instalment', { description: 'The instalment it is owed with.' }),
    dueDate: t.field({ type: 'Date', description: 'That instalment\'s due date.', resolve: (i) => i.dueDate }),
    amount: t.field({ type: 'Money', description: 'How much (negative when a reversal undid it).', resolve: (i) => money(i.amount, i.currency) }),
  }),
});

type ShownStatement = LoanStatement & { downloadPath: string; loanNumber: string; borrowerPartyId: string | null };

/** The borrower's legal name for a statement, for callers who may read parties (the read is audited); else null. */
export async function borrowerNameFor(context: GraphContext, borrowerPartyId: string | null): Promise<string | null> {
  const principal = context.principal;
  if (!borrowerPartyId || !principal || !allows('parties.read', principal.roles, context.tenant !== null)) return null;
  const party = await context.loaders.partyById.load(borrowerPartyId);
  if (!party) return null;
  await context.loaders.personalDataRead.load(`${party.id}|legalName`);
  return party.legalName;
}

const LoanStatementRef = builder.objectRef<ShownStatement>('LoanStatement').implement({
  description: 'A loan statement for a period: opening balances, every event with its allocation, closing balances.',
  authScopes: { can: 'loans.read' },
  fields: (t) => ({
    loanNumber: t.exposeString('loanNumber', { description: 'The loan\'s number, e.g. L-000123.' }),
    borrowerName: t.string({
      nullable: true,
      description: 'The borrower\'s legal name, for callers who may read parties (reading it is audited); null for others, such as partners, and for a loan booked without a borrower.',
      resolve: (s, _args, context) => borrowerNameFor(context, s.borrowerPartyId),
    }),
    feesAndPenalties: t.field({
      type: [FeeOrPenaltyRef],
      description: 'Every fee and penalty charged, waived or paid in the period, item by item, in the order of the lines.',
      resolve: (s) => feesAndPenalties(s).map((i) => ({ ...i, currency: s.currency })),
    }),
    charged: t.field({ type: ComponentTotalsRef, description: 'Fees and penalties charged in the period (instalments\' own interest and fees fall due, they are not charged).', resolve: (s) => ({ ...s.totals.charged, currency: s.currency }) }),
    waived: t.field({ type: ComponentTotalsRef, description: 'Waived in the period, per component.', resolve: (s) => ({ ...s.totals.waived, currency: s.currency }) }),
    paid: t.field({ type: ComponentTotalsRef, description: 'Paid in the period per component, from payments and from money held.', resolve: (s) => ({ ...s.totals.paid, currency: s.currency }) }),
    from: t.field({ type: 'Date', description: 'First day.', resolve: (s) => s.from }),
    to: t.field({ type: 'Date', description: 'Last day.', resolve: (s) => s.to }),
    opening: t.field({ type: BalancesRef, description: 'At the end of the day before `from`.', resolve: (s) => ({ ...s.opening, currency: s.currency }) }),
    lines: t.field({ type: [StatementLineRef], description: 'Every event in value-date order.', resolve: (s) => s.lines.map((l) => ({ ...l, currency: s.currency })) }),
    closing: t.field({ type: BalancesRef, description: 'At the end of `to`.', resolve: (s) => ({ ...s.closing, currency: s.currency }) }),
    received: t.field({ type: 'Money', description: 'Repayments in the period, less those reversed in it.', resolve: (s) => money(s.totals.received, s.currency) }),
    status: t.field({ type: LoanStatusEnum, description: 'The loan\'s status at the end of the period.', resolve: (s) => s.status }),
    daysPastDue: t.exposeInt('daysPastDue', { description: 'At the end of the period.' }),
    amountDue: t.field({ type: 'Money', description: 'Owed on instalments due by the end of the period.', resolve: (s) => money(s.amountDue, s.currency) }),
    csvPath: t.string({ description: 'GET it (with the same Authorization header) for this statement as CSV.', resolve: (s) => `${s.downloadPath}.csv?from=${s.from}&to=${s.to}` }),
    pdfPath: t.string({ description: 'GET it (with the same Authorization header) for this statement as PDF.', resolve: (s) => `${s.downloadPath}.pdf?from=${s.from}&to=${s.to}` }),
  }),
});

export const STATEMENT_PATH = '/statements/loans';

builder.objectField(LoanRef, 'statement', (t) =>
  t.field({
    type: LoanStatementRef,
    description: 'The loan\'s statement for a period (at most ten years, ending on or before the business date).',
    authScopes: { can: 'loans.read' },
    args: {
      from: t.arg({ type: 'Date', required: true, description: 'First day.' }),
      to: t.arg({ type: 'Date', required: true, description: 'Last day.' }),
    },
    resolve: async (loan, args, context) => ({
      ...(await statementFor(context, loan, String(args.from), String(args.to))),
      loanNumber: formatNumber('loan', loan.number),
      borrowerPartyId: loan.borrowerPartyId,
      downloadPath: `${STATEMENT_PATH}/${encodeURIComponent(encodeGlobalID('Loan', loan.id))}`,
    }),
  }),
);

/** GET /statements/loans/<loan global id>.(csv|pdf)?from=YYYY-MM-DD&to=YYYY-MM-DD */
export function statementDownload(runtime: Runtime, tenantHeader: string, limits: RouteLimits) {
  return async (req: Request, res: Response) => {
    try {
      const match = /^([A-Za-z0-9+/=_-]{1,200})\.(csv|pdf)$/.exec(String(req.params['file'] ?? ''));
      if (!match) throw new AppError('NOT_FOUND', 'no such statement');
      const context = await routeContext(runtime, tenantHeader, req, res, 'loans.read', limits);
      const loanId = rawIdOf(match[1], 'Loan');
      const loan = loanId ? await context.loaders.loanById.load(loanId) : null;
      if (!loan) throw new AppError('NOT_FOUND', 'no such loan');
      const from = queryParameter(req, 'from') ?? '';
      const to = queryParameter(req, 'to') ?? '';
      const statement = await statementFor(context, loan, from, to);
      const loanNumber = formatNumber('loan', loan.number);
      const borrowerName = await borrowerNameFor(context, loan.borrowerPartyId);
      const name = `statement-${loanNumber}-${from}-${to}`;
      if (match[2] === 'csv') {
        res.setHeader('content-type', 'text/csv; charset=utf-8');
        res.setHeader('content-disposition', `attachment; filename="${name}.csv"`);
        res.send(statementCsv(statement, { lenderName: context.tenant!.displayName, loanNumber, borrowerName }));
      } else {
        const pdf = await statementPdf(statement, { lenderName: context.tenant!.displayName, createdAt: runtime.now(), loanNumber, borrowerName });
        res.setHeader('content-type', 'application/pdf');
        res.setHeader('content-disposition', `attachment; filename="${name}.pdf"`);
        res.send(pdf);
      }
    } catch (error) {
      replyWithError(runtime, res, error, 'statement download');
    }
  };
}
