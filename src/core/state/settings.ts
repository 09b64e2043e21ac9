import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { mkdirPrivate } from '../base/private-fs.js';
import path from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { z } from 'zod';
import { SnapctlError, nullIfMissing, usageError } from '../base/errors.js';
import { withLock } from './locks.js';
import { type HomeLayout } from './paths.js';
import { PROVIDER_NAMES, oneLine } from '../../shared/model.js';
import { shownName } from '../tree/names.js';
import { quarantine } from './store.js';
import { validateSchedule } from './schedule-expression.js';
import { DEFAULT_RETENTION, DEFAULT_SCHEDULE, MIN_STORE_LIMIT, type RetentionPolicy } from '../../shared/defaults.js';
import { statsdSettingsSchema } from './statsd-settings.js';
import { MAX_PATTERNS, excludePatternProblem } from '../tree/excludes.js';
import { FLOOR_PERCENT } from './floor-setting.js';

export { statsdSettingsSchema, type StatsdSettings } from './statsd-settings.js';

const count = z.number().int().min(0).max(10_000);

export const retentionSchema = z.object({
  hourly: count, daily: count, weekly: count, monthly: count,
  manual: count.min(1), safety: count.min(1), preOperation: count.min(1),
});

export const targetSettingsSchema = z.object({
  path: z.string().min(1, 'must be a full folder path, starting with /').refine((p) => path.isAbsolute(p) && !p.includes('\0'), 'must be a full folder path, starting with /'),
  schedule: z.string().refine((s) => validateSchedule(s) === null, { error: (issue) => validateSchedule(String(issue.input)) ?? 'not a schedule' }).default(DEFAULT_SCHEDULE),
  provider: z.enum(PROVIDER_NAMES).default('clone'),
  retention: retentionSchema.default(DEFAULT_RETENTION),
  paused: z.boolean().default(false),
  /** Leave every `.git` alone when rolling back: commits are never undone by a rollback. */
  keepGit: z.boolean().default(false),
  /** Gitignore patterns left out of its snapshots (and left alone by its rollbacks). */
  excludes: z.array(z.string().superRefine((p, ctx) => {
    const problem = excludePatternProblem(p);
    if (problem) ctx.addIssue({ code: 'custom', message: `${problem} (${oneLine(p.slice(0, 60))})` });
  })).max(MAX_PATTERNS).default([]),
  /** The most its snapshots may take in the store, in bytes: retention deletes the oldest timeline ones beyond it. */
  maxStoreBytes: z.number().int().min(MIN_STORE_LIMIT, 'must be at least 1 MB (1,000,000 bytes)').max(Number.MAX_SAFE_INTEGER).nullable().default(null),
});
export type TargetSettings = z.infer<typeof targetSettingsSchema>;


export const settingsSchema = z.object({
  version: z.literal(1).default(1),
  targets: z.array(targetSettingsSchema).max(100).default([]),
  statsd: statsdSettingsSchema.default({ enabled: true, host: '127.0.0.1', port: 8125, socket: null }),
  launchAtLogin: z.boolean().default(false),
  schedulePaused: z.boolean().default(false),
  /** Set once the first-run explanation has been seen. */
  onboarded: z.boolean().default(false),
  /**
   * The free space kept on the store's filesystem: bytes, or a percentage of the filesystem ("10%"); null
   * is the default (5% of it, at least 1 GB, at most a tenth). A scheduled snapshot that would go below it
   * prunes, then skips; a manual one is refused.
   */
  freeSpaceFloor: z.union([
    z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    z.string().regex(FLOOR_PERCENT, 'must be bytes or a percentage such as "10%"'),
  ]).nullable().default(null),
});
export type Settings = z.infer<typeof settingsSchema>;

export function defaultSettings(): Settings {
  return settingsSchema.parse({});
}

export interface LoadedSettings {
  settings: Settings;
  /**
   * Set when the file was unreadable (it was moved aside and defaults are in use), or when some of its parts
   * were left out (`problems`, in one sentence).
   */
  warning: string | null;
  /**
   * Each part of the file left out because it is not valid, in plain words with how to fix it: said again on
   * every load (status, the popover's problems) until the file is fixed or saved anew.
   */
  problems: string[];
}

