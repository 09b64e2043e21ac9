import assert from 'node:assert/strict';
import { stat } from 'node:fs/promises';
import { describe, test } from 'node:test';
import { serviceSandbox } from '../../helpers/helpers.js';
import { createSnapshot } from '../../../src/core/service/create.js';
import { listSnapshots } from '../../../src/core/service/queries.js';

describe('folders snapctl will not snapshot', () => {
  const sb = serviceSandbox();

  test('a folder on a virtual filesystem (proc, sysfs, devpts) is refused up front, naming it and why; nothing is stored', { skip: process.platform !== 'linux' }, async () => {
    // /proc/self resolves to /proc/<pid>: the refusal names the folder the store would record.
    const cases: [string, string, RegExp][] = [['/proc/self', 'proc', /^\/proc\/\d+$/], ['/sys/kernel', 'sysfs', /^\/sys\/kernel$/], ['/dev/pts', 'devpts', /^\/dev\/pts$/]];
    for (const [input, kind, real] of cases) {
      if (!(await stat(input).catch(() => null))) continue;
      await assert.rejects(createSnapshot(sb.service, { path: input, tag: null, trigger: 'manual' }), (err: Error) => {
        const named = /^refusing to snapshot (\S+): it is on the (\S+) virtual filesystem, whose files the kernel makes up as they are read/.exec(err.message);
        assert.ok(named, err.message);
        assert.match(named[1] ?? '', real);
        assert.equal(named[2], kind);
        return true;
      }, input);
    }
    assert.equal((await listSnapshots(sb.service)).length, 0);
  });
});
