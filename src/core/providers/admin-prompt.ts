import { access, constants } from 'node:fs/promises';
import path from 'node:path';
import { SnapctlError } from '../base/errors.js';
import { appleScriptString, shellQuote } from '../base/quoting.js';
import type { ToolResult, ToolRunner } from './tools.js';

/**
 * Runs one command with administrator rights behind macOS's own password prompt: `osascript` with
 * `do shell script … with administrator privileges`, as @vscode/sudo-prompt does (that package runs an
 * applet bundle through `open`, which no stand-in on PATH can test; the AppleScript call is all it takes).
 * Only the command given is elevated (mounting and unmounting an APFS snapshot); everything else, the
 * restore included, runs as the user, so no root write can follow a user's symlink.
 *
 * AppleScript needs the command as one shell line: the tool is looked up on PATH here and every word is
 * single-quoted, so nothing in it is ever read by the shell as syntax.
 */
export async function runAsAdmin(tools: ToolRunner, tool: string, args: readonly string[], why: string): Promise<ToolResult> {
  const line = [await lookUp(tools, tool), ...args].map(shellQuote).join(' ');
  const script = `do shell script ${appleScriptString(line)} with prompt ${appleScriptString(why)} with administrator privileges`;
  const r = await tools.run('osascript', ['-e', script]);
  // osascript's own error -128 is the user pressing Cancel.
  if (r.exitCode !== 0 && /\(-128\)/.test(r.stderr)) throw new SnapctlError('usage', 'the administrator password was not given, so the snapshot could not be mounted', 'nothing was changed; try again and enter the password');
  return r;
}

/** The tool's absolute path on the runner's PATH: the elevated shell has a PATH of its own. */
async function lookUp(tools: ToolRunner, tool: string): Promise<string> {
  for (const dir of (tools.env['PATH'] ?? '').split(path.delimiter)) {
    if (!path.isAbsolute(dir)) continue;
    const candidate = path.join(dir, tool);
    if (await access(candidate, constants.X_OK).then(() => true, () => false)) return candidate;
  }
  throw new SnapctlError('unsupported', `${tool} is not installed or not on PATH`);
}
