// How an asynchronous check provider proves a callback came from it: the same scheme as our own webhooks
// (src/events/webhooks/signature.ts), `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`, under a secret
// we share with that provider alone. The timestamp is signed with the body, so a captured callback cannot be
// replayed outside the tolerance, and a result cannot be moved onto another check without breaking the signature.
// Real providers bring their own header names and schemes; their adapters verify those and hand over the same
// CheckCallback.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { InvalidField } from '../../../errors.js';
import { Decimal, isCurrency, minorUnits, type Money } from '../../money.js';
import type { BureauSummary, CheckCallback, CompletedCheck, IncomeSummary, JsonValue, KycReason, KycSummary } from './providers.js';

export const CALLBACK_SIGNATURE_HEADER = 'provider-signature';

export type CallbackVerification =
  | { ok: true }
  /** bad-format: not `t=<digits>,v1=<64 hex>`; stale: `t` is outside the tolerance either way; bad-signature: no v1 matches. */
  | { ok: false; reason: 'bad-format' | 'stale' | 'bad-signature' };

function digest(secret: string, timestamp: number, body: string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest();
}

function requireSecret(secret: string): void {
  // An empty HMAC key still produces signatures, which anyone can forge: refuse it rather than accept everything.
  if (!secret) throw new InvalidField('secret', 'the provider callback secret is not set');
}

/** The signature header for `body` as sent at `now`. */
export function signCallback(secret: string, body: string, now: Date): string {
  requireSecret(secret);
  const timestamp = Math.floor(now.getTime() / 1000);
  return `t=${timestamp},v1=${digest(secret, timestamp, body).toString('hex')}`;
}

/**
 * Whether `header` signs this exact `body` under `secret`, made within `toleranceSeconds` of `now`. Several v1
 * values are allowed (a provider rotating its secret signs with both); unknown keys are ignored for the same reason.
 */
export function verifyCallback(secret: string, header: string, body: string, now: Date, toleranceSeconds = 300): CallbackVerification {
  requireSecret(secret);
  if (!Number.isInteger(toleranceSeconds) || toleranceSeconds < 0) throw new InvalidField('toleranceSeconds', 'tolerance must be a whole number of seconds, 0 or more');
  let timestamp: number | undefined;
  const given: Buffer[] = [];
  for (const part of header.split(',')) {
    const at = part.indexOf('=');
    if (at < 0) return { ok: false, reason: 'bad-format' };
    const key = part.slice(0, at).trim();
    const value = part.slice(at + 1).trim();
    if (key === 't') {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value)) return { ok: false, reason: 'bad-format' };
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/i.test(value)) return { ok: false, reason: 'bad-format' };
      given.push(Buffer.from(value, 'hex'));
    }
  }
  if (timestamp === undefined || given.length === 0) return { ok: false, reason: 'bad-format' };
  if (Math.abs(now.getTime() / 1000 - timestamp) > toleranceSeconds) return { ok: false, reason: 'stale' };
  const expected = digest(secret, timestamp, body);
  // Compare against every candidate, not stopping at the first match, so timing says nothing about which matched.
  let matched = false;
  for (const candidate of given) matched = timingSafeEqual(candidate, expected) || matched;
  return matched ? { ok: true } : { ok: false, reason: 'bad-signature' };
}

/** The callback as the JSON body a provider sends: amounts and percentages as decimal strings. */
export function callbackBody(callback: CheckCallback): string {
  return JSON.stringify({
    check: callback.check,
    providerReference: callback.providerReference,
    reference: callback.reference,
    completedAt: callback.completedAt,
    result: callback.result.status === 'error' ? { status: 'error', reason: callback.result.reason } : { status: callback.result.status, summary: wireSummary(callback), raw: callback.result.raw },
  });
}

function wireSummary(callback: CheckCallback): JsonValue {
  // At least the currency's minor units ("71.00", as providers write it), and never fewer places than it has.
  const wireMoney = (value: Money) => ({ amount: value.amount.toFixed(Math.max(minorUnits(value.currency), value.amount.decimalPlaces())), currency: value.currency });
  if (callback.result.status === 'error') return null;
  switch (callback.check) {
    case 'kyc': {
      const { summary } = callback.result as CompletedCheck<KycSummary>;
      return { ...summary };
    }
    case 'bureau': {
      const { summary } = callback.result as CompletedCheck<BureauSummary>;
      return { ...summary, totalMonthlyDebtPayments: wireMoney(summary.totalMonthlyDebtPayments) };
    }
    case 'income': {
      const { summary } = callback.result as CompletedCheck<IncomeSummary>;
      return { verifiedMonthlyIncome: wireMoney(summary.verifiedMonthlyIncome), varianceFromDeclaredPercent: summary.varianceFromDeclaredPercent.toFixed() };
    }
  }
}

const decimalText = z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a decimal number');
const wireMoney = z
  .object({ amount: decimalText, currency: z.string().refine(isCurrency, 'must be an ISO 4217 code') })
  .transform((value): Money => ({ amount: new Decimal(value.amount), currency: value.currency }));
const count = z.number().int().min(0);
const KYC_REASONS = [
  'NAME_MISMATCH',
  'DATE_OF_BIRTH_MISMATCH',
  'ADDRESS_NOT_VERIFIED',
  'ID_NOT_FOUND',
  'SANCTIONS_LIST_MATCH',
  'POLITICALLY_EXPOSED_PERSON',
] as const satisfies readonly KycReason[];

const answered = <Summary extends z.ZodType>(summary: Summary) =>
  z.discriminatedUnion('status', [
    z.object({ status: z.enum(['passed', 'failed', 'refer']), summary, raw: z.json() }),
    z.object({ status: z.literal('error'), reason: z.string().min(1) }),
  ]);
const envelope = {
  providerReference: z.string().min(1),
  reference: z.string().min(1),
  completedAt: z.iso.datetime({ offset: true }),
};
const callbackSchema = z.discriminatedUnion('check', [
  z.object({
    check: z.literal('kyc'),
    ...envelope,
    result: answered(z.object({ matchLevel: z.enum(['full', 'partial', 'none']), sanctionsHit: z.boolean(), pepHit: z.boolean(), reasons: z.array(z.enum(KYC_REASONS)) })),
  }),
  z.object({
    check: z.literal('bureau'),
    ...envelope,
    result: answered(
      z.object({
        score: z.number().int().min(300).max(850).nullable(),
        openTradelines: count,
        worstDelinquency12m: count,
        enquiries6m: count,
        totalMonthlyDebtPayments: wireMoney,
      }),
    ),
  }),
  z.object({
    check: z.literal('income'),
    ...envelope,
    result: answered(z.object({ verifiedMonthlyIncome: wireMoney, varianceFromDeclaredPercent: decimalText.transform((text) => new Decimal(text)) })),
  }),
]);

/** A verified callback body read back into a CheckCallback; throws InvalidField naming the first field that is wrong. */
export function readCallback(body: string): CheckCallback {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new InvalidField('body', 'the callback body is not JSON');
  }
  const result = callbackSchema.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new InvalidField(issue.path.join('.') || 'body', issue.message);
  }
  return result.data as CheckCallback;
}
