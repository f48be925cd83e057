import { access } from 'node:fs/promises';
import { EvalgateError } from '../errors.js';
import type { ModelInputPart } from '../models/spec/model-v1.js';
import { bytesToPcm16, checkAudioFormat } from './audio-format.js';
import { decodeImageData } from './decode-image-data.js';
import type { LiveEvent, TurnDetection } from './live-event.js';
import type { LiveSession } from './live-session.js';
import type { SocketControl, WireProtocol } from './live-socket.js';
import type { NativeClientType, NativeServerMessage } from './native-wire.js';
import { findBoundSample, parseSampleRef } from './sample-binding.js';

/** Messages the native protocol accepts (docs/protocol.md); typed so that the list and native-wire.ts agree. */
const clientTypeList = {
  configure: true,
  commit: true,
  clear: true,
  cancel: true,
  text: true,
  image: true,
  video: true,
  respond: true,
  end: true,
} satisfies Record<NativeClientType, true>;
const clientTypes = new Set<string>(Object.keys(clientTypeList));

const mimeOf = (path: string): string => (/\.webm$/i.test(path) ? 'video/webm' : /\.mkv$/i.test(path) ? 'video/x-matroska' : 'video/mp4');

function turnDetectionOf(v: unknown): TurnDetection | undefined {
  if (v === undefined) return undefined;
  if (v === null || v === 'manual') return null;
  const o = (v === 'server_vad' ? {} : v) as { threshold?: unknown; silenceDurationMs?: unknown; prefixPaddingMs?: unknown; type?: unknown };
  if (typeof o !== 'object' || (o.type !== undefined && o.type !== 'server_vad')) {
    throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', {
      detail: 'turnDetection must be "manual", "server_vad" or {type:"server_vad", …}',
      param: 'turnDetection',
    });
  }
  const num = (x: unknown, d: number, name: string): number => {
    if (x === undefined) return d;
    if (typeof x !== 'number' || x < 0)
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `turnDetection.${name} must be a non-negative number`, param: 'turnDetection' });
    return x;
  };
  return {
    type: 'server_vad',
    threshold: num(o.threshold, 0.5, 'threshold'),
    silenceDurationMs: num(o.silenceDurationMs, 500, 'silenceDurationMs'),
    prefixPaddingMs: num(o.prefixPaddingMs, 300, 'prefixPaddingMs'),
    createResponse: true,
    interruptResponse: false,
  };
}

/**
 * evalgate's native protocol: JSON control messages plus binary PCM16 audio
 * frames, images and video references for live VQA. Stricter than the
 * realtime protocol: malformed JSON and corrupt audio frames close the socket
 * with 1007, because a client speaking it is ours and a broken frame means a
 * broken client.
 */
export class NativeProtocol implements WireProtocol {
  readonly name = 'native';
  readonly sessionConfig: Record<string, unknown> = { protocol: 'native' };
  #configured = false;

  greeting(s: LiveSession, info: { resumed: boolean; dropped: number }): NativeServerMessage[] {
    if (info.resumed) this.#configured = true;
    return [{ type: 'session.ready', sessionId: s.id, resumed: info.resumed, droppedEvents: info.dropped, format: s.format, turnDetection: s.turnDetection }];
  }

  closesOn(err: EvalgateError): boolean {
    return (
      err.code === 'EVALGATE_ERR_WS_MALFORMED_JSON' ||
      err.code === 'EVALGATE_ERR_WS_BAD_AUDIO' ||
      err.code === 'EVALGATE_ERR_WS_BAD_IMAGE' ||
      err.code === 'EVALGATE_ERR_WS_UNSUPPORTED_DATA'
    );
  }

  handleBinary(s: LiveSession, data: Buffer): Promise<void> {
    if (!this.#configured) {
      return Promise.reject(new EvalgateError('EVALGATE_ERR_WS_OUT_OF_ORDER', { detail: 'audio before `configure`; send {"type":"configure"} first' }));
    }
    s.appendAudio(bytesToPcm16(data));
    return Promise.resolve();
  }

