/** The placeholder a prompt template must contain; replaced by the region's display name. */
export const REGION_NAME_PLACEHOLDER = '{region_name}';

/** The system prompt for one region: every `{region_name}` in `template` replaced by `regionDisplayName`. */
export function renderSystemPrompt(template: string, regionDisplayName: string): string {
  return template.split(REGION_NAME_PLACEHOLDER).join(regionDisplayName);
}
