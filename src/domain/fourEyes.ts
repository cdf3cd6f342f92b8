// Four eyes: whoever made a request (drafted a policy, asked for a waiver, recommended an approval, requested a
// disbursement) never also checks it, whatever roles they hold. One rule for every maker-checker action.
import { InvalidField } from '../errors.js';

/** The person who made a request approved it: refused whatever their roles. */
export class MakerIsChecker extends Error {
  constructor(readonly person: string) {
    super('the maker of a request cannot also be its checker');
    this.name = 'MakerIsChecker';
  }
}

/**
 * Throws MakerIsChecker when the checker is one of the makers (a request may have several: whoever drafted it and
 * whoever asked for its approval); ids are principal ids as the token names them. Makers not recorded are skipped.
 */
export function assertMakerIsNotChecker(makers: string | readonly (string | null | undefined)[], checker: string): void {
  const named = (typeof makers === 'string' ? [makers] : makers).filter((maker): maker is string => maker !== null && maker !== undefined);
  if (named.length === 0 || named.some((maker) => typeof maker !== 'string' || maker.trim() === '')) throw new InvalidField('maker', 'the maker is identified');
  if (typeof checker !== 'string' || checker.trim() === '') throw new InvalidField('checker', 'the checker is identified');
  // Ids are compared as identities, not as text a person typed: surrounding space never makes two people.
  const maker = named.find((one) => one.trim() === checker.trim());
  if (maker !== undefined) throw new MakerIsChecker(maker.trim());
}
