// Where a value written into a document sits, as a caller names an input: `to` for `statement(to: "…")`,
// `input.valueDate` for `postRepayment(input: { valueDate: "…" })`, `input.repayments[3].amount` inside a list. A
// literal of the wrong type is refused by graphql-js's validation, whose error points at the value's node but names
// no argument; this finds the argument and the input fields down to that node, so the refusal names the field as
// the same value sent in a variable is named.
import { GraphQLError, Kind, parse, visit, BREAK, type ASTNode, type ObjectFieldNode, type ValueNode } from 'graphql';

const VALUE_KINDS = new Set<string>([Kind.STRING, Kind.INT, Kind.FLOAT, Kind.BOOLEAN, Kind.NULL, Kind.ENUM, Kind.LIST, Kind.OBJECT, Kind.OBJECT_FIELD]);

interface Span { start: number; end: number }

const holds = (outer: ASTNode, inner: Span) => outer.loc !== undefined && outer.loc.start <= inner.start && inner.end <= outer.loc.end;
const isAt = (node: ASTNode, at: Span) => node.loc !== undefined && node.loc.start === at.start && node.loc.end === at.end;

/** The path from `value` (named `path`) down to the node at `at`. */
function pathWithin(value: ValueNode | ObjectFieldNode, at: Span, path: string): string {
  if (isAt(value, at)) return path;
  if (value.kind === Kind.OBJECT_FIELD) return pathWithin(value.value, at, path);
  if (value.kind === Kind.OBJECT) {
    const field = value.fields.find((f) => holds(f, at));
    return field ? pathWithin(field, at, `${path}.${field.name.value}`) : path;
  }
  if (value.kind === Kind.LIST) {
    const index = value.values.findIndex((item) => holds(item, at));
    return index < 0 ? path : pathWithin(value.values[index]!, at, `${path}[${index}]`);
  }
  return path;
}

/**
 * The input path of the one value a validation error points at: the argument (or the variable whose default it
 * is) and the input fields and list items down to it; for an input object missing a required field, that field.
 * Undefined when the error points at anything but one value.
 */
export function literalPath(error: unknown): string | undefined {
  const node = error instanceof GraphQLError && error.nodes?.length === 1 ? error.nodes[0]! : undefined;
  if (!node?.loc || !VALUE_KINDS.has(node.kind)) return undefined;
  const at = { start: node.loc.start, end: node.loc.end };
  let path: string | undefined;
  // The error keeps the node but not its ancestors: read the document again (it parsed once already, within the
  // token limit) and find the argument holding that span.
  visit(parse(node.loc.source), {
    Argument(argument) {
      if (!holds(argument.value, at)) return undefined;
      path = pathWithin(argument.value, at, argument.name.value);
      return BREAK;
    },
    VariableDefinition(definition) {
      if (!definition.defaultValue || !holds(definition.defaultValue, at)) return undefined;
      path = pathWithin(definition.defaultValue, at, definition.variable.name.value);
      return BREAK;
    },
  });
  const missing = /^Field "[^".]+\.(\w+)" of required type "[^"]+" was not provided\./.exec(error instanceof Error ? error.message : '')?.[1];
  return path !== undefined && missing ? `${path}.${missing}` : path;
}
