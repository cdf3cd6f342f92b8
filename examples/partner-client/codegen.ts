// graphql-codegen's configuration for the example: the client preset turns src/operations.graphql, checked
// against the repository's committed schema.graphql, into typed documents under src/gql/. Run it with
// `npm run codegen:example` from the repository's root; test/graph/partnerClient.test.ts runs it too and fails
// when the committed output differs from what the schema now gives.
import path from 'node:path';
import type { CodegenConfig } from '@graphql-codegen/cli';

const here = import.meta.dirname;

/** The configuration, writing into `outputDir` (src/gql/ unless a test asks for somewhere else). */
export function codegenConfig(outputDir = path.join(here, 'src/gql')): CodegenConfig {
  return {
    schema: path.join(here, '../../schema.graphql'),
    documents: [path.join(here, 'src/operations.graphql')],
    ignoreNoDocuments: false,
    silent: true,
    generates: {
      [`${outputDir}/`]: {
        preset: 'client',
        presetConfig: {
          // Plain typed results: a fragment's fields are read where it is spread, without unmasking.
          fragmentMasking: false,
        },
        config: {
          // Documents as strings with their types attached: what an HTTP body and graphql-ws both send.
          documentMode: 'string',
          // Closed sets (ErrorCode, ErrorReason, ApplicationStatus) as string unions a switch can exhaust.
          enumsAsTypes: true,
          useTypeImports: true,
          // ESM imports with their `.js` extension, as Node resolves them.
          emitLegacyCommonJSImports: false,
          // The schema's scalars as they travel in JSON: amounts and dates are strings, never numbers.
          scalars: {
            Date: 'string',
            DateTime: 'string',
            Decimal: 'string',
            Money: 'string',
            IdempotencyKey: 'string',
            JSON: 'unknown',
          },
          strictScalars: true,
        },
      },
    },
  };
}

export default codegenConfig();
