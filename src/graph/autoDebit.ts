// Auto-debit (src/services/autoDebit/, docs/auto-debit.md): the lender's ACH settings, borrowers' mandates on loans
// (account numbers sealed, shown masked), the debits end of day presents and posts, the day's NACHA file, and
// return files. Front-line staff register mandates; finance and the tenant admin set it up, download files (they
// hold full account numbers) and take in returns.
import { builder } from './builder.js';
import { perParent } from './loaders.js';
import { commandDbOf, commandOf, keyedCommandOf, type GraphContext } from './context.js';
import { storedEnum } from './enums.js';
import { objectPayload, payloadType } from './payloads.js';
import { LIST_SIZES } from './limits.js';
import { LoanRef } from './loan.js';
import { businessDateOf, dateColumn } from '../tenancy/dateColumns.js';
import { money } from '../domain/money.js';
import { openSecret } from '../tenancy/sealing.js';
import { registerDebitMandate, revokeDebitMandate, setDebitSettings, type DebitMandateRow, type DebitSettingsRow } from '../services/autoDebit/mandates.js';
import { MAX_RETURNS_PER_FILE, takeInDebitReturns, type PresentmentRow } from '../services/autoDebit/returns.js';
import type { Prisma } from '../generated/prisma/client.js';

const DebitMandateRef = builder.objectRef<DebitMandateRow>('DebitMandate');
const DebitPresentmentRef = builder.objectRef<PresentmentRow>('DebitPresentment');
type FileRow = Prisma.DebitFileGetPayload<object>;
const MAX_PRESENTMENTS = 100;

const AccountTypeEnum = storedEnum('BankAccountType', 'The kind of bank account a mandate debits.', {
  checking: 'A checking account (transaction code 27).',
  savings: 'A savings account (transaction code 37).',
});
const MandateStatusEnum = storedEnum('DebitMandateStatus', 'Whether debits are presented on a mandate.', {
  active: 'Each instalment is presented as it falls due.',
  revoked: 'No debit is presented on it (revoked by staff, or by a return R02–R04).',
});
const PresentmentStatusEnum = storedEnum('DebitPresentmentStatus', 'What became of a debit presented.', {
  presented: 'Sent in the day\'s file and posted as a repayment.',
  returned: 'Returned by the bank: its repayment reversed.',
});

const DebitSettingsRef = builder.objectRef<DebitSettingsRow>('DebitSettings').implement({
  description: 'Who the lender is in the ACH network, and what a returned debit costs.',
  authScopes: { can: 'autoDebit.read' },
  fields: (t) => ({
    companyName: t.exposeString('companyName', { description: 'The name borrowers\' bank statements show (16 characters).' }),
    companyId: t.exposeString('companyId', { description: 'The company identification the bank gave (10 characters).' }),
    odfiRouting: t.exposeString('odfiRouting', { description: 'The routing number of the lender\'s bank, which sends the debits.' }),
    odfiName: t.exposeString('odfiName', { description: 'That bank\'s name.' }),
    returnFee: t.field({ type: 'Money', description: 'The fee for a debit returned R01 or R09, unless the loan\'s product has its own.', resolve: (s) => money(s.returnFee, 'USD') }),
    productReturnFees: t.field({
      type: [builder.objectRef<{ productCode: string; fee: string }>('ProductReturnFee').implement({
        description: 'A product\'s own return fee.', authScopes: { can: 'autoDebit.read' },
        fields: (f) => ({ productCode: f.exposeString('productCode', { description: 'The product.' }), fee: f.field({ type: 'Money', description: 'Its fee.', resolve: (e) => money(e.fee, 'USD') }) }),
      })],
      description: 'Products\' own return fees.',
      resolve: (s) => Object.entries(s.productReturnFees as Record<string, string>).map(([productCode, fee]) => ({ productCode, fee })),
    }),
    changedBy: t.exposeString('changedBy', { description: 'Who last set them.' }),
    changedAt: t.field({ type: 'DateTime', description: 'When.', resolve: (s) => s.changedAt }),
  }),
});
LIST_SIZES['DebitSettings.productReturnFees'] = 1000;

