import { afterEach, describe, expect, it } from 'vitest';
import { WorkerPool, WorkerPoolFullError, WorkerTaskError } from '../../experts/onnx/worker-pool.js';

const script = new URL('./fixtures/echo-worker.mjs', import.meta.url);
const pools: WorkerPool<unknown, unknown>[] = [];
const pool = (size: number, maxQueued: number): WorkerPool<unknown, unknown> => {
  const p = new WorkerPool<unknown, unknown>(script, { size, maxQueued });
  pools.push(p);
  return p;
};
afterEach(async () => {
  await Promise.all(pools.splice(0).map((p) => p.close()));
});

describe('WorkerPool', () => {
  it('runs tasks on workers and returns their results', async () => {
    const p = pool(2, 10);
    expect(await Promise.all([1, 2, 3, 4, 5].map((n) => p.run(n)))).toEqual([2, 4, 6, 8, 10]);
  });

  it('rejects at once when the queue is full', async () => {
    const p = pool(1, 1);
    const running = p.run({ sleepMs: 200 });
    const queued = p.run(1);
    await expect(p.run(2)).rejects.toBeInstanceOf(WorkerPoolFullError);
    expect(await running).toBe('slept');
    expect(await queued).toBe(2);
  });

  it('drops an aborted queued task and tells a running one', async () => {
    const p = pool(1, 5);
    const ac1 = new AbortController();
    const ac2 = new AbortController();
    const running = p.run({ sleepMs: 100 }, { signal: ac1.signal });
    const queued = p.run(21, { signal: ac2.signal });
    ac2.abort(new Error('not needed'));
    ac1.abort(new Error('cancelled'));
    await expect(queued).rejects.toThrow('not needed');
    await expect(running).rejects.toThrow('cancelled');
    expect(p.queued).toBe(0);
    // The worker is free again afterwards.
    expect(await p.run(5)).toBe(10);
  });

  it('reports task errors and survives a worker that dies', async () => {
    const p = pool(1, 5);
    await expect(p.run('fail')).rejects.toMatchObject({ name: 'WorkerTaskError', workerErrorName: 'RangeError' });
    const dead = p.run('crash');
    const next = p.run(7);
    await expect(dead).rejects.toBeInstanceOf(WorkerTaskError);
    expect(await next).toBe(14);
  });

  it('rejects pending work on close and refuses new work', async () => {
    const p = pool(1, 5);
    const running = expect(p.run({ sleepMs: 500 })).rejects.toThrow('closed');
    const queued = expect(p.run(1)).rejects.toThrow('closed');
    await p.close();
    await running;
    await queued;
    await expect(p.run(1)).rejects.toThrow('closed');
  });

  it('refuses a missing script with a hint to build', () => {
    expect(() => new WorkerPool(new URL('./nope.js', import.meta.url), { size: 1, maxQueued: 0 })).toThrow(/npm run build/);
  });
});
