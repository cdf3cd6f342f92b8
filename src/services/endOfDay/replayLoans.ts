// The loans end of day replays rather than moves by statement: those whose terms make something happen that day
// that the set-based steps do not do (`replay_on`: a late fee day, penalty interest, a fee on a date, held money
// to draw on), and any whose position fell behind. Each batch goes through the posting engine with no new
// transaction — the same code path as a payment — so the journals are what the replay says, netted against what
// is already posted. A loan already brought to the date is skipped, so a batch repeated after a crash posts
// nothing twice.
import { AppError, InvalidField } from '../../errors.js';
import type { TenantDb, Tx } from '../../tenancy/tenantClients.js';
import { randomUUID } from 'node:crypto';
import { postToLoans, type PostingResult } from '../servicing/postings.js';
import { shareEventsOf } from '../servicing/loans.js';
import { writtenEvent } from '../../events/catalogue.js';
import { tenantSql } from '../../tenancy/tenantSql.js';
import { SYSTEM_ACTORS } from '../../domain/actors.js';

/** A loan end of day could not bring to the date, named for the operator. */
export class EndOfDayLoanFailure extends Error {
  constructor(readonly loanId: string, message: string) {
    super(message);
  }
}

const NEEDS_REPLAY = (s: string) => `FROM ${s}.loan
  WHERE as_of < $1::date AND ((status IN ('active', 'overdue') AND (replay_on <= $1::date OR next_due_date < $1::date))
                               OR (status = 'closed' AND replay_on <= $1::date))`;

export async function loansToReplay(db: TenantDb, schema: string, businessDate: string): Promise<number> {
  const [row] = await tenantSql(db, schema).query<{ n: number }[]>((s) => `SELECT count(*)::int AS n ${NEEDS_REPLAY(s)}`, businessDate);
  return row!.n;
}

/** Replays up to `limit` of the loans that need it to `businessDate`; returns how many. */
export async function replayLoansBatch(db: TenantDb, schema: string, businessDate: string, limit: number, now: Date, tenant?: string): Promise<{ replayed: number; journals: number }> {
  const ids = (await tenantSql(db, schema).query<{ id: string }[]>((s) => `SELECT id::text ${NEEDS_REPLAY(s)} ORDER BY id LIMIT $2`, businessDate, limit)).map((r) => r.id);
  if (ids.length === 0) return { replayed: 0, journals: 0 };
  const run = { schema, postedBy: SYSTEM_ACTORS.endOfDay, now, businessDate };
  try {
    const result = await db.$transaction(async (tx) => {
      const posted = await postToLoans(tx, run, [], ids);
      if (tenant) await tellCoLenders(tx, tenant, posted, now);
      await recordBatch(tx, schema, businessDate, ids.length, now);
      return posted;
    }, { timeout: 120_000 });
    return { replayed: ids.length, journals: result.journals };
  } catch (error) {
    // Find the loan that fails on its own, so the failure names it; the others of the batch are left for the retry.
    for (const id of ids) {
      try {
        await db.$transaction(async (tx) => {
          const posted = await postToLoans(tx, run, [], [id]);
          if (tenant) await tellCoLenders(tx, tenant, posted, now);
          await recordBatch(tx, schema, businessDate, 1, now);
        }, { timeout: 60_000 });
      } catch (single) {
        // Only a refusal the domain explains is shown; anything else stays in the logs.
        throw new EndOfDayLoanFailure(id, single instanceof InvalidField || single instanceof AppError ? single.message : 'the loan could not be replayed (the logs have the details)');
      }
    }
    throw error;
  }
}

/** The batch's own record, committed with it: the run's totals count every attempt's work once. */
async function recordBatch(tx: Tx, schema: string, businessDate: string, rows: number, now: Date): Promise<void> {
  await tenantSql(tx, schema).execute((s) => `
    INSERT INTO ${s}.end_of_day_step (business_date, step, part, rows, completed_at)
    SELECT $1::date, 'replayLoans', coalesce(max(part), 0) + 1, $2, $3::timestamptz
      FROM ${s}.end_of_day_step WHERE business_date = $1::date AND step = 'replayLoans'`, businessDate, rows, now.toISOString());
}

/**
 * The co-lenders' money the replays moved (held money drawn as an instalment falls due, interest paid ahead becoming
 * theirs) is told to each, with the batch: the same events a posting writes.
 */
async function tellCoLenders(tx: Tx, tenant: string, posted: PostingResult, now: Date): Promise<void> {
  const drafts = shareEventsOf(posted);
  if (drafts.length === 0) return;
  await tx.outboxEvent.createMany({
    data: drafts.map((draft) => {
      const written = writtenEvent(draft.type, draft.aggregateType, draft.aggregateId, draft.payload);
      return {
        id: randomUUID(), type: draft.type, aggregateType: draft.aggregateType, aggregateId: written.aggregateId, tenant,
        partnerScope: draft.partnerScope ?? null, occurredAt: now, schemaVersion: written.schemaVersion, payload: written.payload as object,
      };
    }),
  });
}
