// Ids for the rows a posting writes by the hundred thousand (transactions, journals, events): UUID version 7 (RFC
// 9562), whose first 48 bits are the milliseconds since 1970, so a command's new rows land side by side at the end
// of each primary-key and id index instead of at random pages all over it. A payment file of 100,000 moved its
// events into the outbox about a tenth faster with them. The rest of the id is random (74 bits, from randomUUID):
// fewer than a version 4's 122, and none of these ids is a secret (who may read a row is the authorization's
// business, not the id's). The time it tells is the row's own entry time, which the row shows anyway.
//
// Written here rather than taken from the `uuid` package: its v7 costs about 1.5 µs an id, fifteen times
// randomUUID, and a file of 100,000 payments makes 300,000 ids. Within one millisecond the ids are not ordered
// among themselves (nothing needs them to be: rows are ordered by their own sequence numbers).
import { randomUUID } from 'node:crypto';

/** The largest time 48 bits hold: the year 10889. */
const LAST_MILLISECOND = 2 ** 48 - 1;

let lastMillis = Number.NaN;
let prefix = '';

/** A new UUID of version 7 made at `millis`, whole milliseconds since 1970 (the clock's, by default). */
export function timeOrderedId(millis: number = Date.now()): string {
  if (millis !== lastMillis) {
    if (!Number.isSafeInteger(millis) || millis < 0 || millis > LAST_MILLISECOND) throw new RangeError(`a version 7 id holds whole milliseconds from 0 to 2^48 - 1, not ${millis}`);
    lastMillis = millis;
    const hex = millis.toString(16).padStart(12, '0');
    prefix = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-7`;
  }
  // randomUUID's "xxxxxxxx-xxxx-4" gives way to the time and the version; its random bits and variant stay.
  return prefix + randomUUID().slice(15);
}
