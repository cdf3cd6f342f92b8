// `npm run bench:replay`: the gateway's own share of a posting, by itself: a loan's replay carried on from its stored
// checkpoint, as a posting does it — the checkpoint's text read back, the new transactions applied, the account's
// state and position made, the new checkpoint written as text. One process, no database, no HTTP: the figures move
// only with the domain's code, where bench:payments moves with everything on the machine (its runs differ by ±10 %).
// It runs the build the gateway runs (dist/, compiled by tsc; `npm run bench:replay` builds it first), not the
// sources through tsx, whose helpers add work to every function made. Records the figures in docs/benchmarks.md.
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type * as Money from '../src/domain/money.js';
import type * as Allocation from '../src/domain/servicing/allocation.js';
import type { LoanAccount, LoanTransaction } from '../src/domain/servicing/loanAccount.js';
import type * as PostingReplay from '../src/domain/servicing/postingReplay.js';
import type * as Product from '../src/domain/servicing/product.js';
import type * as Checkpoint from '../src/domain/servicing/replay/checkpoint.js';
import { commitOf, machine, percentile, publishSection } from './record.js';

const built = (module: string) => import(pathToFileURL(path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../dist', module)).href);
const { Decimal } = await built('domain/money.js') as typeof Money;
const { PENALTIES_FEES_INTEREST_PRINCIPAL } = await built('domain/servicing/allocation.js') as typeof Allocation;
const { replayForPosting } = await built('domain/servicing/postingReplay.js') as typeof PostingReplay;
const { loanTerms } = await built('domain/servicing/product.js') as typeof Product;
const { checkpointFromJson, checkpointToJson } = await built('domain/servicing/replay/checkpoint.js') as typeof Checkpoint;
type LoanOnRecord = PostingReplay.LoanOnRecord;

const { values } = parseArgs({
  options: {
    replays: { type: 'string', default: '10000' },
    // An odd number, so that one round is the median.
    rounds: { type: 'string', default: '7' },
    'no-record': { type: 'boolean', default: false },
  },
});
const REPLAYS = Number(values.replays);
const ROUNDS = Number(values.rounds);
if (!Number.isInteger(REPLAYS) || REPLAYS < 1) throw new Error('--replays must be a whole number, 1 or more');
if (!Number.isInteger(ROUNDS) || ROUNDS < 1 || ROUNDS % 2 === 0) throw new Error('--rounds must be an odd whole number');

// bench:payments' loans: PL-STD's 14.9 %, 10,000.00 over 12 months, disbursed 90 days before the business date, so
// two instalments have fallen due (the third falls due the day after) and ten are to come.
const BUSINESS_DATE = '2026-12-05';
const LOAN: LoanAccount = {
  id: 'bench-replay',
  terms: loanTerms({ currency: 'USD', annualRatePercent: '14.9', numberOfRepayments: 12 }),
  rule: PENALTIES_FEES_INTEREST_PRINCIPAL,
  principal: '10000.00',
  disbursementDate: '2026-09-06',
  firstRepaymentDate: '2026-10-06',
};

/** The loan goes back to its first checkpoint after this many replays, so the payments never reach its principal. */
const REOPEN_EVERY = 1_000;

/**
 * Median µs per replay of `perReplay` repayments of `amount`, each replay from the checkpoint the last one wrote;
 * every REOPEN_EVERY replays from the loan's first checkpoint again.
 */
function time(perReplay: number, amount: string): { median: number; rounds: number[]; checkpointChars: number } {
  const rounds: number[] = [];
  let checkpointChars = 0;
  // The first round warms the code up and is not kept.
  for (let round = 0; round <= ROUNDS; round += 1) {
    const opened = checkpointToJson(replayForPosting({ account: LOAN, replayedTo: LOAN.disbursementDate, transactionCount: 0, checkpoint: null }, [], BUSINESS_DATE, { transactions: [], posted: [] }).checkpoint);
    let stored = opened;
    let count = 0;
    const began = performance.now();
    for (let i = 0; i < REPLAYS; i += 1) {
      if (i % REOPEN_EVERY === 0) {
        stored = opened;
        count = 0;
      }
      const fresh: LoanTransaction[] = Array.from({ length: perReplay }, (_, k) => ({ id: `r${i}-${k}`, kind: 'repayment', valueDate: BUSINESS_DATE, amount: new Decimal(amount) }));
      const onRecord: LoanOnRecord = { account: LOAN, replayedTo: BUSINESS_DATE, transactionCount: count, checkpoint: checkpointFromJson(stored) };
      const replayed = replayForPosting(onRecord, fresh, BUSINESS_DATE, null);
      if (!replayed.resumed) throw new Error('the replay did not carry on from the checkpoint');
      stored = checkpointToJson(replayed.checkpoint);
      count += perReplay;
    }
    if (round > 0) rounds.push(((performance.now() - began) * 1000) / REPLAYS);
    checkpointChars = stored.length;
  }
  return { median: percentile([...rounds].sort((a, b) => a - b), 50), rounds, checkpointChars };
}

// Small amounts: between two reopenings, 1,000 replays of five repayments of 0.02 pay 100.00 of the first
// instalment's 124.17 of interest, so every repayment measured pays interest of the oldest instalment due.
const single = time(1, '0.02');
const file = time(5, '0.02');
const line = (name: string, t: ReturnType<typeof time>) =>
  `${name}: median ${t.median.toFixed(1)} µs per replay (rounds ${t.rounds.map((r) => r.toFixed(0)).join(', ')}); checkpoint ${t.checkpointChars} characters`;
process.stdout.write(`${line('one repayment (a single posting)', single)}\n${line('five repayments (a loan of a payment file)', file)}\n`);

publishSection('replay', `## A posting's replay by itself (\`npm run bench:replay\`)

Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}, commit ${commitOf()}. One process (the compiled
build), no database and no HTTP: what the gateway computes for a posting on a loan of bench:payments (10,000.00 USD at 14.9 % over 12
months, two instalments fallen due): its checkpoint's text read back, the repayments of 0.02 applied from it (each
pays interest of the oldest instalment due), the account and its position made, the new checkpoint written as text.
Each of ${ROUNDS} rounds runs ${REPLAYS.toLocaleString('en-US')} replays, each from the checkpoint the one before wrote (from the loan's first
again every ${REOPEN_EVERY.toLocaleString('en-US')}); the median round is given. This is the part of a posting's gateway CPU (the
Payments section) that is the loan's own arithmetic.

| replay | µs per replay | per repayment | rounds (µs) |
| --- | ---: | ---: | --- |
| one repayment (a single posting) | ${single.median.toFixed(1)} | ${single.median.toFixed(1)} | ${single.rounds.map((r) => r.toFixed(0)).join(', ')} |
| five repayments on one loan (a payment file's loan) | ${file.median.toFixed(1)} | ${(file.median / 5).toFixed(1)} | ${file.rounds.map((r) => r.toFixed(0)).join(', ')} |

The checkpoint stored after the last replay is ${single.checkpointChars.toLocaleString('en-US')} characters of text.
`, !values['no-record']);
