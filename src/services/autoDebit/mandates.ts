// Auto-debit's setup (docs/auto-debit.md): the lender's place in the ACH network and its return fees, and each
// borrower's mandate on a loan — the account number sealed under the data key, shown by its last four digits.
// Each change is a command: checked before anything is written (errors name the input's field), audited, announced.
import { randomUUID } from 'node:crypto';
import { runCommand, type CommandContext } from '../../commands/runCommand.js';
import { AppError, InvalidField, inputPath, noSuchCode, statusInWords } from '../../errors.js';
import { Decimal } from '../../domain/money.js';
import { isRoutingNumber } from '../../domain/servicing/nacha.js';
import type { Prisma } from '../../generated/prisma/client.js';
import { sealSecret, type DataKey } from '../../tenancy/sealing.js';
import type { TenantDb } from '../../tenancy/tenantClients.js';

export type DebitSettingsRow = Prisma.DebitSettingsGetPayload<object>;
export type DebitMandateRow = Prisma.DebitMandateGetPayload<object>;

export interface DebitSettingsInput {
  companyName: string;
  companyId: string;
  odfiRouting: string;
  odfiName: string;
  returnFee: Decimal;
  productReturnFees: { productCode: string; fee: Decimal }[];
}

const USD_CENTS = 2;

function assertFee(fee: Decimal, field: string): void {
  if (fee.isNegative() || fee.decimalPlaces() > USD_CENTS) throw new InvalidField(field, 'a fee of 0 or more in USD, at most 2 decimal places');
}

/** Sets who the lender is in the ACH network and what a returned debit costs; applies from the next file. */
export async function setDebitSettings(db: TenantDb, command: CommandContext, input: DebitSettingsInput): Promise<DebitSettingsRow> {
  const companyName = input.companyName.trim();
  if (companyName.length === 0 || companyName.length > 16) throw new InvalidField('companyName', 'the company name the borrower\'s bank statement shows: 1 to 16 characters');
  if (!/^[0-9A-Za-z ]{10}$/.test(input.companyId)) throw new InvalidField('companyId', 'the 10-character company identification the bank gave (often 1 and the EIN)');
  if (!isRoutingNumber(input.odfiRouting)) throw new InvalidField('odfiRouting', 'the 9-digit routing number of the lender\'s bank, with a valid check digit');
  const odfiName = input.odfiName.trim();
  if (odfiName.length === 0 || odfiName.length > 23) throw new InvalidField('odfiName', 'the bank\'s name: 1 to 23 characters');
  assertFee(input.returnFee, 'returnFee');
  // One fee per product: a product given twice would keep whichever came last, silently.
  const priced = new Set<string>();
  input.productReturnFees.forEach((entry, k) => {
    if (priced.has(entry.productCode)) throw new InvalidField(`productReturnFees.${k}.productCode`, `product ${entry.productCode}'s return fee is given twice`);
    priced.add(entry.productCode);
    assertFee(entry.fee, `productReturnFees.${k}.fee`);
  });
  return runCommand(db, { ...command, action: 'debitSettings.changed' }, async (tx) => {
    const products = await tx.loanProduct.findMany({ where: { code: { in: input.productReturnFees.map((e) => e.productCode) } }, select: { code: true } });
    const fees: Record<string, string> = {};
    input.productReturnFees.forEach((entry, k) => {
      if (!products.some((p) => p.code === entry.productCode)) throw noSuchCode(`productReturnFees.${k}.productCode`, 'no loan product with that code');
      fees[entry.productCode] = entry.fee.toFixed(USD_CENTS);
    });
    const data = {
      companyName, companyId: input.companyId, odfiRouting: input.odfiRouting, odfiName, returnFee: input.returnFee.toFixed(USD_CENTS), productReturnFees: fees,
      changedBy: command.actor.subject, changedAt: command.now,
    };
    const before = await tx.debitSettings.findFirst({ where: { id: true } });
    const row = await tx.debitSettings.upsert({ where: { id: true }, create: { id: true, ...data }, update: data });
    return {
      result: row,
      audit: { entityType: 'DebitSettings', entityId: 'debit-settings', before: before ? { companyId: before.companyId, odfiRouting: before.odfiRouting, returnFee: before.returnFee.toString(), productReturnFees: before.productReturnFees } : null, after: { companyId: row.companyId, odfiRouting: row.odfiRouting, returnFee: row.returnFee.toString(), productReturnFees: fees } },
      events: [{ type: 'debitSettings.changed', aggregateType: 'DebitSettings', aggregateId: 'debit-settings', payload: { companyName, odfiRouting: input.odfiRouting, returnFee: { amount: input.returnFee, currency: 'USD' }, changedBy: command.actor.subject } }],
    };
  });
}

