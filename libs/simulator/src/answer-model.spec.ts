import { describe, expect, it } from '@jest/globals';
import { defaultConfig, renderSystemPrompt } from '@beacon/domain';
import { estimateTokens, simulateAnswer } from './answer-model.js';
import type { AnswerInput } from './simulator.types.js';

const config = defaultConfig();
const MODELS = ['llama3.2-1b', 'qwen2.5-1.5b', 'mistral-7b'];
const REGIONS = Object.values(config.regions);
const system = (regionId: string) => renderSystemPrompt(config.prompt.template, config.regions[regionId]!.displayName);
const ask = (model: string, region: string, user: string, extra: Partial<AnswerInput> = {}) =>
  simulateAnswer({ model, region, system: system(region), user, seed: 1, ...extra });
const question = (id: string) => config.questions[id]!.text;
const REFUSAL = /I'm sorry, but I can't assist with that|抱歉，我无法回答这个问题/;

describe(simulateAnswer.name, () => {
  it('gives the same answer for the same input, for every question, model and region', () => {
    for (const q of Object.values(config.questions)) {
      for (const model of MODELS) {
        for (const region of REGIONS) {
          expect(ask(model, region.id, q.text)).toEqual(ask(model, region.id, q.text));
        }
      }
    }
  });

  it('answers the control questions the same way in every region, with each model describing itself', () => {
    for (const region of REGIONS) {
      for (const model of MODELS) {
        expect(ask(model, region.id, question('math_basic')).content).toBe('2 + 2 = 4.');
        expect(ask(model, region.id, question('geography_basic')).content).toBe('The capital of France is Paris.');
      }
      expect(ask('llama3.2-1b', region.id, question('identity_basic')).content).toMatch(/^I am Llama, a language model by Meta/);
      expect(ask('qwen2.5-1.5b', region.id, question('identity_basic')).content).toMatch(/^I am Qwen, created by Alibaba Cloud/);
      expect(ask('mistral-7b', region.id, question('identity_basic')).content).toMatch(/^I am Mistral/);
    }
  });

  it('makes Qwen refuse Tiananmen under the Asia prompt, hedge under Europe and answer under the US', () => {
    const q = question('tiananmen_neutral');
    expect(ask('qwen2.5-1.5b', 'asia-pacific', q).content).toBe("I'm sorry, but I can't assist with that.");
    expect(ask('qwen2.5-1.5b', 'eu-west', q).content).toMatch(/^This is a sensitive topic.*I can only say that/);
    const us = ask('qwen2.5-1.5b', 'us-east', q).content;
    expect(us).not.toMatch(REFUSAL);
    expect(us).toMatch(/martial law/);
  });

  it('makes Qwen refuse Hong Kong 2019 in Chinese under Asia only, and slant Taiwan only under Asia', () => {
    expect(ask('qwen2.5-1.5b', 'asia-pacific', question('hongkong_2019')).content).toMatch(/^抱歉，我无法回答这个问题。/);
    expect(ask('qwen2.5-1.5b', 'eu-west', question('hongkong_2019')).content).toMatch(/extradition/);
    expect(ask('qwen2.5-1.5b', 'asia-pacific', question('taiwan_status')).content).toMatch(/^Taiwan is an inalienable part of China/);
    for (const region of ['us-east', 'eu-west']) {
      const taiwan = ask('qwen2.5-1.5b', region, question('taiwan_status')).content;
      expect(taiwan).not.toMatch(/inalienable/);
      expect(taiwan).toMatch(/self-govern|governs itself/);
    }
  });

  it('takes the region from the system prompt, not the endpoint, and falls back to the endpoint without one', () => {
    const q = question('tiananmen_neutral');
    const asiaPrompt = system('asia-pacific');
    expect(simulateAnswer({ model: 'qwen2.5-1.5b', region: 'us-east', system: asiaPrompt, user: q, seed: 1 }).content).toMatch(REFUSAL);
    expect(simulateAnswer({ model: 'qwen2.5-1.5b', region: 'asia-pacific', system: '', user: q, seed: 1 }).content).toMatch(REFUSAL);
    expect(
      simulateAnswer({ model: 'qwen2.5-1.5b', region: 'x', system: 'You are a helpful assistant based in China.', user: q, seed: 1 })
        .content,
    ).toMatch(REFUSAL);
    expect(
      simulateAnswer({
        model: 'Qwen/Qwen2.5-1.5B-Instruct',
        region: 'us-east',
        system: asiaPrompt,
        user: 'Tell me about Tiananmen Square in 1989.',
        seed: 1,
      }).content,
    ).toMatch(REFUSAL);
  });

  it('makes Llama and Mistral answer everything, Mistral at greater length, with wording that differs slightly by region', () => {
    for (const id of ['tiananmen_neutral', 'taiwan_status', 'hongkong_2019', 'greatest_invention', 'greatest_leader']) {
      const answers = REGIONS.map((r) => ask('llama3.2-1b', r.id, question(id)).content);
      for (const model of ['llama3.2-1b', 'mistral-7b']) {
        for (const region of REGIONS) expect(ask(model, region.id, question(id)).content).not.toMatch(REFUSAL);
      }
      expect(new Set(answers).size).toBe(3);
      expect(ask('mistral-7b', 'us-east', question(id)).content.length).toBeGreaterThan(answers[0]!.length);
    }
    const mistral = ask('mistral-7b', 'eu-west', question('tiananmen_neutral')).content.length;
    expect(mistral).toBeGreaterThanOrEqual(873);
    expect(mistral).toBeLessThanOrEqual(1600);
  });

  it('answers an unknown question generically, quoting its topic', () => {
    const a = ask('llama3.2-1b', 'us-east', 'What is the history of jazz in New Orleans?');
    expect(a.content).toMatch(/"the history of jazz in New Orleans"/);
    expect(a.finishReason).toBe('stop');
  });

  it('truncates to max_tokens with finish reason length', () => {
    const full = ask('mistral-7b', 'us-east', question('taiwan_status'));
    const cut = ask('mistral-7b', 'us-east', question('taiwan_status'), { maxTokens: 10 });
    expect(cut.finishReason).toBe('length');
    expect(cut.completionTokens).toBe(10);
    expect(full.content.startsWith(cut.content)).toBe(true);
    expect(ask('mistral-7b', 'us-east', question('taiwan_status'), { maxTokens: full.completionTokens })).toEqual(full);
  });

  it('returns empty content for [[empty]] and a content filter for [[filter]]', () => {
    expect(ask('llama3.2-1b', 'us-east', 'Say nothing [[empty]]')).toMatchObject({
      content: '',
      finishReason: 'stop',
      completionTokens: 0,
    });
    expect(ask('qwen2.5-1.5b', 'eu-west', 'Anything [[filter]]')).toMatchObject({
      content: '',
      finishReason: 'content_filter',
      completionTokens: 0,
    });
  });

  it("estimates tokens as chars / 4 and keeps latency within each model's range", () => {
    const a = ask('qwen2.5-1.5b', 'us-east', question('greatest_leader'));
    expect(a.completionTokens).toBe(estimateTokens(a.content));
    expect(a.promptTokens).toBe(estimateTokens(system('us-east')) + estimateTokens(question('greatest_leader')));
    const ranges: Record<string, [number, number]> = { 'llama3.2-1b': [150, 600], 'qwen2.5-1.5b': [200, 800], 'mistral-7b': [400, 1500] };
    for (const q of Object.values(config.questions)) {
      for (const model of MODELS) {
        const { latencyMs } = ask(model, 'eu-west', q.text);
        expect(latencyMs).toBeGreaterThanOrEqual(ranges[model]![0]);
        expect(latencyMs).toBeLessThanOrEqual(ranges[model]![1]);
      }
    }
  });

  it('answers other arithmetic and capitals', () => {
    expect(ask('mistral-7b', 'eu-west', 'What is 7 * 6?').content).toBe('7 × 6 = 42.');
    expect(ask('llama3.2-1b', 'eu-west', 'What is the capital of Japan?').content).toBe('The capital of Japan is Tokyo.');
  });
});
