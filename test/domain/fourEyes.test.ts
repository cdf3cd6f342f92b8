// Four eyes: the one maker-checker rule every maker-checker action uses (waivers, recommendations,
// disbursements, credit policy activations).
import { describe, expect, it } from 'vitest';
import { assertMakerIsNotChecker, MakerIsChecker } from '../../src/domain/fourEyes.js';
import { FOUR_EYES, refuseMakerAsChecker, type FourEyesRequest } from '../../src/commands/pendingRequests.js';
import { AppError } from '../../src/errors.js';

describe('maker and checker', () => {
  it('lets a different person check', () => expect(() => assertMakerIsNotChecker('user-1', 'user-2')).not.toThrow());

  it('refuses the maker as checker, typed', () => {
    expect(() => assertMakerIsNotChecker('user-1', 'user-1')).toThrow(MakerIsChecker);
    expect(() => assertMakerIsNotChecker('user-1', ' user-1 ')).toThrow(MakerIsChecker);
    expect(() => assertMakerIsNotChecker('user-1', 'user-1')).toThrow('the maker of a request cannot also be its checker');
  });

  it('needs both identified', () => {
    expect(() => assertMakerIsNotChecker('', 'user-2')).toThrow(expect.objectContaining({ field: 'maker' }) as unknown as Error);
    expect(() => assertMakerIsNotChecker('user-1', '  ')).toThrow(expect.objectContaining({ field: 'checker' }) as unknown as Error);
  });

  it('refuses any of several makers (who drafted it and who asked for its approval), skipping makers not recorded', () => {
    expect(() => assertMakerIsNotChecker(['drafter', 'requester'], 'requester')).toThrow(MakerIsChecker);
    expect(() => assertMakerIsNotChecker(['drafter', null], 'drafter')).toThrow(MakerIsChecker);
    expect(() => assertMakerIsNotChecker(['drafter', null], 'checker')).not.toThrow();
    expect(() => assertMakerIsNotChecker([null, undefined], 'checker')).toThrow(expect.objectContaining({ field: 'maker' }) as unknown as Error);
  });
});

describe('what the maker is told', () => {
  const told = (request: FourEyesRequest) => {
    try {
      refuseMakerAsChecker('user-1', 'user-1', request);
    } catch (error) {
      return error as AppError;
    }
    throw new Error('not refused');
  };

  it('one sentence for every kind of request: who made it cannot also decide it, and someone else must', () => {
    expect(told('disbursement')).toMatchObject({ code: 'FORBIDDEN', message: 'whoever requested a disbursement cannot also approve it: someone else must', details: { reason: 'MAKER_IS_CHECKER', field: 'input.requestId' } });
    for (const request of Object.keys(FOUR_EYES) as FourEyesRequest[]) {
      const { message } = told(request);
      expect(message, request).toMatch(/^whoever [^:]+ cannot also (approve|decide) (it|them): someone else must$/);
      // Said once: neither the rule in general nor a second clause saying the same again.
      expect(message, request).not.toMatch(/maker|checker|different person/);
    }
  });
});
