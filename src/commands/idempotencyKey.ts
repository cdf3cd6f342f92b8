// The one rule for idempotency keys, wherever one arrives (the IdempotencyKey scalar of every mutation, the
// document upload's Idempotency-Key header, direct callers of runCommand): 8–200 characters, each printable
// ASCII from `!` to `~` — no spaces, no control characters, nothing outside ASCII — so a key is never empty or
// blank, survives every transport unchanged, and is long enough to be unique to the client that made it.
import { AppError } from '../errors.js';

export const IDEMPOTENCY_KEY_MIN = 8;
export const IDEMPOTENCY_KEY_MAX = 200;
const SHAPE = /^[\x21-\x7e]+$/;

export const IDEMPOTENCY_KEY_RULE = `${IDEMPOTENCY_KEY_MIN}–${IDEMPOTENCY_KEY_MAX} printable ASCII characters without spaces`;

/** The key unchanged, or BAD_USER_INPUT naming `field`. */
export function checkIdempotencyKey(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new AppError('BAD_USER_INPUT', `an idempotency key must be a string of ${IDEMPOTENCY_KEY_RULE}`, { field });
  if (value.length < IDEMPOTENCY_KEY_MIN || value.length > IDEMPOTENCY_KEY_MAX || !SHAPE.test(value)) {
    throw new AppError('BAD_USER_INPUT', `an idempotency key must be ${IDEMPOTENCY_KEY_RULE}`, { field });
  }
  return value;
}
