import type { ProviderConfig, ProviderKind } from '@beacon/domain';
import type { ChatFailure, ChatRequest, ChatSuccess } from './chat-provider.js';

/** The HTTP request an adapter makes of a {@link ChatRequest}. */
export interface PreparedCall {
  url: string;
  method: 'POST';
  headers: Record<string, string>;
  body: string;
}

/** What came back, read by the transport: the body capped, redacted of every known secret, as text. */
export interface UpstreamAnswer {
  status: number;
  /** Header names lower-cased; a repeated header's first value. */
  headers: Readonly<Record<string, string>>;
  text: string;
  requestId: string | null;
  regionObserved: string | null;
  latencyMs: number;
}

/**
 * One inference API: how a chat request becomes an HTTP call and how its answer becomes a success or a classified
 * failure. Adapters are pure mappings; the transport ({@link HttpChatProvider}) owns connections, timeouts, the response
 * cap, secret redaction and the network failures, so every kind behaves the same there. Retries are never the
 * adapter's: every retry goes through the queue.
 */
export interface ProviderAdapter {
  readonly kind: ProviderKind;
  /** Response headers holding the upstream's request id, most specific first. */
  readonly requestIdHeaders: readonly string[];
  /** Response headers naming where the call ran, most specific first (the config's `regionHeader` is read before these). */
  readonly regionHeaders: readonly string[];
  /** The call to make; may sign it (bedrock). `apiKey` is the region's key, already looked up. */
  prepare(req: ChatRequest, provider: ProviderConfig): PreparedCall | Promise<PreparedCall>;
  /** A 2xx answer: the reply, or `invalid_response` (or an error the API reports with a 2xx status). */
  parseSuccess(answer: UpstreamAnswer): ChatSuccess | ChatFailure;
  /**
   * A non-2xx answer: the failure, with the API's own message, and any overload or quota signal mapped to a retryable
   * status (e.g. Anthropic's 529 `overloaded_error`, Bedrock's `ThrottlingException`); `Retry-After` is read by
   * {@link httpFailure} unless the adapter knows better. A refusal by the provider's safety system that the API sends
   * as an HTTP error (Azure's 400 `content_filter` on a prompt) is a success with `finishReason: 'content_filter'`.
   */
  parseError(answer: UpstreamAnswer): ChatSuccess | ChatFailure;
}
