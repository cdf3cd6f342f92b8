// Who may do what: every authorization rule on the schema names one of these capabilities, and docs/authz.md
// is generated from this table (`npm run schema`), so the matrix people read is the one the server enforces.
import { ROLES, STAFF_ROLES, type Role } from './roles.js';

const PARTNERS: readonly Role[] = ['origination-partner', 'colending-partner'];
const TENANT_ROLES: readonly Role[] = [...STAFF_ROLES, ...PARTNERS];

export interface CapabilityRule {
  area: string;
  description: string;
  roles: readonly Role[];
  /** Platform capabilities act on the registry and need no tenant; the others act within the caller's tenant. */
  platform: boolean;
}

export const CAPABILITIES = {
  'platform.tenants.read': {
    area: 'Platform',
    description: 'List tenants, their status and schema versions',
    roles: ['platform-admin'],
    platform: true,
  },
  'platform.tenants.manage': {
    area: 'Platform',
    description: 'Onboard, suspend and reactivate tenants',
    roles: ['platform-admin'],
    platform: true,
  },
  'tenant.settings.read': {
    area: 'Tenant',
    description: "Read the caller's tenant: name, currency, time zone, business date",
    roles: TENANT_ROLES,
    platform: false,
  },
  'tenant.dashboardOrigins.manage': {
    area: 'Tenant',
    description: "Set the web origins the lender's embedded dashboards are served from (browsers may call the API from these only)",
    roles: ['tenant-admin'],
    platform: false,
  },
  'parties.read': {
    area: 'Parties',
    description: 'Read borrowers, applicants and guarantors',
    roles: STAFF_ROLES,
    platform: false,
  },
  'parties.reconcile': {
    area: 'Parties',
    description: 'Resolve a possible duplicate party: the same person (merged) or distinct people',
    roles: ['tenant-admin', 'underwriter', 'compliance'],
    platform: false,
  },
  'products.read': {
    area: 'Products',
    description: 'Read the loan product catalogue',
    roles: TENANT_ROLES,
    platform: false,
  },
  'products.manage': {
    area: 'Products',
    description: 'Create, clone, revise and retire loan products (a revision is a new version; booked loans keep theirs)',
    roles: ['tenant-admin'],
    platform: false,
  },
  'currencies.read': {
    area: 'Tenant',
    description: "Read the lender's currencies: minor units and cash rounding",
    roles: STAFF_ROLES,
    platform: false,
  },
  'currencies.manage': {
    area: 'Tenant',
    description: "Set a currency's cash rounding multiple (instalments of loans booked later are multiples of it)",
    roles: ['tenant-admin'],
    platform: false,
  },
  'partners.read': {
    area: 'Partners',
    description: "Read the lender's partners (a partner sees only itself)",
    roles: ['tenant-admin', 'auditor', 'compliance', ...PARTNERS],
    platform: false,
  },
  'partners.manage': {
    area: 'Partners',
    description: "Register partners and rotate their client secrets",
    roles: ['tenant-admin'],
    platform: false,
  },
  'staff.read': {
    area: 'Staff',
    description: "Read the lender's staff: who was invited, their roles and whether they may act",
    roles: ['tenant-admin', 'auditor', 'compliance'],
    platform: false,
  },
  'staff.manage': {
    area: 'Staff',
    description: 'Invite staff by e-mail with roles, change their roles, deactivate and reactivate them',
    roles: ['tenant-admin'],
    platform: false,
  },
  'applications.read': {
    area: 'Origination',
    description: 'Read applications and their history (an origination partner only those it brought)',
    roles: [...STAFF_ROLES, 'origination-partner'],
    platform: false,
  },
  'applications.create': {
    area: 'Origination',
    description: 'Create, submit, withdraw and bulk-upload applications (an origination partner its own)',
    roles: ['tenant-admin', 'loan-officer', 'origination-partner'],
    platform: false,
  },
  'applications.amend': {
    area: 'Origination',
    description: 'Amend a draft or an application returned for missing information, and resubmit it (an origination partner its own)',
    roles: ['tenant-admin', 'loan-officer', 'origination-partner'],
    platform: false,
  },
  'applications.documents.review': {
    area: 'Origination',
    description: "Verify or reject an application's documents (a rejection with its reason)",
    roles: ['tenant-admin', 'loan-officer', 'underwriter'],
    platform: false,
  },
  'underwriting.recommend': {
    area: 'Origination',
    description: 'Work the underwriting queue: recommend approving or declining a referred application (the maker)',
    roles: ['tenant-admin', 'underwriter'],
    platform: false,
  },
  'underwriting.approve': {
    area: 'Origination',
    description: "Approve or reject an underwriter's recommendation someone else made (the checker), within the authority matrix",
    roles: ['tenant-admin', 'credit-approver', 'underwriter'],
    platform: false,
  },
  'underwriting.read': {
    area: 'Origination',
    description: 'Read approval requests and the report of credit policy overrides',
    roles: ['tenant-admin', 'underwriter', 'credit-approver', 'compliance', 'auditor'],
    platform: false,
  },
  'policies.read': {
    area: 'Origination',
    description: "Read products' credit policy versions and simulate a draft over past decisions",
    roles: ['tenant-admin', 'underwriter', 'credit-approver', 'compliance', 'auditor'],
    platform: false,
  },
  'policies.draft': {
    area: 'Origination',
    description: 'Draft a new credit policy version and ask for its activation (the maker)',
    roles: ['tenant-admin', 'underwriter'],
    platform: false,
  },
  'policies.activate': {
    area: 'Origination',
    description: 'Approve or reject the activation of a credit policy version someone else drafted and asked for (the checker), and read the queue',
    roles: ['tenant-admin', 'credit-approver'],
    platform: false,
  },
  'pricing.read': {
    area: 'Origination',
    description: "Read products' pricing versions: rates by risk grade, offer fees and validity",
    roles: ['tenant-admin', 'loan-officer', 'underwriter', 'credit-approver', 'compliance', 'auditor', 'finance'],
    platform: false,
  },
  'pricing.draft': {
    area: 'Origination',
    description: "Draft a new version of a product's pricing and ask for its activation (the maker)",
    roles: ['tenant-admin', 'underwriter'],
    platform: false,
  },
  'pricing.activate': {
    area: 'Origination',
    description: "Approve or reject the activation of a product's pricing version someone else drafted and asked for (the checker)",
    roles: ['tenant-admin', 'credit-approver'],
    platform: false,
  },
  'setup.read': {
    area: 'Lender setup',
    description: "Read the lender's setup: approval authority matrix versions, product document checklists, check providers (never their secrets)",
    roles: ['tenant-admin', 'credit-approver', 'underwriter', 'compliance', 'auditor'],
    platform: false,
  },
  'setup.draft': {
    area: 'Lender setup',
    description: "Draft a version of the lender's setup (authority matrix, check providers) and ask for its activation (the maker); set a product's document checklist",
    roles: ['tenant-admin'],
    platform: false,
  },
  'setup.activate': {
    area: 'Lender setup',
    description: 'Approve or reject the activation of a setup version someone else drafted and asked for (the checker)',
    roles: ['tenant-admin', 'credit-approver'],
    platform: false,
  },
  'applications.expire': {
    area: 'Origination',
    description: 'Lapse stale applications (offers past their date, drafts never submitted), as end of day will',
    roles: ['tenant-admin', 'loan-officer'],
    platform: false,
  },
  'parties.identifiers.read': {
    area: 'Parties',
    description: 'Read national, tax and passport identifiers unmasked (each read is audited)',
    roles: ['tenant-admin', 'underwriter', 'compliance'],
    platform: false,
  },
  'loans.read': {
    area: 'Loans',
    description: 'Read loans, their schedules, transactions and statements (an origination partner only the loans it brought)',
    roles: [...STAFF_ROLES, 'origination-partner'],
    platform: false,
  },
  'loans.disburse': {
    area: 'Loans',
    description: 'Book and disburse a loan',
    roles: ['tenant-admin', 'disbursement-officer'],
    platform: false,
  },
  'loans.repay': {
    area: 'Loans',
    description: 'Post repayments, prepayments, payoffs, payment files and refunds; reverse transactions',
    roles: ['tenant-admin', 'servicing-agent', 'finance'],
    platform: false,
  },
  'loans.charge': {
    area: 'Loans',
    description: 'Charge a fee or penalty by hand',
    roles: ['tenant-admin', 'servicing-agent', 'collections-agent', 'collections-supervisor', 'finance'],
    platform: false,
  },
  'loans.waive.request': {
    area: 'Loans',
    description: 'Ask for a waiver of interest, fees or penalties (the maker)',
    roles: ['tenant-admin', 'servicing-agent', 'collections-agent', 'collections-supervisor', 'finance'],
    platform: false,
  },
  'loans.waive.approve': {
    area: 'Loans',
    description: 'Approve or reject a waiver someone else asked for (the checker), and read the queue',
    roles: ['tenant-admin', 'credit-approver', 'finance'],
    platform: false,
  },
  'loans.writeOff.request': {
    area: 'Loans',
    description: 'Ask for a write-off of a loan, in full or in part (the maker), and read the charge-off rules',
    roles: ['tenant-admin', 'collections-supervisor', 'finance'],
    platform: false,
  },
  'loans.writeOff.approve': {
    area: 'Loans',
    description: 'Approve or reject a write-off someone else asked for (the checker), and read the queue',
    roles: ['tenant-admin', 'credit-approver', 'finance'],
    platform: false,
  },
  'loans.restructure.request': {
    area: 'Loans',
    description: 'Ask for a restructure of a loan: new terms from a date, a payment holiday or a re-ageing (the maker)',
    roles: ['tenant-admin', 'servicing-agent', 'collections-supervisor', 'finance'],
    platform: false,
  },
  'loans.restructure.approve': {
    area: 'Loans',
    description: 'Approve or reject a restructure someone else asked for (the checker), and read the queue',
    roles: ['tenant-admin', 'credit-approver', 'finance'],
    platform: false,
  },
  'coLending.read': {
    area: 'Co-lending',
    description: 'Read co-lending arrangements, the lender\'s co-lending rules and loans\' participations (a co-lending partner only its own arrangements and shares, never the whole loan\'s money or its borrower)',
    roles: ['tenant-admin', 'credit-approver', 'disbursement-officer', 'servicing-agent', 'collections-supervisor', 'finance', 'auditor', 'compliance', 'colending-partner'],
    platform: false,
  },
  'coLending.manage': {
    area: 'Co-lending',
    description: 'Propose co-lending arrangements and new versions of their terms (the maker), and set the lender\'s co-lending rules',
    roles: ['tenant-admin', 'finance'],
    platform: false,
  },
  'coLending.approve': {
    area: 'Co-lending',
    description: 'Approve or reject a version of an arrangement someone else proposed (the checker)',
    roles: ['tenant-admin', 'credit-approver'],
    platform: false,
  },
  'coLending.settle': {
    area: 'Co-lending',
    description: 'Settle with co-lending partners by hand, set how each is settled (T+N, escrow and partner accounts) and read escrow transfer instructions',
    roles: ['tenant-admin', 'finance'],
    platform: false,
  },
  'commissions.read': {
    area: 'Partners',
    description: 'Read origination partners\' commissions and their statements (an origination partner only its own)',
    roles: ['tenant-admin', 'finance', 'auditor', 'origination-partner'],
    platform: false,
  },
  'commissions.manage': {
    area: 'Partners',
    description: 'Set an origination partner\'s commission rule (percentage, cap, clawback days)',
    roles: ['tenant-admin', 'finance'],
    platform: false,
  },
  'loans.participations.assign': {
    area: 'Co-lending',
    description: 'Give a co-lending partner its share of a loan under an arrangement in force (at disbursement or within the assignment window)',
    roles: ['tenant-admin', 'disbursement-officer', 'finance'],
    platform: false,
  },
  'loans.chargeOff.manage': {
    area: 'Loans',
    description: 'Set when end of day charges loans off (writes them off in full at so many days past due)',
    roles: ['tenant-admin', 'finance'],
    platform: false,
  },
  'collections.read': {
    area: 'Collections',
    description: 'Read collection cases, their timelines and promises to pay (a collections agent only the cases assigned to them)',
    roles: ['tenant-admin', 'collections-supervisor', 'collections-agent', 'auditor', 'compliance'],
    platform: false,
  },
  'collections.readAll': {
    area: 'Collections',
    description: "Read every collection case whoever works it, and the collections figures (queues, promises, kept rate)",
    roles: ['tenant-admin', 'collections-supervisor', 'auditor', 'compliance'],
    platform: false,
  },
  'collections.work': {
    area: 'Collections',
    description: 'Log calls, visits, messages and notes, and record promises to pay, on a case (a collections agent only on their own)',
    roles: ['tenant-admin', 'collections-supervisor', 'collections-agent'],
    platform: false,
  },
  'collections.manage': {
    area: 'Collections',
    description: 'Set the collection rules (when a case opens, which collectors work it) and assign or reassign cases',
    roles: ['tenant-admin', 'collections-supervisor'],
    platform: false,
  },
  'messages.read': {
    area: 'Reminders',
    description: "Read the reminder rules and quiet hours, and the messages sent (or kept unsent) to a loan's borrower",
    roles: STAFF_ROLES,
    platform: false,
  },
  'reminders.manage': {
    area: 'Reminders',
    description: 'Replace the reminder rules (days before due or past due, channel, template) and the quiet hours',
    roles: ['tenant-admin', 'collections-supervisor'],
    platform: false,
  },
  'contactPreferences.manage': {
    area: 'Reminders',
    description: "Record a borrower's time zone and the channels they opted out of",
    roles: ['tenant-admin', 'servicing-agent', 'collections-agent', 'collections-supervisor', 'compliance'],
    platform: false,
  },
  'autoDebit.read': {
    area: 'Auto-debit',
    description: "Read loans' debit mandates (account numbers masked) and presentments, and the auto-debit settings",
    roles: ['tenant-admin', 'servicing-agent', 'collections-agent', 'collections-supervisor', 'finance', 'auditor', 'compliance'],
    platform: false,
  },
  'autoDebit.mandates': {
    area: 'Auto-debit',
    description: "Register a borrower's debit mandate on a loan, and revoke one",
    roles: ['tenant-admin', 'servicing-agent'],
    platform: false,
  },
  'autoDebit.manage': {
    area: 'Auto-debit',
    description: 'Set the auto-debit settings, download the NACHA debit files (full account numbers) and take in return files',
    roles: ['tenant-admin', 'finance'],
    platform: false,
  },
  'ledger.read': {
    area: 'Ledger',
    description: 'Read the chart of accounts, trial balance, account statements and the ledger\'s invariants',
    roles: ['tenant-admin', 'finance', 'auditor', 'compliance'],
    platform: false,
  },
  'endOfDay.read': {
    area: 'End of day',
    description: "Read the lender's end-of-day runs: dates, status, failures, what each step did",
    roles: ['tenant-admin', 'finance', 'auditor', 'compliance', 'servicing-agent'],
    platform: false,
  },
  'endOfDay.run': {
    area: 'End of day',
    // A platform admin acts on the registry, not inside a tenant: it runs a tenant's end of day with `npm run eod`.
    description: "Run the lender's end of day now, up to a date, and advance a sandbox tenant's clock",
    roles: ['tenant-admin'],
    platform: false,
  },
  'ledger.manage': {
    area: 'Ledger',
    description: 'Open ledger accounts and map a product\'s postings to them',
    roles: ['tenant-admin', 'finance'],
    platform: false,
  },
  'delinquency.read': {
    area: 'Delinquency',
    description: "Read the lender's delinquency policy (buckets, regulatory regime, parameters, provisions) and products' own buckets",
    roles: ['tenant-admin', 'servicing-agent', 'collections-agent', 'collections-supervisor', 'finance', 'auditor', 'compliance'],
    platform: false,
  },
  'delinquency.manage': {
    area: 'Delinquency',
    description: "Change the lender's delinquency policy and give a product buckets of its own (applied from the next end of day)",
    roles: ['tenant-admin'],
    platform: false,
  },
  'reports.read': {
    area: 'Reports',
    description: 'Read the portfolio report as of a date (portfolio at risk, aging, classification and provisions, accruals, trial balance) and download its sections as CSV',
    roles: ['tenant-admin', 'finance', 'auditor', 'compliance'],
    platform: false,
  },
  'webhooks.read': {
    area: 'Webhooks',
    description: 'Read webhook endpoints and the delivery log (a partner sees only its own)',
    roles: ['tenant-admin', 'auditor', 'compliance', ...PARTNERS],
    platform: false,
  },
  'webhooks.manage': {
    area: 'Webhooks',
    description: 'Register, deactivate and enable webhook endpoints, rotate their signing secrets, send test deliveries, replay deliveries (a partner only its own)',
    roles: ['tenant-admin', ...PARTNERS],
    platform: false,
  },
  'audit.verify': {
    area: 'Audit',
    description: "Verify the tenant's hash-chained audit trail",
    roles: ['tenant-admin', 'auditor', 'compliance'],
    platform: false,
  },
  'approvals.read': {
    area: 'Audit',
    description: "Read the checkers' queues without deciding: disbursement, waiver, write-off and restructure requests in any status (who asked, who decided, when and why), and the credit policy, approval authority matrix and co-lending versions waiting for a decision",
    roles: ['tenant-admin', 'auditor', 'compliance'],
    platform: false,
  },
  'audit.read': {
    area: 'Audit',
    description: "Read the tenant's audit trail: who did what to which record, when, with which roles and in which request (not what the records held)",
    roles: ['tenant-admin', 'auditor', 'compliance'],
    platform: false,
  },
  'events.read': {
    area: 'Live',
    description: "Follow the tenant's events live, resuming from a cursor (a partner sees only its own)",
    roles: TENANT_ROLES,
    platform: false,
  },
  'events.list': {
    area: 'Live',
    description: "Read the tenant's events a page at a time after a cursor, to catch up or poll (a partner sees only its own)",
    roles: TENANT_ROLES,
    platform: false,
  },
  'live.heartbeat': {
    area: 'Live',
    description: 'Subscribe to the heartbeat (liveness and business date)',
    roles: TENANT_ROLES,
    platform: false,
  },
} as const satisfies Record<string, CapabilityRule>;

