// `npm run schema`: writes the SDL of the built schema to schema.graphql (committed; a test compares them).
import { writeFileSync } from 'node:fs';
import { printedSchema, SCHEMA_FILE } from '../graph/sdl.js';

writeFileSync(SCHEMA_FILE, printedSchema());
process.stdout.write(`wrote ${SCHEMA_FILE}\n`);