builder.node(DebitMandateRef, {
  description: 'A borrower\'s authorisation to debit a bank account for a loan\'s instalments.',
  id: { resolve: (m) => m.id },
  loadMany: async (ids, context: GraphContext) => {
    const rows = await context.db!.debitMandate.findMany({ where: { id: { in: [...ids] } } });
    return ids.map((id) => rows.find((row) => row.id === id) ?? null);
  },
  authScopes: { can: 'autoDebit.read' },
  fields: (t) => ({
    loan: t.field({ type: LoanRef, nullable: true, description: 'The loan.', resolve: (m, _args, context) => context.loaders.loanById.load(m.loanId) }),
    holderName: t.exposeString('holderName', { description: 'The account holder.' }),
    routingNumber: t.exposeString('routingNumber', { description: 'The bank\'s routing number.' }),
    accountNumberMasked: t.string({ description: 'The account number: its last four digits only (it is kept sealed).', resolve: (m) => `••••${m.accountLast4}` }),
    accountType: t.field({ type: AccountTypeEnum, description: 'Checking or savings.', resolve: (m) => m.accountType as 'checking' }),
    status: t.field({ type: MandateStatusEnum, description: 'Active or revoked.', resolve: (m) => m.status as 'active' }),
    revokedReason: t.exposeString('revokedReason', { nullable: true, description: 'Why it was revoked.' }),
    createdBy: t.exposeString('createdBy', { description: 'Who registered it (subject).' }),
    createdAt: t.field({ type: 'DateTime', description: 'When.', resolve: (m) => m.createdAt }),
  }),
});

DebitPresentmentRef.implement({
  description: 'A debit of one instalment presented to the borrower\'s bank, and what became of it.',
  authScopes: { can: 'autoDebit.read' },
  fields: (t) => ({
    dueDate: t.field({ type: 'Date', description: 'The instalment\'s due date.', resolve: (p) => businessDateOf(p.dueDate) }),
    attempt: t.exposeInt('attempt', { description: '1 for the first presentment; 2 and 3 after returns for want of money.' }),
    amount: t.field({ type: 'Money', description: 'The debit.', resolve: (p) => money(p.amount, 'USD') }),
    presentedOn: t.field({ type: 'Date', description: 'The business date it was presented and posted.', resolve: (p) => businessDateOf(p.presentedOn) }),
    traceNumber: t.exposeString('traceNumber', { description: 'Its trace number in the file (and the repayment\'s external reference).' }),
    status: t.field({ type: PresentmentStatusEnum, description: 'Presented or returned.', resolve: (p) => p.status as 'presented' }),
    returnCode: t.exposeString('returnCode', { nullable: true, description: 'The bank\'s R-code when returned.' }),
    returnedOn: t.field({ type: 'Date', nullable: true, description: 'When the return was taken in.', resolve: (p) => (p.returnedOn ? businessDateOf(p.returnedOn) : null) }),
  }),
});

builder.objectFields(LoanRef, (t) => ({
  debitMandate: t.field({
    type: DebitMandateRef, nullable: true, authScopes: { can: 'autoDebit.read' },
    description: 'Its active debit mandate, or the last one revoked; null when it never had one.',
    // For a page of loans in one statement, as the presentments below.
    resolve: async (loan, _args, context) => (await context.loaders.named<string, DebitMandateRow[]>('mandateByLoan', async (ids) =>
      perParent(ids, await context.db!.debitMandate.findMany({ where: { loanId: { in: [...ids] } }, orderBy: [{ loanId: 'asc' }, { status: 'asc' }, { createdAt: 'desc' }] }), 'loanId', 1)).load(loan.id))[0] ?? null,
  }),
  debitPresentments: t.field({
    type: [DebitPresentmentRef], authScopes: { can: 'autoDebit.read' },
    description: `Debits presented for it, the latest first (at most ${MAX_PRESENTMENTS}).`,
    resolve: (loan, _args, context) => context.loaders.named<string, PresentmentRow[]>('presentmentsByLoan', async (ids) =>
      perParent(ids, await context.db!.debitPresentment.findMany({ where: { loanId: { in: [...ids] } }, orderBy: [{ loanId: 'asc' }, { presentedOn: 'desc' }, { traceNumber: 'desc' }] }), 'loanId', MAX_PRESENTMENTS)).load(loan.id),
  }),
}));
LIST_SIZES['Loan.debitPresentments'] = MAX_PRESENTMENTS;

