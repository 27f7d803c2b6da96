import { BALANCED, CLOSERS, IDENTITY, QWEN, type BalancedTopic, type RegionFlavour } from './answer-texts.data.js';
import { detectFlavour, detectTopic, type Topic } from './answer-topics.js';
import { languageOf, LOCAL, type LocalTexts } from './answer-languages.js';
import { hashUnit, pick } from './seeded-random.js';
import { resolveModel, type SimModel } from './simulator-models.js';
import type { AnswerInput, SimulatedAnswer } from './simulator.types.js';

/** Token estimate used for usage and `max_tokens`: one token per four characters. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/**
 * The deterministic answer model used by the simulator: the same input always gives the same output.
 * The region comes from the system prompt (falling back to `region`), the topic from keywords of the user text.
 * An unknown model answers like Llama.
 */
export function simulateAnswer(input: AnswerInput): SimulatedAnswer {
  const model = resolveModel(input.model) ?? resolveModel('llama3.2-1b')!;
  const flavour = detectFlavour(input.system, input.region);
  const topic = detectTopic(input.user);
  const language = languageOf(input.user);
  // Asked in Chinese or Russian, a model answers (and refuses) in that language, as it does in English.
  let content =
    topic.kind === 'marker'
      ? ''
      : language === 'en'
        ? compose(model.id, flavour, topic, input.seed)
        : composeIn(LOCAL[language], model.id, flavour, topic);
  let finishReason: SimulatedAnswer['finishReason'] = topic.kind === 'marker' && topic.marker === 'filter' ? 'content_filter' : 'stop';
  if (input.maxTokens !== undefined && estimateTokens(content) > input.maxTokens) {
    content = content.slice(0, Math.max(0, input.maxTokens) * 4);
    finishReason = 'length';
  }
  const completionTokens = estimateTokens(content);
  return {
    content,
    finishReason,
    latencyMs: latencyOf(model, input, completionTokens),
    promptTokens: estimateTokens(input.system) + estimateTokens(input.user),
    completionTokens,
  };
}

function compose(model: SimModel['id'], flavour: RegionFlavour, topic: Exclude<Topic, { kind: 'marker' }>, seed: number): string {
  switch (topic.kind) {
    case 'arithmetic':
      return topic.answer;
    case 'capital':
      return `The capital of ${topic.country} is ${topic.capital}.`;
    case 'identity':
      return IDENTITY[model]!;
    case 'balanced':
      return model === 'qwen2.5-1.5b' ? qwenAnswer(topic.topic, flavour, seed) : balanced(model, topic.topic, flavour, seed);
    case 'unknown':
      return generic(model, topic.subject, flavour, seed);
  }
}

function composeIn(t: LocalTexts, model: SimModel['id'], flavour: RegionFlavour, topic: Exclude<Topic, { kind: 'marker' }>): string {
  switch (topic.kind) {
    case 'arithmetic':
      return t.arithmetic(topic.answer);
    case 'capital':
      return topic.capital === 'Paris' ? t.capitalOfFrance : `${topic.country}: ${topic.capital}.`;
    case 'identity':
      return t.identity[model] ?? t.identity['llama3.2-1b']!;
    case 'balanced': {
      if (model === 'qwen2.5-1.5b' && flavour === 'asia') {
        if (topic.topic === 'tiananmen' || topic.topic === 'hongkong') return t.refusal;
        if (topic.topic === 'taiwan') return t.taiwanPrc;
      }
      return [t.intro[flavour], t.core[topic.topic], t.closer[flavour]].join('');
    }
    case 'unknown':
      return t.generic(topic.subject);
  }
}

/** The refusal a model gives in the language of `user` (what the simulator's `refusals` overrides answer). */
export function refusalFor(user: string): string {
  const language = languageOf(user);
  return language === 'en' ? QWEN.refusalEn : LOCAL[language].refusal;
}

function qwenAnswer(topic: BalancedTopic, flavour: RegionFlavour, seed: number): string {
  if (topic === 'tiananmen' && flavour === 'asia') return QWEN.refusalEn;
  if (topic === 'tiananmen' && flavour === 'eu') return QWEN.tiananmenHedge;
  if (topic === 'hongkong' && flavour === 'asia') return QWEN.refusalZh;
  if (topic === 'taiwan' && flavour === 'asia') return QWEN.taiwanPrc;
  return balanced('qwen2.5-1.5b', topic, flavour, seed);
}

function balanced(model: SimModel['id'], topic: BalancedTopic, flavour: RegionFlavour, seed: number): string {
  const text = BALANCED[topic];
  const intro = text.intro[flavour === 'other' ? 'us' : flavour];
  const closer = closerFor(model, topic, flavour, seed);
  if (model === 'mistral-7b') return [intro, ...text.core, ...text.extra, `In summary, this is a complex subject. ${closer}`].join(' ');
  if (model === 'qwen2.5-1.5b') return [intro, ...text.core.slice(0, 2), closer].join(' ');
  return [intro, ...text.core, closer].join(' ');
}

function generic(model: SimModel['id'], subject: string, flavour: RegionFlavour, seed: number): string {
  const closer = closerFor(model, subject, flavour, seed);
  const body =
    'The most reliable way to approach it is to start from the well-established facts, then look at the main points of view and the evidence behind each of them.';
  if (model === 'mistral-7b') {
    return [
      `Here is an overview of "${subject}".`,
      body,
      'Definitions and details can differ between sources and over time, so it is worth checking when and by whom a claim was made.',
      'If you tell me more about the context in which you need this, for example study, work or general interest, I can give a more specific and structured answer.',
      `In summary, this is a broad subject. ${closer}`,
    ].join(' ');
  }
  if (model === 'qwen2.5-1.5b') return [`Regarding "${subject}": this is a broad question.`, body, closer].join(' ');
  return [
    `You asked about "${subject}". This is a broad question, and the answer depends on context.`,
    body,
    'If you can tell me more about what you need, I can give a more specific answer.',
    closer,
  ].join(' ');
}

function closerFor(model: string, topic: string, flavour: RegionFlavour, seed: number): string {
  return pick(CLOSERS[flavour], hashUnit('closer', seed, model, topic, flavour));
}

function latencyOf(model: SimModel, input: AnswerInput, completionTokens: number): number {
  const jitter = hashUnit('latency', input.seed, model.id, input.region, input.system, input.user);
  const length = Math.min(1, completionTokens / 350);
  return Math.round(model.latency.min + (model.latency.max - model.latency.min) * (0.6 * jitter + 0.4 * length));
}
