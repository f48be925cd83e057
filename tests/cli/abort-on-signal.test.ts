import { afterEach, describe, expect, it, vi } from 'vitest';
import { abortOnSignal } from '../../gateway/cli/abort-on-signal.js';

// Real signals sent to this (forked) test process; the handlers under test keep it alive.
describe('abortOnSignal', () => {
  afterEach(() => vi.restoreAllMocks());

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    it(`aborts on ${sig} and says it is stopping`, async () => {
      const writes: string[] = [];
      vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
        writes.push(String(chunk));
        return true;
      });
      const stop = abortOnSignal('\nstopping\n');
      try {
        const aborted = new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve()));
        process.kill(process.pid, sig);
        await aborted;
        expect(stop.signal.aborted).toBe(true);
        expect(writes).toEqual(['\nstopping\n']);
      } finally {
        stop.detach();
      }
    });
  }

  it('writes nothing when given no message, and detach removes both handlers', () => {
    const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
    const stop = abortOnSignal(undefined);
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual([before[0]! + 1, before[1]! + 1]);
    const write = vi.spyOn(process.stderr, 'write');
    process.emit('SIGINT', 'SIGINT');
    expect(stop.signal.aborted).toBe(true);
    expect(write).not.toHaveBeenCalled();
    stop.detach();
    expect([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')]).toEqual(before);
  });
});
