// `npm run schema`: writes the SDL of the built schema to schema.graphql and the authorization matrix to
// docs/authz.md (both committed; test/graph/schema.test.ts fails when either is stale).
import { writeFileSync } from 'node:fs';
import { printedSchema, SCHEMA_FILE, AUTHZ_FILE } from '../graph/sdl.js';
import { authzMatrix } from '../authz/capabilities.js';

writeFileSync(SCHEMA_FILE, printedSchema());
writeFileSync(AUTHZ_FILE, authzMatrix());
process.stdout.write(`wrote ${SCHEMA_FILE} and ${AUTHZ_FILE}\n`);
