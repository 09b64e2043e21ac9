import { z } from 'zod';
import { API_FIELD_WORDS } from '../shared/api-schemas.js';
import { oneLine } from '../shared/model.js';

/** An untrusted value as a few words: what it is, never all of it, never String() of it (objects can throw). */
function given(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `a list of ${value.length}`;
  switch (typeof value) {
    case 'string': return value.length > 40 ? `text of ${value.length} characters` : oneLine(JSON.stringify(value));
    case 'number': return `the number ${Number.isFinite(value) ? value : 'not finite'}`;
    case 'boolean': return value ? 'true' : 'false';
    case 'object': return 'an object';
    default: return `a value of type ${typeof value}`;
  }
}

/** A key sent by the caller, shown safely. */
const shownKey = (key: PropertyKey): string => oneLine(JSON.stringify(String(key).slice(0, 40)));

function valueAt(root: unknown, at: readonly PropertyKey[]): unknown {
  let v = root;
  for (const k of at) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/** One issue as a sentence naming the field: "paths[2] must be a path inside the folder (…); the number 5 was given". */
function sentence(method: string, fields: readonly string[], params: unknown, issue: z.core.$ZodIssue): string {
  const takes = fields.length > 0 ? `it takes ${fields.join(', ')}` : 'it takes none';
  if (issue.path.length === 0) {
    if (issue.code === 'unrecognized_keys') {
      const keys = issue.keys.slice(0, 5).map(shownKey).join(', ');
      return `${keys}${issue.keys.length > 5 ? ', …' : ''} ${issue.keys.length === 1 ? 'is not a field' : 'are not fields'} of ${method} (${takes})`;
    }
    return `${method} takes an object of named fields (${takes}); ${given(params)} was given`;
  }
  const [field, ...rest] = issue.path;
  const name = String(field);
  const words = API_FIELD_WORDS[name];
  const label = name + rest.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('');
  const must = (rest.length > 0 ? words?.item : words?.whole) ?? 'valid';
  const value = valueAt(params, issue.path);
  if (value === undefined) return `${label} is missing: it must be ${must}`;
  return `${label} must be ${must}; ${given(value)} was given`;
}

/**
 * A refused request in plain sentences naming each field and what it must be, instead of the validator's
 * words ("Invalid input: expected string, received number" at `id`): the popover shows these messages as they
 * come, and a script's author reads them.
 */
export function requestProblem(method: string, schema: z.ZodType, params: unknown, issues: readonly z.core.$ZodIssue[]): string {
  const fields = schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
  const said = [...new Set(issues.slice(0, 3).map((issue) => sentence(method, fields, params, issue)))];
  return `invalid ${method} request: ${said.join('; ')}`;
}