export interface MandateInput {
  loanId: string;
  holderName: string;
  routingNumber: string;
  accountNumber: string;
  accountType: 'checking' | 'savings';
}

/** Registers the borrower's authorisation to debit an account for a loan's instalments (one active per loan). */
export async function registerDebitMandate(db: TenantDb, dataKey: DataKey, command: CommandContext, input: MandateInput): Promise<DebitMandateRow> {
  const holderName = input.holderName.trim();
  if (holderName.length === 0 || holderName.length > 22) throw new InvalidField('holderName', 'the account holder\'s name: 1 to 22 characters');
  if (!isRoutingNumber(input.routingNumber)) throw new InvalidField('routingNumber', 'a 9-digit ABA routing number with a valid check digit');
  if (!/^\d{4,17}$/.test(input.accountNumber)) throw new InvalidField('accountNumber', 'the account number: 4 to 17 digits');
  return runCommand(db, { ...command, action: 'debitMandate.registered' }, async (tx) => {
    const loan = await tx.loan.findUnique({ where: { id: input.loanId }, select: { id: true, currency: true, status: true } });
    if (!loan) throw new InvalidField('loanId', 'no loan with that id');
    if (loan.currency !== 'USD') throw new InvalidField('loanId', 'ACH debits are in US dollars: the loan is in ' + loan.currency);
    if (!['active', 'overdue'].includes(loan.status)) throw new AppError('CONFLICT', `the loan is ${statusInWords(loan.status)}: nothing is left to collect`, { field: inputPath('loanId') });
    if (await tx.debitMandate.findFirst({ where: { loanId: loan.id, status: 'active' } })) {
      throw new AppError('CONFLICT', 'the loan already has an active mandate: revoke it first', { field: inputPath('loanId') });
    }
    const row = await tx.debitMandate.create({
      data: {
        id: randomUUID(), loanId: loan.id, holderName, routingNumber: input.routingNumber, accountNumberSealed: sealSecret(dataKey, input.accountNumber),
        accountLast4: input.accountNumber.slice(-4), accountType: input.accountType, status: 'active', createdBy: command.actor.subject, createdAt: command.now,
      },
    });
    return {
      result: row,
      audit: { entityType: 'DebitMandate', entityId: row.id, after: { loanId: loan.id, routingNumber: row.routingNumber, accountLast4: row.accountLast4, accountType: row.accountType } },
      events: [{ type: 'debitMandate.registered', aggregateType: 'DebitMandate', aggregateId: row.id, payload: { loan: loan.id, routingNumber: row.routingNumber, accountLast4: row.accountLast4, accountType: row.accountType.toUpperCase() } }],
      replay: { mandateId: row.id },
    };
  }, (stored, tx) => tx.debitMandate.findUniqueOrThrow({ where: { id: String(stored['mandateId']) } }));
}

/** Ends a mandate: no further debit is presented on it. */
export async function revokeDebitMandate(db: TenantDb, command: CommandContext, mandateId: string, reason: string): Promise<DebitMandateRow> {
  const why = reason.trim();
  if (why.length < 3 || why.length > 500) throw new InvalidField('reason', 'why: 3 to 500 characters');
  return runCommand(db, { ...command, action: 'debitMandate.revoked' }, async (tx) => {
    const found = await tx.debitMandate.findUnique({ where: { id: mandateId } });
    if (!found) throw new InvalidField('mandateId', 'no mandate with that id');
    if (found.status !== 'active') throw new AppError('CONFLICT', 'the mandate is already revoked', { field: inputPath('mandateId') });
    const row = await tx.debitMandate.update({ where: { id: mandateId }, data: { status: 'revoked', revokedReason: why, revokedAt: command.now } });
    return {
      result: row,
      audit: { entityType: 'DebitMandate', entityId: mandateId, before: { status: 'active' }, after: { status: 'revoked', reason: why } },
      events: [{ type: 'debitMandate.revoked', aggregateType: 'DebitMandate', aggregateId: mandateId, payload: { loan: row.loanId, reason: why, returnCode: null } }],
    };
  });
}
