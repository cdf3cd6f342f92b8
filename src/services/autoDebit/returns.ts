// A return file from the bank (docs/auto-debit.md). Taking it in is one command, money and all: the whole file
// checked (every return matching a presented debit, once, for its amount), the file claimed by its digest (a file
// taken in already is refused), each return's repayment reversed, valued on the day it was presented (the money never
// arrived; the loan replays), and its fee charged, each presentment marked returned with its R-code, mandates
// revoked, all audited and announced together — or, when any of it is refused, nothing written. A repayment that
// staff reversed by hand before the bank's file came is not reversed again: that reversal is the return's.
import { createHash } from 'node:crypto';
import { runCommand, type Actor, type AuditDraft, type CommandContext, type EventDraft } from '../../commands/runCommand.js';
import { AppError, InvalidField, inputPath } from '../../errors.js';
import { addDays } from '../../domain/calendar.js';
import { SYSTEM_ACTORS } from '../../domain/actors.js';
import { Decimal } from '../../domain/money.js';
import { formatNumber } from '../../domain/referenceNumbers.js';
import { MAX_ATTEMPTS, readReturns, REPRESENT_WITHIN_DAYS, returnAction } from '../../domain/servicing/nacha.js';
import { OwedBeyondCeiling } from '../../domain/servicing/replay/workingState.js';
import type { TenantDb, Tx } from '../../tenancy/tenantClients.js';
import { schemaForSlug } from '../../tenancy/schemaNames.js';
import { tenantSql } from '../../tenancy/tenantSql.js';
import { businessDateOf as dateOf, dateColumn } from '../../tenancy/dateColumns.js';
import { eventsOf, postingRunOf, postLoanTransaction } from '../servicing/loans.js';
import { postToLoans, unpostableAsItStands, type PostingDraft, type PostingRun } from '../servicing/postings.js';
import type { Prisma } from '../../generated/prisma/client.js';

export type PresentmentRow = Prisma.DebitPresentmentGetPayload<object>;

/** Returns taken in at once: a day's returns for a lender; a larger file is split. */
export const MAX_RETURNS_PER_FILE = 1000;

/** Who auto-debit's own postings are made as: one principal, so their keys mean the same whoever finishes the work. */
export const AUTO_DEBIT_ACTOR: Omit<Actor, 'requestId'> = { subject: SYSTEM_ACTORS.autoDebit, roles: [], partner: null, clientId: null };

/** What a return posts, from what its presentment holds (or is about to): the same drafts whoever posts them. */
interface ReturnedDebit {
  loanId: string;
  presentedOn: Date;
  transactionId: string | null;
  returnCode: string | null;
  returnedOn: Date | null;
  returnFee: { toString(): string } | null;
}

const reversalOf = (p: ReturnedDebit): Omit<PostingDraft, 'field'> => ({
  loanId: p.loanId, kind: 'reversal', valueDate: dateOf(p.presentedOn), reverses: p.transactionId, reason: `ACH return ${p.returnCode}`,
});

const feeOf = (p: ReturnedDebit): Omit<PostingDraft, 'field'> => ({
  loanId: p.loanId, kind: 'charge', component: 'fee', valueDate: dateOf(p.returnedOn!), amount: new Decimal(p.returnFee!.toString()), reason: `ACH return ${p.returnCode}: return fee`,
});

/**
 * The return fee posted, unless the loan cannot take a charge: one written off by the return's date takes none, and
 * one the fee would take to owing 10^15 no more. Then null: the fee is not charged, and the return is done.
 */
async function feeUnlessUnchargeable<T>(post: () => Promise<T>, loanStatus: () => Promise<string | undefined>): Promise<T | null> {
  try {
    return await post();
  } catch (error) {
    if (error instanceof OwedBeyondCeiling) return null;
    if (error instanceof InvalidField && (await loanStatus()) === 'written_off') return null;
    throw error;
  }
}