  async handleText(s: LiveSession, data: string, ctx: SocketControl): Promise<NativeServerMessage[] | void> {
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(data) as Record<string, unknown>;
    } catch (err) {
      throw new EvalgateError('EVALGATE_ERR_WS_MALFORMED_JSON', { detail: (err as Error).message });
    }
    if (typeof msg !== 'object' || msg === null || typeof msg.type !== 'string') {
      throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: 'each message must be a JSON object with a string `type`', param: 'type' });
    }
    const type = msg.type;
    if (!clientTypes.has(type)) throw new EvalgateError('EVALGATE_ERR_WS_UNKNOWN_EVENT', { type: type.slice(0, 80) });
    if (type !== 'configure' && type !== 'end' && !this.#configured) {
      throw new EvalgateError('EVALGATE_ERR_WS_OUT_OF_ORDER', { detail: `${type} before \`configure\`; send {"type":"configure"} first` });
    }
    const sampleOf = async (): Promise<Parameters<LiveSession['createResponse']>[0]> => {
      const ref = parseSampleRef(msg.sample, 'sample');
      return { sample: ref ? await findBoundSample(s.opts.db, ref) : undefined };
    };
    switch (type) {
      case 'configure': {
        const f = msg.format as { encoding?: unknown; sampleRateHz?: unknown } | undefined;
        const format = checkAudioFormat(f?.encoding ?? 'pcm16', f?.sampleRateHz ?? 16000, 'format');
        const sample = parseSampleRef(msg.sample, 'sample');
        await s.configure({ format, turnDetection: turnDetectionOf(msg.turnDetection) ?? null, ...(sample ? { sample } : {}) });
        this.#configured = true;
        s.opts.writer.updateSession({ config: { protocol: 'native', format, turnDetection: s.turnDetection } });
        return [{ type: 'configured', format: s.format, turnDetection: s.turnDetection }];
      }
      case 'commit':
        s.commit();
        if (msg.respond !== false) s.createResponse(await sampleOf());
        return;
      case 'respond':
        s.createResponse(await sampleOf());
        return;
      case 'clear':
        return s.clear();
      case 'cancel':
        return s.cancel(typeof msg.responseId === 'string' ? msg.responseId : undefined);
      case 'text':
        if (typeof msg.text !== 'string') throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: '`text` must be a string', param: 'text' });
        s.addParts([{ type: 'text', text: msg.text }]);
        return;
      case 'image': {
        if (typeof msg.mimeType !== 'string' || !/^image\//.test(msg.mimeType) || typeof msg.data !== 'string') {
          throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: 'image needs `mimeType` (image/…) and base64 `data`', param: 'data' });
        }
        // Checked before it joins the turn: a broken image never reaches the model. Typed by its bytes.
        const image = decodeImageData(msg.data, '`data`');
        const part: ModelInputPart = {
          type: 'image',
          mimeType: image.mimeType,
          data: image.data,
          ...(typeof msg.timestampS === 'number' ? { timestampS: msg.timestampS } : {}),
        };
        s.addParts([part]);
        return;
      }
      case 'video': {
        // Only videos of stored samples: a client never names a server path.
        const ref = parseSampleRef({ dataset: msg.dataset, sample: msg.sample }, 'video');
        const bound = await findBoundSample(s.opts.db, ref!);
        const video = bound.media.find((m) => m.kind === 'video');
        if (!video) throw new EvalgateError('EVALGATE_ERR_BAD_INPUT', { detail: `sample ${ref!.dataset}/${ref!.sample} has no video` });
        await access(video.path).then(
          () => undefined,
          () => {
            throw new EvalgateError('EVALGATE_ERR_MEDIA_NOT_FOUND', { path: `${ref!.dataset}/${video.manifestPath}` });
          },
        );
        const parts: ModelInputPart[] = [{ type: 'video', path: video.path, mimeType: mimeOf(video.path) }];
        if (typeof msg.question === 'string') parts.push({ type: 'text', text: msg.question });
        else if (bound.question) parts.push({ type: 'text', text: bound.question });
        s.addParts(parts);
        return;
      }
      case 'end': {
        await s.drain(s.opts.limits.shutdownDrainMs);
        ctx.close(1000, 'session ended');
        return [{ type: 'session.summary', sessionId: s.id, summary: s.summary() }];
      }
    }
  }

  render(ev: LiveEvent): NativeServerMessage[] {
    switch (ev.type) {
      case 'speech_started':
        return [{ type: 'speech.started', itemId: ev.itemId, audioStartMs: ev.audioStartMs }];
      case 'speech_stopped':
        return [{ type: 'speech.stopped', itemId: ev.itemId, audioEndMs: ev.audioEndMs }];
      case 'committed':
        return [{ type: 'committed', itemId: ev.itemId }];
      case 'cleared':
        return [{ type: 'cleared' }];
      case 'response_created':
        return [{ type: 'response.started', responseId: ev.responseId, seq: ev.seq }];
      case 'delta':
        return [{ type: 'response.delta', responseId: ev.responseId, seq: ev.seq, delta: ev.delta }];
      case 'audio_delta':
        return [{ type: 'response.audio', responseId: ev.responseId, seq: ev.seq, audio: ev.delta, sampleRateHz: ev.sampleRateHz }];
      case 'response_done':
        return [
          {
            type: 'response.final',
            responseId: ev.responseId,
            seq: ev.seq,
            status: ev.status,
            text: ev.text,
            latency: ev.latency,
            ...(ev.incompleteReason ? { incomplete: ev.incompleteReason } : {}),
            ...(ev.scores ? { scores: ev.scores } : {}),
            ...(ev.speech ? { speech: ev.speech } : {}),
            ...(ev.error ? { error: ev.error } : {}),
          },
        ];
      case 'error':
        return [{ type: 'error', code: ev.code, message: ev.message, ...(ev.param ? { param: ev.param } : {}) }];
    }
  }
}
