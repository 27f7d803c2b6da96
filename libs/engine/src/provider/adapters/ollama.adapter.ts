import type { ProviderConfig } from '@beacon/domain';
import type { ChatFailure, ChatRequest, ChatSuccess } from '../chat-provider.js';
import type { PreparedCall, ProviderAdapter, UpstreamAnswer } from '../adapter.js';
import { errorMessageOf, field, httpFailure, invalidResponse, parseJson, str, toInt } from '../adapter-util.js';
import { jsonHeaders } from './openai.adapter.js';

/**
 * Ollama's native chat API (`POST {baseUrl}/api/chat`, e.g. `http://127.0.0.1:11434`). Asked not to stream; a server
 * that streams anyway (NDJSON, one JSON object a line) is read whole. No auth locally; a key (ollama.com) is a bearer.
 * Ollama has no safety system, so an answer is never `content_filter`.
 */
export const ollamaAdapter: ProviderAdapter = {
  kind: 'ollama',
  // Ollama sends neither; a proxy in front of it may send a request id.
  requestIdHeaders: ['x-request-id'],
  regionHeaders: [],
  prepare(req: ChatRequest, _provider: ProviderConfig): PreparedCall {
    return {
      url: `${req.baseUrl.replace(/\/+$/, '')}/api/chat`,
      method: 'POST',
      headers: jsonHeaders(req.apiKey ? { authorization: `Bearer ${req.apiKey}` } : {}),
      body: JSON.stringify({
        model: req.model,
        messages: [
          { role: 'system', content: req.system },
          { role: 'user', content: req.user },
        ],
        stream: false,
        options: { temperature: req.temperature, num_predict: req.maxTokens },
      }),
    };
  },
  parseSuccess(answer: UpstreamAnswer): ChatSuccess | ChatFailure {
    const lines = jsonLines(answer.text);
    if (!lines) return invalidResponse(answer, 'response is neither JSON nor NDJSON');
    const failed = lines.find((line) => str(field(line, 'error')) !== null);
    if (failed !== undefined) {
      // An error after HTTP 200: the model runner died or was unloaded mid-answer (or a cloud model dropped). Ollama
      // can no longer send an error status, so the failure is classified as the 502 it would have been: the upstream
      // model failed, and another attempt may well succeed.
      return httpFailure(answer, `error in the response: ${str(field(failed, 'error'))}`, { status: 502 });
    }
    const last = lines[lines.length - 1];
    if (lines.length > 1 && field(last, 'done') !== true) {
      // A stream that stops before its `done` line is a cut answer, not a short one; retry it the same way.
      return httpFailure(answer, 'streamed response ended before its done line', { status: 502 });
    }
    let content = '';
    for (const line of lines) {
      const message = field(line, 'message');
      const text = field(message, 'content');
      // `message.thinking` holds a reasoning model's thoughts: not the answer.
      if (typeof text === 'string') content += text;
      else if (lines.length === 1) return invalidResponse(answer, 'response has no message.content');
    }
    const model = str(field(last, 'model'));
    const usage: Record<string, unknown> = {};
    for (const key of ['prompt_eval_count', 'eval_count', 'total_duration', 'load_duration', 'prompt_eval_duration', 'eval_duration']) {
      const v = field(last, key);
      if (typeof v === 'number') usage[key] = v;
    }
    return {
      ok: true,
      status: answer.status,
      requestId: answer.requestId,
      regionObserved: answer.regionObserved,
      latencyMs: answer.latencyMs,
      responseModel: model ? model.slice(0, 200) : null,
      content,
      refusal: null,
      finishReason: str(field(last, 'done_reason')),
      inputTokens: toInt(field(last, 'prompt_eval_count')),
      outputTokens: toInt(field(last, 'eval_count')),
      usage: Object.keys(usage).length > 0 ? usage : null,
    };
  },
  // `{error: "…"}`: 400 and 404 (unknown model) are final, 429, 500, 502 and 503 (queue full) retryable, by status.
  parseError: (answer) => httpFailure(answer, errorMessageOf(answer.text)),
};

/** The body as one JSON object, or as NDJSON lines each an object; null when it is neither. */
function jsonLines(text: string): unknown[] | null {
  const whole = parseJson(text);
  if (whole !== undefined) return isObject(whole) ? [whole] : null;
  const lines: unknown[] = [];
  for (const raw of text.split('\n')) {
    if (raw.trim() === '') continue;
    const line = parseJson(raw);
    if (!isObject(line)) return null;
    lines.push(line);
  }
  return lines.length > 0 ? lines : null;
}

function isObject(value: unknown): boolean {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
