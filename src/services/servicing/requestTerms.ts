// What every loan request a checker decides must say (write-offs, restructures, waivers). Its own module: the
// loan commands (waivers) and the requests that post through them both need it, and neither may import the other.
import { InvalidField } from '../../errors.js';
import { assertNotAfterBusinessDate } from '../../domain/businessDate.js';

/** A value date not after the business date, and a reason (trimmed, 3–1000 characters); returns the reason. */
export function checkedRequest(ask: { valueDate: string; reason: string }, businessDate: string): string {
  assertNotAfterBusinessDate(ask.valueDate, businessDate, 'valueDate');
  const reason = ask.reason.trim();
  if (reason.length < 3 || reason.length > 1000) throw new InvalidField('reason', 'reason must be 3–1000 characters');
  return reason;
}
