import { readFile, realpath } from 'node:fs/promises';
import { mkdirPrivate } from '../base/private-fs.js';
import path from 'node:path';
import { writeFileAtomic } from './atomic-write.js';
import { z } from 'zod';
import { nullIfMissing, usageError } from '../base/errors.js';
import { withLock } from './locks.js';
import { type HomeLayout } from './paths.js';
import { PROVIDER_NAMES } from '../../shared/model.js';
import { quarantine } from './store.js';
import { validateSchedule } from '../triggers/schedule-expression.js';
import { DEFAULT_RETENTION, DEFAULT_SCHEDULE, type RetentionPolicy } from '../../shared/defaults.js';
import { statsdSettingsSchema } from './statsd-settings.js';

export { statsdSettingsSchema, type StatsdSettings } from './statsd-settings.js';

const count = z.number().int().min(0).max(10_000);

export const retentionSchema = z.object({
  hourly: count, daily: count, weekly: count, monthly: count,
  manual: count.min(1), safety: count.min(1), preOperation: count.min(1),
});

export const targetSettingsSchema = z.object({
  path: z.string().min(1).refine((p) => path.isAbsolute(p) && !p.includes('\0'), 'must be an absolute folder path'),
  schedule: z.string().refine((s) => validateSchedule(s) === null, { error: (issue) => `invalid schedule: ${validateSchedule(String(issue.input)) ?? ''}` }).default(DEFAULT_SCHEDULE),
  provider: z.enum(PROVIDER_NAMES).default('clone'),
  retention: retentionSchema.default(DEFAULT_RETENTION),
  paused: z.boolean().default(false),
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
});
export type Settings = z.infer<typeof settingsSchema>;

export function defaultSettings(): Settings {
  return settingsSchema.parse({});
}

export interface LoadedSettings {
  settings: Settings;
  /** Set when the file was unreadable: it was moved aside and defaults are in use. */
  warning: string | null;
}

/** User settings in one JSON file, validated on every read and write. */
export class SettingsStore {
  constructor(readonly layout: HomeLayout) {}

  async load(): Promise<LoadedSettings> {
    const file = this.layout.settingsFile;
    const text = await readFile(file, 'utf8').catch(nullIfMissing);
    if (text === null) return { settings: defaultSettings(), warning: null };
    let raw: unknown;
    let problem: string | null = null;
    try { raw = JSON.parse(text); } catch { problem = 'it is not valid JSON'; }
    if (problem === null) {
      const parsed = settingsSchema.safeParse(raw);
      if (parsed.success) return { settings: await canonicalFolders(parsed.data), warning: null };
      const issue = parsed.error.issues[0];
      problem = `${issue?.path.join('.') || 'top level'}: ${issue?.message ?? 'invalid'}`;
    }
    const aside = await quarantine(file);
    return { settings: defaultSettings(), warning: `the settings file was unreadable (${problem}); it was kept as ${aside} and defaults are in use` };
  }

  /** Validates a whole new settings object and writes it; invalid input changes nothing. */
  async save(next: unknown): Promise<Settings> {
    const parsed = settingsSchema.safeParse(next);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw usageError(`invalid settings: ${issue?.path.join('.') || 'top level'}: ${issue?.message ?? 'invalid'}`);
    }
    const settings = await canonicalFolders(parsed.data);
    const paths = settings.targets.map((t) => t.path);
    if (new Set(paths).size !== paths.length) throw usageError('invalid settings: a folder is listed twice');
    await mkdirPrivate(this.layout.root);
    await withLock(path.join(this.layout.locksDir, 'settings.lock'), { waitMs: 10_000, what: 'the settings file' }, async () => {
      await writeFileAtomic(this.layout.settingsFile, JSON.stringify(settings, null, 2) + '\n');
    });
    return settings;
  }
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
