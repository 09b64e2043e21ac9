import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { listRows } from '../../src/renderer/listRows.js';
import type { ListedSnapshot, RollbackRecord } from '../../src/shared/api.js';

const T = '/home/me/app';
let minute = 0;

function snap(id: string, tag: string | null, trigger: ListedSnapshot['trigger'] = 'manual'): ListedSnapshot {
  const createdAt = new Date(Date.UTC(2026, 11, 6, 8, minute++)).toISOString();
  return { id, provider: 'clone', target: T, tag, trigger, createdAt, size: 1, addedBytes: 1, files: 1, state: 'ready', ref: id, note: null, uniqueBytes: null };
}

function rollback(kind: RollbackRecord['kind'], snapshotId: string, safetyId: string, paths: string[] | null = null): RollbackRecord {
  return { at: new Date(Date.UTC(2026, 11, 6, 9, minute++)).toISOString(), target: T, snapshotId, safetyId, paths, kind };
}

function headings(snapshots: ListedSnapshot[], rollbacks: RollbackRecord[]): string[] {
  return listRows(snapshots, rollbacks, { query: '', byDay: false, now: Date.UTC(2026, 11, 6, 12) }).flatMap((r) => (r.type === 'rollback' ? [r.label] : []));
}

describe('the list: the heading over each safety snapshot', () => {
  test('a chain of rollbacks and undos names the snapshot at its root once, never a tag inside a tag', () => {
    // Rolled back to 'before refactor', undone, redone (back to the undo's safety snapshot), undone, and again.
    const root = snap('root', 'before refactor');
    const s1 = snap('s1', "before rolling back to 'before refactor', 08:40", 'safety');
    const s2 = snap('s2', "before undoing the rollback to 'before refactor', 08:50", 'safety');
    const s3 = snap('s3', 'before rolling back to the safety snapshot of 6 Dec 08:50 (\'before refactor\'), 09:00', 'safety');
    const s4 = snap('s4', 'before undoing the rollback to the safety snapshot of 6 Dec 08:50 (\'before refactor\'), 09:10', 'safety');
    const s5 = snap('s5', 'before rolling back to the safety snapshot of 6 Dec 09:00 (\'before refactor\'), 09:20', 'safety');
    const rows = headings([root, s1, s2, s3, s4, s5], [
      rollback('rollback', 'root', 's1'), rollback('undo', 's1', 's2'), rollback('rollback', 's2', 's3'), rollback('undo', 's3', 's4'), rollback('rollback', 's3', 's5'),
    ]);
    assert.equal(rows.length, 5);
    for (const label of rows) {
      assert.equal(label.split('‘before refactor’').length, 2, `named once: ${label}`);
      assert.doesNotMatch(label, /before (?:rolling|undoing|restoring)/, `no tag inside: ${label}`);
    }
    assert.match(rows[0] ?? '', /^Rollback to the safety snapshot of 6 Dec, \d\d:\d\d \(‘before refactor’\) · \d\d:\d\d$/);
    assert.match(rows[1] ?? '', /^Undo of the rollback to the safety snapshot of 6 Dec, \d\d:\d\d \(‘before refactor’\) · /);
    assert.match(rows.at(-1) ?? '', /^Rollback to ‘before refactor’ · /);
  });

  test('a partial rollback names what was picked, not a count of picks that differs from the changed paths its result counted', () => {
    const root = snap('root', 'v1');
    const s1 = snap('s1', "before rolling back to 'v1', 10:00", 'safety');
    const s2 = snap('s2', "before rolling back to 'v1', 10:05", 'safety');
    const rows = headings([root, s1, s2], [rollback('rollback', 'root', 's1', ['build', 'docs', 'src/app.js']), rollback('rollback', 'root', 's2', ['build', 'docs'])]);
    assert.match(rows[0] ?? '', /^Rollback of build and docs to ‘v1’ · \d\d:\d\d$/);
    assert.match(rows[1] ?? '', /^Rollback of build, docs and 1 more to ‘v1’ · \d\d:\d\d$/);
    for (const label of rows) assert.doesNotMatch(label, /\d+ paths?\b/);
  });

  test('a one-file restore, and its undo, are said of the restore', () => {
    const root = snap('root', 'v1');
    const s1 = snap('s1', "before restoring src/a.ts from 'v1', 10:00", 'safety');
    const s2 = snap('s2', "before undoing the restore of src/a.ts from 'v1', 10:05", 'safety');
    const rows = headings([root, s1, s2], [rollback('rollback', 'root', 's1', ['src/a.ts']), rollback('undo', 's1', 's2', ['src/a.ts'])]);
    assert.match(rows[0] ?? '', /^Undo of the restore of src\/a\.ts from ‘v1’ · /);
    assert.match(rows[1] ?? '', /^Restore of src\/a\.ts from ‘v1’ · /);
  });
});
