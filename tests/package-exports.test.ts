import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The package's programmatic entry point, imported the way a user would
// (by package name, from the compiled dist/), not through source files.
describe.skipIf(!existsSync('dist/gateway/index.js'))('package exports', () => {
  it('exposes the scorer, the client, the server and the live routes an embedder hands liveGateway, by package name', () => {
    const script = `
      import { scoreTask, StreamClient, createApp, createModel, errorRegistry, liveGateway, realtimeRoute, streamRoute } from 'evalgate';
      const r = scoreTask([{ id: 'a', reference: 'This is a test', prediction: 'This test' }], { task: 'asr' });
      console.log(JSON.stringify({ wer: r.metrics.wer, client: typeof StreamClient, app: typeof createApp, model: typeof createModel, codes: Object.keys(errorRegistry).length > 10, live: [liveGateway, realtimeRoute, streamRoute].map((f) => typeof f) }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({
      wer: 0.5,
      client: 'function',
      app: 'function',
      model: 'function',
      codes: true,
      live: ['function', 'function', 'function'],
    });
  });
});
