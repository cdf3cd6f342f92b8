// Reminders (src/services/reminders/, docs/reminders.md): the lender's rules and quiet hours, each borrower's
// contact preferences, and every message about a loan with what became of it. Staff read the messages; the tenant
// admin and collections supervisors set the rules; front-line staff record a borrower's preferences.
import { builder } from './builder.js';
import { perParent } from './loaders.js';
import { commandDbOf, commandOf, type GraphContext } from './context.js';
import { storedEnum } from './enums.js';
import { objectPayload } from './payloads.js';
import { LIST_SIZES } from './limits.js';
import { LoanRef } from './loan.js';
import { LoanProductRef } from './loanProduct.js';
import { PartyRef } from './party.js';
import { businessDateOf } from '../tenancy/dateColumns.js';
import type { Prisma } from '../generated/prisma/client.js';
import { MAX_RULES, REMINDER_CHANNELS, TEMPLATE_FIELDS, type ReminderChannel, type ReminderTrigger } from '../domain/servicing/reminders.js';
import {
  reminderSettings, setPartyContactPreferences, setReminderRules, type ContactPreferenceRow, type ReminderRuleRow, type ReminderSettingsView,
} from '../services/reminders/settings.js';

type MessageRow = Prisma.LoanMessageGetPayload<object>;
const LoanMessageRef = builder.objectRef<MessageRow>('LoanMessage');

const TriggerEnum = storedEnum('ReminderTrigger', 'What a reminder is about.', {
  beforeDue: 'An instalment falling due in so many days (0: on its due date).',
  pastDue: 'A loan so many days past due.',
} satisfies Record<ReminderTrigger, string>);
const ChannelEnum = storedEnum('ReminderChannel', 'How a message reaches the borrower.', {
  sms: 'A text message to their phone.',
  email: 'An e-mail.',
} satisfies Record<ReminderChannel, string>);
const MessageStatusEnum = storedEnum('LoanMessageStatus', 'What became of a message.', {
  scheduled: 'Waiting for its time (the borrower\'s quiet hours, or a retry).',
  sent: 'Handed to the notification provider.',
  suppressed: 'Kept, not sent: see its reason.',
  failed: 'The provider refused it five times.',
});
const MAX_MESSAGES = 100;

builder.node(LoanMessageRef, {
  description: 'A message about a loan to its borrower (a reminder), kept whatever became of it.',
  id: { resolve: (m) => m.id },
  loadMany: async (ids, context: GraphContext) => {
    const rows = await context.db!.loanMessage.findMany({ where: { id: { in: [...ids] } } });
    return ids.map((id) => rows.find((row) => row.id === id) ?? null);
  },
  authScopes: { can: 'messages.read' },
  fields: (t) => ({
    loan: t.field({ type: LoanRef, nullable: true, description: 'The loan.', resolve: (m, _args, context) => context.loaders.loanById.load(m.loanId) }),
    trigger: t.field({ type: TriggerEnum, description: 'What it is about.', resolve: (m) => m.trigger as ReminderTrigger }),
    days: t.exposeInt('days', { description: 'Days before the due date, or days past due.' }),
    dueDate: t.field({ type: 'Date', description: 'The instalment\'s due date (past due: the oldest unpaid one).', resolve: (m) => businessDateOf(m.dueDate) }),
    businessDate: t.field({ type: 'Date', description: 'The business date end of day made it on.', resolve: (m) => businessDateOf(m.businessDate) }),
    channel: t.field({ type: ChannelEnum, description: 'How it goes.', resolve: (m) => m.channel as ReminderChannel }),
    destination: t.exposeString('destination', { nullable: true, description: 'Where, masked; null when the borrower has no address for the channel.' }),
    body: t.exposeString('body', { description: 'Its text, as rendered from the rule\'s template.' }),
    status: t.field({ type: MessageStatusEnum, description: 'What became of it.', resolve: (m) => m.status as 'sent' }),
    reason: t.exposeString('reason', { nullable: true, description: 'Why it was not sent: optedOut, noContact, loanNotDue, providerFailed.' }),
    sendAfter: t.field({ type: 'DateTime', description: 'When it may go (or was due to): after the borrower\'s quiet hours.', resolve: (m) => m.sendAfter }),
    sentAt: t.field({ type: 'DateTime', nullable: true, description: 'When it was handed to the provider.', resolve: (m) => m.sentAt }),
    attempts: t.exposeInt('attempts', { description: 'How many times the provider was asked.' }),
    providerReference: t.exposeString('providerReference', { nullable: true, description: 'The provider\'s reference.' }),
  }),
});

