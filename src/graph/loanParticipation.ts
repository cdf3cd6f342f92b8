// A co-lending partner's share of a loan: what it funded, what of the principal is still its, what it has been
// paid from collections, its expected schedule, and the loan's standing as both lenders see it (status, days past
// due, class, collections) — never the whole loan's money, its transactions or its borrower. This is how a
// co-lending partner reads the loans it participates in; the lender's staff read the same through
// `Loan.participations`. Partner-scoped reads go through GraphContext.db (a partner reaches only its own shares).
import { builder } from './builder.js';
import { actorField } from './actors.js';
import { commandDbOf, keyedCommandOf, type GraphContext } from './context.js';
import { LIST_SIZES } from './limits.js';
import { connectionTypes, idOrderedConnection } from './pagination.js';
import { objectPayload } from './payloads.js';
import { LoanRef, LoanStatusEnum, replayOnce, tenantBusinessDate } from './loan.js';
import { AssetClassEnum } from './delinquencyPolicy.js';
import { PartyKindEnum } from './party.js';
import { ArrangementRef, arrangementById, SplitModelEnum } from './coLending.js';
import { LoanCollectionStatusRef, statusOfLoan } from './collections.js';
import { formatNumber } from '../domain/referenceNumbers.js';
import { Decimal, money } from '../domain/money.js';
import { originatorRatePercent, partnerSchedule, type PartnerInstalment, type SplitModel } from '../domain/servicing/coLending.js';
import { MAX_REPAYMENTS, termsFromJson } from '../domain/servicing/product.js';
import { generateSchedule } from '../domain/servicing/schedule.js';
import { loanAccountOf, loanRecordOfRow, loanTransactionOf, participationOfRow, transactionRecordOfRow } from '../services/servicing/loanRecords.js';
import { loanOn } from '../domain/servicing/loanAccount.js';
import { assignParticipation } from '../services/coLending/participations.js';
import { businessDateOf } from '../tenancy/dateColumns.js';
import type { TenantDb } from '../tenancy/tenantClients.js';

export type ParticipationRow = Awaited<ReturnType<TenantDb['loanParticipation']['findUniqueOrThrow']>>;
type LoanRow = Awaited<ReturnType<TenantDb['loan']['findUniqueOrThrow']>>;

export const LoanParticipationRef = builder.objectRef<ParticipationRow>('LoanParticipation');

const participationById = (context: GraphContext) => context.loaders.named<string, ParticipationRow | null>('participationById', async (ids) => {
  const rows = await context.db!.loanParticipation.findMany({ where: { id: { in: [...ids] } } });
  return ids.map((id) => rows.find((r) => r.id === id) ?? null);
});

/**
 * The loan behind a share, read on the tenant's own client: the share was read through the caller's scope, and
 * only the loan's standing (never its money or borrower) is shown from it.
 */
const loanOfShare = (context: GraphContext) => context.loaders.named<string, LoanRow | null>('loanOfShare', async (ids) => {
  const rows = await commandDbOf(context).loan.findMany({ where: { id: { in: [...ids] } } });
  return ids.map((id) => rows.find((r) => r.id === id) ?? null);
});

/**
 * The rate each loan's borrower pays now: the rate it was booked at, or its latest restructure's in effect. A
 * restructured loan is replayed to find it (its transactions read on the tenant's own client, as its row is: a
 * partner cannot read them, and only the rate is shown); one that never was needs no replay.
 */
const borrowerRateOf = (context: GraphContext) => context.loaders.named<string, Decimal>('borrowerRateOfShareLoan', async (loanIds) => {
  const loans = await loanOfShare(context).loadMany([...loanIds]);
  return Promise.all(loans.map(async (loan) => {
    if (!loan || loan instanceof Error) throw loan ?? new Error('a share\'s loan was not found');
    const booked = termsFromJson(loan.terms).annualRatePercent;
    if (!loan.restructuredOn) return booked;
    const date = tenantBusinessDate(context);
    // Its own question, not `on|<date>`: this history is read with the lender's client, and kept for this request only.
    const { account } = await replayOnce(context, loan, `rate|${date}`, (history) => loanOn(history.account, history.transactions, date), async () => ({
      account: loanAccountOf(loanRecordOfRow(loan)),
      transactions: (await commandDbOf(context).loanTransaction.findMany({ where: { loanId: loan.id }, orderBy: { seq: 'asc' } })).map((row) => loanTransactionOf(transactionRecordOfRow(row))),
    }));
    return account.restructures.at(-1)?.annualRatePercent ?? booked;
  }));
});

