import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CloneProvider } from '../../src/core/providers/clone/clone-provider.js';
import type { CreateRequest, CreatedSnapshot } from '../../src/core/providers/provider.js';
import { ChangeTracker } from '../../src/core/runtime/change-tracker.js';
import { ServiceContext } from '../../src/core/service/context.js';
import { createSnapshot } from '../../src/core/service/create.js';
import { rollback } from '../../src/core/service/rollback.js';

/** The clone provider telling (on stdout) whether each snapshot's walk was narrowed by the change journal. */
class Telling extends CloneProvider {
  override async create(request: CreateRequest): Promise<CreatedSnapshot> {
    const made = await super.create(request);
    process.stdout.write(`${made.narrowed ? 'narrowed' : 'walked'}\n`);
    return made;
  }
}

/**
 * The app's runtime in a process of its own, for kill tests: watches FOLDER, takes its newest snapshot, makes
 * an edit the journal sees and a write through mmap it cannot (TEXT over data/table.bin), then rolls back to
 * SNAPSHOT (killed part way with SNAPCTL_FAULT_KILL_AT). Args: HOME FOLDER SNAPSHOT TEXT.
 */
async function main(): Promise<void> {
  const [home, dir, snapshot, text] = process.argv.slice(2) as [string, string, string, string];
  const tracker = new ChangeTracker();
  const ctx = new ServiceContext({ home, providers: { clone: new Telling(path.join(home, 'clone')) }, changes: tracker });
  await tracker.watch([dir]);
  await createSnapshot(ctx, { path: dir, provider: 'clone' });
  await writeFile(path.join(dir, 'src', 'seen.js'), `seen ${text}\n`);
  execFileSync('python3', ['-c', [
    'import mmap, os, sys',
    'fd = os.open(sys.argv[1], os.O_RDWR)',
    'm = mmap.mmap(fd, 4096)',
    'b = sys.argv[2].encode()',
    'm[0:len(b)] = b',
    'm.flush(); m.close(); os.close(fd)',
  ].join('\n'), path.join(dir, 'data', 'table.bin'), text]);
  await tracker.mark(dir);
  await rollback(ctx, snapshot);
  await tracker.stop();
}

main().then(() => process.exit(0), (err: unknown) => { process.stderr.write(`${String(err)}\n`); process.exit(1); });
