// `npm run schema`: writes the SDL of the built schema to schema.graphql, the authorization matrix to
// docs/authz.md and the event catalogue to docs/events.md (all committed; test/graph/schema.test.ts and
// test/events/catalogue.test.ts fail when one is stale).
import { writeFileSync } from 'node:fs';
import { printedSchema, SCHEMA_FILE, AUTHZ_FILE } from '../graph/sdl.js';
import { authzMatrix } from '../authz/capabilities.js';
import { eventsDoc, EVENTS_FILE } from '../events/catalogueDoc.js';

writeFileSync(SCHEMA_FILE, printedSchema());
writeFileSync(AUTHZ_FILE, authzMatrix());
writeFileSync(EVENTS_FILE, eventsDoc());
process.stdout.write(`wrote ${SCHEMA_FILE}, ${AUTHZ_FILE} and ${EVENTS_FILE}\n`);