/** Every share of each loan, in the order they were assigned (tenant's client: the lender's staff, or a partner's own share's loan). */
const sharesOfLoan = (context: GraphContext) => context.loaders.named<string, ParticipationRow[]>('sharesOfLoan', async (loanIds) => {
  const rows = await commandDbOf(context).loanParticipation.findMany({ where: { loanId: { in: [...loanIds] } }, orderBy: [{ assignedAt: 'asc' }, { id: 'asc' }] });
  return loanIds.map((id) => rows.filter((r) => r.loanId === id));
});

/** What each arrangement version lets its partner see of borrowers, keyed `<arrangement>|<version>`. */
const borrowerDataOf = (context: GraphContext) => context.loaders.named<string, string>('borrowerDataOf', async (keys) => {
  const pairs = keys.map((k) => k.split('|') as [string, string]);
  const rows = await commandDbOf(context).coLendingArrangementVersion.findMany({
    where: { OR: pairs.map(([arrangementId, version]) => ({ arrangementId, version: Number(version) })) }, select: { arrangementId: true, version: true, borrowerData: true },
  });
  return pairs.map(([a, v]) => rows.find((r) => r.arrangementId === a && r.version === Number(v))?.borrowerData ?? 'none');
});

/** Borrowers of shared loans, read on the tenant's client and shown only masked. */
const borrowerById = (context: GraphContext) => context.loaders.named<string, { kind: string; legalName: string; address: unknown; dateOfBirth: Date | null } | null>('shareBorrowerById', async (ids) => {
  const rows = await commandDbOf(context).party.findMany({ where: { id: { in: [...ids] } }, select: { id: true, kind: true, legalName: true, address: true, dateOfBirth: true } });
  return ids.map((id) => rows.find((r) => r.id === id) ?? null);
});

/** What the ledger holds for each share: its principal still lent (funded account) and what it was paid from collections (payable). */
/**
 * What the ledger holds for each share, given the share itself (already read through the caller's scope): its
 * principal still lent (funded account) and what it was paid from collections (payable), for its loan.
 */
const ledgerOfShare = (context: GraphContext) => context.loaders.named<ParticipationRow, { principal: Decimal; collected: Decimal }>('ledgerOfShare', async (shares) => {
  const lines = await commandDbOf(context).journalLine.groupBy({
    by: ['loanId', 'account'],
    where: { loanId: { in: shares.map((s) => s.loanId) }, account: { in: [...new Set(shares.flatMap((s) => [s.fundedAccount, s.payableAccount]))] } },
    _sum: { debit: true, credit: true },
  });
  const net = (loanId: string, account: string) => {
    const row = lines.find((l) => l.loanId === loanId && l.account === account);
    return row ? new Decimal(row._sum.credit?.toString() ?? '0').minus(row._sum.debit?.toString() ?? '0') : new Decimal(0);
  };
  return shares.map((s) => ({ principal: net(s.loanId, s.fundedAccount), collected: net(s.loanId, s.payableAccount) }));
});

const PartnerInstalmentRef = builder.objectRef<PartnerInstalment & { currency: string }>('CoLenderInstalment').implement({
  description: 'One instalment of a co-lending partner\'s expected schedule: what it expects from the loan paid as scheduled.',
  authScopes: { canAny: ['coLending.read'] },
  fields: (t) => ({
    number: t.exposeInt('number', { description: 'The borrower\'s instalment it comes from.' }),
    dueDate: t.field({ type: 'Date', description: 'When.', resolve: (i) => i.dueDate }),
    principal: t.field({ type: 'Money', description: 'Its principal.', resolve: (i) => money(i.principal.toFixed(), i.currency) }),
    interest: t.field({ type: 'Money', description: 'Its interest, before the servicing fee.', resolve: (i) => money(i.interest.toFixed(), i.currency) }),
    servicingFee: t.field({ type: 'Money', description: 'The servicing fee kept from its interest.', resolve: (i) => money(i.servicingFee.toFixed(), i.currency) }),
    total: t.field({ type: 'Money', description: 'What it expects to be paid: principal and interest less the fee.', resolve: (i) => money(i.total.toFixed(), i.currency) }),
  }),
});

