// What the delivery log says of an attempt: an outcome when one was recorded, otherwise in flight or interrupted.
import { describe, expect, it } from 'vitest';
import { attemptOutcome } from '../../src/events/webhooks/attemptOutcome.js';

describe('a webhook attempt\'s outcome', () => {
  it('is the recorded one when there is one, whatever the delivery did since', () => {
    expect(attemptOutcome({ attempt: 1, durationMs: 12, error: null }, { attempts: 1, status: 'succeeded' })).toBe('succeeded');
    expect(attemptOutcome({ attempt: 1, durationMs: 12, error: 'answered 503' }, { attempts: 2, status: 'retrying' })).toBe('failed');
  });

  it('without one: in flight while it is the latest of a delivery still being attempted, interrupted once a later one started or the delivery ended', () => {
    expect(attemptOutcome({ attempt: 2, durationMs: null, error: null }, { attempts: 2, status: 'retrying' })).toBe('inFlight');
    expect(attemptOutcome({ attempt: 1, durationMs: null, error: null }, { attempts: 1, status: 'pending' })).toBe('inFlight');
    expect(attemptOutcome({ attempt: 1, durationMs: null, error: null }, { attempts: 2, status: 'retrying' })).toBe('interrupted');
    expect(attemptOutcome({ attempt: 1, durationMs: null, error: null }, { attempts: 2, status: 'succeeded' })).toBe('interrupted');
    expect(attemptOutcome({ attempt: 3, durationMs: null, error: null }, { attempts: 3, status: 'dead' })).toBe('interrupted');
  });
});
