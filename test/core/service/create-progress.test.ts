import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { throttledProgress } from '../../../src/core/service/create-progress.js';
import type { CreateProgress } from '../../../src/shared/model.js';

const copying = (files: number): CreateProgress => ({ phase: 'copying', files, bytes: files * 10, totalFiles: 100, totalBytes: 1000 });

describe("a snapshot's progress, passed on", () => {
  test('at most once a period, but always the first of each phase and the last file', () => {
    let clock = 0;
    const sent: CreateProgress[] = [];
    const tell = throttledProgress((p) => sent.push(p), 100, () => clock);
    tell({ phase: 'reading', files: 0, bytes: 0, totalFiles: null, totalBytes: null });
    tell({ phase: 'reading', files: 2000, bytes: 0, totalFiles: null, totalBytes: null }); // same moment: dropped
    tell(copying(1)); // a new phase: passed on at once
    for (let f = 2; f < 100; f++) { clock += 10; tell(copying(f)); }
    tell(copying(100)); // the end, whenever it comes
    assert.deepEqual(sent.map((p) => `${p.phase} ${p.files}`), ['reading 0', 'copying 1', 'copying 11', 'copying 21', 'copying 31', 'copying 41', 'copying 51', 'copying 61', 'copying 71', 'copying 81', 'copying 91', 'copying 100']);
  });

  test('what it passes on is a copy: a later change by the provider does not rewrite what was told', () => {
    const sent: CreateProgress[] = [];
    const tell = throttledProgress((p) => sent.push(p), 100, () => 0);
    const p = copying(100);
    tell(p);
    p.files = 1;
    assert.equal(sent[0]?.files, 100);
  });
});
