import { openAiErrorType, readBody, sendOpenAiError, startOpenAiTestServer } from '../helpers/openai-test-server.js';

/** How one scripted arena model answers every request. */
export interface ArenaModelScript {
  /** The answer text (the audio's transcript when `audioWav` is set). */
  readonly text: string;
  /** Pause before each streamed word, ms, so the page shows a partial answer. */
  readonly wordDelayMs: number;
  /**
   * What the model says, as OpenAI's audio output (`message.audio` / `delta.audio`): a 16-bit mono WAV at
   * 24 kHz, sent as it is for `audio.format: "wav"` and as its raw samples for `"pcm16"` (OpenAI's streamed format).
   */
  readonly audioWav?: Buffer;
}

/** A running scripted model and what it received. */
export interface ArenaModelServer {
  /** Base URL, `http://127.0.0.1:PORT/v1`. */
  readonly baseUrl: string;
  /** Every request body, in arrival order. */
  readonly bodies: Record<string, unknown>[];
  /** While set, every request gets this HTTP status with an OpenAI error body instead of an answer. */
  failWith: number | undefined;
  /** Stops the server. */
  close(): Promise<void>;
}

/**
 * An OpenAI chat-completions model for the arena page's test: JSON or SSE
 * (`stream: true`) exactly as OpenAI sends them, words paced so the answer
 * visibly streams, and, for an audio model, the audio output of
 * `gpt-4o-audio-preview` (`message.audio` with `data` base64 WAV and
 * `transcript`; streamed as `delta.audio` chunks with `transcript` pieces then
 * `data`), which OpenAI sends only when the request asks for
 * `modalities: ["text", "audio"]`.
 */
export async function startArenaModelServer(script: ArenaModelScript): Promise<ArenaModelServer> {
  const bodies: Record<string, unknown>[] = [];
  let n = 0;
  const control: { failWith: number | undefined } = { failWith: undefined };
  const server = await startOpenAiTestServer(async (req, res) => {
    const body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    bodies.push(body);
    n++;
    if (control.failWith !== undefined) {
      sendOpenAiError(res, control.failWith, { message: `scripted ${control.failWith}`, type: openAiErrorType(control.failWith) });
      return;
    }
    const model = typeof body.model === 'string' ? body.model : 'scripted';
    const wantsAudio = script.audioWav !== undefined && Array.isArray(body.modalities) && body.modalities.includes('audio');
    const audioId = `audio_scripted${n}`;
    const format = (body.audio as { format?: string } | undefined)?.format;
    const audioBytes = script.audioWav && format === 'pcm16' ? pcmOf(script.audioWav) : script.audioWav;
    const words = script.text.match(/\S+\s*/g) ?? [];
    const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, script.wordDelayMs));
    if (!body.stream) {
      for (const _ of words) await pause();
      const message: Record<string, unknown> = { role: 'assistant', content: wantsAudio ? null : script.text, refusal: null };
      if (wantsAudio) message.audio = { id: audioId, expires_at: 1_900_000_000, data: audioBytes!.toString('base64'), transcript: script.text };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: `chatcmpl-arena${n}`,
          object: 'chat.completion',
          created: 1_700_000_000,
          model,
          choices: [{ index: 0, message, logprobs: null, finish_reason: 'stop' }],
          usage: { prompt_tokens: 10, completion_tokens: words.length, total_tokens: 10 + words.length },
          system_fingerprint: null,
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const base = { id: `chatcmpl-arena${n}`, object: 'chat.completion.chunk', created: 1_700_000_000, model, system_fingerprint: null };
    const chunk = (delta: Record<string, unknown>, finish: string | null): string =>
      `data: ${JSON.stringify({ ...base, choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] })}\n\n`;
    res.write(chunk({ role: 'assistant', content: wantsAudio ? null : '' }, null));
    for (const w of words) {
      await pause();
      if (res.destroyed) return;
      res.write(chunk(wantsAudio ? { audio: { id: audioId, transcript: w } } : { content: w }, null));
    }
    if (wantsAudio) {
      const b64 = audioBytes!.toString('base64');
      for (let i = 0; i < b64.length; i += 16_384) res.write(chunk({ audio: { id: audioId, data: b64.slice(i, i + 16_384) } }, null));
      res.write(chunk({ audio: { id: audioId, expires_at: 1_900_000_000 } }, null));
    }
    res.write(chunk({}, 'stop'));
    res.end('data: [DONE]\n\n');
  });
  return {
    baseUrl: server.baseUrl,
    bodies,
    get failWith() {
      return control.failWith;
    },
    set failWith(status: number | undefined) {
      control.failWith = status;
    },
    close: () => server.close(),
  };
}

/** The samples of a plain PCM WAV (its `data` chunk). */
function pcmOf(wav: Buffer): Buffer {
  let at = 12;
  while (at + 8 <= wav.length) {
    const size = wav.readUInt32LE(at + 4);
    if (wav.toString('ascii', at, at + 4) === 'data') return wav.subarray(at + 8, at + 8 + size);
    at += 8 + size + (size & 1);
  }
  throw new Error('no data chunk in the scripted answer WAV');
}
