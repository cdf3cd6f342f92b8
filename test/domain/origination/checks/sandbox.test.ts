// The sandbox providers: every documented trigger gives its outcome, the defaults, async checks answered by
// callback, and the same request always getting the same answer.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { InvalidField } from '../../../../src/errors.js';
import { Decimal, money } from '../../../../src/domain/money.js';
import type { BureauRequest, CheckKind, IncomeRequest, KycRequest } from '../../../../src/domain/origination/checks/providers.js';
import {
  SANDBOX_TRIGGERS,
  sandboxBureauProvider,
  sandboxCallback,
  sandboxIncomeProvider,
  sandboxKycProvider,
} from '../../../../src/domain/origination/checks/sandbox.js';

const NOW = new Date('2026-12-01T10:00:00.000Z');
const LATER = new Date('2026-12-01T10:05:00.000Z');

const kycRequest = (email = 'ada@example.com', nationalId = '850101-1234'): KycRequest => ({
  reference: 'check-1',
  party: {
    legalName: 'Ada Lovelace',
    dateOfBirth: '1985-01-01',
    nationalId,
    phone: '+44 20 7946 0000',
    email,
    address: { lines: ['12 St James’s Square'], city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
  },
});
const bureauRequest = (email?: string, nationalId?: string): BureauRequest => ({ ...kycRequest(email, nationalId), currency: 'USD' });
const incomeRequest = (email?: string, declared = '5000.00'): IncomeRequest => ({
  ...kycRequest(email),
  declaredMonthlyIncome: money(declared, 'USD'),
  employer: 'Analytical Engines Ltd',
  bankStatementSha256: 'a'.repeat(64),
});

function run(check: CheckKind, email: string, now = NOW) {
  switch (check) {
    case 'kyc':
      return sandboxKycProvider(kycRequest(email), now);
    case 'bureau':
      return sandboxBureauProvider(bureauRequest(email), now);
    case 'income':
      return sandboxIncomeProvider(incomeRequest(email), now);
  }
}

function invalid(field: string, call: () => unknown): Promise<void> {
  return expect(Promise.resolve().then(call)).rejects.toSatisfy((error: unknown) => error instanceof InvalidField && error.field === field);
}

describe('every documented trigger gives its outcome', () => {
  it.each(SANDBOX_TRIGGERS.map((trigger) => [trigger.tag, trigger]))('+%s', async (_tag, trigger) => {
    const result = await run(trigger.check, `ada+${trigger.tag}@example.com`);
    expect(result.status).toBe(trigger.status);
  });

  it('docs/sandbox-providers.md lists every trigger, and no other', () => {
    const docs = readFileSync(new URL('../../../../docs/sandbox-providers.md', import.meta.url), 'utf8');
    const documented = new Set([...docs.matchAll(/`\+((?:kyc|bureau|income)-[a-z]+)`/g)].map((match) => match[1]));
    expect([...documented].sort()).toEqual(SANDBOX_TRIGGERS.map((trigger) => trigger.tag).sort());
  });
});

describe('KYC', () => {
  const summary = async (email: string) => {
    const result = await sandboxKycProvider(kycRequest(email), NOW);
    if (!('summary' in result)) throw new Error(`no summary: ${result.status}`);
    return [result.status, result.summary];
  };

  it.each([
    ['ada@example.com', 'passed', { matchLevel: 'full', sanctionsHit: false, pepHit: false, reasons: [] }],
    ['ada+kyc-partial@example.com', 'refer', { matchLevel: 'partial', sanctionsHit: false, pepHit: false, reasons: ['DATE_OF_BIRTH_MISMATCH'] }],
    ['ada+kyc-fail@example.com', 'failed', { matchLevel: 'none', sanctionsHit: false, pepHit: false, reasons: ['ID_NOT_FOUND'] }],
    ['ada+kyc-sanctions@example.com', 'failed', { matchLevel: 'full', sanctionsHit: true, pepHit: false, reasons: ['SANCTIONS_LIST_MATCH'] }],
    ['ada+kyc-pep@example.com', 'refer', { matchLevel: 'full', sanctionsHit: false, pepHit: true, reasons: ['POLITICALLY_EXPOSED_PERSON'] }],
  ])('%s → %s', async (email, status, expected) => {
    expect(await summary(email)).toEqual([status, expected]);
  });

  it('keeps the raw response, echoing our reference', async () => {
    const result = await sandboxKycProvider(kycRequest('ada+kyc-pep@example.com'), NOW);
    expect(result).toMatchObject({ raw: { provider: 'sandbox-kyc', reference: 'check-1', checkedAt: NOW.toISOString(), watchlists: { pep: true } } });
  });

  it('error and timeout say which trigger caused them', async () => {
    expect(await run('kyc', 'ada+kyc-error@example.com')).toEqual({ status: 'error', reason: 'sandbox-kyc failed (sandbox trigger +kyc-error)' });
    expect(await run('kyc', 'ada+kyc-timeout@example.com')).toEqual({ status: 'timeout', reason: 'sandbox-kyc did not answer in time (sandbox trigger +kyc-timeout)' });
  });
});

describe('bureau', () => {
  const fixed = async (tag: string) => {
    const result = await sandboxBureauProvider(bureauRequest(`ada+${tag}@example.com`), NOW);
    if (!('summary' in result)) throw new Error(`no summary: ${result.status}`);
    const { totalMonthlyDebtPayments, ...rest } = result.summary;
    return { status: result.status, ...rest, debtIsZero: totalMonthlyDebtPayments.amount.isZero() };
  };

  it.each([
    ['bureau-prime', { status: 'passed', score: 810, openTradelines: 6, worstDelinquency12m: 0, enquiries6m: 1, debtIsZero: false }],
    ['bureau-delinquent', { status: 'passed', score: 540, openTradelines: 5, worstDelinquency12m: 90, enquiries6m: 4, debtIsZero: false }],
    ['bureau-thin', { status: 'refer', score: null, openTradelines: 1, worstDelinquency12m: 0, enquiries6m: 0, debtIsZero: false }],
    ['bureau-nohit', { status: 'refer', score: null, openTradelines: 0, worstDelinquency12m: 0, enquiries6m: 0, debtIsZero: true }],
    ['bureau-frozen', { status: 'failed', score: null, openTradelines: 0, worstDelinquency12m: 0, enquiries6m: 0, debtIsZero: true }],
  ])('+%s', async (tag, expected) => {
    expect(await fixed(tag)).toEqual(expected);
  });

  // The examples in docs/sandbox-providers.md, pinned: changing the derivation would change every partner's test
  // people, so it must fail here first.
  it.each([
    ['SBX-0001', { score: 488, openTradelines: 3, worstDelinquency12m: 30, enquiries6m: 6, totalMonthlyDebtPayments: '661.00' }],
    ['SBX-0004', { score: 565, openTradelines: 5, worstDelinquency12m: 0, enquiries6m: 3, totalMonthlyDebtPayments: '1154.00' }],
    ['SBX-0005', { score: 814, openTradelines: 8, worstDelinquency12m: 0, enquiries6m: 5, totalMonthlyDebtPayments: '2023.00' }],
    ['SBX-0009', { score: 407, openTradelines: 9, worstDelinquency12m: 30, enquiries6m: 6, totalMonthlyDebtPayments: '2075.00' }],
  ])('without a tag, national ID %s has the documented file', async (nationalId, expected) => {
    const result = await sandboxBureauProvider(bureauRequest('ada@example.com', nationalId), NOW);
    if (result.status !== 'passed') throw new Error(result.status);
    expect({ ...result.summary, totalMonthlyDebtPayments: result.summary.totalMonthlyDebtPayments.amount.toFixed(2) }).toEqual(expected);
  });

  it('the national ID is compared without its formatting', async () => {
    const plain = await sandboxBureauProvider(bureauRequest('ada@example.com', '8501011234'), NOW);
    const formatted = await sandboxBureauProvider(bureauRequest('ada@example.com', '850101-1234'), NOW);
    expect(formatted).toEqual(plain);
  });

  it('different people get different files', async () => {
    const scores = new Set<number | null>();
    for (let i = 0; i < 20; i++) {
      const result = await sandboxBureauProvider(bureauRequest('ada@example.com', `ID-${i}`), NOW);
      if (result.status === 'passed') scores.add(result.summary.score);
    }
    expect(scores.size).toBeGreaterThan(15);
  });
});

describe('income', () => {
  it('+income-mismatch verifies 70 % of declared', async () => {
    const result = await sandboxIncomeProvider(incomeRequest('ada+income-mismatch@example.com', '5000.00'), NOW);
    expect(result.status).toBe('refer');
    if (result.status !== 'refer') return;
    expect(result.summary.verifiedMonthlyIncome.amount.toFixed(2)).toBe('3500.00');
    expect(result.summary.varianceFromDeclaredPercent.toFixed(2)).toBe('-30.00');
  });

  it('+income-fail verifies nothing', async () => {
    const result = await sandboxIncomeProvider(incomeRequest('ada+income-fail@example.com', '5000.00'), NOW);
    expect(result.status).toBe('failed');
    if (result.status !== 'failed') return;
    expect(result.summary.verifiedMonthlyIncome.amount.toFixed(2)).toBe('0.00');
    expect(result.summary.varianceFromDeclaredPercent.toFixed(2)).toBe('-100.00');
  });

  it('without a tag, verifies within 5 % below declared', async () => {
    const result = await sandboxIncomeProvider(incomeRequest('ada@example.com', '5000.00'), NOW);
    expect(result.status).toBe('passed');
    if (result.status !== 'passed') return;
    expect(result.summary.varianceFromDeclaredPercent.gte(-5) && result.summary.varianceFromDeclaredPercent.lte(0)).toBe(true);
    expect(result.summary.verifiedMonthlyIncome.currency).toBe('USD');
  });

  it('says whether it read a bank statement or asked payroll', async () => {
    const statement = await sandboxIncomeProvider(incomeRequest(), NOW);
    const payroll = await sandboxIncomeProvider({ ...incomeRequest(), bankStatementSha256: undefined }, NOW);
    expect(statement).toMatchObject({ raw: { method: 'bank-statement' } });
    expect(payroll).toMatchObject({ raw: { method: 'payroll' } });
  });
});

describe('asynchronous checks', () => {
  it.each([
    ['kyc', 'kyc-sanctions'],
    ['kyc', ''],
    ['bureau', 'bureau-thin'],
    ['bureau', ''],
    ['income', 'income-mismatch'],
    ['income', ''],
  ] as const)('%s +%s-async: pending now, and the callback says what a synchronous check would have', async (check, tag) => {
    const withTag = tag ? `+${tag}` : '';
    const pending = await run(check, `ada${withTag}+${check}-async@example.com`);
    expect(pending.status).toBe('pending');
    if (pending.status !== 'pending') return;
    const callback = sandboxCallback(pending.providerReference, LATER);
    expect(callback).toMatchObject({ check, providerReference: pending.providerReference, reference: 'check-1', completedAt: LATER.toISOString() });
    expect(callback.result).toEqual(await run(check, `ada${withTag}@example.com`, LATER));
  });

  it('+<check>-async with +<check>-error: the callback reports the error', async () => {
    const pending = await run('bureau', 'ada+bureau-async+bureau-error@example.com');
    if (pending.status !== 'pending') throw new Error(pending.status);
    expect(sandboxCallback(pending.providerReference, LATER).result).toEqual({ status: 'error', reason: 'sandbox-bureau failed (sandbox trigger +bureau-error)' });
  });

  it('the provider reference carries our reference, so two checks never share one', async () => {
    const first = await sandboxKycProvider(kycRequest('ada+kyc-async@example.com'), NOW);
    const second = await sandboxKycProvider({ ...kycRequest('ada+kyc-async@example.com'), reference: 'check-2' }, NOW);
    expect(first).not.toEqual(second);
  });

  it('the provider reference does not carry the national ID', async () => {
    const pending = await sandboxBureauProvider(bureauRequest('ada+bureau-async@example.com', '850101-1234'), NOW);
    if (pending.status !== 'pending') throw new Error(pending.status);
    const decoded = Buffer.from(pending.providerReference.slice('sbx1_'.length), 'base64url').toString('utf8');
    expect(decoded).not.toMatch(/1234/);
  });

  it('refuses a reference the sandbox never gave', () => {
    const made = (seed: unknown) => `sbx1_${Buffer.from(JSON.stringify(seed)).toString('base64url')}`;
    const income = { v: 1, check: 'income', reference: 'c', outcome: 'verified', person: 'abc', declared: '100', currency: 'USD', method: 'payroll' };
    expect(sandboxCallback(made(income), LATER).check).toBe('income');
    for (const reference of [
      '',
      'abc',
      'sbx1_!!!',
      made(null),
      made('kyc'),
      made({ ...income, v: 2 }),
      made({ ...income, check: 'astrology' }),
      made({ ...income, outcome: 'thin' }),
      made({ ...income, outcome: 'async' }),
      made({ ...income, outcome: 'timeout' }),
      made({ ...income, currency: 'XYZ' }),
      made({ ...income, declared: '0' }),
      made({ ...income, method: 'astrology' }),
      made({ ...income, reference: '' }),
    ]) {
      expect(() => sandboxCallback(reference, LATER), reference).toThrow(InvalidField);
    }
  });
});

describe('same input, same output', () => {
  it.each(['ada@example.com', ...SANDBOX_TRIGGERS.map((trigger) => `ada+${trigger.tag}@example.com`)])('%s', async (email) => {
    for (const check of ['kyc', 'bureau', 'income'] as const) {
      expect(await run(check, email)).toEqual(await run(check, email));
    }
  });

  it('the callback too', async () => {
    const pending = await run('income', 'ada+income-async@example.com');
    if (pending.status !== 'pending') throw new Error(pending.status);
    expect(sandboxCallback(pending.providerReference, LATER)).toEqual(sandboxCallback(pending.providerReference, LATER));
  });
});

describe('triggers a partner most likely got wrong', () => {
  it('an unknown tag for a known check is refused, by any provider', async () => {
    await invalid('party.email', () => run('kyc', 'ada+bureau-thinn@example.com'));
    await invalid('party.email', () => run('bureau', 'ada+kyc-fial@example.com'));
  });

  it('two outcomes for one check are refused', async () => {
    await invalid('party.email', () => run('kyc', 'ada+kyc-fail+kyc-pep@example.com'));
  });

  it('async with timeout is refused: a callback that never comes is the platform’s own timeout', async () => {
    await invalid('party.email', () => run('income', 'ada+income-async+income-timeout@example.com'));
  });

  it('tags for other checks, ordinary sub-addressing and letter case are fine', async () => {
    expect((await run('kyc', 'ada+newsletter+bureau-thin@example.com')).status).toBe('passed');
    expect((await run('kyc', 'Ada+KYC-Fail@Example.com')).status).toBe('failed');
  });
});

describe('requests no provider could work with', () => {
  it.each([
    ['reference', () => sandboxKycProvider({ ...kycRequest(), reference: ' ' }, NOW)],
    ['party.legalName', () => sandboxKycProvider({ ...kycRequest(), party: { ...kycRequest().party, legalName: '' } }, NOW)],
    ['party.dateOfBirth', () => sandboxKycProvider({ ...kycRequest(), party: { ...kycRequest().party, dateOfBirth: '1985-02-30' } }, NOW)],
    ['party.nationalId', () => sandboxKycProvider(kycRequest('ada@example.com', ' - '), NOW)],
    ['party.email', () => sandboxKycProvider(kycRequest('ada.example.com'), NOW)],
    ['party.address.country', () => sandboxKycProvider({ ...kycRequest(), party: { ...kycRequest().party, address: { ...kycRequest().party.address, country: 'GBR' } } }, NOW)],
    ['currency', () => sandboxBureauProvider({ ...bureauRequest(), currency: 'XYZ' }, NOW)],
    ['declaredMonthlyIncome.amount', () => sandboxIncomeProvider(incomeRequest(undefined, '0'), NOW)],
    ['declaredMonthlyIncome.currency', () => sandboxIncomeProvider({ ...incomeRequest(), declaredMonthlyIncome: { amount: new Decimal(1), currency: 'usd' } }, NOW)],
    ['employer', () => sandboxIncomeProvider({ ...incomeRequest(), employer: '' }, NOW)],
    ['bankStatementSha256', () => sandboxIncomeProvider({ ...incomeRequest(), bankStatementSha256: 'abc' }, NOW)],
  ])('%s', async (field, call) => {
    await invalid(field, call);
  });

  it('a party stored while only the shape of its country was checked (UK) is still assessed', async () => {
    const outcome = await sandboxKycProvider({ ...kycRequest(), party: { ...kycRequest().party, address: { ...kycRequest().party.address, country: 'UK' } } }, NOW);
    expect(outcome).toBeTruthy();
  });
});
