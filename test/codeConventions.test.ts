// Conventions of the source that no type checks, each of which cost the product measurably once (docs/decisions.md).
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

  it('finds such a getter where one is written', () => {
    expect(literalAccessors(path.join(projectRoot, 'test/support/literalAccessorProbe.txt'))).toEqual(['test/support/literalAccessorProbe.txt:3']);
  });
});
