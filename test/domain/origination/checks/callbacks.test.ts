// Signed provider callbacks: a round trip verifies; a changed body, timestamp or secret does not; old and future
// timestamps are stale; malformed headers say so. And a callback body reads back as what was sent.
import { describe, expect, it } from 'vitest';
import { InvalidField } from '../../../../src/errors.js';
import { callbackBody, readCallback, signCallback, verifyCallback } from '../../../../src/domain/origination/checks/callbacks.js';
import type { CheckedParty } from '../../../../src/domain/origination/checks/providers.js';
import { sandboxBureauProvider, sandboxCallback, sandboxIncomeProvider, sandboxKycProvider } from '../../../../src/domain/origination/checks/sandbox.js';
import { money } from '../../../../src/domain/money.js';

const SECRET = 'cbsec_sandbox-bureau-test';
const NOW = new Date('2026-12-01T10:00:00.000Z');
const seconds = (n: number) => new Date(NOW.getTime() + n * 1000);
const BODY = '{"check":"kyc","providerReference":"sbx1_x"}';

describe('signing and verifying', () => {
  it('round trip', () => {
    const header = signCallback(SECRET, BODY, NOW);
    expect(header).toMatch(/^t=1796119200,v1=[0-9a-f]{64}$/);
    expect(verifyCallback(SECRET, header, BODY, NOW, 300)).toEqual({ ok: true });
  });

  it('the signature is the documented HMAC, so a provider can compute it in a few lines', async () => {
    const { createHmac } = await import('node:crypto');
    const expected = createHmac('sha256', SECRET).update(`1796119200.${BODY}`).digest('hex');
    expect(signCallback(SECRET, BODY, NOW)).toBe(`t=1796119200,v1=${expected}`);
  });

  it('a changed body is a bad signature', () => {
    const header = signCallback(SECRET, BODY, NOW);
    expect(verifyCallback(SECRET, header, BODY.replace('kyc', 'bureau'), NOW, 300)).toEqual({ ok: false, reason: 'bad-signature' });
    expect(verifyCallback(SECRET, header, `${BODY} `, NOW, 300)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('a changed timestamp is a bad signature', () => {
    const header = signCallback(SECRET, BODY, NOW).replace('t=1796119200', 't=1796119201');
    expect(verifyCallback(SECRET, header, BODY, NOW, 300)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('another provider’s secret is a bad signature', () => {
    const header = signCallback('cbsec_sandbox-kyc-test', BODY, NOW);
    expect(verifyCallback(SECRET, header, BODY, NOW, 300)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it('stale beyond the tolerance, either way; fine up to it', () => {
    const header = signCallback(SECRET, BODY, NOW);
    expect(verifyCallback(SECRET, header, BODY, seconds(300), 300)).toEqual({ ok: true });
    expect(verifyCallback(SECRET, header, BODY, seconds(-300), 300)).toEqual({ ok: true });
    expect(verifyCallback(SECRET, header, BODY, seconds(301), 300)).toEqual({ ok: false, reason: 'stale' });
    expect(verifyCallback(SECRET, header, BODY, seconds(-301), 300)).toEqual({ ok: false, reason: 'stale' });
    expect(verifyCallback(SECRET, header, BODY, seconds(1), 0)).toEqual({ ok: false, reason: 'stale' });
  });

  it('the tolerance defaults to five minutes', () => {
    const header = signCallback(SECRET, BODY, NOW);
    expect(verifyCallback(SECRET, header, BODY, seconds(300))).toEqual({ ok: true });
    expect(verifyCallback(SECRET, header, BODY, seconds(301))).toEqual({ ok: false, reason: 'stale' });
  });

  it('a provider rotating its secret may sign with both', () => {
    const old = signCallback('cbsec_old', BODY, NOW);
    const current = signCallback(SECRET, BODY, NOW);
    const both = `${old},${current.split(',')[1]}`;
    expect(verifyCallback(SECRET, both, BODY, NOW, 300)).toEqual({ ok: true });
    expect(verifyCallback('cbsec_old', both, BODY, NOW, 300)).toEqual({ ok: true });
    expect(verifyCallback('cbsec_other', both, BODY, NOW, 300)).toEqual({ ok: false, reason: 'bad-signature' });
  });

  it.each([
    [''],
    ['garbage'],
    ['t=1796119200'],
    [`v1=${'a'.repeat(64)}`],
    [`t=abc,v1=${'a'.repeat(64)}`],
    [`t=-1796119200,v1=${'a'.repeat(64)}`],
    [`t=1796119200.5,v1=${'a'.repeat(64)}`],
    [`t=1796119200,v1=${'a'.repeat(63)}`],
    [`t=1796119200,v1=${'g'.repeat(64)}`],
    [`t=1796119200,t=1796119200,v1=${'a'.repeat(64)}`],
    [`t=1796119200;v1=${'a'.repeat(64)}`],
  ])('%j is a bad format', (header) => {
    expect(verifyCallback(SECRET, header, BODY, NOW, 300)).toEqual({ ok: false, reason: 'bad-format' });
  });

  it('unknown keys are ignored, for schemes to come', () => {
    const header = `${signCallback(SECRET, BODY, NOW)},v2=whatever`;
    expect(verifyCallback(SECRET, header, BODY, NOW, 300)).toEqual({ ok: true });
  });

  it('refuses an empty secret and a negative tolerance rather than answer', () => {
    expect(() => signCallback('', BODY, NOW)).toThrow(InvalidField);
    expect(() => verifyCallback('', 't=1,v1=00', BODY, NOW, 300)).toThrow(InvalidField);
    expect(() => verifyCallback(SECRET, signCallback(SECRET, BODY, NOW), BODY, NOW, -1)).toThrow(InvalidField);
  });
});

describe('callback bodies', () => {
  const party = (email: string): CheckedParty => ({
    legalName: 'Ada Lovelace',
    dateOfBirth: '1985-01-01',
    nationalId: '850101-1234',
    phone: '+44 20 7946 0000',
    email,
    address: { lines: ['12 St James’s Square'], city: 'London', postalCode: 'SW1Y 4JH', country: 'GB' },
  });
  const pendings = async () => [
    await sandboxKycProvider({ reference: 'k', party: party('ada+kyc-async+kyc-pep@example.com') }, NOW),
    await sandboxBureauProvider({ reference: 'b', party: party('ada+bureau-async@example.com'), currency: 'USD' }, NOW),
    await sandboxIncomeProvider(
      { reference: 'i', party: party('ada+income-async+income-mismatch@example.com'), declaredMonthlyIncome: money('4321.09', 'USD'), employer: 'AE Ltd' },
      NOW,
    ),
    await sandboxBureauProvider({ reference: 'e', party: party('ada+bureau-async+bureau-error@example.com'), currency: 'USD' }, NOW),
  ];

  it('sent, signed, verified and read back: the same callback', async () => {
    for (const pending of await pendings()) {
      if (pending.status !== 'pending') throw new Error(pending.status);
      const sent = sandboxCallback(pending.providerReference, seconds(60));
      const body = callbackBody(sent);
      const header = signCallback(SECRET, body, seconds(60));
      expect(verifyCallback(SECRET, header, body, seconds(61), 300)).toEqual({ ok: true });
      expect(readCallback(body)).toEqual(sent);
    }
  });

  it('names the field that is wrong', async () => {
    const [, bureau] = await pendings();
    if (bureau?.status !== 'pending') throw new Error('not pending');
    const body = JSON.parse(callbackBody(sandboxCallback(bureau.providerReference, NOW)));
    const broken = (change: (value: any) => void) => {
      const copy = structuredClone(body);
      change(copy);
      return JSON.stringify(copy);
    };
    const fieldOf = (text: string) => {
      try {
        readCallback(text);
      } catch (error) {
        if (error instanceof InvalidField) return error.field;
        throw error;
      }
      return 'accepted';
    };
    expect(fieldOf('not json')).toBe('body');
    expect(fieldOf(broken((b) => (b.check = 'astrology')))).toBe('check');
    expect(fieldOf(broken((b) => (b.completedAt = 'yesterday')))).toBe('completedAt');
    expect(fieldOf(broken((b) => (b.result.summary.score = 900)))).toBe('result.summary.score');
    expect(fieldOf(broken((b) => (b.result.summary.totalMonthlyDebtPayments.amount = 12.5)))).toBe('result.summary.totalMonthlyDebtPayments.amount');
    expect(fieldOf(broken(() => undefined))).toBe('accepted');
  });
});