LIST_SIZES['LoanParticipation.expectedSchedule'] = MAX_REPAYMENTS;
interface MaskedBorrower { kind: string; initials: string; city: string | null; yearOfBirth: number | null }

/** "Victoria Anne Smith" → "V. A. S.": enough to recognise a borrower, not to find one. */
const initialsOf = (name: string) => name.trim().split(/\s+/).map((word) => `${[...word][0]!.toUpperCase()}.`).join(' ');

const MaskedBorrowerRef = builder.objectRef<MaskedBorrower>('CoLenderBorrowerView').implement({
  description: 'A loan\'s borrower as an arrangement that masks borrower data lets the co-lending partner see it.',
  authScopes: { can: 'coLending.read' },
  fields: (t) => ({
    kind: t.field({ type: PartyKindEnum, description: 'A person or a business.', resolve: (b) => b.kind as 'PERSON' }),
    initials: t.exposeString('initials', { description: 'The initials of its legal name.' }),
    city: t.exposeString('city', { nullable: true, description: 'The city of its address, when known.' }),
    yearOfBirth: t.exposeInt('yearOfBirth', { nullable: true, description: 'A person\'s year of birth, when known.' }),
  }),
});

builder.node(LoanParticipationRef, {
  description: 'A co-lending partner\'s share of one loan, with the arrangement\'s terms as they were when it was assigned.',
  id: { resolve: (row) => row.id },
  loadMany: (ids, context: GraphContext) => ids.map((id) => participationById(context).load(id)),
  authScopes: { can: 'coLending.read' },
  fields: (t) => ({
    loan: t.field({
      type: LoanRef, nullable: true, authScopes: { can: 'loans.read' },
      description: 'The loan, for those who may read whole loans (the lender\'s staff); a co-lending partner reads its share through the fields here.',
      resolve: (p, _args, context) => context.loaders.loanById.load(p.loanId),
    }),
    loanNumber: t.string({
      description: 'The lender\'s number for the loan (e.g. L-000123), as both lenders refer to it.',
      resolve: async (p, _args, context) => formatNumber('loan', (await loanOfShare(context).load(p.loanId))!.number),
    }),
    partnerCode: t.exposeString('partnerCode', { description: 'The co-lending partner.' }),
    arrangement: t.field({ type: ArrangementRef, nullable: true, description: 'The arrangement it was taken under.', resolve: (p, _args, context) => arrangementById(context).load(p.arrangementId) }),
    arrangementVersion: t.exposeInt('arrangementVersion', { description: 'The arrangement\'s version it keeps.' }),
    sharePercent: t.field({ type: 'Decimal', description: 'Its share of the loan\'s principal.', resolve: (p) => p.sharePercent.toString() }),
    model: t.field({ type: SplitModelEnum, description: 'How payments are split.', resolve: (p) => p.model as SplitModel }),
    partnerRatePercent: t.field({ type: 'Decimal', description: 'The partner\'s yearly rate on its share.', resolve: (p) => p.partnerRatePercent.toString() }),
    servicingFeePercent: t.field({ type: 'Decimal', description: 'The yearly servicing fee on its principal, kept from its interest.', resolve: (p) => p.servicingFeePercent.toString() }),
    sharesFees: t.exposeBoolean('sharesFees', { description: 'Fees collected are shared.' }),
    sharesPenalties: t.exposeBoolean('sharesPenalties', { description: 'Penalties collected are shared.' }),
    from: t.field({ type: 'Date', description: 'The business date its share counts from.', resolve: (p) => businessDateOf(p.fromDate) }),
    boughtBackOn: t.field({
      type: 'Date', nullable: true, description: 'The business date the lender bought the share back under the default loss guarantee (its principal then paid to the partner); null while the partner holds it.',
      resolve: (p) => (p.untilDate ? businessDateOf(p.untilDate) : null),
    }),
    guaranteePaid: t.field({
      type: 'Money', description: 'What the default loss guarantee paid for it (zero unless bought back).',
      resolve: async (p, _args, context) => money(p.guaranteePaid, (await loanOfShare(context).load(p.loanId))!.currency),
    }),
    funded: t.field({
      type: 'Money', description: 'Its share of the principal owed on `from`: what it paid in.',
      resolve: async (p, _args, context) => money(p.funded, (await loanOfShare(context).load(p.loanId))!.currency),
    }),
    borrowerRatePercent: t.field({
      type: 'Decimal', description: 'The rate the borrower pays now: the blend of each lender\'s rate by its share when booked (docs/co-lending.md, "The borrower\'s rate"), or the rate its latest restructure set.',
      resolve: (p, _args, context) => borrowerRateOf(context).load(p.loanId),
    }),
    lenderRatePercent: t.field({
      // Computed from every partner's share: the lender's staff only, never another partner's terms to a partner.
      type: 'Decimal', nullable: true, authScopes: { can: 'loans.read' },
      description: 'The rate the lender earns on the share it keeps, given the borrower\'s rate and every partner\'s rate on its share; null when the partners\' rates take more than the borrower pays.',
      resolve: async (p, _args, context) => {
        const [rate, all] = await Promise.all([borrowerRateOf(context).load(p.loanId), sharesOfLoan(context).load(p.loanId)]);
        return originatorRatePercent(rate, all.map((x) => ({ sharePercent: new Decimal(x.sharePercent.toString()), partnerRatePercent: new Decimal(x.partnerRatePercent.toString()) })));
      },
    }),
    principalOutstanding: t.field({
      type: 'Money', description: 'Its share of the principal the borrower still owes, as of the loan\'s last posting (its share of what is written off is gone).',
      resolve: async (p, _args, context) => money((await ledgerOfShare(context).load(p)).principal.toFixed(), (await loanOfShare(context).load(p.loanId))!.currency),
    }),
    collected: t.field({
      type: 'Money', description: 'What it has been paid from this loan\'s collections so far: its principal, its interest less the servicing fee, and its share of fees, penalties and recoveries when shared; corrections of backdated payments and reversals included. Settlements pay it out.',
      resolve: async (p, _args, context) => money((await ledgerOfShare(context).load(p)).collected.toFixed(), (await loanOfShare(context).load(p.loanId))!.currency),
    }),
    expectedSchedule: t.field({
      type: [PartnerInstalmentRef], description: 'What it expects from the loan paid as booked: the schedule at booking, not redrawn after a restructure, a prepayment or a later tranche; what it is paid follows the loan as it is (`collected`, settlements). docs/co-lending.md, "Expected schedules".',
      resolve: async (p, _args, context) => {
        const loan = (await loanOfShare(context).load(p.loanId))!;
        const terms = termsFromJson(loan.terms);
        const schedule = generateSchedule(terms, {
          principal: loan.principal.toString(), disbursementDate: businessDateOf(loan.disbursementDate),
          firstRepaymentDate: loan.firstRepaymentDate ? businessDateOf(loan.firstRepaymentDate) : undefined,
        });
        return partnerSchedule(participationOfRow(p), terms, schedule).map((i) => ({ ...i, currency: loan.currency }));
      },
    }),
    loanStatus: t.field({ type: LoanStatusEnum, description: 'The loan\'s status, as of its last posting.', resolve: async (p, _args, context) => (await loanOfShare(context).load(p.loanId))!.status as 'active' }),
    daysPastDue: t.int({ description: 'The loan\'s days past due, the same for both lenders (end of day counts them on).', resolve: async (p, _args, context) => (await loanOfShare(context).load(p.loanId))!.daysPastDue }),
    delinquencyBucket: t.string({ nullable: true, description: 'The loan\'s delinquency bucket, as the last end of day set it.', resolve: async (p, _args, context) => (await loanOfShare(context).load(p.loanId))!.delinquencyBucket }),
    assetClass: t.field({
      type: AssetClassEnum, description: 'The loan\'s regulatory class (borrower-level where the regime says so), the same for both lenders, as the last end of day set it.',
      resolve: async (p, _args, context) => (await loanOfShare(context).load(p.loanId))!.assetClass as 'STANDARD',
    }),
    borrower: t.field({
      type: MaskedBorrowerRef, nullable: true,
      description: 'The borrower as the arrangement lets the partner see it (masked: initials, city, year of birth); null when it lets it see nothing, or the loan names no borrower.',
      resolve: async (p, _args, context) => {
        const [borrowerData, loan] = await Promise.all([borrowerDataOf(context).load(`${p.arrangementId}|${p.arrangementVersion}`), loanOfShare(context).load(p.loanId)]);
        if (borrowerData !== 'masked' || !loan?.borrowerPartyId) return null;
        const party = await borrowerById(context).load(loan.borrowerPartyId);
        if (!party) return null;
        const city = (party.address as { city?: unknown } | null)?.city;
        return { kind: party.kind, initials: initialsOf(party.legalName), city: typeof city === 'string' ? city : null, yearOfBirth: party.dateOfBirth ? party.dateOfBirth.getUTCFullYear() : null };
      },
    }),
    collectionStatus: t.field({
      type: LoanCollectionStatusRef, nullable: true, description: 'Where collections stand on the loan (never the case notes); null when it never had a case.',
      resolve: (p, _args, context) => statusOfLoan(context).load(p.loanId),
    }),
    assignedBy: actorField(t, 'Who assigned it.', (p) => p.assignedBy),
    assignedAt: t.field({ type: 'DateTime', description: 'When.', resolve: (p) => p.assignedAt }),
  }),
});

