// `npm run bench:schedule`: time to generate a 30-year monthly equal-instalment schedule (360 instalments), the
// largest schedule a lender books routinely; regenerating schedules is on the path of every replay, prepayment
// and payoff quote. Records the figures in docs/benchmarks.md.
import { parseArgs } from 'node:util';
import { loanTerms, type LoanTermsInput } from '../src/domain/servicing/product.js';
import { generateSchedule } from '../src/domain/servicing/schedule.js';
import { machine, percentile, recordSection } from './record.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '2000' }, warmup: { type: 'string', default: '500' } } });
const RUNS = Number(values.runs);
const WARMUP = Number(values.warmup);
const GOAL_MS = 2;

const MORTGAGE: LoanTermsInput = { currency: 'USD', annualRatePercent: '6.5', numberOfRepayments: 360 };
const request = { principal: '250000.00', disbursementDate: '2026-01-31' };

function time(input: LoanTermsInput): { p50: number; p99: number; instalments: number } {
  const terms = loanTerms(input);
  let instalments = 0;
  for (let i = 0; i < WARMUP; i += 1) instalments = generateSchedule(terms, request).instalments.length;
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const began = performance.now();
    generateSchedule(terms, request);
    samples.push(performance.now() - began);
  }
  samples.sort((a, b) => a - b);
  return { p50: percentile(samples, 50), p99: percentile(samples, 99), instalments };
}

const perPeriod = time(MORTGAGE);
const perDay = time({ ...MORTGAGE, interestCalculation: 'per-day', daysInYear: 'actual' });
const graced = time({ ...MORTGAGE, amortization: { kind: 'interest-only', periods: 24, then: 'equal-instalments' }, grace: { interestPeriods: 6 }, fees: { perInstalment: '5.00' } });

const line = (name: string, figures: typeof perPeriod) =>
  `${name}: median ${figures.p50.toFixed(3)} ms, p99 ${figures.p99.toFixed(3)} ms (${figures.instalments} instalments, ${RUNS} runs after ${WARMUP} warm-up)\n`;
process.stdout.write(line('equal instalments, interest per period', perPeriod));
process.stdout.write(line('equal instalments, interest per day (Actual/Actual)', perDay));
process.stdout.write(line('interest-only 24, deferred interest 6, instalment fee', graced));

const met = (figures: typeof perPeriod) => (figures.p50 < GOAL_MS ? 'met' : '**missed**');
recordSection('schedule', `## Schedule (\`npm run bench:schedule\`)

Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}. One process, no database: \`generateSchedule\` for
a 250,000.00 USD loan at 6.5 % over 360 monthly instalments, disbursed on 31 Jan (so due dates exercise the
month-end rule), ${RUNS} timed runs after ${WARMUP} warm-up runs.

| figure | measured | goal | |
| --- | --- | --- | --- |
| 360 instalments, equal instalments, interest per repayment period | median ${perPeriod.p50.toFixed(3)} ms, p99 ${perPeriod.p99.toFixed(3)} ms | median < ${GOAL_MS} ms | ${met(perPeriod)} |
| 360 instalments, equal instalments, interest per day (Actual/Actual ISDA) | median ${perDay.p50.toFixed(3)} ms, p99 ${perDay.p99.toFixed(3)} ms | median < ${GOAL_MS} ms | ${met(perDay)} |
| 360 instalments, 24 interest-only, 6 of deferred interest, instalment fee | median ${graced.p50.toFixed(3)} ms, p99 ${graced.p99.toFixed(3)} ms | — | |
`);
