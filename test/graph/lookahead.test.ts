// A list resolver's look ahead at what its items will ask for (src/graph/lookahead.ts): through aliases, inline
// fragments and named ones, and safe against a document whose fragments spread each other.
import { Kind, parse, type FragmentDefinitionNode, type OperationDefinitionNode, type FieldNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { asksFor } from '../../src/graph/lookahead.js';

/** The info a resolver of the document's first top-level field is given. */
function infoOf(document: string) {
  const parsed = parse(document);
  const operation = parsed.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = Object.fromEntries(parsed.definitions
    .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
    .map((d) => [d.name.value, d]));
  return { fieldNodes: [operation.selectionSet.selections[0] as FieldNode], fragments };
}

const PRODUCT = ['edges', 'node', 'product'] as const;

describe('asking ahead', () => {
  it('finds a path asked directly or under an alias, and not one that is not asked', () => {
    expect(asksFor(infoOf('{ loans { edges { node { id product { code } } } } }'), PRODUCT)).toBe(true);
    expect(asksFor(infoOf('{ loans { edges { node { id p: product { code } } } } }'), PRODUCT)).toBe(true);
    expect(asksFor(infoOf('{ loans { edges { node { id number } } } }'), PRODUCT)).toBe(false);
    expect(asksFor(infoOf('{ loans { edges { cursor } pageInfo { hasNextPage } } }'), PRODUCT)).toBe(false);
    // The name must sit at its place in the path, not anywhere below.
    expect(asksFor(infoOf('{ loans { edges { node { borrower { product: id } } } } }'), PRODUCT)).toBe(false);
  });

  it('finds it through inline fragments and named ones, at any level', () => {
    expect(asksFor(infoOf('{ loans { edges { node { ... on Loan { product { code } } } } } }'), PRODUCT)).toBe(true);
    expect(asksFor(infoOf('{ loans { ...Page } } fragment Page on LoanConnection { edges { ...Edge } } fragment Edge on LoanEdge { node { ...Row } } fragment Row on Loan { product { id } }'), PRODUCT)).toBe(true);
    expect(asksFor(infoOf('{ loans { ...Page } } fragment Page on LoanConnection { edges { node { id } } }'), PRODUCT)).toBe(false);
    // Under a condition it counts as asked: read ahead at worst for nothing.
    expect(asksFor(infoOf('query($p: Boolean!) { loans { edges { node { product @include(if: $p) { id } } } } }'), PRODUCT)).toBe(true);
  });

  it('stops on fragments that spread each other, and on a fragment the document does not hold', () => {
    expect(asksFor(infoOf('{ loans { ...A } } fragment A on LoanConnection { ...B } fragment B on LoanConnection { ...A }'), PRODUCT)).toBe(false);
    expect(asksFor(infoOf('{ loans { ...Missing } }'), PRODUCT)).toBe(false);
  });
});
