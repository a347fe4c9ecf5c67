import type { Admin, ConfigResourceTypeName } from '@sluice/client';

/** Sources of a config value that are overrides set on the resource itself (what AlterConfigs replaces). */
const OVERRIDE_SOURCES: ReadonlySet<string> = new Set(['dynamic-topic-config', 'dynamic-broker-config']);

export interface ConfigEdit {
  readonly set: ReadonlyMap<string, string>;
  readonly remove: readonly string[];
}

/** The overrides of a topic or broker: the configs set on it, not inherited. */
export async function readOverrides(
  admin: Admin,
  type: ConfigResourceTypeName,
  name: string,
  options: { timeoutMs: number; signal: AbortSignal },
): Promise<Map<string, string>> {
  const [description] = await admin.describeConfigs([{ type, name }], options);
  const overrides = new Map<string, string>();
  for (const entry of description.configs) {
    if (OVERRIDE_SOURCES.has(entry.source) && entry.value !== null) overrides.set(entry.name, entry.value);
  }
  return overrides;
}

/**
 * Changes some overrides of a topic or broker and keeps the others. AlterConfigs replaces the whole set of
 * overrides, so this reads them first (as kafka-configs does with that API); a change made by someone else
 * between the read and the write is lost. Returns the overrides now in force.
 */
export async function editOverrides(
  admin: Admin,
  type: ConfigResourceTypeName,
  name: string,
  edit: ConfigEdit,
  options: { timeoutMs: number; signal: AbortSignal },
): Promise<Map<string, string>> {
  const overrides = await readOverrides(admin, type, name, options);
  for (const key of edit.remove) overrides.delete(key);
  for (const [key, value] of edit.set) overrides.set(key, value);
  await admin.alterConfigs([{ type, name, configs: Object.fromEntries(overrides) }], options);
  return overrides;
}
