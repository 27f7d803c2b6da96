/**
 * The one chat call the judge makes, as the judge sees it. The engine's `ChatProvider` (the OpenAI-compatible HTTP
 * client) satisfies it; the classifier does not depend on the engine, which depends on the classifier's rules.
 */
export interface JudgeChatRequest {
  baseUrl: string;
  apiKey: string | null;
  model: string;
  system: string;
  user: string;
  temperature: number;
  maxTokens: number;
  timeoutMs: number;
  signal: AbortSignal;
}

/** The judge's answer, or why there is none. */
export type JudgeChatResult = { ok: true; content: string | null } | { ok: false; failure: { message: string } };

/** Something that answers the judge's chat requests. */
export interface JudgeChat {
  chat(req: JudgeChatRequest): Promise<JudgeChatResult>;
}

/** A judge chat client that holds connections until closed. */
export interface ClosableJudgeChat extends JudgeChat {
  close(): Promise<void>;
}
