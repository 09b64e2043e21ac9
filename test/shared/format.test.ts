import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { clockTime, dateTime, dayHeader, humanBytes, parseSize, progressFraction, progressText, shortDate, thousands } from '../../src/shared/format.js';

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

describe('sizes: one convention, shown and read alike', () => {
  test('sizes are decimal and named so: 1 kB is 1000 bytes, 1 MB a million, never MiB called MB', () => {
    assert.equal(humanBytes(999), '999 B');
    assert.equal(humanBytes(1000), '1.0 kB');
    assert.equal(humanBytes(500_000_000), '500 MB');
    assert.equal(humanBytes(524_288_000), '524 MB', '500 MiB is 524 MB');
    assert.equal(humanBytes(2_000_000_000), '2.0 GB');
    assert.equal(humanBytes(999_600), '1.0 MB', 'never "1000 kB"');
    assert.equal(humanBytes(9_960_000), '10 MB', 'never "10.0 MB"');
  });

  test('what is typed reads back as typed: "500 MB" is 500,000,000 bytes and shows as 500 MB', () => {
    for (const [typed, shown] of [['500 MB', '500 MB'], ['2 GB', '2.0 GB'], ['1.5 GB', '1.5 GB'], ['300 kB', '300 kB'], ['20 TB', '20 TB']]) {
      const read = parseSize(typed ?? '');
      assert.ok(read.ok, typed);
      assert.equal(humanBytes(read.bytes), shown, typed);
    }
    assert.deepEqual(parseSize('500 MB'), { ok: true, bytes: 500_000_000 });
    assert.deepEqual(parseSize('500mb'), { ok: true, bytes: 500_000_000 });
    assert.deepEqual(parseSize('500 MiB'), { ok: true, bytes: 524_288_000 }, 'the binary units mean what they say');
    assert.deepEqual(parseSize('0'), { ok: true, bytes: 0 });
  });

  test('a size that is not one says why, in words for beside the field', () => {
    assert.deepEqual(parseSize('500'), { ok: false, why: 'Add a unit: 500 MB or 500 GB?' });
    assert.deepEqual(parseSize('lots'), { ok: false, why: 'Type a size such as 500 MB or 2 GB.' });
    assert.deepEqual(parseSize('5 parsecs'), { ok: false, why: '“parsecs” is not a unit: use kB, MB, GB or TB.' });
    assert.equal(parseSize('99999999999 TB').ok, false);
  });

  test('counts group thousands with commas whatever the locale', () => {
    assert.equal(thousands(0), '0');
    assert.equal(thousands(999), '999');
    assert.equal(thousands(34_700), '34,700');
    assert.equal(thousands(1_234_567), '1,234,567');
  });

  test('a snapshot\'s progress reads how far it has got: paths while reading, then files and bytes of the total', () => {
    assert.equal(progressText({ phase: 'reading', files: 120_400, bytes: 0, totalFiles: null, totalBytes: null }), 'reading the folder: 120,400 paths so far');
    assert.equal(progressFraction({ phase: 'reading', files: 120_400, bytes: 0, totalFiles: null, totalBytes: null }), null);
    const copying = { phase: 'copying' as const, files: 12_400, bytes: 210_000_000, totalFiles: 34_700, totalBytes: 1_200_000_000 };
    assert.equal(progressText(copying), '12,400 of 34,700 files · 210 MB of 1.2 GB');
    assert.equal(progressFraction(copying), 0.175);
    assert.equal(progressFraction({ ...copying, bytes: 0, totalBytes: 0, files: 1, totalFiles: 4 }), 0.25, 'empty files: counted by files');
    const saving = { phase: 'saving' as const, files: 34_700, bytes: 1_200_000_000, totalFiles: 34_700, totalBytes: 1_200_000_000 };
    assert.equal(progressText(saving), 'saving: 34,700 files · 1.2 GB');
    assert.equal(progressFraction(saving), 1);
  });
});
