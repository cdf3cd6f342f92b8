// The hot path writes its values into the statement as literals (runCommand.ts, `literal`); they must be exactly
// what the driver's own escaping makes of them, for any text at all.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import pg from 'pg';
import { literal } from '../../src/commands/runCommand.js';

const driver = new pg.Client();

describe('a value written as a literal', () => {
  it('is escaped exactly as the driver escapes it', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => {
      expect(literal(text)).toBe(driver.escapeLiteral(text));
    }), { numRuns: 2000 });
    fc.assert(fc.property(fc.array(fc.constantFrom("'", '\\', 'a', '"', '\n', 'é')).map((cs) => cs.join('')), (text) => {
      expect(literal(text)).toBe(driver.escapeLiteral(text));
    }), { numRuns: 2000 });
  });
});
