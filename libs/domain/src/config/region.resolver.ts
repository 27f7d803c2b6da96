import type { BeaconConfig, RegionConfig } from './config.types.js';

/** The canonical id of `name` among `regions`, matching ids and aliases case-insensitively, or null. */
export function resolveRegionIn(regions: Readonly<Record<string, Pick<RegionConfig, 'id' | 'aliases'>>>, name: string): string | null {
  const wanted = name.toLowerCase();
  const all = Object.values(regions);
  const byId = all.find((region) => region.id.toLowerCase() === wanted);
  if (byId) return byId.id;
  const byAlias = all.find((region) => region.aliases.some((alias) => alias.toLowerCase() === wanted));
  return byAlias ? byAlias.id : null;
}

/** The canonical region id for an id or alias (`US`, `eu`, `APAC`), case-insensitive, or null if unknown. */
export function resolveRegion(config: Pick<BeaconConfig, 'regions'>, name: string): string | null {
  return resolveRegionIn(config.regions, name);
}
