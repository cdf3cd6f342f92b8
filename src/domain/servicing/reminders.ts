// Reminders as values (docs/reminders.md): rules (days before an instalment falls due, or days past due, to a
// channel and a template), the templates' fields, quiet hours in the borrower's time zone, and how a destination is
// shown. The end-of-day step and the dispatcher around them read and write the rows; these decide.
import { InvalidField } from '../../errors.js';

export const REMINDER_TRIGGERS = ['beforeDue', 'pastDue'] as const;
export type ReminderTrigger = (typeof REMINDER_TRIGGERS)[number];
export const REMINDER_CHANNELS = ['sms', 'email'] as const;
export type ReminderChannel = (typeof REMINDER_CHANNELS)[number];

export interface ReminderRuleInput {
  trigger: ReminderTrigger;
  /** beforeDue: days before the due date (0: on the day it falls due); pastDue: days past due (1 or more). */
  days: number;
  channel: ReminderChannel;
  template: string;
  /** Null: every product. */
  productCode: string | null;
}

/** The fields a template may name, and which triggers give them. */
export const TEMPLATE_FIELDS: Readonly<Record<string, { about: string; triggers: readonly ReminderTrigger[] }>> = {
  borrowerName: { about: 'The borrower\'s name.', triggers: REMINDER_TRIGGERS },
  lenderName: { about: 'The lender\'s name.', triggers: REMINDER_TRIGGERS },
  loanNumber: { about: 'The loan\'s number (L-000123).', triggers: REMINDER_TRIGGERS },
  dueDate: { about: 'beforeDue: the instalment\'s due date; pastDue: the oldest unpaid due date.', triggers: REMINDER_TRIGGERS },
  amountDue: { about: 'beforeDue only: what the instalment owes in all, with its currency.', triggers: ['beforeDue'] },
  daysPastDue: { about: 'pastDue only: the days past due.', triggers: ['pastDue'] },
};

export const MAX_RULES = 50;
export const MAX_TEMPLATE_LENGTH = 1000;
/** The quiet hours of a lender that never set its own: 21:00 to 08:00, the calling window of the US TCPA rules. */
export const DEFAULT_QUIET_HOURS = { from: 21 * 60, to: 8 * 60 } as const;

const PLACEHOLDER = /\{\{\s*([A-Za-z]+)\s*\}\}/g;

/** Refuses a template naming a field its trigger does not give, or with a brace left open. */
export function assertValidTemplate(template: string, trigger: ReminderTrigger, field: string): void {
  if (template.trim().length === 0 || template.length > MAX_TEMPLATE_LENGTH) throw new InvalidField(field, `a template is 1 to ${MAX_TEMPLATE_LENGTH} characters`);
  for (const [, name] of template.matchAll(PLACEHOLDER)) {
    const known = TEMPLATE_FIELDS[name!];
    if (!known) throw new InvalidField(field, `{{${name}}} is not a template field (${Object.keys(TEMPLATE_FIELDS).join(', ')})`);
    if (!known.triggers.includes(trigger)) throw new InvalidField(field, `{{${name}}} is not given to ${trigger} reminders`);
  }
  if (/\{\{|\}\}/.test(template.replace(PLACEHOLDER, ''))) throw new InvalidField(field, 'a {{ or }} that is not a field: write fields as {{name}}');
}

/** The message a template makes with the values given (every field it names is given: see assertValidTemplate). */
export function renderTemplate(template: string, values: Readonly<Record<string, string>>): string {
  return template.replace(PLACEHOLDER, (_, name: string) => values[name] ?? '');
}

/** Refuses rules that cannot be sent as meant, naming the entry (`rules.2.days`). */
export function assertValidRules(rules: readonly ReminderRuleInput[]): void {
  if (rules.length > MAX_RULES) throw new InvalidField('rules', `at most ${MAX_RULES} rules`);
  const seen = new Set<string>();
  rules.forEach((rule, k) => {
    const at = `rules.${k}`;
    if (!REMINDER_TRIGGERS.includes(rule.trigger)) throw new InvalidField(`${at}.trigger`, 'BEFORE_DUE or PAST_DUE');
    if (!REMINDER_CHANNELS.includes(rule.channel)) throw new InvalidField(`${at}.channel`, 'SMS or EMAIL');
    const least = rule.trigger === 'pastDue' ? 1 : 0;
    if (!Number.isInteger(rule.days) || rule.days < least || rule.days > 365) throw new InvalidField(`${at}.days`, `a whole number of days from ${least} to 365`);
    assertValidTemplate(rule.template, rule.trigger, `${at}.template`);
    const key = JSON.stringify([rule.trigger, rule.days, rule.channel, rule.productCode]);
    if (seen.has(key)) throw new InvalidField(at, 'the same trigger, days, channel and product are given twice');
    seen.add(key);
  });
}

/** "21:00" as minutes after midnight; refuses anything else naming the field. */
export function clockMinutes(text: string, field: string): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  if (!match) throw new InvalidField(field, 'a time of day as HH:MM (00:00 to 23:59)');
  return Number(match[1]) * 60 + Number(match[2]);
}

export const clockText = (minutes: number) => `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;

/** Whether a local time (minutes after midnight) falls in the quiet hours; `from` after `to` spans midnight. */
export function isQuiet(minutes: number, quiet: { from: number; to: number }): boolean {
  if (quiet.from === quiet.to) return false;
  return quiet.from < quiet.to ? minutes >= quiet.from && minutes < quiet.to : minutes >= quiet.from || minutes < quiet.to;
}

/** The local time of day at `instant` in `timeZone`, in minutes after midnight. */
export function localMinutes(instant: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(instant);
  const part = (type: string) => Number(parts.find((p) => p.type === type)!.value);
  return part('hour') * 60 + part('minute');
}

/**
 * The first instant at or after `instant` that is outside the quiet hours in `timeZone`. A clock change inside the
 * wait (daylight saving) is caught by checking again: the result is never quiet.
 */
export function sendableAt(instant: Date, timeZone: string, quiet: { from: number; to: number }): Date {
  let at = instant;
  for (let tries = 0; tries < 4; tries += 1) {
    const now = localMinutes(at, timeZone);
    if (!isQuiet(now, quiet)) return at;
    const wait = (quiet.to - now + 1440) % 1440;
    // To the start of the minute the quiet hours end (seconds dropped), at least a minute on.
    at = new Date(Math.floor(at.getTime() / 60_000) * 60_000 + Math.max(wait, 1) * 60_000);
    // Clocks sprang forward during the wait: the quiet hours ended earlier, by the hour skipped.
    const drift = (localMinutes(at, timeZone) - quiet.to + 1440) % 1440;
    if (drift > 0 && drift <= 120) {
      const earlier = new Date(at.getTime() - drift * 60_000);
      if (earlier.getTime() > instant.getTime() && !isQuiet(localMinutes(earlier, timeZone), quiet)) at = earlier;
    }
  }
  return at;
}

/** A destination as staff and events see it: enough to recognise, not to use. */
export function maskDestination(channel: ReminderChannel, value: string): string {
  if (channel === 'email') {
    const [local, domain] = value.split('@') as [string, string | undefined];
    return `${local.slice(0, 1)}•••@${domain ?? ''}`;
  }
  const digits = value.replace(/[^\d+]/g, '');
  return digits.length <= 6 ? '•••' : `${digits.slice(0, 4)}•••${digits.slice(-2)}`;
}
