import { z } from 'zod';
import { ID_PATTERN, MAX_NOTE_LENGTH, MAX_TAG_LENGTH, PROVIDER_NAMES, TRIGGERS } from './model.js';
import type { ApiMethod, ApiRequest } from './api.js';

/**
 * The validators for every API request, applied on the trusted side (IPC handler, HTTP server) before the
 * core sees anything. Kept apart from api.ts so that the popover bundle does not carry zod.
 */
const id = z.string().regex(ID_PATTERN, 'not a snapshot id');
const relPath = z.string().min(1).max(4096).refine((p) => !p.includes('\0') && !p.startsWith('/') && !p.split('/').some((s) => s === '..' || s === '.' || s === ''), 'must be a path inside the folder, without .. segments');
const absFolder = z.string().min(1).max(4096).refine((p) => p.startsWith('/') && !p.includes('\0'), 'must be an absolute folder path');

/**
 * What each field of a request must be, in the words an error gives ("id must be a whole snapshot id…"), so a
 * refused request never shows the validator's own words; `item` is what each element of a list field must be.
 * Kept beside the validators: a field added below needs its words here (the API tests check every method).
 */
export const API_FIELD_WORDS: Readonly<Record<string, { whole: string; item?: string }>> = {
  id: { whole: "a whole snapshot id, such as 20261201-140200-1a2b3c (text); the API takes neither the beginning of an id nor 'latest' (the list method gives every id)" },
  target: { whole: 'an absolute folder path (text starting with /)' },
  path: { whole: 'a path inside the folder (text, relative, without .. segments)' },
  to: { whole: 'a path inside the folder that does not exist yet (text, relative, without .. segments)' },
  paths: { whole: 'a list of at most 1000 paths inside the folder, or null for the whole folder', item: 'a path inside the folder (text, relative, without .. segments)' },
  keepGit: { whole: 'true or false' },
  undoing: { whole: 'the whole id of the snapshot the undone rollback went to (text), as the undo offer names it' },
  paused: { whole: 'true or false' },
  undoLossConfirmed: { whole: 'true or false' },
  tag: { whole: `text of at most ${MAX_TAG_LENGTH} characters, or null` },
  schedule: { whole: 'a schedule (text of at most 1000 characters)' },
  query: { whole: 'a part of a path or a glob (text of 1 to 1000 characters)' },
  settings: { whole: 'the settings (an object)' },
  trigger: { whole: `what asked for the snapshot: one of ${TRIGGERS.join(', ')}` },
  provider: { whole: `auto or one of ${PROVIDER_NAMES.join(', ')}` },
  note: { whole: `text of at most ${MAX_NOTE_LENGTH} characters, or null` },
  exclude: { whole: 'a list of at most 1000 gitignore patterns', item: 'a gitignore pattern (text of 1 to 4096 characters)' },
};

/** Each method's validator; its output type must be the method's declared request type. */
export const apiRequestSchemas: { [M in ApiMethod]: z.ZodType<ApiRequest<M>> } = {
  status: z.object({}).strict(),
  list: z.object({ target: absFolder.optional() }).strict(),
  create: z.object({
    target: absFolder.optional(), tag: z.string().max(MAX_TAG_LENGTH).nullable().optional(), trigger: z.enum(TRIGGERS).optional(),
    provider: z.enum(['auto', ...PROVIDER_NAMES]).optional(), note: z.string().max(MAX_NOTE_LENGTH).nullable().optional(),
    exclude: z.array(z.string().min(1).max(4096)).max(1000).optional(),
  }).strict(),
  delete: z.object({ id, undoLossConfirmed: z.boolean().optional() }).strict(),
  diff: z.object({ id, paths: z.array(relPath).max(1000).nullable().optional(), keepGit: z.boolean().optional(), undoing: id.optional() }).strict(),
  fileDiff: z.object({ id, path: relPath }).strict(),
  rollback: z.object({ id, paths: z.array(relPath).max(1000).nullable().optional(), keepGit: z.boolean().optional() }).strict(),
  undo: z.object({ target: absFolder.optional() }).strict(),
  retry: z.object({ target: absFolder }).strict(),
  progress: z.object({}).strict(),
  getSettings: z.object({}).strict(),
  setSettings: z.object({ settings: z.unknown() }).strict(),
  setPaused: z.object({ paused: z.boolean() }).strict(),
  detect: z.object({ path: absFolder }).strict(),
  checkSchedule: z.object({ schedule: z.string().max(1000) }).strict(),
  searchFiles: z.object({ target: absFolder, query: z.string().min(1).max(1000) }).strict(),
  fileHistory: z.object({ target: absFolder, path: relPath }).strict(),
  restoreFile: z.object({ id, path: relPath, to: relPath.optional() }).strict(),
};