/** The reversal already posted of each of `repayments` that has one (by staff, or by an earlier try), by repayment. */
async function reversalsOf(db: TenantDb | Tx, repayments: readonly string[]): Promise<Map<string, string>> {
  const found = await db.loanTransaction.findMany({ where: { kind: 'reversal', reverses: { in: [...repayments] } }, select: { id: true, reverses: true } });
  return new Map(found.map((t) => [t.reverses!, t.id]));
}

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
  return runCommand(db, { ...command, action: 'debitReturns.takenIn' }, async (tx) => {
    const sql = tenantSql(tx, schema);
    const claimed = await sql.query<{ digest: string }[]>((s) => `
      INSERT INTO ${s}.debit_return_file (digest, entries, received_by, received_at) VALUES ($1, $2, $3, $4::timestamptz)
      ON CONFLICT (digest) DO NOTHING RETURNING digest`, digest, returns.length, command.actor.subject, command.now.toISOString());
    if (claimed.length === 0) throw new AppError('CONFLICT', 'this return file was taken in already', { field: inputPath('file') });
    // The latest presentment of each trace number (they are unique per presentment date), locked.
    const rows = await sql.query<{ id: string }[]>((s) => `
      SELECT p.id::text FROM ${s}.debit_presentment p
       WHERE p.trace_number = ANY($1::text[])
         AND NOT EXISTS (SELECT 1 FROM ${s}.debit_presentment later WHERE later.trace_number = p.trace_number AND later.presented_on > p.presented_on)
       FOR UPDATE OF p`, returns.map((r) => r.originalTrace));
    const presentments = await tx.debitPresentment.findMany({ where: { id: { in: rows.map((r) => r.id) } } });
    const settings = await tx.debitSettings.findFirst({ where: { id: true } });
    const fees = (settings?.productReturnFees ?? {}) as Record<string, string>;
    const loans = new Map((await tx.loan.findMany({ where: { id: { in: presentments.map((p) => p.loanId) } }, select: { id: true, number: true, product: { select: { code: true } } } })).map((l) => [l.id, l]));

    // The whole file checked before any money moves; each return named as the lender reads it (line, code, trace, loan).
    const taken = returns.map((r, k) => {
      const p = presentments.find((x) => x.traceNumber === r.originalTrace);
      if (!p) throw new InvalidField('file', `return ${k + 1} (${r.code}) names trace number ${r.originalTrace}, which no presentment has`);
      const loan = loans.get(p.loanId)!;
      const named = `return ${k + 1} (${r.code}, trace ${r.originalTrace}, loan ${formatNumber('loan', loan.number)})`;
      if (p.status !== 'presented') throw new InvalidField('file', `${named}: the debit was already returned ${p.returnCode}`);
      if (p.transactionId === null) throw new InvalidField('file', `${named}: the debit was never posted`);
      if (BigInt(p.amount.times(100).toFixed(0)) !== r.amountCents) throw new InvalidField('file', `${named}: the amount is not the debit's`);
      const action = returnAction(r.code);
      const fee = new Decimal(action.fee ? fees[loan.product.code] ?? settings?.returnFee.toString() ?? '0' : 0);
      const returned: ReturnedDebit = { ...p, returnCode: r.code, returnedOn: dateColumn(businessDate), returnFee: fee.gt(0) ? fee : null };
      return { k, named, p, returned, fee, action, repayment: p.transactionId };
    });
    const refusal = (error: unknown) => asReturnRefusal(error, taken.map((t) => t.named));

    // The money, in the same command. Locked before looking for reversals, so none is posted meanwhile.
    await sql.query((s) => `SELECT id FROM ${s}.loan WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE`, `{${[...loans.keys()].sort().join(',')}}`);
    const reversedAlready = await reversalsOf(tx, taken.map((t) => t.repayment));
    const run: PostingRun = { ...postingRunOf(command, businessDate), postedBy: AUTO_DEBIT_ACTOR.subject };
    const events: EventDraft[] = [];
    const reversing = taken.filter((t) => !reversedAlready.has(t.repayment));
    const reversalIds = new Map(reversedAlready);
    if (reversing.length > 0) {
      const posted = await postToLoans(tx, run, reversing.map((t) => ({ ...reversalOf(t.returned), field: `returns.${t.k}.` }))).catch((error: unknown) => {
        throw refusal(error);
      });
      posted.transactions.forEach(({ id, draft }) => reversalIds.set(draft.reverses!, id));
      events.push(...eventsOf(posted));
    }
    const feeIds = new Map<number, string | null>();
    for (const t of taken.filter((x) => x.returned.returnFee !== null)) {
      const posted = await feeUnlessUnchargeable(
        () => postToLoans(tx, run, [{ ...feeOf(t.returned), field: `returns.${t.k}.` }]),
        async () => (await tx.loan.findUnique({ where: { id: t.p.loanId }, select: { status: true } }))?.status,
      ).catch((error: unknown) => {
        throw refusal(error);
      });
      feeIds.set(t.k, posted?.transactions[0]!.id ?? null);
      if (posted) events.push(...eventsOf(posted));
    }

    const firsts = await tx.debitPresentment.findMany({ where: { attempt: 1, OR: taken.map(({ p }) => ({ loanId: p.loanId, dueDate: p.dueDate })) } });
    const audit: AuditDraft[] = [];
    for (const { k, p, returned, fee, action, repayment } of taken) {
      const feeId = feeIds.get(k) ?? null;
      // A fee the loan could not take is recorded as none charged (0), as against a return that costs none (null).
      const returnFee = returned.returnFee === null ? null : feeId === null ? '0' : fee.toFixed(2);
      const reversalId = reversalIds.get(repayment)!;
      await tx.debitPresentment.update({ where: { id: p.id }, data: { status: 'returned', returnCode: returned.returnCode, returnedOn: returned.returnedOn, returnFee, reversalId, feeId } });
      const revoked = action.revokeMandate ? await tx.debitMandate.updateMany({ where: { id: p.mandateId, status: 'active' }, data: { status: 'revoked', revokedReason: `ACH return ${returned.returnCode}`, revokedAt: command.now } }) : { count: 0 };
      const mandate = await tx.debitMandate.findUniqueOrThrow({ where: { id: p.mandateId }, select: { status: true } });
      const first = firsts.find((f) => f.loanId === p.loanId && f.dueDate.getTime() === p.dueDate.getTime())!;
      const presentedAgain = action.represent && p.attempt < MAX_ATTEMPTS && mandate.status === 'active' && addDays(businessDate, 1) <= addDays(dateOf(first.presentedOn), REPRESENT_WITHIN_DAYS);
      const charged = feeId === null ? null : fee;
      audit.push({
        entityType: 'DebitPresentment', entityId: p.id, before: { status: 'presented' },
        after: { status: 'returned', returnCode: returned.returnCode, returnFee: (charged ?? new Decimal(0)).toFixed(2), mandateRevoked: revoked.count > 0, reversalId, reversedAlready: reversedAlready.has(repayment), feeId },
      });
      events.push({
        type: 'debitPresentment.returned', aggregateType: 'DebitPresentment', aggregateId: p.id,
        payload: { loan: p.loanId, returnCode: returned.returnCode, amount: { amount: p.amount, currency: 'USD' }, attempt: p.attempt, presentedOn: dateOf(p.presentedOn), presentedAgain, feeCharged: charged ? { amount: charged, currency: 'USD' } : null },
      });
      if (revoked.count > 0) events.push({ type: 'debitMandate.revoked', aggregateType: 'DebitMandate', aggregateId: p.mandateId, payload: { loan: p.loanId, reason: `ACH return ${returned.returnCode}`, returnCode: returned.returnCode } });
    }
    const done = await tx.debitPresentment.findMany({ where: { id: { in: taken.map((t) => t.p.id) } } });
    return { result: taken.map((t) => done.find((d) => d.id === t.p.id)!), audit, events };
  });
}

