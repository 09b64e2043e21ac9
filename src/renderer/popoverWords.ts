/**
 * The core's errors end with what to do, in the CLI's words ("'snapctl undo --path /x' returns the folder…",
 * "pass --path DIR"): the one line both the CLI and the API carry. A popover user has buttons, not a shell, so
 * where an error is shown in the popover its advice is said in the popover's words; advice with no popover
 * equivalent is dropped rather than shown as a command to type. What went wrong is never changed.
 */

type Rule = [RegExp, string];

/**
 * Known advice, most specific first. Paths sit inside single quotes ('snapctl undo --path /a b') or run to the
 * closing parenthesis of the hint, so they are matched up to those, and may hold spaces.
 */
const RULES: Rule[] = [
  // A rollback that stopped part way (the service's and the restore's words): Retry and Undo are the ways out.
  [/'snapctl status' shows it; /g, ''],
  [/'snapctl recover' \(or any command\) finishes it/g, 'Retry finishes it'],
  [/'snapctl recover' finishes it/g, 'Retry finishes it'],
  [/ \(or 'snapctl recover --abandon(?: --path [^']*)?' gives it up\)/g, ''],
  [/any snapctl command finishes the rollback/g, 'Retry finishes the rollback'],
  [/run any snapctl command to finish it first/g, 'finish it first with Retry, or undo it'],
  [/'snapctl undo(?: --path [^']*)?'/g, 'Undo'],
  // A damaged journal: setting it aside has no button; the safety snapshot to go back to is in the list.
  [/run 'snapctl recover --abandon(?: --path [^']*)?' to set it aside, then roll back again \(the safety snapshot taken before it is in 'snapctl list'\)/g,
    'it has to be set aside (from a terminal) before this folder can roll back again; the safety snapshot taken before it is in the list'],
  // Damaged snapshots: the list marks them.
  [/'snapctl verify [^']*' checks (?:all of it|the whole snapshot); /g, ''],
  [/'snapctl verify [^']*' checks the whole snapshot/g, 'another snapshot may hold a good copy'],
  [/'snapctl verify' names the paths/g, 'the list marks them damaged'],
  [/\('snapctl verify' names the damaged snapshots\)/g, '(the list marks them damaged)'],
  [/, or restore other paths with --only/g, ', or untick the damaged paths'],
  // An immutable file in the way of a rollback: unticking it leaves it out.
  [/, or leave (it|them) out with --only/g, ', or untick $1'],
  // Deleting and listing: the list is right there.
  [/delete (?:the record|it) with 'snapctl delete [^']*'/g, 'delete it in the list'],
  [/delete old snapshots \([^()]*'snapctl [^()]*\)/g, 'delete old snapshots in the list'],
  [/run 'snapctl list' to see (?:the snapshots|them)/g, 'the list shows them'],
  // A file's history: Find a file.
  [/'snapctl find .*? --path [^']*' finds names like it/g, 'Find a file finds names like it (type part of the name)'],
  [/'snapctl history [^']*' lists the snapshots that hold it/g, 'Find a file lists the snapshots that hold it'],
  [/; 'snapctl find' lists them/g, ''],
  [/'snapctl restore [^']* --to FILE' writes (?:a copy|copies) elsewhere/g, 'Save a copy beside it writes a copy'],
  [/choose another place, or pass --force to replace it \(a link is replaced, never written through\)/g, 'move or rename it first: the popover never writes over a file'],
  // An undo lost with its safety snapshot: the id appears nowhere in the popover, so it is left out.
  [/its safety snapshot \d{8}-\d{6}-[0-9a-f]+ (was|is)\b/g, 'its safety snapshot $1'],
  // Folders: picked in the folder list, added in Settings.
  [/\(pass --path ([^()]+)\)$/, '(choose $1 in the folder list, or add it in Settings)'],
  [/pass --path DIR(?: to name the folder)?, or run the command inside (?:it|the folder)/g, 'choose the folder in the folder list'],
  [/take one with 'snapctl create --path [^']*'/g, 'take one with Snapshot now'],
  [/'snapctl create --path [^']*' takes one/g, 'Snapshot now takes one'],
  [/ \(snapctl create --provider clone\)/g, ''],
  [/, or move the snapctl store elsewhere with SNAPCTL_HOME/g, ''],
];

/** Advice in the CLI's words: a quoted or backquoted snapctl command, or an option such as --path. */
const CLI = /['`]snapctl [a-z]|(?:^|[\s('`])--[a-z]/;

/** Drops the clauses (split at "; ") that still give CLI advice; the first, what went wrong, always stays. */
function dropCliClauses(text: string, keepFirst: boolean): string {
  return text.split('; ').filter((clause, i) => (keepFirst && i === 0) || !CLI.test(clause)).join('; ');
}

/** An error or problem from the core, as the popover says it. */
export function popoverWords(text: string): string {
  let out = text;
  for (const [pattern, words] of RULES) out = out.replace(pattern, words);
  if (!CLI.test(out)) return out;
  // Advice no rule knows: a parenthesis holding only CLI advice goes, then each clause still giving it.
  out = out.replace(/ ?\(([^()]*)\)/g, (whole, inner: string) => {
    if (!CLI.test(inner)) return whole;
    const kept = dropCliClauses(inner, false);
    return kept ? ` (${kept})` : '';
  });
  return dropCliClauses(out, true);
}
