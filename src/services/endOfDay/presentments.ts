// End of day's presentments step (after advancePositions, before classify), docs/auto-debit.md:
// 1. returns taken in whose reversal or fee is still to post (a taking-in that stopped part-way) are posted, a
//    repayment reversed already taking that reversal as the return's, and one a loan refuses left for the next day;
// 2. every instalment falling due on the business date on a loan with an active mandate is presented for debit, and
//    every debit returned R01 or R09 is presented again on the same mandate while the loan is still behind (at most
//    twice, within 180 days of the first);
// 3. each presentment is posted as a repayment valued on the date (channel `ach`, its trace number as reference),
//    through the posting engine like any other, under the presentment's own key;
// 4. the date's NACHA file is written, sealed.
// Each part skips what is done — presentments are one per loan, due date and try; a posting carries its key; the
// file is one per date and, once written, nothing more is presented that date — so a run resumed after a crash
// presents, posts and writes nothing twice, and posts nothing the file does not ask the bank for.
import { Decimal } from '../../domain/money.js';
import { addDays } from '../../domain/calendar.js';
import { debitFile, MAX_ATTEMPTS, REPRESENT_WITHIN_DAYS, type DebitEntry } from '../../domain/servicing/nacha.js';
import { formatNumber } from '../../domain/referenceNumbers.js';
import { openSecret, sealSecret } from '../../tenancy/sealing.js';
import { poolSql } from '../../tenancy/tenantSql.js';
import { postLoanTransaction } from '../servicing/loans.js';
import { postReturns, AUTO_DEBIT_ACTOR } from '../autoDebit/returns.js';
import type { StepContext } from './run.js';

