import path from 'node:path';
import type { AdminPrompt } from '../providers/admin-prompt.js';
import { ApfsProvider } from '../providers/apfs.js';
import { BtrfsProvider } from '../providers/btrfs.js';
import { CloneProvider } from '../providers/clone/clone-provider.js';
import type { SnapshotProvider } from '../providers/provider.js';
import { ToolRunner } from '../providers/tools.js';
import { ZfsProvider } from '../providers/zfs.js';
import type { ProviderName } from '../../shared/model.js';

/** Every provider, with the tools looked up on the PATH of `env`. */
export function defaultProviders(cloneDir: string, env: NodeJS.ProcessEnv = process.env, adminPrompt: boolean | AdminPrompt = false): Record<ProviderName, SnapshotProvider> {
  const timeout = Number(env['SNAPCTL_TOOL_TIMEOUT_MS']);
  const tools = new ToolRunner({ env, ...(Number.isFinite(timeout) && timeout > 0 ? { timeoutMs: timeout } : {}) });
  const dataVolume = env['SNAPCTL_APFS_VOLUME']?.trim();
  return {
    clone: new CloneProvider(cloneDir),
    btrfs: new BtrfsProvider(tools, { stateDir: path.dirname(cloneDir) }),
    zfs: new ZfsProvider(tools, env['SNAPCTL_ZFS_ANY_FS'] !== '1'),
    apfs: new ApfsProvider({ tools, adminPrompt, ...(dataVolume ? { dataVolume, platform: 'darwin' as const } : {}) }),
  };
}
