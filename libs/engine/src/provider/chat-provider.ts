import type { JudgeChatRequest } from '@beacon/classifier';
import type { CallFailure } from '@beacon/domain';

/** One chat-completions request: system and user as separate messages. */
export interface ChatRequest extends JudgeChatRequest {
  /** Largest response body read; a longer one is abandoned as `response_too_large` (default 4 MiB). */
  maxResponseBytes?: number;
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
  latencyMs: number;
}

/** A failed call, classified for the retry policy. */
export interface ChatFailure {
  ok: false;
  failure: CallFailure;
  status: number | null;
  body: string | null;
  requestId: string | null;
  latencyMs: number;
}

/** Anything that can answer a chat request (the OpenAI-compatible HTTP client, or a test double). */
export interface ChatProvider {
  chat(req: ChatRequest): Promise<ChatSuccess | ChatFailure>;
  close(): Promise<void>;
}