export async function presentDebits(c: StepContext): Promise<number> {
  const settings = await c.db.debitSettings.findFirst({ where: { id: true } });
  if (!settings) return 0;
  const sql = poolSql(c.pool, c.schema);
  const command = { tenant: c.tenant.slug, now: c.now, actor: { ...AUTO_DEBIT_ACTOR, requestId: `end-of-day:${c.businessDate}` } };
  // One loan's return refused (its money since refunded, say) stays as it is, said, and tried again the next day.
  const returns = await postReturns(c.db, c.schema, command, c.businessDate);
  for (const u of returns.unposted) c.rt.log.warn({ tenant: c.tenant.slug, businessDate: c.businessDate, loanId: u.loanId, presentmentId: u.presentmentId, reason: u.message }, 'a debit return\'s money refused for one loan');
  const { rows: written } = await sql.query<{ entries: number }>((s) => `SELECT entries FROM ${s}.debit_file WHERE business_date = $1`, [c.businessDate]);
  if (written.length > 0) return written[0]!.entries;

  const odfi8 = settings.odfiRouting.slice(0, 8);
  // A sequence number only for what is inserted: the WHERE filters before the select list is evaluated.
  const trace = (s: string) => `$2 || lpad(nextval('${s}.debit_trace_seq')::text, 7, '0')`;
  await sql.query((s) => `
    INSERT INTO ${s}.debit_presentment (id, mandate_id, loan_id, due_date, attempt, amount, presented_on, trace_number, status, created_at)
    SELECT gen_random_uuid(), m.id, l.id, l.last_due_date, 1, round(l.last_due_owing, 2), $1::date, ${trace(s)}, 'presented', $3::timestamptz
      FROM ${s}.loan l JOIN ${s}.debit_mandate m ON m.loan_id = l.id AND m.status = 'active'
     WHERE l.last_due_date = $1::date AND l.last_due_owing >= 0.01 AND l.status IN ('active', 'overdue') AND l.currency = 'USD'
       AND NOT EXISTS (SELECT 1 FROM ${s}.debit_presentment q WHERE q.loan_id = l.id AND q.due_date = l.last_due_date AND q.attempt = 1)
    ON CONFLICT DO NOTHING`, [c.businessDate, odfi8, c.now.toISOString()]);
  // Again, after a return for want of money: on the mandate it was returned on, while the loan is still behind (a
  // borrower who paid another way since is not debited again), tries and days are left.
  await sql.query((s) => `
    INSERT INTO ${s}.debit_presentment (id, mandate_id, loan_id, due_date, attempt, amount, presented_on, trace_number, status, created_at)
    SELECT gen_random_uuid(), p.mandate_id, p.loan_id, p.due_date, p.attempt + 1, p.amount, $1::date, ${trace(s)}, 'presented', $3::timestamptz
      FROM ${s}.debit_presentment p
      JOIN ${s}.debit_mandate m ON m.id = p.mandate_id AND m.status = 'active'
      JOIN ${s}.loan l ON l.id = p.loan_id AND l.status = 'overdue'
      JOIN ${s}.debit_presentment first ON first.loan_id = p.loan_id AND first.due_date = p.due_date AND first.attempt = 1
     WHERE p.status = 'returned' AND p.return_code IN ('R01', 'R09') AND p.attempt < $4 AND p.returned_on < $1::date
       AND $1::date <= first.presented_on + $5::int
       AND NOT EXISTS (SELECT 1 FROM ${s}.debit_presentment q WHERE q.loan_id = p.loan_id AND q.due_date = p.due_date AND q.attempt = p.attempt + 1)
    ON CONFLICT DO NOTHING`, [c.businessDate, odfi8, c.now.toISOString(), MAX_ATTEMPTS, REPRESENT_WITHIN_DAYS]);

  // Each presented today and not yet posted: a repayment, under the presentment's own key.
  const { rows: unposted } = await sql.query<{ id: string; loanId: string; amount: string; traceNumber: string }>((s) => `
    SELECT id::text, loan_id::text AS "loanId", amount::text, trace_number AS "traceNumber" FROM ${s}.debit_presentment
     WHERE presented_on = $1::date AND transaction_id IS NULL ORDER BY trace_number`, [c.businessDate]);
  await c.progress(0, unposted.length);
  let done = 0;
  for (const p of unposted) {
    const posted = await postLoanTransaction(c.db, command, c.businessDate, {
      loanId: p.loanId, kind: 'repayment', valueDate: c.businessDate, amount: new Decimal(p.amount), channel: 'ach', externalReference: p.traceNumber,
    }, `debit-presentment:${p.id}`);
    await sql.query((s) => `UPDATE ${s}.debit_presentment SET transaction_id = $2 WHERE id = $1 AND transaction_id IS NULL`, [p.id, posted.transactionId]);
    done += 1;
    if (done % 100 === 0) await c.progress(done, unposted.length);
  }

  // The date's file, once. Its entries settle the next day (a file made in the night is not same-day ACH).
  const { rows: today } = await sql.query<{ amount: string; attempt: number; traceNumber: string; number: number; holderName: string; routingNumber: string; accountNumberSealed: string; accountType: 'checking' | 'savings' }>((s) => `
    SELECT p.amount::text, p.attempt, p.trace_number AS "traceNumber", l.number, m.holder_name AS "holderName", m.routing_number AS "routingNumber",
           m.account_number_sealed AS "accountNumberSealed", m.account_type AS "accountType"
      FROM ${s}.debit_presentment p JOIN ${s}.debit_mandate m ON m.id = p.mandate_id JOIN ${s}.loan l ON l.id = p.loan_id
     WHERE p.presented_on = $1::date ORDER BY p.trace_number`, [c.businessDate]);
  if (today.length === 0) return 0;
  const entries: DebitEntry[] = today.map((p) => ({
    accountType: p.accountType, routingNumber: p.routingNumber, accountNumber: openSecret(c.rt.dataKey, p.accountNumberSealed),
    amountCents: BigInt(new Decimal(p.amount).times(100).toFixed(0)), individualId: formatNumber('loan', p.number), individualName: p.holderName,
    traceNumber: p.traceNumber, retry: p.attempt > 1,
  }));
  const content = debitFile({
    odfiRouting: settings.odfiRouting, odfiName: settings.odfiName, companyName: settings.companyName, companyId: settings.companyId,
    created: c.now, effectiveDate: addDays(c.businessDate, 1), entries,
  });
  const total = today.reduce((s, p) => s.plus(p.amount), new Decimal(0));
  await sql.query((s) => `INSERT INTO ${s}.debit_file (business_date, entries, total, content_sealed, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (business_date) DO NOTHING`,
    [c.businessDate, today.length, total.toFixed(2), sealSecret(c.rt.dataKey, content), c.now.toISOString()]);
  return today.length;
}
