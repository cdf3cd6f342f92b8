// Settlements with co-lending partners: what end of day (T+N) or finance by hand paid each partner from
// collections, with its statement (here, and as CSV and PDF downloads) and, for finance, the escrow transfer
// instruction. A co-lending partner reads its own settlements only (GraphContext.db is partner-scoped).
import type { Request, Response } from 'express';
import { builder } from './builder.js';
import { actorField } from './actors.js';
import { commandDbOf, commandOf, keyedCommandOf, type GraphContext } from './context.js';
import { LIST_SIZES } from './limits.js';
import { objectPayload, payloadType } from './payloads.js';
import { connectionTypes, idOrderedConnection } from './pagination.js';
import { tenantBusinessDate } from './loan.js';
import { rawIdOf, replyWithError, routeContext, type RouteLimits } from './httpRoutes.js';
import { encodeGlobalID } from '@pothos/plugin-relay';
import { AppError } from '../errors.js';
import { Decimal, money } from '../domain/money.js';
import { allows } from '../authz/capabilities.js';
import { formatNumber } from '../domain/referenceNumbers.js';
import { escrowInstructionCsv, settlementCsv, settlementPdf, type SettlementDocument } from '../documents/coLendingSettlement.js';
import { setCoLenderSettlement, settleCoLender } from '../services/coLending/settlements.js';
import { openSecret } from '../tenancy/sealing.js';
import { businessDateOf } from '../tenancy/dateColumns.js';
import type { TenantDb } from '../tenancy/tenantClients.js';
import type { Runtime } from '../runtime.js';

type SettlementRow = Awaited<ReturnType<TenantDb['coLendingSettlement']['findUniqueOrThrow']>>;
type LedgerRow = Awaited<ReturnType<TenantDb['coLendingPartnerLedger']['findUniqueOrThrow']>>;

export const SETTLEMENT_PATH = '/settlements/colending';

export const CoLendingSettlementRef = builder.objectRef<SettlementRow>('CoLendingSettlement');

const settlementById = (context: GraphContext) => context.loaders.named<string, SettlementRow | null>('settlementById', async (ids) => {
  const rows = await context.db!.coLendingSettlement.findMany({ where: { id: { in: [...ids] } } });
  return ids.map((id) => rows.find((r) => r.id === id) ?? null);
});

interface LineView { loanNumber: string; valueDate: string; amount: Decimal; adjustment: boolean; currency: string }

/** A settlement's lines with their loans' numbers, in value-date order (read on the tenant's client: the settlement was read through the caller's scope). */
async function linesOf(context: GraphContext, s: SettlementRow, take?: number): Promise<LineView[]> {
  const db = commandDbOf(context);
  const lines = await db.coLendingSettlementLine.findMany({ where: { settlementId: s.id }, orderBy: [{ valueDate: 'asc' }, { journalId: 'asc' }, { line: 'asc' }], ...(take ? { take } : {}) });
  const loans = await db.loan.findMany({ where: { id: { in: [...new Set(lines.map((l) => l.loanId))] } }, select: { id: true, number: true } });
  const numbers = new Map(loans.map((l) => [l.id, formatNumber('loan', l.number)]));
  return lines.map((l) => ({ loanNumber: numbers.get(l.loanId)!, valueDate: businessDateOf(l.valueDate), amount: new Decimal(l.amount.toString()), adjustment: l.adjustment, currency: s.currency }));
}

const SettlementLineRef = builder.objectRef<LineView>('CoLendingSettlementLine').implement({
  description: 'What the partner was owed from one loan on one value date, paid by the settlement (negative: a correction taken back).',
  authScopes: { can: 'coLending.read' },
  fields: (t) => ({
    loanNumber: t.exposeString('loanNumber', { description: 'The loan\'s number (e.g. L-000123).' }),
    valueDate: t.field({ type: 'Date', description: 'The value date of what was collected or corrected.', resolve: (l) => l.valueDate }),
    amount: t.field({ type: 'Money', description: 'Its part of the settlement.', resolve: (l) => money(l.amount.toFixed(), l.currency) }),
    adjustment: t.exposeBoolean('adjustment', { description: 'A correction of a period an earlier settlement covered (a backdated payment or a reversal), or posted as one.' }),
  }),
});

