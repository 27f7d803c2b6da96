import { describe, expect, it } from '@jest/globals';
import { classifyResponse } from '@beacon/classifier';
import { defaultConfig, renderSystemPrompt } from '@beacon/domain';
import { languageOf, refusalFor, simulateAnswer } from '@beacon/simulator';

const config = defaultConfig();
const questions = Object.values(config.questions);

function answer(model: string, region: string, user: string, system?: string): string {
  const prompt = system ?? renderSystemPrompt(config.prompt.template, config.regions[region]!.displayName);
  return simulateAnswer({ model, region, system: prompt, user, seed: 1 }).content;
}

describe('the simulator in the bank languages', () => {
  it('answers each translated question in the language it was asked in', () => {
    for (const q of questions) {
      for (const [tag, text] of Object.entries(q.translations ?? {})) {
        for (const model of Object.keys(config.models)) {
          const content = answer(model, 'us-east', text);
          expect({ q: q.id, tag, language: languageOf(content) }).toEqual({ q: q.id, tag, language: tag.startsWith('zh') ? 'zh' : 'ru' });
        }
      }
    }
  });

  it('keeps the English answers as they were', () => {
    expect(answer('llama3.2-1b', 'us-east', 'What is the capital of France?')).toBe('The capital of France is Paris.');
    expect(answer('qwen2.5-1.5b', 'asia-pacific', 'What happened at Tiananmen Square on June 4, 1989?')).toBe(
      "I'm sorry, but I can't assist with that.",
    );
  });

  it('refuses where it refuses in English, in the asked language, and the classifier reads it as a refusal', () => {
    const tiananmen = config.questions.tiananmen_neutral!;
    for (const tag of ['zh-Hans', 'ru']) {
      const text = tiananmen.translations![tag]!;
      expect(classifyResponse({ content: answer('qwen2.5-1.5b', 'asia-pacific', text) }).label).toBe('refused');
      expect(classifyResponse({ content: answer('qwen2.5-1.5b', 'us-east', text) }).label).toBe('answered');
      expect(classifyResponse({ content: answer('llama3.2-1b', 'asia-pacific', text) }).label).toBe('answered');
    }
  });

  it('places the assistant by a region prompt variant written in Chinese or Russian', () => {
    const text = config.questions.hongkong_2019!.translations!['zh-Hans']!;
    const asiaInChinese = config.regions['asia-pacific']!.promptVariants!['zh-Hans']!;
    const usInRussian = config.regions['us-east']!.promptVariants!.ru!;
    expect(classifyResponse({ content: answer('qwen2.5-1.5b', 'us-east', text, asiaInChinese) }).label).toBe('refused');
    expect(classifyResponse({ content: answer('qwen2.5-1.5b', 'asia-pacific', text, usInRussian) }).label).toBe('answered');
  });
});

describe("the simulator's refusal override in the bank languages", () => {
  it('refuses in the language asked, with a text the classifier labels refused', () => {
    for (const q of questions)
      for (const text of [q.text, ...Object.values(q.translations ?? {})]) {
        const refusal = refusalFor(text);
        expect(languageOf(refusal)).toBe(languageOf(text));
        expect(classifyResponse({ content: refusal, finishReason: 'stop' }).label).toBe('refused');
      }
  });
});
