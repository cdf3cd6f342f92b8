// Fields that name who did something (`proposedBy`, an application's history, a posting's `enteredBy`). Each one
// answers through actorShownTo (src/domain/actors.ts): the lender's staff read the actor as recorded; a partner
// reads itself and the platform as recorded and anyone of the lender's staff as `lender`. test/authz/partners.test.ts
// fails for a field a partner can read that names an actor without going through here.
import type { BuilderTypes } from './builder.js';
import type { GraphContext } from './context.js';
import { actorShownTo, LENDER_ACTOR, type ActorReader } from '../domain/actors.js';

/** The mark on every field built here (in its extensions), by which the schema's actor fields are checked. */
export const ACTOR_FIELD = 'lendgraphActor';

/** Who reads, as actorShownTo needs it: a partner with the subject its own actions are recorded under, or staff. */
export function actorReaderOf(context: GraphContext): ActorReader {
  const partner = context.principal?.partner;
  return partner ? { partner: partner.id, subject: context.principal!.subject } : { partner: null };
}

const AS_SHOWN = ` A partner reads anyone of the lender's staff as \`${LENDER_ACTOR}\`; itself and the platform (\`policy\`, \`end-of-day\`, …) as recorded.`;

type Fields<T> = PothosSchemaTypes.ObjectFieldBuilder<BuilderTypes, T>;

/** Who did it: `actorOf` reads the recorded actor from the parent. */
export function actorField<T>(t: Fields<T>, description: string, actorOf: (parent: T) => string) {
  return t.string({
    description: description + AS_SHOWN, extensions: { [ACTOR_FIELD]: true },
    resolve: (parent, _args, context) => actorShownTo(actorOf(parent), actorReaderOf(context)),
  });
}

/** Who did it, when someone has: null while nobody has (a version not yet decided). */
export function optionalActorField<T>(t: Fields<T>, description: string, actorOf: (parent: T) => string | null) {
  return t.string({
    nullable: true, description: description + AS_SHOWN, extensions: { [ACTOR_FIELD]: true },
    resolve: (parent, _args, context) => {
      const actor = actorOf(parent);
      return actor === null ? null : actorShownTo(actor, actorReaderOf(context));
    },
  });
}