builder.queryField('loanParticipations', (t) =>
  t.connection({
    type: LoanParticipationRef,
    description: 'Shares of loans, in the order they were made (by id): a co-lending partner\'s own, or for the lender\'s staff every partner\'s.',
    authScopes: { can: 'coLending.read' },
    args: {
      partnerCode: t.arg.string({ required: false, description: 'Only this partner\'s.' }),
      loanId: t.arg.globalID({ required: false, for: LoanRef, description: 'Only this loan\'s.' }),
    },
    resolve: (_root, args, context) => idOrderedConnection(context, args, ({ id, orderBy, take }) => context.db!.loanParticipation.findMany({
      where: { id, ...(args.partnerCode ? { partnerCode: args.partnerCode } : {}), ...(args.loanId ? { loanId: args.loanId.id } : {}) }, orderBy, take,
    })),
  }, ...connectionTypes('LoanParticipation')),
);

// Each share is more than nothing and the lender keeps some of every loan: a loan has few partners.
LIST_SIZES['Loan.participations'] = 100;
builder.objectFields(LoanRef, (t) => ({
  participations: t.field({
    type: [LoanParticipationRef], authScopes: { can: 'coLending.read' },
    description: 'Co-lending partners\' shares of it (staff only); empty when the lender funds it alone.',
    resolve: (loan, _args, context) => sharesOfLoan(context).load(loan.id),
  }),
}));

