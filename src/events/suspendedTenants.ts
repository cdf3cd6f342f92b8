// Background jobs that meet a suspended tenant (a move freezes it so) neither write to it nor give up on it: the
// job is queued again, later each time, for about two days, then left to what wakes the work again (the next
// event, an operator), with a warning naming it.

/** How many times a job is put off before it is dropped. */
export const MAX_POSTPONEMENTS = 48;

/**
 * When the n-th postponement (1-based) runs again: a minute, doubling to at most an hour; null past the last.
 * The times add up to about two days.
 */
export function postponedUntil(now: Date, postponements: number): Date | null {
  if (postponements > MAX_POSTPONEMENTS) return null;
  const seconds = Math.min(60 * 2 ** (postponements - 1), 3_600);
  return new Date(now.getTime() + seconds * 1000);
}

/**
 * Puts off a job that met a suspended tenant: queued again (`requeue`) with one postponement more, or, past the
 * last, left with a warning (`dropped`) naming what waits for the next wake-up.
 */
export async function postpone<T extends { postponed?: number | undefined }>(
  data: T, now: Date, requeue: (next: T, at: Date) => Promise<unknown>, dropped: () => void,
): Promise<void> {
  const postponed = (data.postponed ?? 0) + 1;
  const until = postponedUntil(now, postponed);
  if (until) await requeue({ ...data, postponed }, until);
  else dropped();
}
