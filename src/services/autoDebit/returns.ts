// A return file from the bank (docs/auto-debit.md): each returned debit reverses the repayment its presentment was
// posted as, valued on the day it was presented (the money never arrived; the loan replays), with the R-code as the
// reason. R01 and R09 charge the product's return fee and are presented again by end of day (at most twice within
// 180 days); R02, R03 and R04 revoke the mandate. The whole file is checked before anything is posted: every return
// must match a presentment not yet returned. Each posting carries a key of its own, and the file is recorded last,
// so a file taken in again after a failure part-way posts nothing twice; one already taken in is refused.
import { createHash } from 'node:crypto';
import { runCommand, type CommandContext } from '../../commands/runCommand.js';
import { AppError, InvalidField, inputPath } from '../../errors.js';
import { Decimal } from '../../domain/money.js';
import { readReturns, returnAction } from '../../domain/servicing/nacha.js';
import type { TenantDb } from '../../tenancy/tenantClients.js';
import { postLoanTransaction } from '../servicing/loans.js';
import type { Prisma } from '../../generated/prisma/client.js';

export type PresentmentRow = Prisma.DebitPresentmentGetPayload<object>;

/** Returns taken in at once: a day's returns for a lender; a larger file is split. */
export const MAX_RETURNS_PER_FILE = 1000;

export async function takeInDebitReturns(db: TenantDb, command: CommandContext, businessDate: string, file: string): Promise<PresentmentRow[]> {
  const digest = createHash('sha256').update(file).digest('hex');
  if (await db.debitReturnFile.findUnique({ where: { digest } })) throw new AppError('CONFLICT', 'this return file was taken in already', { field: inputPath('file') });
  const returns = readReturns(file);
  if (returns.length === 0) throw new InvalidField('file', 'the file returns no entry');
  if (returns.length > MAX_RETURNS_PER_FILE) throw new InvalidField('file', `at most ${MAX_RETURNS_PER_FILE} returns per file: split it`);
  const settings = await db.debitSettings.findUnique({ where: { id: true } });
  const presentments = await db.debitPresentment.findMany({ where: { traceNumber: { in: returns.map((r) => r.originalTrace) } } });
  returns.forEach((r, k) => {
    const p = presentments.find((x) => x.traceNumber === r.originalTrace);
    if (!p) throw new InvalidField('file', `return ${k + 1} (${r.code}) names trace number ${r.originalTrace}, which no presentment has`);
    if (p.status === 'returned' && !(p.returnCode === r.code)) throw new InvalidField('file', `return ${k + 1}: the presentment ${r.originalTrace} was already returned ${p.returnCode}`);
    if (p.transactionId === null) throw new InvalidField('file', `return ${k + 1}: the presentment ${r.originalTrace} was never posted`);
    if (BigInt(p.amount.times(100).toFixed(0)) !== r.amountCents) throw new InvalidField('file', `return ${k + 1}: the amount is not the presentment's`);
  });
  const products = new Map((await db.loan.findMany({ where: { id: { in: presentments.map((p) => p.loanId) } }, select: { id: true, product: { select: { code: true } } } })).map((l) => [l.id, l.product.code]));
  const fees = (settings?.productReturnFees ?? {}) as Record<string, string>;
  const done: PresentmentRow[] = [];
  for (const r of returns) {
    const p = presentments.find((x) => x.traceNumber === r.originalTrace)!;
    // Taken in by an earlier attempt at this file that stopped part-way: done already.
    if (p.status === 'returned') {
      done.push(p);
      continue;
    }
    const action = returnAction(r.code);
    const presentedOn = p.presentedOn.toISOString().slice(0, 10);
    const reversal = await postLoanTransaction(db, command, businessDate, {
      loanId: p.loanId, kind: 'reversal', valueDate: presentedOn, reverses: p.transactionId, reason: `ACH return ${r.code}`,
    }, `debit-return:${p.id}:reversal`);
    const fee = new Decimal(fees[products.get(p.loanId)!] ?? settings?.returnFee.toString() ?? '0');
    const charged = action.fee && fee.gt(0)
      ? await postLoanTransaction(db, command, businessDate, { loanId: p.loanId, kind: 'charge', component: 'fee', valueDate: businessDate, amount: fee, reason: `ACH return ${r.code}: return fee` }, `debit-return:${p.id}:fee`)
      : null;
    done.push(await runCommand(db, { ...command, action: 'debitPresentment.returned' }, async (tx) => {
      const row = await tx.debitPresentment.update({
        where: { id: p.id },
        data: { status: 'returned', returnCode: r.code, returnedOn: new Date(`${businessDate}T00:00:00Z`), reversalId: reversal.transactionId, feeId: charged?.transactionId ?? null },
      });
      const revoked = action.revokeMandate ? await tx.debitMandate.updateMany({ where: { id: p.mandateId, status: 'active' }, data: { status: 'revoked', revokedReason: `ACH return ${r.code}`, revokedAt: command.now } }) : { count: 0 };
      return {
        result: row,
        audit: { entityType: 'DebitPresentment', entityId: p.id, before: { status: p.status }, after: { status: 'returned', returnCode: r.code, reversalId: reversal.transactionId, feeId: charged?.transactionId ?? null, mandateRevoked: revoked.count > 0 } },
        events: [
          {
            type: 'debitPresentment.returned', aggregateType: 'DebitPresentment', aggregateId: p.id,
            payload: { loan: p.loanId, returnCode: r.code, amount: { amount: p.amount, currency: 'USD' }, attempt: p.attempt, presentedOn, presentedAgain: action.represent && p.attempt < 3, feeCharged: charged ? { amount: fee, currency: 'USD' } : null },
          },
          ...(revoked.count > 0 ? [{ type: 'debitMandate.revoked', aggregateType: 'DebitMandate', aggregateId: p.mandateId, payload: { loan: p.loanId, reason: `ACH return ${r.code}`, returnCode: r.code } }] : []),
        ],
      };
    }));
  }
  await db.debitReturnFile.create({ data: { digest, entries: returns.length, receivedBy: command.actor.subject, receivedAt: command.now } });
  return done;
}
