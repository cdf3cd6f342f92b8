// The replay as the oracle of end of day (DESIGN.md, "End of day"): for each loan asked about, its stored
// position and its posted journals against a replay from scratch as of the tenant's date. Tests and the end-of-day
// benchmark run it over the loans they touch; an operator can run it over a sample. Classification, suspense and
// provisions are checked by their own pure functions against the position (they are not the replay's).
import { Decimal } from '../../domain/money.js';
import { checkpointFromJson, checkpointOf, resumedState } from '../../domain/servicing/replay/checkpoint.js';
import { carryForward, replayWorking } from '../../domain/servicing/replay/replay.js';
import type { TenantDb } from '../../tenancy/tenantClients.js';
import { tenantSql } from '../../tenancy/tenantSql.js';
import { loanAccountOf, loanTransactionOf, participationsJson, postedNetJson, transactionsJson, type LoanRecord, type TransactionRecord } from '../servicing/loanRecords.js';

export interface PositionMismatch {
  loanId: string;
  field: string;
  stored: string;
  replayed: string;
}

interface StoredLoan extends LoanRecord {
  status: string;
  daysPastDue: number;
  oldestDueDate: string | null;
  balances: Record<string, string>;
  upcoming: { dueDate: string; interest: string; fee: string; penalty: string; owing: string }[];
  lastDueDate: string | null;
  lastDueOwing: string;
  transactions: TransactionRecord[];
  posted: { valueDate: string; account: string; net: string }[];
  /** The loan's replay checkpoint as stored (JSON text). */
  checkpoint: string | null;
}

const money = (v: Decimal | string) => new Decimal(v).toFixed(4);

/** Every difference between what is stored for `loanIds` and their replay as of `asOf`; empty when they agree. */
export async function checkPositions(db: TenantDb, schema: string, loanIds: readonly string[], asOf: string): Promise<PositionMismatch[]> {
  if (loanIds.length === 0) return [];
  const rows = await tenantSql(db, schema).query<StoredLoan[]>((s) => `
    SELECT l.id::text, l.terms, l.allocation, l.accounts, l.principal::text, l.approved_principal::text AS "approvedPrincipal",
           l.disbursement_date::text AS "disbursementDate", l.first_repayment_date::text AS "firstRepaymentDate", l.status,
           l.days_past_due AS "daysPastDue", l.oldest_due_date::text AS "oldestDueDate",
           json_build_object('principal', l.principal_receivable::text, 'interest', l.interest_receivable::text, 'fee', l.fee_receivable::text,
                             'penalty', l.penalty_receivable::text, 'held', l.held::text, 'interestInAdvance', l.interest_in_advance::text) AS balances,
           coalesce((SELECT json_agg(json_build_object('dueDate', u.d::text, 'interest', u.i::text, 'fee', u.f::text, 'penalty', u.p::text, 'owing', u.o::text) ORDER BY u.k)
                       FROM unnest(l.upcoming_due_dates, l.upcoming_interest, l.upcoming_fee, l.upcoming_penalty, l.upcoming_owing) WITH ORDINALITY AS u(d, i, f, p, o, k)
                      WHERE u.k >= l.next_instalment), '[]') AS upcoming,
           l.last_due_date::text AS "lastDueDate", l.last_due_owing::text AS "lastDueOwing",
           ${transactionsJson(s, 'l')} AS transactions,
           ${postedNetJson(s, 'l')} AS posted, l.replay_checkpoint AS checkpoint, ${participationsJson(s, 'l')} AS participations
      FROM ${s}.loan l WHERE l.id = ANY($1::uuid[])`, `{${loanIds.join(',')}}`);
  const mismatches: PositionMismatch[] = [];
  for (const row of rows) {
    const account = loanAccountOf(row);
    const { working, state } = replayWorking(account, row.transactions.map(loanTransactionOf), asOf);
    const expect = (field: string, stored: unknown, replayed: unknown) => {
      const a = JSON.stringify(stored);
      const b = JSON.stringify(replayed);
      if (a !== b) mismatches.push({ loanId: row.id, field, stored: a, replayed: b });
    };
    const r = state.totals.receivable;
    expect('status', row.status, state.status);
    expect('daysPastDue', row.daysPastDue, state.daysPastDue);
    expect('oldestDueDate', row.oldestDueDate, state.position.oldestDueDate);
    expect('balances', {
      principal: money(row.balances['principal']!), interest: money(row.balances['interest']!), fee: money(row.balances['fee']!), penalty: money(row.balances['penalty']!),
      held: money(row.balances['held']!), interestInAdvance: money(row.balances['interestInAdvance']!),
    }, {
      principal: money(r.principal), interest: money(r.interest), fee: money(r.fee), penalty: money(r.penalty),
      held: money(state.held.advance.plus(state.held.excess)), interestInAdvance: money(state.interestInAdvance),
    });
    if (state.status !== 'closed') {
      expect('upcoming', row.upcoming.map((u) => [u.dueDate, money(u.interest), money(u.fee), money(u.penalty), money(u.owing)]),
        state.position.upcoming.map((u) => [u.dueDate, money(u.interest), money(u.fee), money(u.penalty), money(u.owing)]));
      expect('lastDue', [row.lastDueDate, money(row.lastDueOwing)],
        [state.position.lastFallen?.dueDate ?? null, money(state.position.lastFallen?.owing ?? '0')]);
    }
    // The ledger holds what the replay's journals add up to, per value date and account.
    const net = new Map<string, Decimal>();
    const add = (key: string, amount: Decimal) => net.set(key, (net.get(key) ?? new Decimal(0)).plus(amount));
    for (const j of state.journals) for (const line of j.lines) add(`${j.valueDate}|${line.account}`, new Decimal(line.debit).minus(line.credit));
    for (const p of row.posted) add(`${p.valueDate}|${p.account}`, new Decimal(p.net).negated());
    const off = [...net].filter(([, v]) => !v.isZero()).map(([k, v]) => `${k} ${v.toFixed()}`).sort();
    if (off.length > 0) mismatches.push({ loanId: row.id, field: 'journals', stored: 'posted', replayed: off.join('; ') });
    // The checkpoint, carried to the date, is the replay from scratch: it covers every transaction, and a posting
    // that carries on from it starts where the replay from scratch would be.
    const checkpoint = checkpointFromJson(row.checkpoint);
    if (checkpoint && (checkpoint.resumable || checkpoint.asOf === asOf)) {
      const resumed = resumedState(account, checkpoint);
      carryForward(resumed, [], asOf);
      expect('checkpoint', [checkpoint.covers, checkpointOf(resumed, asOf, 0, false).state], [row.transactions.length, checkpointOf(working, asOf, 0, false).state]);
    }
  }
  return mismatches;
}
