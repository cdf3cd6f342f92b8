// Whether a field's selection asks for a path of fields below it (`edges.node.product`), through inline fragments
// and named ones: a list resolver reads ahead what its items will ask for, so that they find it read and answer
// without waiting. Conditions (@include, @skip) are not weighed: a field under one counts as asked, at worst
// reading ahead what is then not used.
import { Kind, type FragmentDefinitionNode, type GraphQLResolveInfo, type SelectionSetNode } from 'graphql';

export function asksFor(info: Pick<GraphQLResolveInfo, 'fieldNodes' | 'fragments'>, path: readonly string[]): boolean {
  return info.fieldNodes.some((node) => node.selectionSet !== undefined && selects(node.selectionSet, path, info.fragments, new Set()));
}

function selects(set: SelectionSetNode, path: readonly string[], fragments: Record<string, FragmentDefinitionNode>, visited: Set<string>): boolean {
  const [name, ...rest] = path;
  return set.selections.some((selection) => {
    if (selection.kind === Kind.FIELD) {
      if (selection.name.value !== name) return false;
      return rest.length === 0 || (selection.selectionSet !== undefined && selects(selection.selectionSet, rest, fragments, visited));
    }
    if (selection.kind === Kind.INLINE_FRAGMENT) return selects(selection.selectionSet, path, fragments, visited);
    // A named fragment is looked into once per path: fragments may not form cycles, but a document is not trusted.
    const key = `${selection.name.value}|${path.join('.')}`;
    const fragment = fragments[selection.name.value];
    if (!fragment || visited.has(key)) return false;
    visited.add(key);
    return selects(fragment.selectionSet, path, fragments, visited);
  });
}
