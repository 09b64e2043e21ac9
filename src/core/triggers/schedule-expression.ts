import { validateDetailed } from 'node-cron';

/**
 * Schedules are five-field cron expressions (minute precision). Six-field ones (with seconds) are refused:
 * a snapshot every few seconds would fill the disk, and catch-up after sleep works per minute.
 * Returns null when valid, else what is wrong.
 */
export function validateSchedule(expression: string): string | null {
  if (typeof expression !== 'string' || expression.length > 200) return 'a schedule is a cron expression like "0 * * * *"';
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5) return `"${expression}" has ${fields.length} fields; use 5: minute hour day-of-month month day-of-week (e.g. "0 * * * *" for hourly)`;
  const result = validateDetailed(expression);
  if (result.valid) return null;
  const first = result.errors[0];
  return `"${expression}": ${first ? `${first.field}: ${first.message}` : 'not a valid cron expression'}`;
}
