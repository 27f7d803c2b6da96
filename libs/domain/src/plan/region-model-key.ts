declare const regionModelKeyBrand: unique symbol;

/**
 * One (region, model) pair as a single string, for maps kept per endpoint (the engine's breakers, retry budgets,
 * claim-ahead queues and claim backoff). Branded so that only {@link regionModelKey} makes one and
 * {@link splitRegionModelKey} reads one back.
 */
export type RegionModelKey = string & { readonly [regionModelKeyBrand]: true };

/** The key of `region` and `modelId`. */
export function regionModelKey(region: string, modelId: string): RegionModelKey {
  return `${region}|${modelId}` as RegionModelKey;
}

/** The region and model a key was made of (the model is all after the first separator, so it may hold one itself). */
export function splitRegionModelKey(key: RegionModelKey): { region: string; modelId: string } {
  const at = key.indexOf('|');
  return { region: key.slice(0, at), modelId: key.slice(at + 1) };
}
