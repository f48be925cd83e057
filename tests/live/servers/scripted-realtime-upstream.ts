import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

/** What the scripted upstream saw per committed turn. */
export interface UpstreamTurn {
  /** Seconds of audio committed (PCM16 at 24 kHz). */
  readonly audioSeconds: number;
}

/**
 * A scripted OpenAI Realtime (GA) upstream: it accumulates appended audio,
 * and on commit + response.create answers with `reply(turnIndex, audioSeconds)`
 * as output_text deltas after `latencyMs`.
 */
export async function startScriptedRealtimeUpstream(opts: {
  reply: (turn: number, audioSeconds: number) => string;
  latencyMs?: number;
  /** Answer `response.cancel` with the error the API gives when nothing is cancellable (and finish the response anyway). */
  cancelNotActive?: boolean;
  /** End every response `incomplete` with this reason (e.g. `max_output_tokens`) instead of `completed`. */
  incompleteReason?: string;
}): Promise<{ url: string; turns: UpstreamTurn[]; cancels: number; close(): Promise<void> }> {
  const server: Server = createServer();
  const wss = new WebSocketServer({ server });
  const turns: UpstreamTurn[] = [];
  const counters = { cancels: 0 };
  wss.on('connection', (ws) => {
    let bytes = 0;
    let committed = 0;
    const send = (m: object): void => ws.send(JSON.stringify({ event_id: `evt_${Math.random().toString(36).slice(2)}`, ...m }));
    send({ type: 'session.created', session: { type: 'realtime', id: 'sess_scripted' } });
    ws.on('message', (data) => {
      const ev = JSON.parse(data.toString()) as { type: string; audio?: string; session?: unknown };
      switch (ev.type) {
        case 'session.update':
          return send({ type: 'session.updated', session: ev.session });
        case 'input_audio_buffer.append':
          bytes += Buffer.from(ev.audio ?? '', 'base64').length;
          return;
        case 'input_audio_buffer.commit':
          committed = bytes;
          bytes = 0;
          return send({ type: 'input_audio_buffer.committed', item_id: `item_${turns.length}` });
        case 'input_audio_buffer.clear':
          bytes = 0;
          return;
        case 'response.create': {
          const audioSeconds = committed / 2 / 24000;
          const turn = turns.length;
          turns.push({ audioSeconds });
          const text = opts.reply(turn, audioSeconds);
          setTimeout(() => {
            if (ws.readyState !== ws.OPEN) return;
            send({ type: 'response.created', response: { id: `resp_${turn}`, status: 'in_progress' } });
            for (const word of text.split(/(?<= )/)) send({ type: 'response.output_text.delta', response_id: `resp_${turn}`, delta: word });
            send({ type: 'response.output_text.done', response_id: `resp_${turn}`, text });
            const ending = opts.incompleteReason
              ? { status: 'incomplete', status_details: { type: 'incomplete', reason: opts.incompleteReason } }
              : { status: 'completed' };
            send({
              type: 'response.done',
              response: { id: `resp_${turn}`, ...ending, output: [{ type: 'message', content: [{ type: 'output_text', text }] }] },
            });
          }, opts.latencyMs ?? 20);
          return;
        }
        case 'response.cancel':
          counters.cancels++;
          if (opts.cancelNotActive)
            send({
              type: 'error',
              error: {
                type: 'invalid_request_error',
                code: 'response_cancel_not_active',
                message: 'Cancellation failed: no active response found',
                param: null,
              },
            });
          return;
        default:
          return;
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    turns,
    get cancels() {
      return counters.cancels;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close();
        server.close(() => r());
      }),
  };
}
