// The application's transition table, whole: every status against every event, allowed moves land where the
// table says, every other pair is a typed IllegalApplicationTransition.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  APPLICATION_EVENTS,
  APPLICATION_STATUSES,
  applicationEventsFrom,
  IllegalApplicationTransition,
  isFinalApplicationStatus,
  nextApplicationStatus,
  type ApplicationStatus,
} from '../../../src/domain/origination/applicationStatus.js';

// Written out in full, independently of APPLICATION_TRANSITIONS, so a change to the table must change this too.
const ALLOWED: Record<string, ApplicationStatus> = {
  'draft submit': 'submitted',
  'draft withdraw': 'withdrawn',
  'draft expire': 'expired',
  'submitted start_checks': 'under_checks',
  'submitted withdraw': 'withdrawn',
  'under_checks checks_complete': 'under_review',
  'under_checks check_failed': 'checks_failed',
  'under_checks request_information': 'information_requested',
  'under_checks withdraw': 'withdrawn',
  'checks_failed retry_checks': 'under_checks',
  'checks_failed withdraw': 'withdrawn',
  'checks_failed expire': 'expired',
  'information_requested submit': 'submitted',
  'information_requested withdraw': 'withdrawn',
  'information_requested expire': 'expired',
  'under_review approve': 'approved',
  'under_review decline': 'declined',
  'under_review refer': 'referred',
  'under_review withdraw': 'withdrawn',
  'referred approve': 'approved',
  'referred decline': 'declined',
  'referred retry_checks': 'under_checks',
  'referred withdraw': 'withdrawn',
  'referred expire': 'expired',
  'approved accept_offer': 'offer_accepted',
  'approved withdraw': 'withdrawn',
  'approved expire': 'expired',
  'offer_accepted sign_agreement': 'agreement_signed',
  'offer_accepted withdraw': 'withdrawn',
  'offer_accepted expire': 'expired',
  'agreement_signed request_disbursement': 'disbursement_requested',
  'agreement_signed withdraw': 'withdrawn',
  'disbursement_requested disburse': 'disbursed',
  'disbursement_requested reject_disbursement': 'agreement_signed',
};

describe('application status transitions', () => {
  const pairs = APPLICATION_STATUSES.flatMap((status) => APPLICATION_EVENTS.map((event) => [status, event] as const));
  it('covers every status and event (15 × 16 = 240 pairs)', () => expect(pairs).toHaveLength(240));

  it.each(pairs)('%s + %s', (status, event) => {
    const expected = ALLOWED[`${status} ${event}`];
    if (expected) {
      expect(nextApplicationStatus(status, event)).toBe(expected);
    } else {
      expect(() => nextApplicationStatus(status, event)).toThrow(IllegalApplicationTransition);
    }
  });

  it('reports what was refused, typed and in words', () => {
    let caught: unknown;
    try {
      nextApplicationStatus('declined', 'disburse');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(IllegalApplicationTransition);
    expect(caught).toMatchObject({ from: 'declined', event: 'disburse' });
    expect((caught as Error).message).toBe('an application that is declined cannot disburse');
    expect(() => nextApplicationStatus('under_checks', 'request_disbursement')).toThrow('an application that is under checks cannot request disbursement');
  });

  it('sends an application missing data back to its submitter, who resubmits it; it is never decided from there', () => {
    expect(nextApplicationStatus('under_checks', 'request_information')).toBe('information_requested');
    expect(applicationEventsFrom('information_requested')).toEqual(['submit', 'withdraw', 'expire']);
    expect(nextApplicationStatus('information_requested', 'submit')).toBe('submitted');
    for (const event of ['approve', 'decline', 'refer', 'retry_checks', 'start_checks'] as const) {
      expect(() => nextApplicationStatus('information_requested', event)).toThrow(IllegalApplicationTransition);
    }
  });

  it('leaves declined, withdrawn, expired and disbursed final, and only those', () => {
    const final = APPLICATION_STATUSES.filter((status) => applicationEventsFrom(status).length === 0);
    expect(final).toEqual(['declined', 'withdrawn', 'expired', 'disbursed']);
    expect(final.every(isFinalApplicationStatus)).toBe(true);
    expect(APPLICATION_STATUSES.filter(isFinalApplicationStatus)).toEqual(final);
  });

  it('reaches disbursed only through a disbursement request, and every status is reachable from draft', () => {
    const reached = new Set<ApplicationStatus>(['draft']);
    const queue: ApplicationStatus[] = ['draft'];
    while (queue.length > 0) {
      const status = queue.shift()!;
      for (const event of applicationEventsFrom(status)) {
        const to = nextApplicationStatus(status, event);
        if (to === 'disbursed') expect(status).toBe('disbursement_requested');
        if (!reached.has(to)) {
          reached.add(to);
          queue.push(to);
        }
      }
    }
    expect([...reached].sort()).toEqual([...APPLICATION_STATUSES].sort());
  });
});

describe('docs/origination-rules.md', () => {
  it('shows the table the code has', () => {
    const doc = readFileSync(new URL('../../../docs/origination-rules.md', import.meta.url), 'utf8');
    const rows = ['| From | Event | To |', '| --- | --- | --- |'];
    for (const status of APPLICATION_STATUSES) {
      for (const event of applicationEventsFrom(status)) rows.push(`| ${status} | ${event} | ${nextApplicationStatus(status, event)} |`);
    }
    const generated = /<!-- generated from APPLICATION_TRANSITIONS: do not edit by hand -->\n([\s\S]*?)\n<!-- end of generated table -->/.exec(doc);
    expect(generated?.[1]).toBe(rows.join('\n'));
  });
});
