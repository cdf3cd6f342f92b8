// Conventions of the source that no type checks, each of which cost the product measurably once (docs/decisions.md).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsedSource, placeOf, projectRoot, sourceFiles, walk } from './support/sourceTree.js';

/** `file:line` of each getter or setter written in an object literal. */
function literalAccessors(file: string): string[] {
  const { text, program } = parsedSource(file);
  const found: string[] = [];
  walk(program, (node) => {
    if (node.type === 'Property' && (node['kind'] === 'get' || node['kind'] === 'set')) found.push(placeOf(file, text, node));
  });
  return found;
}

describe('the source', () => {
  it('has no getter or setter in an object literal: each such literal gets a hidden class of its own, which keeps what its closure reaches alive until a full collection', () => {
    const files = sourceFiles(path.join(projectRoot, 'src'));
    // Not vacuous: the source is read, and a class's getters (src/graph/context.ts has some) are not taken for a literal's.
    expect(files.length).toBeGreaterThan(200);
    expect(parsedSource(path.join(projectRoot, 'src/graph/context.ts')).text).toMatch(/\n {2}get db\(\)/);
    expect(files.flatMap(literalAccessors)).toEqual([]);
  });

  it('reads a one-row table (a Boolean id) with findFirst, never findUnique: Prisma joins findUnique calls made at the same moment into one query with `id IN (…)`, which a Boolean id cannot take (INTERNAL for every caller)', () => {
    const schema = readFileSync(path.join(projectRoot, 'prisma/schema.prisma'), 'utf8');
    const oneRow = [...schema.matchAll(/^model (\w+) \{[^}]*?^\s+id\s+Boolean\s+@id/gms)].map(([, model]) => model![0]!.toLowerCase() + model!.slice(1));
    // Not vacuous: the lender's settings tables are among them.
    expect(oneRow).toEqual(expect.arrayContaining(['delinquencyPolicy', 'debitSettings', 'reminderSettings', 'coLendingRules']));
    const byUniqueKey = new RegExp(`\\.(${oneRow.join('|')})\\.findUnique(OrThrow)?\\(`);
    const found = sourceFiles(path.join(projectRoot, 'src')).flatMap((file) => readFileSync(file, 'utf8').split('\n')
      .flatMap((line, i) => (byUniqueKey.test(line) ? [`${path.relative(projectRoot, file)}:${i + 1}`] : [])));
    expect(found).toEqual([]);
  });

  it('finds such a getter where one is written', () => {
    expect(literalAccessors(path.join(projectRoot, 'test/support/literalAccessorProbe.txt'))).toEqual(['test/support/literalAccessorProbe.txt:3']);
  });
});
