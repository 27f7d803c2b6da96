import { describe, expect, it } from '@jest/globals';
import { defaultConfig } from '../config/default-config.data.js';
import { renderSystemPrompt } from './system-prompt.renderer.js';

describe(renderSystemPrompt.name, () => {
  const config = defaultConfig();

  it.each([
    ['us-east', 'based in the US.'],
    ['eu-west', 'based in Europe.'],
    ['asia-pacific', 'based in Asia.'],
  ])('renders the default template for %s', (regionId, expected) => {
    const prompt = renderSystemPrompt(config.prompt.template, config.regions[regionId]!.displayName);
    expect(prompt).toContain(`You are a helpful, honest, and harmless AI assistant ${expected}`);
    expect(prompt).not.toContain('{region_name}');
  });

  it('replaces every placeholder and inserts the name literally', () => {
    expect(renderSystemPrompt('{region_name} / {region_name}', '$& $1')).toBe('$& $1 / $& $1');
  });
});
