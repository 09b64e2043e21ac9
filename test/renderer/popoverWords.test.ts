import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { popoverWords } from '../../src/renderer/popoverWords.js';

const T = '/home/me/code/my app';
/** What a popover user cannot act on: a snapctl command to type, or an option. */
const CLI_ADVICE = /snapctl (?:status|recover|undo|verify|delete|list|find|history|create|prune|restore)\b|--[a-z]/;

// The core's own lines (SnapctlError.line: "message (hint)"), as the API carries them to the popover.
const FROM_THE_CORE: [what: string, line: string, want: RegExp][] = [
  ['a rollback that stopped part way',
    `the rollback of ${T} to 'before upgrade' stopped part way: a.txt: the operation is not permitted ('snapctl status' shows it; once that is fixed, 'snapctl recover' finishes it, or 'snapctl undo --path ${T}' returns the folder to how it was before)`,
    /^the rollback of .* stopped part way: a\.txt: the operation is not permitted \(once that is fixed, Retry finishes it, or Undo returns the folder to how it was before\)$/],
  ['an interrupted rollback that cannot finish yet',
    `the interrupted rollback of ${T} to 20261124-215500-a1b2c3 cannot be finished yet: the disk is full (once that is fixed, 'snapctl recover' (or any command) finishes it; 'snapctl undo --path ${T}' returns the folder to how it was before)`,
    /\(once that is fixed, Retry finishes it; Undo returns the folder to how it was before\)$/],
  ['an interrupted rollback that cannot finish at all',
    `the interrupted rollback of ${T} to 20261124-215500-a1b2c3 cannot be finished: its data is gone ('snapctl undo --path ${T}' returns the folder to how it was before it (or 'snapctl recover --abandon --path ${T}' gives it up))`,
    /its data is gone \(Undo returns the folder to how it was before it\)$/],
  ['a damaged journal (a problem in the banner)',
    `the rollback journal j.json of ${T} is damaged: an interrupted rollback there cannot be finished and the folder may be half restored; run 'snapctl recover --abandon --path ${T}' to set it aside, then roll back again (the safety snapshot taken before it is in 'snapctl list')`,
    /is damaged: .*half restored; it has to be set aside \(from a terminal\) before this folder can roll back again; the safety snapshot taken before it is in the list$/],
  ['a damaged snapshot refused before a rollback',
    `snapshot 20261124-215500-a1b2c3 of ${T} is damaged: a.txt is missing (nothing in the folder was changed; 'snapctl verify 20261124-215500-a1b2c3' checks all of it; roll back to another snapshot, or restore other paths with --only)`,
    /\(nothing in the folder was changed; roll back to another snapshot, or untick the damaged paths\)$/],
  ['damaged snapshots (a folder problem)',
    "2 snapshot(s) of this folder are damaged: 'snapctl verify' names the paths; they are not used to share files",
    /^2 snapshot\(s\) of this folder are damaged: the list marks them damaged; they are not used to share files$/],
  ['a corrupt stored file',
    "the stored copy of a.txt in snapshot 20261124-215500-a1b2c3 does not match its hash ('snapctl verify 20261124-215500-a1b2c3' checks the whole snapshot)",
    /does not match its hash \(another snapshot may hold a good copy\)$/],
  ['a snapshot the system removed',
    "macOS removed the APFS snapshot com.apple.TimeMachine.x (delete the record with 'snapctl delete 20261124-215500-a1b2c3')",
    /\(delete it in the list\)$/],
  ['the free-space floor',
    "nothing was written; free some space, delete old snapshots ('snapctl prune', 'snapctl delete ID'), add excludes for caches, or lower the floor in Settings",
    /free some space, delete old snapshots in the list, add excludes for caches, or lower the floor in Settings$/],
  ['an undo lost with its safety snapshot (said where the Undo was)',
    "the last rollback (rolled back to 'first' at 10:35) can no longer be undone: its safety snapshot 20261124-215500-a1b2c3 was deleted",
    /^the last rollback \(rolled back to 'first' at 10:35\) can no longer be undone: its safety snapshot was deleted$/],
  ['a snapshot part of an unfinished rollback',
    `snapshot 20261124-215500-a1b2c3 is part of an unfinished rollback of ${T} (run any snapctl command to finish it first)`,
    /\(finish it first with Retry, or undo it\)$/],
  ['a search in a folder inside the one with snapshots',
    `snapctl has no snapshots of ${T}/src: it is inside ${T}, which has (pass --path ${T})`,
    /^snapctl has no snapshots of .*\/src: it is inside .*, which has \(choose \/home\/me\/code\/my app in the folder list, or add it in Settings\)$/],
  ['a folder without snapshots',
    `snapctl has no snapshots of ${T} (take one with 'snapctl create --path ${T}')`,
    /\(take one with Snapshot now\)$/],
  ['a name in no snapshot',
    `notes.txt is in none of the 3 snapshot(s) of ${T} ('snapctl find "*notes.txt*" --path ${T}' finds names like it)`,
    /\(Find a file finds names like it \(type part of the name\)\)$/],
  ['a path the snapshot holds that the excludes now leave out',
    "gen/out.js: snapshot 'before build' (20261124-215500-a1b2c3) holds it, but the folder's excludes now leave it out (or a CACHEDIR.TAG does), and a rollback leaves excluded paths alone ('snapctl restore 20261124-215500-a1b2c3 gen/out.js --to FILE' writes a copy elsewhere, or take the pattern out of the excludes in Settings; nothing was changed)",
    /holds it, but .* leaves excluded paths alone \(Save a copy beside it writes a copy, or take the pattern out of the excludes in Settings; nothing was changed\)$/],
  ['a copy that would overwrite',
    'notes (from 20261124-215500-a1b2c3).txt already exists: nothing was written (choose another place, or pass --force to replace it (a link is replaced, never written through))',
    /already exists: nothing was written \(move or rename it first: the popover never writes over a file\)$/],
  ['a folder snapshot of a btrfs folder with nested subvolumes',
    `${T} holds other subvolumes (use the clone provider for this folder (snapctl create --provider clone))`,
    /\(use the clone provider for this folder\)$/],
  ['a full disk',
    'ENOSPC: no space left on device, write (the disk is full: free some space, or move the snapctl store elsewhere with SNAPCTL_HOME; nothing was lost)',
    /\(the disk is full: free some space; nothing was lost\)$/],
  ['a link replaced while a rollback ran',
    "the rollback stopped without writing: src was replaced while it ran (any snapctl command finishes the rollback)",
    /\(Retry finishes the rollback\)$/],
];

