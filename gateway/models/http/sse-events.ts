import { transportError } from './post-json.js';

/** One server-sent event. */
export interface SseEvent {
  /** The `event:` field; `message` when absent (as in the WHATWG spec). */
  readonly event: string;
  /** The `data:` lines joined by `\n`. */
  readonly data: string;
}

/**
 * Parses a `text/event-stream` body per the WHATWG rules: CRLF, LF or CR line
 * ends; `data:` lines joined with `\n`; one optional space after the colon;
 * comment lines (`:`) ignored; an event dispatched on a blank line. An event
 * left unterminated at the end of the stream is dropped, as the spec says.
 * Read errors (a dropped connection, an abort) become retryable ModelCallErrors.
 */
export async function* sseEvents(body: ReadableStream<Uint8Array> | null, signal?: AbortSignal): AsyncGenerator<SseEvent> {
  if (!body) return;
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let dataLines: string[] = [];
  let eventName = '';
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (err) {
        throw transportError(err, signal);
      }
      buffer += chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
      // A lone CR at the end may be the first half of CRLF: keep it until more arrives.
      for (;;) {
        const m = /\r\n|\n|\r(?!$)/.exec(buffer) ?? (chunk.done ? /\r/.exec(buffer) : null);
        if (!m) break;
        const line = buffer.slice(0, m.index);
        buffer = buffer.slice(m.index + m[0].length);
        if (line === '') {
          if (dataLines.length > 0) yield { event: eventName || 'message', data: dataLines.join('\n') };
          dataLines = [];
          eventName = '';
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'data') dataLines.push(value);
        else if (field === 'event') eventName = value;
      }
      if (chunk.done) return;
    }
  } finally {
    // Stop the download when the consumer leaves early (break, error, abort).
    await reader.cancel().catch(() => undefined);
  }
}