LIST_SIZES['CoLendingSettlement.lines'] = 1000;
builder.node(CoLendingSettlementRef, {
  description: 'A settlement with a co-lending partner: what the lender owed it from collections valued through a date (and corrections since the last), paid by one journal.',
  id: { resolve: (row) => row.id },
  loadMany: (ids, context: GraphContext) => ids.map((id) => settlementById(context).load(id)),
  authScopes: { can: 'coLending.read' },
  fields: (t) => ({
    number: t.exposeInt('number', { description: 'The partner\'s settlements numbered from 1.' }),
    partnerCode: t.exposeString('partnerCode', { description: 'The co-lending partner.' }),
    through: t.field({ type: 'Date', description: 'Collections valued up to this date are in it.', resolve: (s) => businessDateOf(s.throughDate) }),
    businessDate: t.field({ type: 'Date', description: 'The business date it was paid on (its journal\'s value date).', resolve: (s) => businessDateOf(s.businessDate) }),
    collections: t.field({ type: 'Money', description: 'The partner\'s parts of collections in the period.', resolve: (s) => money(s.collections, s.currency) }),
    adjustments: t.field({ type: 'Money', description: 'Corrections of periods already settled (negative when a reversal took money back).', resolve: (s) => money(s.adjustments, s.currency) }),
    amount: t.field({ type: 'Money', description: 'What was paid: collections and adjustments.', resolve: (s) => money(s.amount, s.currency) }),
    lineCount: t.int({ description: 'How many lines it paid (the first 1,000 are in `lines`; the CSV and PDF have all).', resolve: (s, _args, context) => commandDbOf(context).coLendingSettlementLine.count({ where: { settlementId: s.id } }) }),
    lines: t.field({ type: [SettlementLineRef], description: 'What it paid per loan and value date, in value-date order.', resolve: (s, _args, context) => linesOf(context, s, 1000) }),
    createdBy: actorField(t, 'Who settled: `end-of-day` for the daily settlement, or the person.', (s) => s.createdBy),
    createdAt: t.field({ type: 'DateTime', description: 'When.', resolve: (s) => s.createdAt }),
    csvPath: t.string({ description: 'GET it (with the same Authorization header) for the statement as CSV.', resolve: (s) => `${SETTLEMENT_PATH}/${encodeURIComponent(encodeGlobalID('CoLendingSettlement', s.id))}.csv` }),
    pdfPath: t.string({ description: 'GET it (with the same Authorization header) for the statement as PDF.', resolve: (s) => `${SETTLEMENT_PATH}/${encodeURIComponent(encodeGlobalID('CoLendingSettlement', s.id))}.pdf` }),
    instructionPath: t.string({
      authScopes: { can: 'coLending.settle' },
      description: 'GET it (finance) for the escrow transfer instruction as CSV: from the escrow account to the partner\'s account, for the amount.',
      resolve: (s) => `${SETTLEMENT_PATH}/${encodeURIComponent(encodeGlobalID('CoLendingSettlement', s.id))}.instruction.csv`,
    }),
  }),
});

builder.queryField('coLendingSettlements', (t) =>
  t.connection({
    type: CoLendingSettlementRef,
    description: 'Settlements with co-lending partners (by id): a co-lending partner\'s own, or for the lender\'s staff every partner\'s.',
    authScopes: { can: 'coLending.read' },
    args: { partnerCode: t.arg.string({ required: false, description: 'Only this partner\'s.' }) },
    resolve: (_root, args, context) => idOrderedConnection(context, args, ({ id, orderBy, take }) => context.db!.coLendingSettlement.findMany({
      where: { id, ...(args.partnerCode ? { partnerCode: args.partnerCode } : {}) }, orderBy, take,
    })),
  }, ...connectionTypes('CoLendingSettlement')),
);

