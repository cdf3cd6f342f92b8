// The application the CLI submits: the sandbox's complete applicant (docs/partners.md, step 3), with a reference
// of its own so each run makes a new application.
import type { CreateApplicationInput } from './gql/graphql.js';

export function sampleApplication(reference: string): CreateApplicationInput {
  return {
    idempotencyKey: `partner-client-${reference}`,
    externalReference: reference,
    productCode: 'PL-STD',
    amount: '5000',
    numberOfRepayments: 12,
    purpose: 'Home improvement',
    declaredMonthlyIncome: '4200',
    employer: 'Springfield Power',
    submit: true,
    applicant: {
      kind: 'PERSON',
      legalName: 'Ada Example',
      dateOfBirth: '1985-04-12',
      email: 'ada@example.com',
      phone: '+14155550100',
      identifiers: [{ kind: 'NATIONAL_ID', country: 'US', value: '123-45-6789' }],
      address: { lines: ['1 Main Street'], city: 'Springfield', postalCode: '12345', country: 'US' },
    },
  };
}
