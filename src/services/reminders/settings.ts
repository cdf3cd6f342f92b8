// The lender's reminders as data (docs/reminders.md): its rules and quiet hours, set together as one change, and each
// borrower's say in how they are contacted (time zone, channels opted out of). Each change is a command: checked
// whole before anything is written (errors name the input's field), audited and announced; applied from the next
// end of day (rules) or the next message sent (preferences).
import { randomUUID } from 'node:crypto';
import { runCommand, type CommandContext } from '../../commands/runCommand.js';
import { InvalidField, noSuchCode } from '../../errors.js';
import { isTimeZone } from '../../domain/businessDate.js';
import {
  assertValidRules, clockMinutes, clockText, DEFAULT_QUIET_HOURS, REMINDER_CHANNELS, type ReminderChannel, type ReminderRuleInput,
} from '../../domain/servicing/reminders.js';
import type { Prisma } from '../../generated/prisma/client.js';
import type { TenantDb, Tx } from '../../tenancy/tenantClients.js';

export type ReminderRuleRow = Prisma.ReminderRuleGetPayload<object>;

export interface ReminderSettingsView {
  quietHoursStart: string;
  quietHoursEnd: string;
  rules: ReminderRuleRow[];
  changedBy: string | null;
  changedAt: Date | null;
}

export async function reminderSettings(db: TenantDb | Tx): Promise<ReminderSettingsView> {
  const [settings, rules] = await Promise.all([db.reminderSettings.findFirst({ where: { id: true } }), db.reminderRule.findMany({ orderBy: { position: 'asc' } })]);
  return {
    quietHoursStart: clockText(settings?.quietFrom ?? DEFAULT_QUIET_HOURS.from), quietHoursEnd: clockText(settings?.quietTo ?? DEFAULT_QUIET_HOURS.to),
    rules, changedBy: settings?.changedBy ?? null, changedAt: settings?.changedAt ?? null,
  };
}

/** Replaces the lender's rules and quiet hours. Messages already made keep their text and time. */
export async function setReminderRules(db: TenantDb, command: CommandContext, input: { quietHoursStart: string; quietHoursEnd: string; rules: ReminderRuleInput[] }): Promise<ReminderSettingsView> {
  const from = clockMinutes(input.quietHoursStart, 'quietHoursStart');
  const to = clockMinutes(input.quietHoursEnd, 'quietHoursEnd');
  assertValidRules(input.rules);
  return runCommand(db, { ...command, action: 'reminderRules.changed' }, async (tx) => {
    const codes = [...new Set(input.rules.flatMap((r) => (r.productCode ? [r.productCode] : [])))];
    const products = await tx.loanProduct.findMany({ where: { code: { in: codes } }, select: { id: true, code: true } });
    input.rules.forEach((rule, k) => {
      if (rule.productCode && !products.some((p) => p.code === rule.productCode)) throw noSuchCode(`rules.${k}.productCode`, 'no loan product with that code');
    });
    const before = await reminderSettings(tx);
    await tx.reminderRule.deleteMany({});
    await tx.reminderRule.createMany({
      data: input.rules.map((rule, position) => ({
        id: randomUUID(), productId: products.find((p) => p.code === rule.productCode)?.id ?? null, trigger: rule.trigger, days: rule.days,
        channel: rule.channel, template: rule.template, position, createdBy: command.actor.subject, createdAt: command.now,
      })),
    });
    await tx.reminderSettings.upsert({
      where: { id: true },
      create: { id: true, quietFrom: from, quietTo: to, changedBy: command.actor.subject, changedAt: command.now },
      update: { quietFrom: from, quietTo: to, changedBy: command.actor.subject, changedAt: command.now },
    });
    const after = await reminderSettings(tx);
    const shown = (v: ReminderSettingsView) => ({ quietHoursStart: v.quietHoursStart, quietHoursEnd: v.quietHoursEnd, rules: v.rules.map((r) => ({ trigger: r.trigger, days: r.days, channel: r.channel, productId: r.productId, template: r.template })) });
    return {
      result: after,
      audit: { entityType: 'ReminderRules', entityId: 'reminder-rules', before: shown(before), after: shown(after) },
      events: [{
        type: 'reminderRules.changed', aggregateType: 'ReminderRules', aggregateId: 'reminder-rules',
        payload: { quietHoursStart: after.quietHoursStart, quietHoursEnd: after.quietHoursEnd, rules: input.rules.length, changedBy: command.actor.subject },
      }],
    };
  });
}

export type ContactPreferenceRow = Prisma.PartyContactPreferenceGetPayload<object>;

/** Records a borrower's time zone (null: the lender's) and the channels they opted out of (all of them replaced). */
export async function setPartyContactPreferences(db: TenantDb, command: CommandContext, partyId: string, input: { timeZone: string | null; optedOut: ReminderChannel[] }): Promise<ContactPreferenceRow> {
  if (input.timeZone !== null && !isTimeZone(input.timeZone)) throw new InvalidField('timeZone', 'an IANA time zone such as Asia/Kolkata, or null for the lender\'s');
  input.optedOut.forEach((channel, k) => {
    if (!REMINDER_CHANNELS.includes(channel)) throw new InvalidField(`optedOutChannels.${k}`, 'SMS or EMAIL');
  });
  const optedOut = [...new Set(input.optedOut)].sort();
  return runCommand(db, { ...command, action: 'party.contactPreferencesChanged' }, async (tx) => {
    const party = await tx.party.findUnique({ where: { id: partyId }, select: { id: true } });
    if (!party) throw new InvalidField('partyId', 'no party with that id');
    const before = await tx.partyContactPreference.findUnique({ where: { partyId } });
    const data = { timeZone: input.timeZone, optedOut, changedBy: command.actor.subject, changedAt: command.now };
    const row = await tx.partyContactPreference.upsert({ where: { partyId }, create: { partyId, ...data }, update: data });
    return {
      result: row,
      audit: { entityType: 'Party', entityId: partyId, before: before ? { timeZone: before.timeZone, optedOut: before.optedOut } : null, after: { timeZone: row.timeZone, optedOut: row.optedOut } },
      events: [{ type: 'party.contactPreferencesChanged', aggregateType: 'Party', aggregateId: partyId, payload: { timeZone: row.timeZone, optedOutChannels: optedOut.map((c) => c.toUpperCase()), changedBy: command.actor.subject } }],
    };
  });
}
