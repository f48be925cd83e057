import { openAiErrorType, readBody, sendOpenAiError, startOpenAiTestServer } from '../helpers/openai-test-server.js';

/** What the judge does with one request: a reply text, or an OpenAI-style HTTP error. */
export type JudgeStep = { readonly text: string; readonly delayMs?: number } | { readonly status: number };

/** One request as the judge server saw it. */
export interface JudgeRequestSeen {
  /** The `[answer:KEY]` marker of the judged answer, if the prompt holds one. */
  readonly key: string | undefined;
  /** The user message text. */
  readonly prompt: string;
  /** `temperature` as sent. */
  readonly temperature: unknown;
  /** `max_tokens` / `max_completion_tokens` as sent. */
  readonly maxTokens: unknown;
  /** The system message text, if any. */
  readonly system: string | undefined;
}

/** A running judge server. */
export interface JudgeServer {
  /** Base URL, `http://127.0.0.1:PORT/v1`. */
  readonly baseUrl: string;
  /** Every request, in arrival order. */
  readonly seen: JudgeRequestSeen[];
  /** Requests per answer key. */
  count(key: string): number;
  close(): Promise<void>;
}

/** The marker a judged answer carries so the server knows which one it grades. */
export const answerMarker = (key: string): string => `[answer:${key}]`;

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return (content as { type?: string; text?: string }[])
      .filter((p) => p.type === 'text')
      .map((p) => p.text ?? '')
      .join('');
  return '';
}

/**
 * A judge speaking the exact OpenAI `POST /v1/chat/completions` wire format
 * (JSON body, `chat.completion` object, OpenAI-shaped error bodies) on a real
 * socket. `decide` picks each reply from the judged answer's key and how many
 * times that answer was asked before (1 = first).
 */
export async function startJudgeServer(decide: (key: string | undefined, n: number, req: JudgeRequestSeen) => JudgeStep): Promise<JudgeServer> {
  const seen: JudgeRequestSeen[] = [];
  const counts = new Map<string, number>();
  let served = 0;
  const server = await startOpenAiTestServer(async (req, res) => {
    const body = JSON.parse(await readBody(req)) as {
      model?: string;
      temperature?: unknown;
      max_tokens?: unknown;
      max_completion_tokens?: unknown;
      messages?: { role?: string; content?: unknown }[];
    };
    const prompt = (body.messages ?? [])
      .filter((m) => m.role === 'user')
      .map((m) => textOf(m.content))
      .join('\n');
    const system = (body.messages ?? []).find((m) => m.role === 'system');
    const key = /\[answer:([^\]]+)\]/.exec(prompt)?.[1];
    const r: JudgeRequestSeen = {
      key,
      prompt,
      temperature: body.temperature,
      maxTokens: body.max_completion_tokens ?? body.max_tokens,
      system: system ? textOf(system.content) : undefined,
    };
    seen.push(r);
    const n = key === undefined ? 1 : (counts.get(key) ?? 0) + 1;
    if (key !== undefined) counts.set(key, n);
    const step = decide(key, n, r);
    if ('status' in step) {
      sendOpenAiError(res, step.status, { message: `scripted ${step.status}`, type: openAiErrorType(step.status) });
      return;
    }
    if (step.delayMs) await new Promise((r) => setTimeout(r, step.delayMs));
    if (res.destroyed || req.socket.destroyed) return;
    served++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        id: `chatcmpl-judge${served}`,
        object: 'chat.completion',
        created: 1_700_000_000,
        model: body.model ?? 'judge',
        choices: [{ index: 0, message: { role: 'assistant', content: step.text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
        usage: { prompt_tokens: 50, completion_tokens: 3, total_tokens: 53 },
        system_fingerprint: null,
      }),
    );
  });
  return {
    baseUrl: server.baseUrl,
    seen,
    count: (key) => counts.get(key) ?? 0,
    close: () => server.close(),
  };
}