const DebitFileRef = builder.objectRef<FileRow>('DebitFile').implement({
  description: 'The NACHA PPD debit file an end of day wrote, as sent to the bank.',
  authScopes: { can: 'autoDebit.manage' },
  fields: (t) => ({
    businessDate: t.field({ type: 'Date', description: 'The business date (the entries\' effective date).', resolve: (f) => businessDateOf(f.businessDate) }),
    entries: t.exposeInt('entries', { description: 'How many debits.' }),
    total: t.field({ type: 'Money', description: 'Their total.', resolve: (f) => money(f.total, 'USD') }),
    content: t.string({ description: 'The file: 94-character records, blocked to tens (full account numbers; kept sealed, opened for this answer).', resolve: (f, _args, context) => openSecret(context.runtime.dataKey, f.contentSealed) }),
  }),
});

builder.queryFields((t) => ({
  debitSettings: t.field({
    type: DebitSettingsRef, nullable: true, authScopes: { can: 'autoDebit.read' },
    description: 'The auto-debit settings; null until set (no debit is presented before).',
    resolve: (_root, _args, context) => commandDbOf(context).debitSettings.findFirst({ where: { id: true } }),
  }),
  debitFile: t.field({
    type: DebitFileRef, nullable: true, authScopes: { can: 'autoDebit.manage' },
    description: 'The debit file end of day wrote for a business date; null when it presented nothing.',
    args: { businessDate: t.arg({ type: 'Date', required: true, description: 'The business date.' }) },
    resolve: (_root, args, context) => commandDbOf(context).debitFile.findUnique({ where: { businessDate: dateColumn(args.businessDate) } }),
  }),
}));