/**
 * A return the loan refuses to post (its repayment's money since refunded, say): the file is refused, nothing
 * written, naming the return and why, as `decideLoanRequest` names a request the loan no longer takes.
 */
function asReturnRefusal(error: unknown, named: readonly string[]): unknown {
  if (!(error instanceof InvalidField) && !(error instanceof AppError)) return error;
  const field = error instanceof InvalidField ? error.field : String(error.details.field ?? '');
  const line = /returns(?:\.|\[)(\d+)/.exec(field)?.[1];
  const which = line === undefined ? 'a return' : named[Number(line)]!;
  return unpostableAsItStands(which, error.message, inputPath('file'));
}

/** A return whose money end of day could not post, left for the next try. */
export interface UnpostedReturn {
  presentmentId: string;
  loanId: string;
  message: string;
}

/**
 * Finishes each return marked returned whose reversal or fee is not posted (taken in before a return's money went
 * with it, by a taking-in that stopped part-way): each once, under keys of its own, whoever calls. A repayment
 * reversed already — by staff before the bank's file came, or by an earlier try — is not reversed again: that
 * reversal is the return's. A return its loan refuses is left as it is and answered, so that one loan's debit
 * never stops the rest.
 */
export async function postReturns(db: TenantDb, schemaName: string, command: CommandContext, businessDate: string): Promise<{ posted: number; unposted: UnpostedReturn[] }> {
  const pending = await db.debitPresentment.findMany({ where: { status: 'returned', OR: [{ reversalId: null }, { returnFee: { gt: 0 }, feeId: null }] }, orderBy: { traceNumber: 'asc' } });
  const sql = tenantSql(db, schemaName);
  const unposted: UnpostedReturn[] = [];
  for (const p of pending) {
    try {
      if (p.reversalId === null) {
        const reversalId = (await reversalsOf(db, [p.transactionId!])).get(p.transactionId!)
          ?? (await postLoanTransaction(db, command, businessDate, reversalOf(p), `debit-return:${p.id}:reversal`)).transactionId;
        await sql.execute((s) => `UPDATE ${s}.debit_presentment SET reversal_id = $2::uuid WHERE id = $1::uuid AND reversal_id IS NULL`, p.id, reversalId);
      }
      if (p.returnFee !== null && p.returnFee.gt(0) && p.feeId === null) {
        const fee = await feeUnlessUnchargeable(
          () => postLoanTransaction(db, command, businessDate, feeOf(p), `debit-return:${p.id}:fee`),
          async () => (await db.loan.findUnique({ where: { id: p.loanId }, select: { status: true } }))?.status,
        );
        if (fee) await sql.execute((s) => `UPDATE ${s}.debit_presentment SET fee_id = $2::uuid WHERE id = $1::uuid AND fee_id IS NULL`, p.id, fee.transactionId);
        else await sql.execute((s) => `UPDATE ${s}.debit_presentment SET return_fee = 0 WHERE id = $1::uuid AND fee_id IS NULL`, p.id);
      }
    } catch (error) {
      if (!(error instanceof InvalidField) && !(error instanceof AppError)) throw error;
      unposted.push({ presentmentId: p.id, loanId: p.loanId, message: error.message });
    }
  }
  return { posted: pending.length - unposted.length, unposted };
}