builder.objectFields(LoanRef, (t) => ({
  messages: t.field({
    type: [LoanMessageRef], authScopes: { can: 'messages.read' },
    description: `The messages about it to its borrower, the latest first (at most ${MAX_MESSAGES}).`,
    // For a page of loans in one statement.
    resolve: (loan, _args, context) => context.loaders.named<string, MessageRow[]>('messagesByLoan', async (ids) =>
      perParent(ids, await context.db!.loanMessage.findMany({ where: { loanId: { in: [...ids] } }, orderBy: [{ loanId: 'asc' }, { createdAt: 'desc' }, { id: 'desc' }] }), 'loanId', MAX_MESSAGES)).load(loan.id),
  }),
}));
LIST_SIZES['Loan.messages'] = MAX_MESSAGES;

const ReminderRuleRef = builder.objectRef<ReminderRuleRow>('ReminderRule').implement({
  description: 'A reminder: days before an instalment falls due, or days past due, to a channel and a template.',
  authScopes: { can: 'messages.read' },
  fields: (t) => ({
    trigger: t.field({ type: TriggerEnum, description: 'What it is about.', resolve: (r) => r.trigger as ReminderTrigger }),
    days: t.exposeInt('days', { description: 'Days before the due date (0: on it), or days past due.' }),
    channel: t.field({ type: ChannelEnum, description: 'How it goes.', resolve: (r) => r.channel as ReminderChannel }),
    template: t.exposeString('template', { description: 'Its text, with fields written {{name}}.' }),
    product: t.field({ type: LoanProductRef, nullable: true, description: 'Its product; null for every product.', resolve: (r, _args, context) => (r.productId ? context.db!.loanProduct.findUnique({ where: { id: r.productId } }) : null) }),
  }),
});

const ReminderSettingsRef = builder.objectRef<ReminderSettingsView>('ReminderSettings').implement({
  description: 'The lender\'s reminder rules and the quiet hours every message waits out.',
  authScopes: { can: 'messages.read' },
  fields: (t) => ({
    quietHoursStart: t.exposeString('quietHoursStart', { description: 'HH:MM in the borrower\'s time zone: no message from then (21:00 unless the lender set its own).' }),
    quietHoursEnd: t.exposeString('quietHoursEnd', { description: 'HH:MM: until then (08:00 unless the lender set its own).' }),
    rules: t.field({ type: [ReminderRuleRef], description: 'The rules, in the order given.', resolve: (s) => s.rules }),
    templateFields: t.stringList({ description: `The fields a template may name: ${Object.entries(TEMPLATE_FIELDS).map(([name, f]) => `${name} (${f.about})`).join(' ')}`, resolve: () => Object.keys(TEMPLATE_FIELDS) }),
    changedBy: t.exposeString('changedBy', { nullable: true, description: 'Who last changed them; null for never.' }),
    changedAt: t.field({ type: 'DateTime', nullable: true, description: 'When.', resolve: (s) => s.changedAt }),
  }),
});
LIST_SIZES['ReminderSettings.rules'] = MAX_RULES;
LIST_SIZES['ReminderSettings.templateFields'] = Object.keys(TEMPLATE_FIELDS).length;

builder.queryField('reminderSettings', (t) =>
  t.field({
    type: ReminderSettingsRef, description: 'The reminder rules and quiet hours.', authScopes: { can: 'messages.read' },
    resolve: (_root, _args, context) => reminderSettings(commandDbOf(context)),
  }),
);

const ContactPreferencesRef = builder.objectRef<ContactPreferenceRow>('ContactPreferences').implement({
  description: 'A borrower\'s say in how they are contacted.',
  authScopes: { can: 'parties.read' },
  fields: (t) => ({
    timeZone: t.exposeString('timeZone', { nullable: true, description: 'Their time zone, for quiet hours; null for the lender\'s.' }),
    optedOutChannels: t.field({ type: [ChannelEnum], description: 'Channels no message goes on.', resolve: (p) => p.optedOut as ReminderChannel[] }),
    changedBy: t.exposeString('changedBy', { description: 'Who recorded them (subject).' }),
    changedAt: t.field({ type: 'DateTime', description: 'When.', resolve: (p) => p.changedAt }),
  }),
});
LIST_SIZES['ContactPreferences.optedOutChannels'] = REMINDER_CHANNELS.length;