builder.mutationFields((t) => ({
  setDebitSettings: t.field({
    type: objectPayload('setDebitSettings', 'debitSettings', DebitSettingsRef, 'The settings as set.'),
    description: 'Sets who the lender is in the ACH network and its return fees; until set, end of day presents no debit.',
    authScopes: { can: 'autoDebit.manage' },
    args: { input: t.arg({ type: builder.inputType('SetDebitSettingsInput', {
      description: 'The settings.',
      fields: (f) => ({
        companyName: f.string({ required: true, description: 'The name borrowers\' statements show (1–16 characters).' }),
        companyId: f.string({ required: true, description: 'The 10-character company identification the bank gave.' }),
        odfiRouting: f.string({ required: true, description: 'The routing number of the lender\'s bank (9 digits, valid check digit).' }),
        odfiName: f.string({ required: true, description: 'That bank\'s name (1–23 characters).' }),
        returnFee: f.field({ type: 'Decimal', required: true, description: 'The fee in USD for a debit returned R01 or R09.' }),
        productReturnFees: f.field({ type: [builder.inputType('ProductReturnFeeInput', {
          description: 'A product\'s own return fee.',
          fields: (p) => ({ productCode: p.string({ required: true, description: 'The product.' }), fee: p.field({ type: 'Decimal', required: true, description: 'Its fee in USD.' }) }),
        })], required: false, description: 'Products whose return fee differs.' }),
      }),
    }), required: true, description: 'The settings.' }) },
    resolve: async (_root, { input }, context) => ({
      debitSettings: await setDebitSettings(commandDbOf(context), commandOf(context), { ...input, productReturnFees: input.productReturnFees ?? [] }),
    }),
  }),
  registerDebitMandate: t.field({
    type: objectPayload('registerDebitMandate', 'debitMandate', DebitMandateRef, 'The mandate (or, for a repeated idempotency key, the one registered the first time, as it stands now).'),
    description: 'Registers a borrower\'s authorisation to debit a bank account for a USD loan\'s instalments: from the next instalment falling due, end of day presents each. The account number is sealed and never shown again in full here.',
    authScopes: { can: 'autoDebit.mandates' },
    args: { input: t.arg({ type: builder.inputType('RegisterDebitMandateInput', {
      description: 'The mandate.',
      fields: (f) => ({
        loanId: f.globalID({ required: true, for: LoanRef, description: 'The loan.' }),
        holderName: f.string({ required: true, description: 'The account holder (1–22 characters).' }),
        routingNumber: f.string({ required: true, description: 'The bank\'s 9-digit ABA routing number.' }),
        accountNumber: f.string({ required: true, description: 'The account number (4–17 digits).' }),
        accountType: f.field({ type: AccountTypeEnum, required: true, description: 'Checking or savings.' }),
        idempotencyKey: f.field({ type: 'IdempotencyKey', required: false, description: 'Repeat with the same key to get the same mandate back, never a second one.' }),
      }),
    }), required: true, description: 'The mandate.' }) },
    resolve: async (_root, { input }, context) => ({
      debitMandate: await registerDebitMandate(commandDbOf(context), context.runtime.dataKey, keyedCommandOf(context, input.idempotencyKey, input), {
        loanId: input.loanId.id, holderName: input.holderName, routingNumber: input.routingNumber, accountNumber: input.accountNumber, accountType: input.accountType as 'checking',
      }),
    }),
  }),
  revokeDebitMandate: t.field({
    type: objectPayload('revokeDebitMandate', 'debitMandate', DebitMandateRef, 'The mandate, revoked.'),
    description: 'Ends a mandate: no further debit is presented on it.',
    authScopes: { can: 'autoDebit.mandates' },
    args: { input: t.arg({ type: builder.inputType('RevokeDebitMandateInput', {
      description: 'Which, and why.',
      fields: (f) => ({ mandateId: f.globalID({ required: true, for: DebitMandateRef, description: 'The mandate.' }), reason: f.string({ required: true, description: 'Why (3–500 characters).' }) }),
    }), required: true, description: 'Which, and why.' }) },
    resolve: async (_root, { input }, context) => ({ debitMandate: await revokeDebitMandate(commandDbOf(context), commandOf(context), input.mandateId.id, input.reason) }),
  }),
  takeInDebitReturns: t.field({
    type: payloadType<{ returned: PresentmentRow[] }>('takeInDebitReturns', 'The debits the file returned.', (f) => ({
      returned: f.field({ type: [DebitPresentmentRef], nullable: true, description: 'The presentments returned, in the file\'s order.', resolve: (p) => p.returned ?? null }),
    })),
    description: 'Takes in a NACHA return file from the bank: each return reverses its repayment from the day it was presented (one staff reversed already is not reversed again); R01/R09 charge the return fee and are presented again (at most twice within 180 days); R02–R04 revoke the mandate. All of it or nothing: a file taken in already, or with a return that matches no debit or that its loan cannot take, is refused naming `input.file` and the return, with nothing written. At most 1,000 returns per file (split a larger one).',
    authScopes: { can: 'autoDebit.manage' },
    args: { input: t.arg({ type: builder.inputType('TakeInDebitReturnsInput', {
      description: 'The file.',
      fields: (f) => ({ file: f.string({ required: true, description: 'The return file\'s text (94-character records).' }) }),
    }), required: true, description: 'The file.' }) },
    resolve: async (_root, { input }, context) => ({ returned: await takeInDebitReturns(commandDbOf(context), commandOf(context), context.tenant!.businessDate, input.file) }),
  }),
}));
LIST_SIZES['TakeInDebitReturnsPayload.returned'] = MAX_RETURNS_PER_FILE;