export type Capability = keyof typeof CAPABILITIES;

export function allows(capability: Capability, roles: readonly Role[], hasTenant: boolean): boolean {
  const rule: CapabilityRule = CAPABILITIES[capability];
  if (!rule.platform && !hasTenant) return false;
  return roles.some((role) => rule.roles.includes(role));
}

/** docs/authz.md: the role × capability matrix. */
export function authzMatrix(): string {
  const header = `| area | capability | ${ROLES.join(' | ')} |\n| --- | --- | ${ROLES.map(() => ':-:').join(' | ')} |`;
  const rows = (Object.entries(CAPABILITIES) as [Capability, CapabilityRule][]).map(
    ([name, rule]) => `| ${rule.area} | \`${name}\`: ${rule.description} | ${ROLES.map((role) => (rule.roles.includes(role) ? '✓' : '✗')).join(' | ')} |`,
  );
  return `# Authorization matrix

Generated from \`src/authz/capabilities.ts\` by \`npm run schema\`; \`test/authz/authz.test.ts\` proves every cell over
HTTP, and \`test/graph/schema.test.ts\` fails when this file is stale. Every field of the schema names one capability
(\`authScopes: { can: '…' }\`); a field without a rule stops the server from starting.

Roles come from the token (\`realm_access.roles\`); the tenant from its \`organization\` claim and the registry.
Platform capabilities need no tenant; every other capability acts only within the caller's tenant, so a
platform admin has none of them: borrower data is never the platform's to read.

${header}
${rows.join('\n')}
`;
}
