// Four eyes: the one maker-checker rule every maker-checker action uses (waivers, recommendations,
// disbursements, credit policy activations).
import { describe, expect, it } from 'vitest';
import { assertMakerIsNotChecker, MakerIsChecker } from '../../src/domain/fourEyes.js';

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
