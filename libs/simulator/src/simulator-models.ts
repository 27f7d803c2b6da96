/** A model the simulator serves, with its aliases and its plausible latency range. */
export interface SimModel {
  /** Canonical id, as in the built-in configuration. */
  id: 'llama3.2-1b' | 'qwen2.5-1.5b' | 'mistral-7b';
  /** Other names accepted in the request's `model` field (Hugging Face ids). */
  aliases: readonly string[];
  /** `owned_by` of the models listing. */
  ownedBy: string;
  /** Latency of an answer, in milliseconds, before `latencyScale`. */
  latency: { min: number; max: number };
}

/** The models of the Go runner's deployments. */
export const SIM_MODELS: readonly SimModel[] = [
  { id: 'llama3.2-1b', aliases: ['meta-llama/Llama-3.2-1B-Instruct'], ownedBy: 'meta', latency: { min: 150, max: 600 } },
  { id: 'qwen2.5-1.5b', aliases: ['Qwen/Qwen2.5-1.5B-Instruct'], ownedBy: 'alibaba', latency: { min: 200, max: 800 } },
  { id: 'mistral-7b', aliases: ['mistralai/Mistral-7B-Instruct-v0.3'], ownedBy: 'mistralai', latency: { min: 400, max: 1500 } },
];

/** The model named by an id or alias (exact match), or undefined. */
export function resolveModel(name: string): SimModel | undefined {
  return SIM_MODELS.find((m) => m.id === name || m.aliases.includes(name));
}
