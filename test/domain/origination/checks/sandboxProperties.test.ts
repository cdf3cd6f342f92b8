// The hash-derived defaults hold their documented ranges for anyone (fast-check), and stay put for the same input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Decimal, money } from '../../../../src/domain/money.js';
import type { BureauRequest, CheckedParty, IncomeRequest } from '../../../../src/domain/origination/checks/providers.js';
import { sandboxBureauProvider, sandboxIncomeProvider } from '../../../../src/domain/origination/checks/sandbox.js';

const NOW = new Date('2026-12-01T10:00:00.000Z');
const party = (nationalId: string): CheckedParty => ({
  legalName: 'Grace Hopper',
  dateOfBirth: '1906-12-09',
  nationalId,
  phone: '+1 202 555 0100',
  email: 'grace@example.com',
  address: { lines: ['1 Navy Yard'], city: 'Washington', region: 'DC', postalCode: '20374', country: 'US' },
});
const nationalIds = fc.stringMatching(/^[A-Z0-9]{6,14}$/);

describe('the bureau profile of a person without a bureau tag', () => {
  it('is a usable file: score 300–850, 2–12 tradelines, 0–6 enquiries, lateness that follows the score', async () => {
    await fc.assert(
      fc.asyncProperty(nationalIds, fc.constantFrom('USD', 'JPY', 'KWD', 'INR'), async (nationalId, currency) => {
        const request: BureauRequest = { reference: 'c', party: party(nationalId), currency };
        const result = await sandboxBureauProvider(request, NOW);
        expect(result.status).toBe('passed');
        if (result.status !== 'passed') return;
        const { score, openTradelines, enquiries6m, worstDelinquency12m, totalMonthlyDebtPayments } = result.summary;
        expect(Number.isInteger(score) && score! >= 300 && score! <= 850).toBe(true);
        expect(Number.isInteger(openTradelines) && openTradelines >= 2 && openTradelines <= 12).toBe(true);
        expect(Number.isInteger(enquiries6m) && enquiries6m >= 0 && enquiries6m <= 6).toBe(true);
        expect([0, 30, 60, 90]).toContain(worstDelinquency12m);
        if (score! >= 650) expect(worstDelinquency12m).toBe(0);
        if (score! < 550) expect(worstDelinquency12m).toBeGreaterThan(0);
        // The summary is the sum of the tradelines in the raw report: a decision can be traced to the lines.
        const raw = result.raw as { tradelines: { monthlyPayment: string }[] };
        expect(raw.tradelines).toHaveLength(openTradelines);
        const sum = raw.tradelines.reduce((total, line) => total.plus(line.monthlyPayment), new Decimal(0));
        expect(totalMonthlyDebtPayments.amount.eq(sum)).toBe(true);
        expect(totalMonthlyDebtPayments.currency).toBe(currency);
        expect(totalMonthlyDebtPayments.amount.gt(0)).toBe(true);

        expect(await sandboxBureauProvider(request, NOW)).toEqual(result);
      }),
      { numRuns: 300 },
    );
  });

  it('spreads over the whole score range', async () => {
    const scores: number[] = [];
    for (let i = 0; i < 400; i++) {
      const result = await sandboxBureauProvider({ reference: 'c', party: party(`P${i}`), currency: 'USD' }, NOW);
      if (result.status === 'passed' && result.summary.score !== null) scores.push(result.summary.score);
    }
    expect(Math.min(...scores)).toBeLessThan(350);
    expect(Math.max(...scores)).toBeGreaterThan(800);
  });
});

describe('income without an income tag', () => {
  it('verifies 0–5 % below declared, to the currency’s minor units, and passes', async () => {
    await fc.assert(
      fc.asyncProperty(
        nationalIds,
        fc.integer({ min: 10_000, max: 100_000_000 }),
        fc.boolean(),
        async (nationalId, cents, withStatement) => {
          const request: IncomeRequest = {
            reference: 'c',
            party: party(nationalId),
            declaredMonthlyIncome: money(new Decimal(cents).div(100), 'USD'),
            employer: 'US Navy',
            bankStatementSha256: withStatement ? 'f'.repeat(64) : undefined,
          };
          const result = await sandboxIncomeProvider(request, NOW);
          expect(result.status).toBe('passed');
          if (result.status !== 'passed') return;
          const { verifiedMonthlyIncome, varianceFromDeclaredPercent } = result.summary;
          expect(verifiedMonthlyIncome.amount.decimalPlaces()).toBeLessThanOrEqual(2);
          expect(verifiedMonthlyIncome.amount.lte(request.declaredMonthlyIncome.amount)).toBe(true);
          expect(varianceFromDeclaredPercent.gte(-5) && varianceFromDeclaredPercent.lte(0)).toBe(true);
          expect(await sandboxIncomeProvider(request, NOW)).toEqual(result);
        },
      ),
      { numRuns: 300 },
    );
  });
});