/** User settings in one JSON file, validated on every read and write. */
export class SettingsStore {
  constructor(readonly layout: HomeLayout) {}

  async load(): Promise<LoadedSettings> {
    const file = this.layout.settingsFile;
    const text = await readFile(file, 'utf8').catch(nullIfMissing);
    if (text === null) return { settings: defaultSettings(), warning: null, problems: [] };
    let raw: unknown;
    let problem: string | null = null;
    try { raw = JSON.parse(text); } catch { problem = 'it is not valid JSON'; }
    if (problem === null) {
      const parsed = settingsSchema.safeParse(raw);
      if (parsed.success) return { settings: await canonicalFolders(parsed.data), warning: null, problems: [] };
      // One bad field costs that field (or, for a folder's path, that folder's entry), never the rest.
      const kept = keepValidParts(raw);
      if (kept !== null) {
        const aside = await keepOriginalAside(file, text);
        const problems = kept.dropped.map((d) => `the settings file: ${d}; fix it in ${file} (a copy of the file as it was is kept as ${aside}), or save the settings again`);
        return { settings: await canonicalFolders(kept.settings), warning: problems.join('; '), problems };
      }
      problem = settingsProblem(parsed.error.issues[0], raw);
    }
    const aside = await quarantine(file);
    const warning = `the settings file was unreadable (${problem}); it was kept as ${aside} and defaults are in use`;
    return { settings: defaultSettings(), warning, problems: [warning] };
  }

  /** Validates a whole new settings object and writes it; invalid input changes nothing. */
  async save(next: unknown, options: { mustExist?: (folder: string) => boolean } = {}): Promise<Settings> {
    const parsed = settingsSchema.safeParse(next);
    if (!parsed.success) {
      throw usageError(settingsProblem(parsed.error.issues[0], next), 'nothing was saved');
    }
    const settings = await canonicalFolders(parsed.data);
    const paths = settings.targets.map((t) => t.path);
    const twice = paths.find((p, i) => paths.indexOf(p) !== i);
    if (twice !== undefined) throw usageError(`the folder ${shownName(twice)} is listed twice`, 'remove one of them; nothing was saved');
    for (const p of paths) await refuseUnwatchable(p, this.layout.root);
    for (const t of settings.targets) {
      if (!options.mustExist?.(t.path)) continue;
      const st = await stat(t.path).catch(nullIfMissing);
      if (st === null) throw usageError(`the folder ${shownName(t.path)} does not exist`, 'choose a folder that exists; nothing was saved');
      if (!st.isDirectory()) throw usageError(`${shownName(t.path)} is not a folder`, 'choose a folder; nothing was saved');
    }
    await mkdirPrivate(this.layout.root, { mayBeLink: true });
    await this.layout.assertFolders();
    await withLock(path.join(this.layout.locksDir, 'settings.lock'), { waitMs: 10_000, what: 'the settings file' }, async () => {
      await writeFileAtomic(this.layout.settingsFile, JSON.stringify(settings, null, 2) + '\n');
    });
    return settings;
  }
}