builder.objectFields(PartyRef, (t) => ({
  contactPreferences: t.field({
    type: ContactPreferencesRef, nullable: true, authScopes: { can: 'parties.read' },
    description: 'Their time zone and opt-outs; null until recorded (the lender\'s time zone, every channel).',
    resolve: (party, _args, context) => context.db!.partyContactPreference.findUnique({ where: { partyId: party.id } }),
  }),
}));

builder.mutationFields((t) => ({
  setReminderRules: t.field({
    type: objectPayload('setReminderRules', 'reminderSettings', ReminderSettingsRef, 'The rules and quiet hours as set.'),
    description: 'Replaces the reminder rules and quiet hours; applied from the next end of day (messages already made keep their text and time). Errors name the field (`input.rules[1].template`).',
    authScopes: { can: 'reminders.manage' },
    args: { input: t.arg({ type: builder.inputType('SetReminderRulesInput', {
      description: 'Every rule, and the quiet hours.',
      fields: (f) => ({
        quietHoursStart: f.string({ required: true, description: 'HH:MM: no message from then, in the borrower\'s time zone.' }),
        quietHoursEnd: f.string({ required: true, description: 'HH:MM: until then (before the start: the quiet hours span midnight).' }),
        rules: f.field({ type: [builder.inputType('ReminderRuleInput', {
          description: 'A reminder.',
          fields: (r) => ({
            trigger: r.field({ type: TriggerEnum, required: true, description: 'What it is about.' }),
            days: r.int({ required: true, description: 'BEFORE_DUE: 0 to 365 days before the due date; PAST_DUE: 1 to 365 days past due.' }),
            channel: r.field({ type: ChannelEnum, required: true, description: 'How it goes.' }),
            template: r.string({ required: true, description: 'Its text (1 to 1000 characters), with fields written {{name}} (reminderSettings.templateFields).' }),
            productCode: r.string({ required: false, description: 'Only this product\'s loans; absent for every product.' }),
          }),
        })], required: true, description: `Every rule (at most ${MAX_RULES}); empty for none.` }),
      }),
    }), required: true, description: 'Every rule, and the quiet hours.' }) },
    resolve: async (_root, { input }, context) => ({
      reminderSettings: await setReminderRules(commandDbOf(context), commandOf(context), {
        quietHoursStart: input.quietHoursStart, quietHoursEnd: input.quietHoursEnd,
        rules: input.rules.map((r) => ({ trigger: r.trigger as ReminderTrigger, days: r.days, channel: r.channel as ReminderChannel, template: r.template, productCode: r.productCode ?? null })),
      }),
    }),
  }),
  setPartyContactPreferences: t.field({
    type: objectPayload('setPartyContactPreferences', 'contactPreferences', ContactPreferencesRef, 'The preferences as recorded.'),
    description: 'Records a borrower\'s time zone and the channels they opted out of (all of them, replacing the last); messages not yet sent follow them.',
    authScopes: { can: 'contactPreferences.manage' },
    args: { input: t.arg({ type: builder.inputType('SetPartyContactPreferencesInput', {
      description: 'Whose, and what.',
      fields: (f) => ({
        partyId: f.globalID({ required: true, for: PartyRef, description: 'The borrower.' }),
        timeZone: f.string({ required: false, description: 'An IANA time zone (Asia/Kolkata); absent or null for the lender\'s.' }),
        optedOutChannels: f.field({ type: [ChannelEnum], required: true, description: 'The channels they opted out of; empty for none.' }),
      }),
    }), required: true, description: 'Whose, and what.' }) },
    resolve: async (_root, { input }, context) => ({
      contactPreferences: await setPartyContactPreferences(commandDbOf(context), commandOf(context), input.partyId.id, {
        timeZone: input.timeZone ?? null, optedOut: input.optedOutChannels as ReminderChannel[],
      }),
    }),
  }),
}));
