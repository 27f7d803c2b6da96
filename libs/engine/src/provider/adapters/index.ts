import type { ProviderKind } from '@beacon/domain';
import type { ProviderAdapter } from '../adapter.js';
import { anthropicAdapter } from './anthropic.adapter.js';
import { azureOpenAiAdapter } from './azure-openai.adapter.js';
import { bedrockAdapter } from './bedrock.adapter.js';
import { geminiAdapter } from './gemini.adapter.js';
import { hybridRouterAdapter } from './hybrid-router.adapter.js';
import { ollamaAdapter } from './ollama.adapter.js';
import { openAiAdapter } from './openai.adapter.js';

/** Every adapter, by kind; a kind without one is refused at call time with a clear message. */
export const ADAPTERS: ReadonlyMap<ProviderKind, ProviderAdapter> = new Map<ProviderKind, ProviderAdapter>(
  [openAiAdapter, anthropicAdapter, geminiAdapter, bedrockAdapter, azureOpenAiAdapter, ollamaAdapter, hybridRouterAdapter].map((a) => [
    a.kind,
    a,
  ]),
);