/** The copy of a settings file with a part left out, made once per content (each load finds it again). */
async function keepOriginalAside(file: string, text: string): Promise<string> {
  const dir = path.dirname(file);
  const base = `${path.basename(file)}.bad-`;
  const names = (await readdir(dir).catch(() => [])).filter((n) => n.startsWith(base)).sort();
  for (const n of names) {
    if ((await readFile(path.join(dir, n), 'utf8').catch(() => null)) === text) return path.join(dir, n);
  }
  const aside = path.join(dir, `${base}${new Date().toISOString().replace(/[:.]/g, '-')}`);
  await writeFileAtomic(aside, text);
  return aside;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The settings with every invalid part left out: a bad field takes its default (the folder's own, inside a
 * folder's entry), a folder entry without a valid path is left out whole, keys snapctl does not know are
 * ignored. Null when the file is no settings object at all. `dropped` says, in plain words, what was left out.
 */
function keepValidParts(raw: unknown): { settings: Settings; dropped: string[] } | null {
  if (!isObject(raw)) return null;
  const current = structuredClone(raw);
  const original = structuredClone(raw);
  const dropped: string[] = [];
  const topDefaults = defaultSettings() as unknown as Json;
  const targetDefaults = targetSettingsSchema.parse({ path: '/' }) as unknown as Json;
  // One round per bad part: enough for every field of a hundred folders.
  for (let round = 0; round < 5_000; round++) {
    const parsed = settingsSchema.safeParse(current);
    if (parsed.success) return { settings: parsed.data, dropped };
    const issue = parsed.error.issues[0];
    if (!issue) return null;
    const at = issue.path.filter((k): k is string | number => typeof k !== 'symbol');
    const said = settingsProblem(issue, original);
    if (issue.code === 'unrecognized_keys') {
      const holder = valueAt(current, at);
      if (!isObject(holder)) return null;
      for (const k of issue.keys) delete holder[k];
      dropped.push(`${said}: ignored`);
      continue;
    }
    const targets = current['targets'];
    // Too many folders (or patterns): the first ones the limit allows are kept, those past it named, never all lost.
    const tooMany = issue.code === 'too_big' ? valueAt(current, at) : undefined;
    if (Array.isArray(tooMany) && issue.code === 'too_big' && typeof issue.maximum === 'number') {
      const over = tooMany.splice(Number(issue.maximum));
      const names = at[0] === 'targets' && at.length === 1 ? over.map((t: unknown) => (isObject(t) && typeof t['path'] === 'string' ? shownName(t['path']) : '?')) : [];
      dropped.push(`${said}: only the first ${String(issue.maximum)} are used${names.length > 0 ? `; left out: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}` : ''}`);
      if (at[0] === 'targets' && at.length === 1) (original['targets'] as unknown[]).splice(Number(issue.maximum));
      continue;
    }
    if (at[0] === 'targets' && typeof at[1] === 'number' && Array.isArray(targets)) {
      if (at.length === 2 || at[2] === 'path') {
        targets.splice(at[1], 1);
        (original['targets'] as unknown[]).splice(at[1], 1);
        dropped.push(`${said}: that folder is left out until it is fixed`);
        continue;
      }
      if (!replaceWithDefault(targets[at[1]], at.slice(2), targetDefaults)) return null;
      dropped.push(`${said}: the default is used instead`);
      continue;
    }
    if (at.length === 0 || !replaceWithDefault(current, at, topDefaults)) return null;
    dropped.push(`${said}: the default is used instead`);
  }
  return null;
}

function valueAt(root: unknown, at: readonly (string | number)[]): unknown {
  let v = root;
  for (const k of at) v = isObject(v) || Array.isArray(v) ? (v as Record<string | number, unknown>)[k] : undefined;
  return v;
}

/**
 * Puts the default value at `at` inside `holder` (the value of that path in `defaults`), or removes the key
 * where a default fills in; false when the path leads nowhere to fix.
 */
function replaceWithDefault(holder: unknown, at: readonly (string | number)[], defaults: Json): boolean {
  if (at.length === 0) return false;
  const parent = valueAt(holder, at.slice(0, -1));
  const key = at[at.length - 1] as string | number;
  if (!isObject(parent) && !Array.isArray(parent)) return false;
  const fallback = valueAt(defaults, at);
  const into = parent as Record<string | number, unknown>;
  if (fallback === undefined) {
    if (Array.isArray(parent) && typeof key === 'number') parent.splice(key, 1); else delete into[key];
  } else {
    into[key] = structuredClone(fallback);
  }
  return true;
}

/**
 * Folders snapctl must never watch: the filesystem root, its own state folder, and any folder inside it or
 * holding it (a rollback there would delete the store itself).
 */
async function refuseUnwatchable(folder: string, stateRoot: string): Promise<void> {
  if (path.parse(folder).root === folder) throw usageError(`the folder ${shownName(folder)} is the whole filesystem, which snapctl does not snapshot`, 'choose a project folder; nothing was saved');
  const { assertApartFromState } = await import('./apart-from-state.js');
  await assertApartFromState(folder, stateRoot).catch((err: unknown) => {
    if (err instanceof SnapctlError) throw usageError(`the folder ${shownName(folder)} cannot be watched: ${err.message}`, 'choose a project folder outside it; nothing was saved');
    throw err;
  });
}

/** How a person says each settings field. */
const FIELD_WORDS: Record<string, string> = {
  path: 'its path', schedule: 'its schedule', provider: 'its snapshot method', paused: 'its pause switch', keepGit: 'its "leave .git alone" switch',
  retention: 'how many snapshots it keeps', hourly: 'hourly snapshots kept', daily: 'daily snapshots kept', weekly: 'weekly snapshots kept',
  monthly: 'monthly snapshots kept', manual: 'manual snapshots kept', safety: 'safety snapshots kept', preOperation: 'snapshots kept from before commands',
  statsd: 'metrics', enabled: 'the on/off switch', host: 'the host', port: 'the port', socket: 'the socket path',
  launchAtLogin: 'start at login', schedulePaused: 'the pause of all schedules', onboarded: 'the first-run flag', version: 'the version',
  targets: 'the folders', excludes: 'its excludes', maxStoreBytes: 'its maximum store size', freeSpaceFloor: 'the free-space floor',
};

/** A zod message in plain words: what the value must be. */
function plainMessage(issue: z.core.$ZodIssue): string {
  // A schema's own message is already in these words.
  if (issue.message.startsWith('must ')) return oneLine(issue.message);
  switch (issue.code) {
    case 'invalid_type': return `must be ${issue.expected === 'number' ? 'a number' : issue.expected === 'boolean' ? 'on or off (true or false)' : issue.expected === 'string' ? 'text' : issue.expected === 'array' ? 'a list' : issue.expected === 'object' ? 'a group of settings' : issue.expected}`;
    case 'too_small': return `must be at least ${String(issue.minimum)}`;
    case 'too_big': return `must be at most ${String(issue.maximum)}`;
    case 'invalid_value': return `must be one of ${issue.values.map(String).join(', ')}`;
    case 'unrecognized_keys': return `has settings snapctl does not know: ${oneLine(issue.keys.join(', '))}`;
    default: return oneLine(issue.message);
  }
}

/**
 * A settings problem the way a person says it: "the folder /x: its schedule: the minute must be 0-59; 61
 * was given", never "targets.0.schedule".
 */
export function settingsProblem(issue: z.core.$ZodIssue | undefined, raw: unknown): string {
  if (!issue) return 'the settings are not valid';
  const parts: string[] = [];
  const at = issue.path;
  let i = 0;
  if (at[0] === 'targets' && typeof at[1] === 'number') {
    const targets = typeof raw === 'object' && raw !== null && 'targets' in raw && Array.isArray(raw.targets) ? (raw.targets as unknown[]) : [];
    const entry = targets[at[1]];
    const folder = typeof entry === 'object' && entry !== null && 'path' in entry && typeof entry.path === 'string' && entry.path !== '' ? entry.path : null;
    parts.push(folder ? `the folder ${shownName(folder)}` : `folder number ${at[1] + 1}`);
    i = 2;
  }
  for (; i < at.length; i++) {
    const key = at[i];
    if (typeof key === 'string') parts.push(FIELD_WORDS[key] ?? oneLine(key));
  }
  const message = at[at.length - 1] === 'path' && at[0] === 'targets' ? 'must be a full folder path, starting with /' : plainMessage(issue);
  return [...parts, message].join(': ');
}

/**
 * Folders are keys (of retention policies, schedules, snapshots' records), so each is written the way the
 * service resolves a folder: absolute, no trailing slash, symlinks resolved. A folder that does not exist
 * (yet, or any more) keeps its normalised path.
 */
async function canonicalFolders(settings: Settings): Promise<Settings> {
  const targets = await Promise.all(settings.targets.map(async (t) => ({ ...t, path: await realpath(t.path).catch(() => path.resolve(t.path)) })));
  return { ...settings, targets };
}

/** The retention policy of a folder (resolved path) in these settings; folders not listed get the default. */
export function retentionPolicyFor(settings: Settings, target: string): RetentionPolicy {
  return settings.targets.find((t) => t.path === target)?.retention ?? DEFAULT_RETENTION;
}

/** What the service applies itself of a folder's settings (folders not listed get the defaults). */
export function policyOf(settings: Settings, target: string): { excludes: string[]; floor: number | string | null; maxStoreBytes: number | null; retention: RetentionPolicy } {
  const t = settings.targets.find((x) => x.path === target);
  return { excludes: t?.excludes ?? [], floor: settings.freeSpaceFloor, maxStoreBytes: t?.maxStoreBytes ?? null, retention: t?.retention ?? DEFAULT_RETENTION };
}
