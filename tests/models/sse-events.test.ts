import { describe, expect, it } from 'vitest';
import { sseEvents, type SseEvent } from '../../gateway/models/http/sse-events.js';

function streamOf(chunks: readonly string[]): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  return new ReadableStream({
    start(c) {
      for (const s of chunks) c.enqueue(enc.encode(s));
      c.close();
    },
  });
}

async function parse(chunks: readonly string[]): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  for await (const e of sseEvents(streamOf(chunks))) out.push(e);
  return out;
}

describe('sseEvents (WHATWG event-stream parsing)', () => {
  it('parses the spec examples: multi-line data, comments, event names, optional space', async () => {
    await expect(parse([': test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n\n'])).resolves.toEqual([
      { event: 'message', data: 'first event' },
      { event: 'message', data: 'second event' },
      { event: 'message', data: ' third event' },
    ]);
    await expect(parse(['data: YHOO\ndata: +2\ndata: 10\n\n'])).resolves.toEqual([{ event: 'message', data: 'YHOO\n+2\n10' }]);
    await expect(parse(['event: content_block_delta\ndata: {"a":1}\n\n'])).resolves.toEqual([{ event: 'content_block_delta', data: '{"a":1}' }]);
  });

  it('handles CRLF and CR line ends, split anywhere, including between CR and LF', async () => {
    await expect(parse(['data: a\r', '\n\r', '\ndata: b\r\r'])).resolves.toEqual([
      { event: 'message', data: 'a' },
      { event: 'message', data: 'b' },
    ]);
    const text = 'data: {"x":"héllo"}\n\n';
    const bytes = new TextEncoder().encode(text);
    const split = new ReadableStream<Uint8Array>({
      start(c) {
        for (const b of bytes) c.enqueue(new Uint8Array([b]));
        c.close();
      },
    });
    const out: SseEvent[] = [];
    for await (const e of sseEvents(split)) out.push(e);
    expect(out).toEqual([{ event: 'message', data: '{"x":"héllo"}' }]);
  });

  it('drops an event left unterminated at the end of the stream', async () => {
    await expect(parse(['data: done\n\ndata: partial'])).resolves.toEqual([{ event: 'message', data: 'done' }]);
  });
});
