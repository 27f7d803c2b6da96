import type { JudgeChatRequest } from '@beacon/classifier';
import type { CallFailure, ProviderConfig } from '@beacon/domain';

/** One chat request: system and user as separate messages. */
export interface ChatRequest extends JudgeChatRequest {
  /** Largest response body read; a longer one is abandoned as `response_too_large` (default 4 MiB). */
  maxResponseBytes?: number;
  /** The API to call (its kind picks the adapter); absent: the OpenAI-compatible API at `baseUrl`. */
  provider?: ProviderConfig;
  /** bedrock: the access key id and session token paired with `apiKey` (the secret access key). */
  credentials?: { accessKeyId: string | null; sessionToken: string | null };
  /**
   * The Beacon region the call is made for (its canonical id, e.g. `eu-west`). Only an API that routes by a region
   * named in the request reads it (hybrid-router: `region_preference`); the others are routed by `baseUrl` alone.
   */
  regionId?: string;
}

/** A usable answer. */
export interface ChatSuccess {
  ok: true;
  status: number;
  content: string | null;
  refusal: string | null;
  finishReason: string | null;
  inputTokens: number | null;
  outputTokens: number | null;
  usage: Record<string, unknown> | null;
  requestId: string | null;
  /** The model the upstream says answered (`model` of the response), if it says. */
  responseModel?: string | null;
  /** Where the provider says the call ran (a region or data-centre header or field), if it says. */
  regionObserved?: string | null;
  /**
   * The provider's own safety signal when it blocked or cut the answer (e.g. `gemini finishReason SAFETY
   * (HARM_CATEGORY_HARASSMENT: HIGH)`); `finishReason` is then `content_filter`, which labels the cell `filtered`.
   */
  safety?: string | null;
  latencyMs: number;
}

/** A failed call, classified for the retry policy. */
export interface ChatFailure {
  ok: false;
  failure: CallFailure;
  status: number | null;
  body: string | null;
  requestId: string | null;
  regionObserved?: string | null;
  latencyMs: number;
}

/** Anything that can answer a chat request (the OpenAI-compatible HTTP client, or a test double). */
export interface ChatProvider {
  chat(req: ChatRequest): Promise<ChatSuccess | ChatFailure>;
  close(): Promise<void>;
}
