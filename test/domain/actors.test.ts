// Who did something, as a reader is shown it: staff see every actor as recorded; a partner sees itself and the
// platform as recorded, and anyone of the lender's staff as `lender`.
import { describe, expect, it } from 'vitest';
import { actorShownTo, isSystemActor, LENDER_ACTOR, providerActor, SYSTEM_ACTORS, type ActorReader } from '../../src/domain/actors.js';

const staff: ActorReader = { partner: null };
const partner: ActorReader = { partner: 'fintech', subject: 'dev-partner:acme:fintech' };
const partnerAsAWhole: ActorReader = { partner: 'fintech', subject: null };
// What the lender's staff are recorded as: a Keycloak user id, a development subject, an e-mail address, an operator.
const people = ['5f0c3a52-3f2b-4b0e-9b8e-2d7c1f6f4a10', 'dev-user:underwriter@acme', 'dev-staff:2b1d', 'ursula.underwriter@acme.example', 'operator:ursula'];

describe('an actor as its reader is shown it', () => {
  it('shows the lender\'s staff everything as recorded', () => {
    for (const actor of [...people, 'dev-partner:acme:fintech', SYSTEM_ACTORS.policy, providerActor('sandbox')]) expect(actorShownTo(actor, staff)).toBe(actor);
  });

  it('shows a partner anyone of the lender\'s staff as the lender, never the person', () => {
    expect(LENDER_ACTOR).toBe('lender');
    for (const actor of people) {
      expect(actorShownTo(actor, partner)).toBe('lender');
      expect(actorShownTo(actor, partnerAsAWhole)).toBe('lender');
    }
  });

  it('shows a partner its own actions as its own, and another client\'s as the lender\'s', () => {
    expect(actorShownTo('dev-partner:acme:fintech', partner)).toBe('dev-partner:acme:fintech');
    expect(actorShownTo('dev-partner:acme:rival', partner)).toBe('lender');
    expect(actorShownTo('dev-partner:acme:fintech', partnerAsAWhole)).toBe('lender');
  });

  it('shows a partner the platform by its names, every one of them', () => {
    for (const actor of [...Object.values(SYSTEM_ACTORS), providerActor('sandbox'), providerActor('http-adapter')]) {
      expect(isSystemActor(actor)).toBe(true);
      expect(actorShownTo(actor, partner)).toBe(actor);
    }
    // Only the names themselves: a person whose name merely contains one is still a person.
    for (const actor of ['policy-officer@acme.example', 'end-of-day-ops', 'system:someone', 'operator:end-of-day']) {
      expect(isSystemActor(actor)).toBe(false);
      expect(actorShownTo(actor, partner)).toBe('lender');
    }
  });
});
