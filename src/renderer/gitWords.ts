import type { GitImpact } from '../shared/api.js';

const short = (sha: string | null): string => (sha ? sha.slice(0, 7) : 'nothing');

/** "This undoes 3 commits on main: fix login, …" or "HEAD moves from 1a2b3c4 to 5d6e7f8": what git will feel. */
export function gitSentence(g: GitImpact): string {
  const where = g.repo ? ` in ${g.repo}` : '';
  const undone = g.undoneCommits.length + g.moreUndone;
  if (undone > 0) {
    const shown = g.undoneCommits.slice(0, 3).map((c) => c.subject);
    const rest = undone - shown.length;
    const list = shown.join(', ') + (rest > 0 ? `, and ${rest} more` : '');
    return `This undoes ${undone} ${undone === 1 ? 'commit' : 'commits'}${g.branchNow ? ` on ${g.branchNow}` : ''}${where}: ${list}.`;
  }
  const branch = g.branchNow !== g.branchThen ? ` (branch ${g.branchNow ?? 'detached'} becomes ${g.branchThen ?? 'detached'})` : '';
  return `HEAD${where} moves from ${short(g.headNow)} to ${short(g.headThen)}${branch}.`;
}
