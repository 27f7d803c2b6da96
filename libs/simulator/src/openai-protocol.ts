import { resolveModel, SIM_MODELS, type SimModel } from './simulator-models.js';

/** An OpenAI-shaped error response: `{error: {message, type, param, code}}` with an HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string = 'invalid_request_error',
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** The JSON body of the response. */
  body(): { error: { message: string; type: string; param: string | null; code: string | null } } {
    return { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }
}

/** One message with its content flattened to text. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

/** A validated chat-completion request. */
export interface ChatRequest {
  /** The `model` field as sent (echoed in the response). */
  requestedModel: string;
  model: SimModel;
  messages: ChatMessage[];
  maxTokens?: number;
}

const ROLES: Record<string, ChatMessage['role']> = { system: 'system', developer: 'system', user: 'user', assistant: 'assistant' };

/** Parses and validates a `POST /chat/completions` body; throws {@link ApiError} (400, or 404 `model_not_found`). */
export function parseChatRequest(raw: string): ChatRequest {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw new ApiError(
      400,
      'We could not parse the JSON body of your request: it is not valid JSON.',
      'invalid_request_error',
      null,
      'invalid_json',
    );
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new ApiError(400, 'The request body must be a JSON object.', 'invalid_request_error', null, 'invalid_type');
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string' || b.model === '')
    throw new ApiError(400, 'you must provide a model parameter', 'invalid_request_error', 'model', 'missing_required_parameter');
  const model = resolveModel(b.model);
  if (!model)
    throw new ApiError(
      404,
      `The model '${b.model}' does not exist or you do not have access to it.`,
      'invalid_request_error',
      'model',
      'model_not_found',
    );
  if (b.messages === undefined)
    throw new ApiError(400, "Missing required parameter: 'messages'.", 'invalid_request_error', 'messages', 'missing_required_parameter');
  if (!Array.isArray(b.messages) || b.messages.length === 0)
    throw new ApiError(400, "'messages' must be a non-empty array.", 'invalid_request_error', 'messages', 'invalid_value');
  const messages = b.messages.map(parseMessage);
  if (b.stream !== undefined && b.stream !== false && b.stream !== null) {
    throw new ApiError(
      400,
      'Streaming is not supported by the Beacon simulator; send stream: false.',
      'invalid_request_error',
      'stream',
      'unsupported_value',
    );
  }
  const maxTokens = b.max_completion_tokens ?? b.max_tokens;
  const maxParam = b.max_completion_tokens !== undefined ? 'max_completion_tokens' : 'max_tokens';
  if (maxTokens !== undefined && maxTokens !== null && !(Number.isInteger(maxTokens) && (maxTokens as number) >= 1)) {
    throw new ApiError(400, `Invalid '${maxParam}': must be an integer of at least 1.`, 'invalid_request_error', maxParam, 'invalid_value');
  }
  if (
    b.temperature !== undefined &&
    b.temperature !== null &&
    !(typeof b.temperature === 'number' && b.temperature >= 0 && b.temperature <= 2)
  ) {
    throw new ApiError(
      400,
      "Invalid 'temperature': must be a number from 0 to 2.",
      'invalid_request_error',
      'temperature',
      'invalid_value',
    );
  }
  return { requestedModel: b.model, model, messages, ...(typeof maxTokens === 'number' ? { maxTokens } : {}) };
}

function parseMessage(raw: unknown, i: number): ChatMessage {
  if (typeof raw !== 'object' || raw === null)
    throw new ApiError(400, `Invalid 'messages[${i}]': must be an object.`, 'invalid_request_error', `messages[${i}]`, 'invalid_type');
  const m = raw as Record<string, unknown>;
  const role = typeof m.role === 'string' ? ROLES[m.role] : undefined;
  if (!role)
    throw new ApiError(
      400,
      `Invalid 'messages[${i}].role': must be one of system, user, assistant.`,
      'invalid_request_error',
      `messages[${i}].role`,
      'invalid_value',
    );
  const content = flattenContent(m.content, role);
  if (content === null)
    throw new ApiError(
      400,
      `Invalid 'messages[${i}].content': must be a string or a list of text parts.`,
      'invalid_request_error',
      `messages[${i}].content`,
      'invalid_type',
    );
  return { role, content };
}

function flattenContent(content: unknown, role: ChatMessage['role']): string | null {
  if (typeof content === 'string') return content;
  if ((content === null || content === undefined) && role === 'assistant') return '';
  if (!Array.isArray(content)) return null;
  const texts = content.map((part: unknown) => {
    const p = part as { type?: unknown; text?: unknown } | null;
    return p && p.type === 'text' && typeof p.text === 'string' ? p.text : null;
  });
  return texts.every((t) => t !== null) ? texts.join('\n') : null;
}

/** The body of a successful chat completion. */
export function completionBody(input: {
  id: string;
  model: string;
  content: string;
  finishReason: string;
  promptTokens: number;
  completionTokens: number;
}): Record<string, unknown> {
  return {
    id: input.id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: input.model,
    system_fingerprint: 'beacon-simulator',
    choices: [{ index: 0, message: { role: 'assistant', content: input.content }, logprobs: null, finish_reason: input.finishReason }],
    usage: {
      prompt_tokens: input.promptTokens,
      completion_tokens: input.completionTokens,
      total_tokens: input.promptTokens + input.completionTokens,
    },
  };
}

/** The body of `GET /models`: every canonical id and alias. */
export function modelsBody(startedAt: number): Record<string, unknown> {
  const created = Math.floor(startedAt / 1000);
  const data = SIM_MODELS.flatMap((m) => [m.id, ...m.aliases].map((id) => ({ id, object: 'model', created, owned_by: m.ownedBy })));
  return { object: 'list', data };
}