const SettlementTermsRef = builder.objectRef<LedgerRow>('CoLenderSettlementTerms').implement({
  description: 'How the lender settles with a co-lending partner: T+N, and the accounts its escrow transfer instructions name (the partner\'s masked).',
  authScopes: { can: 'coLending.settle' },
  fields: (t) => ({
    partnerCode: t.exposeString('partnerCode', { description: 'The co-lending partner.' }),
    settlementLagDays: t.exposeInt('settlementLagDays', { description: 'End of day settles collections valued this many days before its date (1: T+1).' }),
    escrowAccount: t.exposeString('escrowAccount', { nullable: true, description: 'The escrow account transfers are made from.' }),
    beneficiaryName: t.exposeString('beneficiaryName', { nullable: true, description: 'The partner\'s account name.' }),
    beneficiaryAccountMasked: t.exposeString('beneficiaryAccountMasked', { nullable: true, description: 'The partner\'s account, its last four characters shown.' }),
    beneficiaryBankCode: t.exposeString('beneficiaryBankCode', { nullable: true, description: 'The partner\'s bank (routing code, IFSC, sort code).' }),
  }),
});

const SettleInput = builder.inputType('SettleCoLenderInput', {
  description: 'A settlement with a partner by hand, through a date.',
  fields: (t) => ({
    idempotencyKey: t.field({ type: 'IdempotencyKey', required: false, description: 'Repeat with the same key to get the same settlements back (none, if nothing was owed), never a second payment.' }),
    partnerCode: t.string({ required: true, description: 'The co-lending partner.' }),
    through: t.field({ type: 'Date', required: false, description: 'Collections valued up to this date; the business date when omitted.' }),
  }),
});

const SettlementTermsInput = builder.inputType('SetCoLenderSettlementInput', {
  description: 'How the lender settles with a partner.',
  fields: (t) => ({
    partnerCode: t.string({ required: true, description: 'The co-lending partner (with an approved arrangement).' }),
    settlementLagDays: t.int({ required: true, description: 'T+N: end of day settles collections valued N days before its date (0 to 30).' }),
    escrowAccount: t.string({ required: false, description: 'The escrow account transfers are made from (4–34 letters, digits or hyphens).' }),
    beneficiaryName: t.string({ required: false, description: 'The partner\'s account name.' }),
    beneficiaryAccount: t.string({ required: false, description: 'The partner\'s account (sealed; shown masked).' }),
    beneficiaryBankCode: t.string({ required: false, description: 'The partner\'s bank code.' }),
  }),
});

const SettleCoLenderPayload = payloadType<{ settlements: SettlementRow[] }>('settleCoLender', 'The settlements made, one per currency owed (none when nothing was owed); for a repeated idempotency key, those made the first time.', (t) => ({
  settlements: t.field({ type: [CoLendingSettlementRef], nullable: true, description: 'The settlements made; empty when nothing was owed.', resolve: (p) => p.settlements ?? null }),
}));
LIST_SIZES['SettleCoLenderPayload.settlements'] = 200;

builder.mutationFields((t) => ({
  settleCoLender: t.field({
    type: SettleCoLenderPayload,
    description: 'Settles a co-lending partner by hand through a date: what it is owed from collections valued up to then, and corrections since its last settlement. End of day does the same every day, T+N.',
    authScopes: { can: 'coLending.settle' },
    args: { input: t.arg({ type: SettleInput, required: true, description: 'Whom, through when.' }) },
    resolve: async (_root, { input }, context) => {
      const through = input.through ? String(input.through) : null;
      // Held to the date as given: a repeat after the business date moved on still gets the first settlements.
      const command = keyedCommandOf(context, input.idempotencyKey, { partnerCode: input.partnerCode, through });
      return { settlements: await settleCoLender(commandDbOf(context), command, tenantBusinessDate(context), { partnerCode: input.partnerCode, through: through ?? tenantBusinessDate(context) }) };
    },
  }),
  setCoLenderSettlement: t.field({
    type: objectPayload('setCoLenderSettlement', 'coLenderSettlementTerms', SettlementTermsRef, 'The terms as set.'),
    description: 'Sets how the lender settles with a partner: T+N and the accounts its escrow transfer instructions name (audited; the partner\'s account sealed).',
    authScopes: { can: 'coLending.settle' },
    args: { input: t.arg({ type: SettlementTermsInput, required: true, description: 'The terms.' }) },
    resolve: async (_root, { input }, context) => ({
      coLenderSettlementTerms: await setCoLenderSettlement(commandDbOf(context), context.runtime.dataKey, commandOf(context), {
        partnerCode: input.partnerCode, settlementLagDays: input.settlementLagDays, escrowAccount: input.escrowAccount ?? null, beneficiaryName: input.beneficiaryName ?? null,
        beneficiaryAccount: input.beneficiaryAccount ?? null, beneficiaryBankCode: input.beneficiaryBankCode ?? null,
      }),
    }),
  }),
}));

