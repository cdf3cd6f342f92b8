// A return file from the bank (docs/auto-debit.md). Taking it in is one command: the whole file checked (every return
// matching a presented debit, once, for its amount), the file claimed by its digest (a file taken in already is
// refused), each presentment marked returned with its R-code and the return fee it costs, mandates revoked, all
// audited and announced together. Then the money: each return reverses the repayment its presentment was posted as,
// valued on the day it was presented (the money never arrived; the loan replays), and the fee is charged — posted by
// the auto-debit's own principal with keys and inputs taken from what was stored, so whoever finishes the work (this
// taking-in, a later one, or the next end of day) posts each exactly once.
import { createHash } from 'node:crypto';
import { runCommand, type Actor, type CommandContext } from '../../commands/runCommand.js';
import { AppError, InvalidField, inputPath } from '../../errors.js';
import { addDays } from '../../domain/calendar.js';
import { SYSTEM_ACTORS } from '../../domain/actors.js';
import { Decimal } from '../../domain/money.js';
import { MAX_ATTEMPTS, readReturns, REPRESENT_WITHIN_DAYS, returnAction } from '../../domain/servicing/nacha.js';
import { OwedBeyondCeiling } from '../../domain/servicing/replay/workingState.js';
import type { TenantDb } from '../../tenancy/tenantClients.js';
import { schemaForSlug } from '../../tenancy/schemaNames.js';
import { tenantSql } from '../../tenancy/tenantSql.js';
import { businessDateOf as dateOf, dateColumn } from '../../tenancy/dateColumns.js';
import { postLoanTransaction } from '../servicing/loans.js';
import type { Prisma } from '../../generated/prisma/client.js';

export type PresentmentRow = Prisma.DebitPresentmentGetPayload<object>;

/** Returns taken in at once: a day's returns for a lender; a larger file is split. */
export const MAX_RETURNS_PER_FILE = 1000;

/** Who auto-debit's own postings are made as: one principal, so their keys mean the same whoever finishes the work. */
export const AUTO_DEBIT_ACTOR: Omit<Actor, 'requestId'> = { subject: SYSTEM_ACTORS.autoDebit, roles: [], partner: null, clientId: null };

export async function takeInDebitReturns(db: TenantDb, command: CommandContext, businessDate: string, file: string): Promise<PresentmentRow[]> {
  const digest = createHash('sha256').update(file).digest('hex');
  const returns = readReturns(file);
  if (returns.length === 0) throw new InvalidField('file', 'the file returns no entry');
  if (returns.length > MAX_RETURNS_PER_FILE) throw new InvalidField('file', `at most ${MAX_RETURNS_PER_FILE} returns per file: split it`);
  const seen = new Set<string>();
  returns.forEach((r, k) => {
    if (seen.has(r.originalTrace)) throw new InvalidField('file', `return ${k + 1} returns trace number ${r.originalTrace} a second time`);
    seen.add(r.originalTrace);
  });
  const schema = schemaForSlug(command.tenant);
  const ids = await runCommand(db, { ...command, action: 'debitReturns.takenIn' }, async (tx) => {
    const claimed = await tenantSql(tx, schema).query<{ digest: string }[]>((s) => `
      INSERT INTO ${s}.debit_return_file (digest, entries, received_by, received_at) VALUES ($1, $2, $3, $4::timestamptz)
      ON CONFLICT (digest) DO NOTHING RETURNING digest`, digest, returns.length, command.actor.subject, command.now.toISOString());
    if (claimed.length === 0) throw new AppError('CONFLICT', 'this return file was taken in already', { field: inputPath('file') });
    // The latest presentment of each trace number (they are unique per presentment date), locked.
    const rows = await tenantSql(tx, schema).query<{ id: string }[]>((s) => `
      SELECT p.id::text FROM ${s}.debit_presentment p
       WHERE p.trace_number = ANY($1::text[])
         AND NOT EXISTS (SELECT 1 FROM ${s}.debit_presentment later WHERE later.trace_number = p.trace_number AND later.presented_on > p.presented_on)
       FOR UPDATE OF p`, returns.map((r) => r.originalTrace));
    const presentments = await tx.debitPresentment.findMany({ where: { id: { in: rows.map((r) => r.id) } } });
    const settings = await tx.debitSettings.findUnique({ where: { id: true } });
    const fees = (settings?.productReturnFees ?? {}) as Record<string, string>;
    const loans = new Map((await tx.loan.findMany({ where: { id: { in: presentments.map((p) => p.loanId) } }, select: { id: true, product: { select: { code: true } } } })).map((l) => [l.id, l.product.code]));
    const firsts = await tx.debitPresentment.findMany({ where: { attempt: 1, OR: presentments.map((p) => ({ loanId: p.loanId, dueDate: p.dueDate })) } });
    const audit: { entityType: string; entityId: string; before?: unknown; after?: unknown }[] = [];
    const events: { type: string; aggregateType: string; aggregateId: string; payload: Record<string, unknown> }[] = [];
    const marked: string[] = [];
    for (const [k, r] of returns.entries()) {
      const p = presentments.find((x) => x.traceNumber === r.originalTrace);
      if (!p) throw new InvalidField('file', `return ${k + 1} (${r.code}) names trace number ${r.originalTrace}, which no presentment has`);
      if (p.status !== 'presented') throw new InvalidField('file', `return ${k + 1}: the presentment ${r.originalTrace} was already returned ${p.returnCode}`);
      if (p.transactionId === null) throw new InvalidField('file', `return ${k + 1}: the presentment ${r.originalTrace} was never posted`);
      if (BigInt(p.amount.times(100).toFixed(0)) !== r.amountCents) throw new InvalidField('file', `return ${k + 1}: the amount is not the presentment's`);
      const action = returnAction(r.code);
      const fee = action.fee ? new Decimal(fees[loans.get(p.loanId)!] ?? settings?.returnFee.toString() ?? '0') : new Decimal(0);
      await tx.debitPresentment.update({ where: { id: p.id }, data: { status: 'returned', returnCode: r.code, returnedOn: dateColumn(businessDate), returnFee: fee.gt(0) ? fee.toFixed(2) : null } });
      const revoked = action.revokeMandate ? await tx.debitMandate.updateMany({ where: { id: p.mandateId, status: 'active' }, data: { status: 'revoked', revokedReason: `ACH return ${r.code}`, revokedAt: command.now } }) : { count: 0 };
      const mandate = await tx.debitMandate.findUniqueOrThrow({ where: { id: p.mandateId }, select: { status: true } });
      const first = firsts.find((f) => f.loanId === p.loanId && f.dueDate.getTime() === p.dueDate.getTime())!;
      const presentedAgain = action.represent && p.attempt < MAX_ATTEMPTS && mandate.status === 'active' && addDays(businessDate, 1) <= addDays(dateOf(first.presentedOn), REPRESENT_WITHIN_DAYS);
      audit.push({ entityType: 'DebitPresentment', entityId: p.id, before: { status: 'presented' }, after: { status: 'returned', returnCode: r.code, returnFee: fee.toFixed(2), mandateRevoked: revoked.count > 0 } });
      events.push({
        type: 'debitPresentment.returned', aggregateType: 'DebitPresentment', aggregateId: p.id,
        payload: { loan: p.loanId, returnCode: r.code, amount: { amount: p.amount, currency: 'USD' }, attempt: p.attempt, presentedOn: dateOf(p.presentedOn), presentedAgain, feeCharged: fee.gt(0) ? { amount: fee, currency: 'USD' } : null },
      });
      if (revoked.count > 0) events.push({ type: 'debitMandate.revoked', aggregateType: 'DebitMandate', aggregateId: p.mandateId, payload: { loan: p.loanId, reason: `ACH return ${r.code}`, returnCode: r.code } });
      marked.push(p.id);
    }
    return { result: marked, audit, events };
  });
  // Posted as end of day posts them, by the system under keys of its own making: not the caller's command, whose
  // request hash keys would make those keys' hashes differ from end of day's, which would then take a posting
  // already made for another request.
  await postReturns(db, schema, { tenant: command.tenant, now: command.now, actor: { ...AUTO_DEBIT_ACTOR, requestId: command.actor.requestId }, ...(command.settle ? { settle: command.settle } : {}) }, businessDate);
  const rows = await db.debitPresentment.findMany({ where: { id: { in: ids } } });
  return ids.map((id) => rows.find((r) => r.id === id)!);
}

