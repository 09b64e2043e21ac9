import { createTask, validateDetailed } from 'node-cron';
import type { ScheduleView } from '../../shared/api.js';

/** Each field of a five-field cron expression: what a person calls it and the values it takes. */
const FIELDS: Record<string, { name: string; range: string }> = {
  minute: { name: 'minute', range: '0-59' },
  hour: { name: 'hour', range: '0-23' },
  day: { name: 'day of the month', range: '1-31' },
  dayOfMonth: { name: 'day of the month', range: '1-31' },
  month: { name: 'month', range: '1-12 or jan-dec' },
  weekday: { name: 'day of the week', range: '0-7 or sun-sat' },
  dayOfWeek: { name: 'day of the week', range: '0-7 or sun-sat' },
};
const ORDER = ['minute', 'hour', 'day of the month', 'month', 'day of the week'];

/**
 * Schedules are five-field cron expressions (minute precision). Six-field ones (with seconds) are refused:
 * a snapshot every few seconds would fill the disk, and catch-up after sleep works per minute.
 * Returns null when valid, else what is wrong in plain words ("the minute must be 0-59; 61 was given").
 * The scheduler, the settings and the popover's check all use this one function, so they never disagree.
 */
export function validateSchedule(expression: string): string | null {
  if (typeof expression !== 'string' || expression.length > 200) return 'a schedule is a cron expression like "0 * * * *"';
  const fields = expression.trim().split(/\s+/).filter((f) => f !== '');
  if (fields.length === 0) return 'the schedule is empty: use 5 fields, minute hour day-of-month month day-of-week (e.g. "0 * * * *" for every hour)';
  if (fields.length !== 5) {
    return `the schedule has ${fields.length} field${fields.length === 1 ? '' : 's'}; it needs 5: ${ORDER.join(', ')} (e.g. "0 * * * *" for every hour)`;
  }
  const result = validateDetailed(expression);
  if (result.valid) return null;
  const first = result.errors[0];
  if (!first) return 'this is not a schedule snapctl can read';
  const field = FIELDS[first.field];
  // A day every month named is too short for ("0 0 30 2 *"): a valid day, a date that never comes.
  if ((first.field === 'day' || first.field === 'dayOfMonth') && daysInRange(String(first.value))) {
    return `this schedule never runs: no month it names has day ${String(first.value)} (February has at most 29 days; April, June, September and November 30)`;
  }
  if (!field) return `this is not a schedule snapctl can read (${first.field}: ${first.value})`;
  return `the ${field.name} must be ${field.range}; ${JSON.stringify(first.value).slice(1, -1)} was given`;
}

/** True when a day-of-month field names only days 1-31 (numbers, ranges, lists, steps). */
function daysInRange(field: string): boolean {
  if (!/^[\d,\-/]+$/.test(field)) return false;
  return field.split(/[,\-/]/).filter((n) => n !== '').every((n) => Number(n) >= 1 && Number(n) <= 31);
}

/** The next `count` runs of a valid schedule, soonest first, as the scheduler computes them. */
export function nextRuns(expression: string, count: number, options: { timezone?: string } = {}): Date[] {
  const task = createTask(expression, () => undefined, options.timezone ? { timezone: options.timezone } : {});
  try {
    return task.getNextRuns(count);
  } finally {
    void task.destroy();
  }
}

/** A valid schedule in words: "every hour at :00", "at 09:30, Monday through Friday". */
export async function describeSchedule(expression: string): Promise<string> {
  const [minute, hour, day, month, weekday] = expression.trim().split(/\s+/);
  if (minute !== undefined && /^\d{1,2}$/.test(minute) && hour === '*' && day === '*' && month === '*' && weekday === '*') {
    return `every hour at :${minute.padStart(2, '0')}`;
  }
  // cronstrue is loaded on first use: only the settings' schedule check reads a schedule back.
  const { default: cronstrue } = await import('cronstrue');
  const text = cronstrue.toString(expression, { use24HourTimeFormat: true, verbose: false, throwExceptionOnParseError: true });
  return text.charAt(0).toLowerCase() + text.slice(1);
}

/** What the popover shows beside the field as the user types. */
export async function checkSchedule(expression: string, options: { timezone?: string } = {}): Promise<ScheduleView> {
  const error = validateSchedule(expression);
  if (error !== null) return { ok: false, schedule: expression, error };
  let description: string;
  try {
    description = await describeSchedule(expression);
  } catch {
    description = expression.trim();
  }
  return { ok: true, schedule: expression, description, next: nextRuns(expression, 3, options).map((d) => d.toISOString()) };
}