/** GET /settlements/colending/<settlement global id>.(csv|pdf|instruction.csv) */
export function settlementDownload(runtime: Runtime, tenantHeader: string, limits: RouteLimits) {
  return async (req: Request, res: Response) => {
    try {
      const match = /^([A-Za-z0-9+/=_%-]{1,200})\.(csv|pdf|instruction\.csv)$/.exec(String(req.params['file'] ?? ''));
      if (!match) throw new AppError('NOT_FOUND', 'no such settlement');
      const instruction = match[2] === 'instruction.csv';
      const context = await routeContext(runtime, tenantHeader, req, res, instruction ? 'coLending.settle' : 'coLending.read', limits);
      const id = rawIdOf(match[1], 'CoLendingSettlement');
      // Through the caller's scope: a partner reaches only its own settlements.
      const settlement = id ? await settlementById(context).load(id) : null;
      if (!settlement) throw new AppError('NOT_FOUND', 'no such settlement');
      const db = commandDbOf(context);
      const partner = await db.partner.findUniqueOrThrow({ where: { code: settlement.partnerCode } });
      const doc: SettlementDocument = {
        lenderName: context.tenant!.displayName, partnerCode: partner.code, partnerName: partner.name, number: settlement.number, currency: settlement.currency,
        through: businessDateOf(settlement.throughDate), businessDate: businessDateOf(settlement.businessDate),
        collections: new Decimal(settlement.collections.toString()), adjustments: new Decimal(settlement.adjustments.toString()), amount: new Decimal(settlement.amount.toString()),
        lines: await linesOf(context, settlement),
      };
      const name = `settlement-${partner.code}-${settlement.number}`;
      if (match[2] === 'pdf') {
        res.setHeader('content-type', 'application/pdf');
        res.setHeader('content-disposition', `attachment; filename="${name}.pdf"`);
        res.send(await settlementPdf(doc, { createdAt: settlement.createdAt }));
        return;
      }
      res.setHeader('content-type', 'text/csv; charset=utf-8');
      if (!instruction) {
        res.setHeader('content-disposition', `attachment; filename="${name}.csv"`);
        res.send(settlementCsv(doc));
        return;
      }
      if (!allows('coLending.settle', context.principal!.roles, true)) throw new AppError('FORBIDDEN', 'not allowed for this principal');
      const ledger = await db.coLendingPartnerLedger.findUniqueOrThrow({ where: { partnerCode: partner.code } });
      if (!ledger.escrowAccount || !ledger.beneficiaryAccountSealed || !ledger.beneficiaryBankCode) {
        throw new AppError('CONFLICT', 'the partner\'s settlement accounts are not set: setCoLenderSettlement first');
      }
      res.setHeader('content-disposition', `attachment; filename="${name}.instruction.csv"`);
      res.send(escrowInstructionCsv(doc, {
        reference: `${partner.code}-${settlement.number}`, escrowAccount: ledger.escrowAccount, beneficiaryName: ledger.beneficiaryName ?? partner.name,
        beneficiaryAccount: openSecret(runtime.dataKey, ledger.beneficiaryAccountSealed), beneficiaryBankCode: ledger.beneficiaryBankCode,
      }));
    } catch (error) {
      replyWithError(runtime, res, error, 'settlement download');
    }
  };
}

