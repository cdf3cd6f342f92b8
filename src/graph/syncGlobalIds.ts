// Global ids answered without a promise. The relay plugin's `globalID` field (every object's `id` under the Node
// interface) resolves through an async function, so each loan, product or party in an answer held a promise, and
// graphql-js then waits for every field of that object together (`promiseForObject`) instead of answering it as it
// goes: on a page of 20 loans that waiting was the largest single frame of graphql-js's own (docs/performance.md).
// This gives the same field the same id — the type's name from the builder's config and the builder's own
// `encodeGlobalID` (src/domain/globalId.ts) — synchronously whenever the id itself is known at once; an id that
// arrives as a promise is still awaited. Imported by src/graph/builder.ts once the relay plugin is loaded.
import { completeValue, RootFieldBuilder, type SchemaTypes } from '@pothos/core';
import '@pothos/plugin-relay';

type GlobalIdOf = { type: unknown; id: unknown } | string | null | undefined;

const relayGlobalID = RootFieldBuilder.prototype.globalID;

type Resolver = (parent: unknown, args: unknown, context: unknown, info: unknown) => GlobalIdOf | Promise<GlobalIdOf>;

RootFieldBuilder.prototype.globalID = function globalID(this: RootFieldBuilder<SchemaTypes, unknown>, { resolve, ...options }: { resolve: Resolver }) {
  const { builder } = this;
  const encode = builder.options.relay?.encodeGlobalID;
  // Without an encoder of the builder's own, the plugin's field as it is.
  if (!encode) return (relayGlobalID as (this: unknown, field: unknown) => unknown).call(this, { resolve, ...options });
  return this.field({
    ...options,
    type: 'ID',
    resolve: (parent: unknown, args: unknown, context: unknown, info: unknown) => completeValue(
      resolve(parent, args, context, info),
      (result: GlobalIdOf) => {
        if (!result || typeof result !== 'object') return result;
        const typename = builder.configStore.getTypeConfig(result.type as string).name;
        return encode(typename, String(result.id), context as SchemaTypes['Context']);
      },
    ),
  } as never);
} as unknown as typeof relayGlobalID;