const AssignInput = builder.inputType('AssignLoanParticipationInput', {
  description: 'A co-lending partner\'s share of a loan, under the arrangement\'s version in force.',
  fields: (t) => ({
    idempotencyKey: t.field({ type: 'IdempotencyKey', required: false, description: 'Repeat with the same key to get the same share back, never a second one.' }),
    loanId: t.globalID({ required: true, for: LoanRef, description: 'The loan (active or overdue, within the assignment window of its disbursement).' }),
    arrangementId: t.globalID({ required: true, for: ArrangementRef, description: 'The arrangement.' }),
  }),
});

builder.mutationFields((t) => ({
  assignLoanParticipation: t.field({
    type: objectPayload('assignLoanParticipation', 'loanParticipation', LoanParticipationRef, 'The share, with the partner\'s funding and parts posted (or, for a repeated idempotency key, the share given the first time).'),
    description: 'Gives a co-lending partner its share of a loan from the business date (from the payout itself on the disbursement date): its funding and its parts of everything collected from then on are posted at once.',
    authScopes: { can: 'loans.participations.assign' },
    args: { input: t.arg({ type: AssignInput, required: true, description: 'The share.' }) },
    resolve: async (_root, { input }, context) => {
      const share = { loanId: input.loanId.id, arrangementId: input.arrangementId.id };
      return { loanParticipation: await assignParticipation(commandDbOf(context), keyedCommandOf(context, input.idempotencyKey, share), tenantBusinessDate(context), share) };
    },
  }),
}));
