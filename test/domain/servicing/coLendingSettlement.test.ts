// What a settlement with a co-lending partner pays, as a table: collections of the period, changes to a period
// already settled as adjustments (valued on or before the last settlement's date, however they were posted), and
// nothing paid while the lines come to nothing or less (they wait, netted against later collections).
import { describe, expect, it } from 'vitest';
import { Decimal } from '../../../src/domain/money.js';
import { settlementFigures, type OpenPayableLine } from '../../../src/domain/servicing/coLendingSettlement.js';

const line = (valueDate: string, amount: string): OpenPayableLine => ({ loanId: 'L', valueDate, amount: new Decimal(amount) });
const figures = (lines: OpenPayableLine[], previous: string | null) => {
  const f = settlementFigures(lines, previous);
  return { collections: f.collections.toFixed(2), adjustments: f.adjustments.toFixed(2), amount: f.amount.toFixed(2), pays: f.pays, marks: f.lines.map((l) => l.adjustment) };
};

describe('a settlement\'s figures', () => {
  it.each([
    ['the first settlement: every line a collection', [line('2026-02-05', '100.00'), line('2026-02-06', '50.00')], null,
      { collections: '150.00', adjustments: '0.00', amount: '150.00', pays: true, marks: [false, false] }],
    ['a reversal of a settled payment, alone: an adjustment, nothing paid', [line('2026-02-05', '-100.00')], '2026-02-05',
      { collections: '0.00', adjustments: '-100.00', amount: '-100.00', pays: false, marks: [true] }],
    ['new collections net the adjustment', [line('2026-02-05', '-100.00'), line('2026-02-07', '180.00')], '2026-02-05',
      { collections: '180.00', adjustments: '-100.00', amount: '80.00', pays: true, marks: [true, false] }],
    ['a backdated payment into a settled period is an adjustment though posted as a payment', [line('2026-02-04', '30.00'), line('2026-02-09', '10.00')], '2026-02-05',
      { collections: '10.00', adjustments: '30.00', amount: '40.00', pays: true, marks: [true, false] }],
    ['a correction within the open period nets its collections', [line('2026-02-08', '-5.00'), line('2026-02-08', '20.00')], '2026-02-05',
      { collections: '15.00', adjustments: '0.00', amount: '15.00', pays: true, marks: [false, false] }],
    ['lines that cancel: nothing paid', [line('2026-02-08', '20.00'), line('2026-02-08', '-20.00')], null,
      { collections: '0.00', adjustments: '0.00', amount: '0.00', pays: false, marks: [false, false] }],
  ])('%s', (_name, lines, previous, expected) => {
    expect(figures(lines, previous)).toEqual(expected);
  });
});
