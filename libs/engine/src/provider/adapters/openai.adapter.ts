import type { ProviderConfig } from '@beacon/domain';
import { injectTraceHeaders } from '@beacon/observability';
import type { ChatFailure, ChatRequest, ChatSuccess } from '../chat-provider.js';
import type { PreparedCall, ProviderAdapter, UpstreamAnswer } from '../adapter.js';
import { errorMessageOf, field, httpFailure, invalidResponse, parseJson, str, toInt } from '../adapter-util.js';

/** The chat-completions body shared by the OpenAI-compatible and Azure OpenAI adapters. */
export function chatCompletionsBody(req: ChatRequest, model: string | undefined = req.model): string {
  return JSON.stringify({
    ...(model === undefined ? {} : { model }),
    messages: [
      { role: 'system', content: req.system },
      { role: 'user', content: req.user },
    ],
    temperature: req.temperature,
    max_tokens: req.maxTokens,
  });
}

/** JSON in and out, with the active span's traceparent so a gateway joins the attempt's trace (undici is not instrumented). */
export function jsonHeaders(extra: Record<string, string> = {}): Record<string, string> {
  return injectTraceHeaders({ 'content-type': 'application/json', accept: 'application/json', ...extra });
}

/**
 * A chat-completions answer: `choices[0].message` (content as a string or text parts, `refusal`), `finish_reason`,
 * `usage`. Some gateways answer 200 with an error object instead of an HTTP error: that is an `invalid_response`
 * naming the error.
 */
export function parseChatCompletion(answer: UpstreamAnswer): ChatSuccess | ChatFailure {
  const json = parseJson(answer.text);
  if (json === undefined) return invalidResponse(answer, 'response is not JSON');
  const choices = field(json, 'choices');
  const choice = Array.isArray(choices) ? (choices[0] as unknown) : undefined;
  const message = field(choice, 'message');
  if (message === null || typeof message !== 'object') {
    const said = errorMessageOf(answer.text);
    return invalidResponse(answer, said ? `response is an error: ${said.slice(0, 300)}` : 'response has no choices[0].message');
  }
  const content = contentText(field(message, 'content'));
  if (content === undefined) return invalidResponse(answer, 'choices[0].message.content is neither a string nor a list of text parts');
  const refusal = str(field(message, 'refusal'));
  const usage = field(json, 'usage');
  const model = str(field(json, 'model'));
  return {
    ok: true,
    responseModel: model ? model.slice(0, 200) : null,
    status: answer.status,
    requestId: answer.requestId,
    regionObserved: answer.regionObserved,
    latencyMs: answer.latencyMs,
    content,
    refusal: refusal ? refusal : null,
    finishReason: str(field(choice, 'finish_reason')),
    inputTokens: toInt(field(usage, 'prompt_tokens')),
    outputTokens: toInt(field(usage, 'completion_tokens')),
    usage: usage !== null && typeof usage === 'object' ? (usage as Record<string, unknown>) : null,
  };
}

/**
 * The message text: a string, null, or a list of content parts (`[{type: "text", text}]`, as some servers send) whose
 * text parts are joined; other parts (thinking, images) are not the answer. `undefined` when it is none of these.
 */
function contentText(content: unknown): string | null | undefined {
  if (content === null || content === undefined) return null;
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return undefined;
  const parts: string[] = [];
  for (const part of content) {
    if (typeof part === 'string') parts.push(part);
    else if (part && typeof part === 'object' && field(part, 'type') === 'text' && typeof field(part, 'text') === 'string') {
      parts.push(field(part, 'text') as string);
    } else if (!part || typeof part !== 'object') return undefined;
  }
  return parts.join('');
}

/** OpenAI-compatible chat completions (`POST {baseUrl}/chat/completions`, bearer key): OpenAI, vLLM, llama.cpp, OpenRouter, Together, Groq… */
export const openAiAdapter: ProviderAdapter = {
  kind: 'openai',
  requestIdHeaders: ['x-request-id'],
  regionHeaders: [],
  prepare(req: ChatRequest, _provider: ProviderConfig): PreparedCall {
    return {
      url: `${req.baseUrl.replace(/\/+$/, '')}/chat/completions`,
      method: 'POST',
      headers: jsonHeaders(req.apiKey ? { authorization: `Bearer ${req.apiKey}` } : {}),
      body: chatCompletionsBody(req),
    };
  },
  parseSuccess: parseChatCompletion,
  parseError: (answer) => httpFailure(answer, errorMessageOf(answer.text)),
};
