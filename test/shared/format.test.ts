import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clockTime, dateTime, dayHeader, shortDate } from '../../src/shared/format.js';

// A fixed zone half an hour off UTC, without daylight saving: a formatter that used UTC, or rounded to the
// hour, or let the machine's zone in, reads a different time.
const ZONE = 'Asia/Kolkata';
let saved: string | undefined;
before(() => { saved = process.env['TZ']; process.env['TZ'] = ZONE; });
after(() => { if (saved === undefined) delete process.env['TZ']; else process.env['TZ'] = saved; });

// 14:02:07 on Tue 2 Dec 2025 in Kolkata.
const AFTERNOON = '2025-12-02T08:32:07.000Z';
const NOW = Date.parse('2025-12-02T12:00:00.000Z');

describe('times in the popover read 24-hour, like the CLI and the safety labels', () => {
  test('a clock time is 24-hour, local, two digits each, seconds only when asked', () => {
    assert.equal(clockTime(AFTERNOON), '14:02');
    assert.equal(clockTime(AFTERNOON, { seconds: true }), '14:02:07');
    assert.equal(clockTime('2025-12-01T18:35:00.000Z'), '00:05', 'just after midnight is 00:05, not 12:05 AM');
    assert.equal(clockTime(new Date('2025-12-02T03:35:09.000Z')), '09:05');
  });

  test('date and time read "2 Dec, 14:02", with the year only outside the current one', () => {
    assert.equal(dateTime(AFTERNOON, { now: NOW }), '2 Dec, 14:02');
    assert.equal(dateTime(AFTERNOON, { now: NOW, seconds: true }), '2 Dec, 14:02:07');
    assert.equal(dateTime(AFTERNOON, { now: Date.parse('2026-01-05T00:00:00.000Z') }), '2 Dec 2025, 14:02');
    assert.equal(shortDate(AFTERNOON, { weekday: true, now: NOW }), 'Tue 2 Dec');
  });

  test('no time reads AM or PM, at any hour of the day', () => {
    for (let h = 0; h < 24; h++) {
      const iso = new Date(Date.UTC(2025, 11, 2, h, 17)).toISOString();
      assert.doesNotMatch(`${clockTime(iso)} ${dateTime(iso, { seconds: true, now: NOW })}`, /AM|PM/i);
      assert.match(clockTime(iso), /^([01]\d|2[0-3]):\d\d$/);
    }
  });

  test('the day heading is Today, Yesterday, else the weekday and date, in the local zone', () => {
    assert.equal(dayHeader(AFTERNOON, NOW), 'Today');
    // 23:00 UTC on 1 Dec is already 04:30 on 2 Dec in Kolkata: today there, yesterday in UTC.
    assert.equal(dayHeader('2025-12-01T23:00:00.000Z', NOW), 'Today');
    assert.equal(dayHeader('2025-12-01T08:00:00.000Z', NOW), 'Yesterday');
    assert.equal(dayHeader('2025-11-27T08:00:00.000Z', NOW), 'Thu 27 Nov');
    assert.equal(dayHeader('2024-11-27T08:00:00.000Z', NOW), 'Wed 27 Nov 2024');
  });
});
