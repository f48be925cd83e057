import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseWav } from '../../../experts/audio-features/wav-file.js';

/** One audio request the scripted chat upstream received. */
export interface ChatAudioRequest {
  /** Duration of the WAV it carried, s. */
  readonly audioSeconds: number;
  /** Sample rate of that WAV. */
  readonly sampleRateHz: number;
  /** `image_url` parts it carried. */
  readonly images: number;
}

/**
 * A scripted OpenAI Chat Completions upstream for audio (`input_audio` WAV):
 * answers request k with `reply(k, audioSeconds)`, streamed as SSE when asked.
 */
export async function startScriptedChatUpstream(opts: {
  reply: (index: number, audioSeconds: number) => string;
  latencyMs?: number;
}): Promise<{ url: string; requests: ChatAudioRequest[]; close(): Promise<void> }> {
  const requests: ChatAudioRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString()) as {
        stream?: boolean;
        messages: { content: string | { type: string; input_audio?: { data: string } }[] }[];
      };
      let audioSeconds = 0;
      let images = 0;
      let sampleRateHz = 0;
      for (const m of body.messages) {
        if (typeof m.content === 'string') continue;
        for (const part of m.content) {
          if (part.type === 'image_url') images++;
          if (part.type === 'input_audio' && part.input_audio) {
            const wav = parseWav(Buffer.from(part.input_audio.data, 'base64'));
            audioSeconds += wav.durationS;
            sampleRateHz = wav.sampleRateHz;
          }
        }
      }
      const index = requests.length;
      requests.push({ audioSeconds, sampleRateHz, images });
      const text = opts.reply(index, audioSeconds);
      setTimeout(() => {
        if (!body.stream) {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(
            JSON.stringify({
              id: `c${index}`,
              object: 'chat.completion',
              choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
            }),
          );
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (const word of text.split(/(?<= )/)) {
          res.write(
            `data: ${JSON.stringify({ id: `c${index}`, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: word }, finish_reason: null }] })}\n\n`,
          );
        }
        res.write(
          `data: ${JSON.stringify({ id: `c${index}`, object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`,
        );
        res.end('data: [DONE]\n\n');
      }, opts.latencyMs ?? 20);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise<void>((r) => server.close(() => r())) };
}
