// What the delivery log says of one attempt. An attempt is logged as its request leaves and its outcome once the
// answer (or its absence) is known. One without an outcome is in flight while it is its delivery's latest and the
// delivery is still being attempted; otherwise its sender died mid-request (a crash, a kill): interrupted, and
// whether the receiver got it is unknown.

export type AttemptOutcome = 'succeeded' | 'failed' | 'inFlight' | 'interrupted';

export function attemptOutcome(
  attempt: { attempt: number; durationMs: number | null; error: string | null },
  delivery: { attempts: number; status: string },
): AttemptOutcome {
  if (attempt.durationMs !== null) return attempt.error === null ? 'succeeded' : 'failed';
  const stillTried = delivery.status === 'pending' || delivery.status === 'retrying';
  return stillTried && attempt.attempt === delivery.attempts ? 'inFlight' : 'interrupted';
}
