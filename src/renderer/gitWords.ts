import type { GitImpact } from '../shared/api.js';

const short = (sha: string | null): string => (sha ? sha.slice(0, 7) : 'nothing');
const commits = (n: number): string => `${n} ${n === 1 ? 'commit' : 'commits'}`;

/** The first three subjects, then how many more. */
function subjects(listed: { subject: string }[], more: number): string {
  const shown = listed.slice(0, 3).map((c) => c.subject);
  const rest = listed.length + more - shown.length;
  return shown.join(', ') + (rest > 0 ? `, and ${rest} more` : '');
}

/**
 * "This undoes 3 commits on main: fix login, …", "HEAD moves forward 5 commits to 1a2b3c4 (add the parser);
 * no commit is undone." or "HEAD moves from 1a2b3c4 to 5d6e7f8": what git will feel.
 */
export function gitSentence(g: GitImpact): string {
  const where = g.repo ? ` in ${g.repo}` : '';
  const undone = g.undoneCommits.length + g.moreUndone;
  const gained = g.gainedCommits.length + g.moreGained;
  const undoes = undone > 0 ? `This undoes ${commits(undone)}${g.branchNow ? ` on ${g.branchNow}` : ''}${where}: ${subjects(g.undoneCommits, g.moreUndone)}.` : '';
  const target = `${short(g.headThen)}${g.gainedCommits[0]?.sha === g.headThen && g.gainedCommits[0]?.subject ? ` (${g.gainedCommits[0].subject})` : ''}`;
  const branch = g.branchNow !== g.branchThen ? ` (branch ${g.branchNow ?? 'detached'} becomes ${g.branchThen ?? 'detached'})` : '';
  if (g.direction === 'forward' && gained > 0) return `HEAD${where} moves forward ${commits(gained)} to ${target}${branch}; ${undoes ? undoes.replace(/^This/, 'it also') : 'no commit is undone.'}`;
  if (g.direction === 'sideways') {
    const goesTo = `HEAD${where} moves to another line of history, ${target}${branch}${gained > 0 ? `, with ${commits(gained)} it does not reach now: ${subjects(g.gainedCommits, g.moreGained)}` : ''}.`;
    return undoes ? `${undoes} ${goesTo}` : goesTo;
  }
  if (undoes) return undoes;
  return `HEAD${where} moves from ${short(g.headNow)} to ${short(g.headThen)}${branch}.`;
}