describe('popover words: errors from the core say what a popover user can do', () => {
  for (const [what, line, want] of FROM_THE_CORE) {
    test(`${what}: no command to type, the popover's way out instead`, () => {
      const said = popoverWords(line);
      assert.doesNotMatch(said, CLI_ADVICE, said);
      assert.match(said, want);
    });
  }

  test('saying it twice changes nothing (the transport words every refusal, a screen may word what it adds again)', () => {
    for (const [what, line] of FROM_THE_CORE) assert.equal(popoverWords(popoverWords(line)), popoverWords(line), what);
  });

  test('what went wrong is kept word for word; only the advice changes', () => {
    const line = `the rollback of ${T} to 'x' stopped part way: EPERM ('snapctl status' shows it; once that is fixed, 'snapctl recover' finishes it, or 'snapctl undo --path ${T}' returns the folder to how it was before)`;
    assert.ok(popoverWords(line).startsWith(`the rollback of ${T} to 'x' stopped part way: EPERM (`));
  });

  test('advice no rule knows is dropped, clause by clause, never the message itself', () => {
    assert.equal(popoverWords("a thing went wrong ('snapctl frobnicate --all' fixes it)"), 'a thing went wrong');
    assert.equal(popoverWords("a thing went wrong (wait a minute; 'snapctl frobnicate' fixes it)"), 'a thing went wrong (wait a minute)');
    assert.equal(popoverWords("a thing went wrong; pass --frob to fix it; then try again"), 'a thing went wrong; then try again');
  });

  test('words already meant for the popover pass unchanged', () => {
    for (const line of [
      `snapctl knows nothing of the folder ${T} (add it in Settings)`,
      `the folder ${T} no longer exists: roll back to a snapshot to bring it back, or remove it in Settings`,
      'snapctl is not answering: is `snapctl serve` still running?',
      'the folder /x does not exist (choose a folder that exists)',
      'a plain error -- with a dash',
    ]) assert.equal(popoverWords(line), line);
  });
});