/** Posts the reversal and fee of every return taken in whose money is not posted yet; each once, whoever calls. */
export async function postReturns(db: TenantDb, schemaName: string, command: CommandContext, businessDate: string): Promise<number> {
  const pending = await db.debitPresentment.findMany({ where: { status: 'returned', OR: [{ reversalId: null }, { returnFee: { gt: 0 }, feeId: null }] }, orderBy: { traceNumber: 'asc' } });
  const sql = tenantSql(db, schemaName);
  for (const p of pending) {
    if (p.reversalId === null) {
      const reversal = await postLoanTransaction(db, command, businessDate, {
        loanId: p.loanId, kind: 'reversal', valueDate: dateOf(p.presentedOn), reverses: p.transactionId, reason: `ACH return ${p.returnCode}`,
      }, `debit-return:${p.id}:reversal`);
      await sql.execute((s) => `UPDATE ${s}.debit_presentment SET reversal_id = $2::uuid WHERE id = $1::uuid AND reversal_id IS NULL`, p.id, reversal.transactionId);
    }
    if (p.returnFee !== null && p.returnFee.gt(0) && p.feeId === null) {
      const fee = await postLoanTransaction(db, command, businessDate, {
        loanId: p.loanId, kind: 'charge', component: 'fee', valueDate: dateOf(p.returnedOn!), amount: new Decimal(p.returnFee.toString()), reason: `ACH return ${p.returnCode}: return fee`,
      }, `debit-return:${p.id}:fee`).catch(async (error: unknown) => {
        // A loan written off by the return's date takes no charge, and one the fee would take to owing 10^15 no
        // more: the fee is not charged, and the return is done.
        if (error instanceof OwedBeyondCeiling) return null;
        const loan = await db.loan.findUnique({ where: { id: p.loanId }, select: { status: true } });
        if (error instanceof InvalidField && loan?.status === 'written_off') return null;
        throw error;
      });
      if (fee) await sql.execute((s) => `UPDATE ${s}.debit_presentment SET fee_id = $2::uuid WHERE id = $1::uuid AND fee_id IS NULL`, p.id, fee.transactionId);
      else await sql.execute((s) => `UPDATE ${s}.debit_presentment SET return_fee = 0 WHERE id = $1::uuid AND fee_id IS NULL`, p.id);
    }
  }
  return pending.length;
}
