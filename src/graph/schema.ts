// Builds the executable schema from one file per aggregate, then refuses it if anything can be reached without
// an authorization rule: every root field and every object type must declare authScopes.
import { countAnswerObjects } from './answerCeiling.js';
import { isObjectType, type GraphQLSchema } from 'graphql';
import { builder } from './builder.js';
import { checkInputsOf } from './inputChecks.js';
import { boundLists } from './limits.js';
import { refusalsAsUserErrors } from './payloads.js';
import './scalars.js';
import './viewer.js';
import './tenant.js';
import './party.js';
import './loanProduct.js';
import './partner.js';
import './staff.js';
import './webhook.js';
import './loan.js';
import './writeOff.js';
import './restructure.js';
import './coLending.js';
import './loanParticipation.js';
import './coLendingSettlement.js';
import './originationCommission.js';
import './loanStatement.js';
import './application.js';
import './applicationDocument.js';
import './assessment.js';
import './agreement.js';
import './disbursement.js';
import './creditPolicy.js';
import './productPricing.js';
import './underwriting.js';
import './lenderSetup.js';
import './ledger.js';
import './portfolioReport.js';
import './endOfDay.js';
import './currency.js';
import './loanProductSetup.js';
import './delinquencyPolicy.js';
import './collections.js';
import './reminders.js';
import './autoDebit.js';
import './audit.js';
import './events.js';
import './heartbeat.js';

const ROOTS = new Set(['Query', 'Mutation', 'Subscription']);
const RELAY_PLUMBING = new Set(['PageInfo']);

function hasScopes(extensions: unknown): boolean {
  const options = (extensions as { pothosOptions?: { authScopes?: unknown; skipTypeScopes?: unknown } } | undefined)?.pothosOptions;
  return options?.authScopes !== undefined;
}

export function unauthorizedSurface(schema: GraphQLSchema): string[] {
  const missing: string[] = [];
  for (const type of Object.values(schema.getTypeMap())) {
    if (!isObjectType(type) || type.name.startsWith('__')) continue;
    if (ROOTS.has(type.name)) {
      for (const field of Object.values(type.getFields())) {
        if (!hasScopes(field.extensions)) missing.push(`${type.name}.${field.name}`);
      }
    } else if (!RELAY_PLUMBING.has(type.name) && !/(Connection|Edge)$/.test(type.name) && !hasScopes(type.extensions)) {
      missing.push(type.name);
    }
  }
  return missing;
}

export function buildSchema(): GraphQLSchema {
  const schema = builder.toSchema({ sortSchema: true });
  const missing = unauthorizedSurface(schema);
  if (missing.length > 0) throw new Error(`no authorization rule for: ${missing.join(', ')}`);
  return countAnswerObjects(refusalsAsUserErrors(boundLists(checkInputsOf(schema))));
}
