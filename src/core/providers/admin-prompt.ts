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
export async function runAsAdmin(tools: ToolRunner, tool: string, args: readonly string[], why: string, prompt: AdminPrompt = {}): Promise<ToolResult> {
  const line = [await lookUp(tools, tool), ...args].map(shellQuote).join(' ');
  const script = `do shell script ${appleScriptString(line)} with prompt ${appleScriptString(why)} with administrator privileges`;
  const step = async (): Promise<ToolResult> => {
    try {
      // A person types a password here: the tools' timeout, meant for a stuck disk, would kill a slow one.
      return await tools.run('osascript', ['-e', script], { timeoutMs: prompt.timeoutMs ?? ADMIN_PROMPT_TIMEOUT_MS });
    } catch (err) {
      if (err instanceof SnapctlError && /did not answer within/.test(err.message)) {
        throw new SnapctlError('failed', `the administrator password prompt was not answered within ${Math.round((prompt.timeoutMs ?? ADMIN_PROMPT_TIMEOUT_MS) / 60_000)} minutes, so the snapshot was not mounted`, 'nothing was changed; try again and enter the password');
      }
      throw err;
    }
  };
  const r = await (prompt.around ? prompt.around(step) : step());
  // osascript's own error -128 is the user pressing Cancel.
  if (r.exitCode !== 0 && /\(-128\)/.test(r.stderr)) throw new SnapctlError('usage', 'the administrator password was not given, so the snapshot could not be mounted', 'nothing was changed; try again and enter the password');
  return r;
}

/** How long the password prompt may wait for a person (the mount it elevates included). */
export const ADMIN_PROMPT_TIMEOUT_MS = 10 * 60_000;

/**
 * What the app that shows the password prompt does around it: the tray app keeps its popover up while macOS
 * asks (menubar would hide it when the prompt takes the focus) and shows the result after. `true` in the
 * options that take one means the prompt with nothing around it.
 */
export interface AdminPrompt {
  around?: <T>(step: () => Promise<T>) => Promise<T>;
  timeoutMs?: number;
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
