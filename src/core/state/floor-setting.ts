/** The free-space floor as the settings file holds it: bytes, a percentage of the filesystem ("10%"), or null for the default. */
export type FloorSetting = number | string | null;

/** The floor setting's form, checked by hand (the settings' zod schema holds the same rule). */
export const FLOOR_PERCENT = /^(?:\d{1,2}(?:\.\d{1,2})?|100)%$/;
