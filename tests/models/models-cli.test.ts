// Black-box tests of `evalgate models list|test` on the built CLI (`npm test` builds dist/ first),
// against a scripted OpenAI-compatible server on port 0 in this process.
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cliBin, spawnCli } from '../helpers/run-cli.js';
import { ScriptedHttpServer } from './servers/scripted-http-server.js';
import { openAiChatScript } from './servers/provider-scripts.js';

const bin = cliBin;
const secret = 'sk-cli-secret-value';

let dir = '';
let server: ScriptedHttpServer;

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return spawnCli(['--config', path.join(dir, 'evalgate.config.json'), ...args], { cwd: dir, env: { ...process.env, EVALGATE_TEST_KEY: secret, ...env } });
}

beforeAll(async () => {
  if (!existsSync(bin)) throw new Error(`${bin} is missing: run \`npx tsc -p tsconfig.build.json\` (npm test does) first`);
  server = await ScriptedHttpServer.start();
  dir = await mkdtemp(path.join(tmpdir(), 'evalgate-models-cli-'));
  await writeFile(path.join(dir, 'preds.jsonl'), '{"id":"s1","prediction":"replayed answer"}\n');
  await writeFile(
    path.join(dir, 'evalgate.config.json'),
    JSON.stringify({
      models: [
        { id: 'oa', adapter: 'openai-chat', kind: 'generalist', baseUrl: server.url, model: 'gpt-4o', apiKeyEnv: 'EVALGATE_TEST_KEY' },
        { id: 'nokey', adapter: 'openai-chat', kind: 'generalist', baseUrl: server.url, model: 'gpt-4o', apiKeyEnv: 'EVALGATE_UNSET_KEY' },
        { id: 'replay', adapter: 'predictions', kind: 'generalist', options: { path: 'preds.jsonl' } },
      ],
    }),
  );
});
afterAll(async () => {
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

describe('evalgate models', () => {
  it('list --json shows each model and whether its key is set, never the key', async () => {
    const r = await run(['models', 'list', '--json']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain(secret);
    const out = JSON.parse(r.stdout) as { models: Array<Record<string, unknown>> };
    // The configured models, in file order; the bundled presets follow them (tests/cli/project-home-cli.test.ts).
    expect(out.models.filter((m) => m.source === 'config').map((m) => [m.id, m.apiKeySet])).toEqual([
      ['oa', true],
      ['nokey', false],
      ['replay', null],
    ]);
    expect(out.models.slice(3).every((m) => m.source === 'preset')).toBe(true);
    const text = await run(['models', 'list']);
    expect(text.stdout).toMatch(/^ID\s+SOURCE\s+ADAPTER/);
    expect(text.stdout).toContain('EVALGATE_UNSET_KEY (NOT SET)');
  });

  it('test sends one tiny request and reports ok, latency and the answer', async () => {
    server.requests.length = 0;
    server.script(openAiChatScript.ok('OK'));
    const r = await run(['models', 'test', 'oa', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ id: 'oa', adapter: 'openai-chat', ok: true, text: 'OK', input: 'text prompt', warnings: [] });
    expect(typeof out.latencyMs).toBe('number');
    expect(server.requests[0]?.body).toEqual({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Reply with the single word OK.' }],
      temperature: 0,
      max_tokens: 16,
    });
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${secret}`);
  });

  it('test --stream reports time to first token', async () => {
    server.script(openAiChatScript.stream(['O', 'K']));
    const r = await run(['models', 'test', 'oa', '--stream', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, text: 'OK', ttftMs: expect.any(Number) });
  });

  it('test reports provider errors with their classification and exits 1', async () => {
    server.script(openAiChatScript.error(429, 'Rate limit reached', { 'retry-after': '1' }));
    const r = await run(['models', 'test', 'oa']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('FAILED');
    expect(r.stdout).toContain('HTTP 429, retryable');
    const missing = await run(['models', 'test', 'nokey', '--json']);
    expect(missing.code).toBe(1);
    expect(JSON.parse(missing.stdout)).toMatchObject({ ok: false, error: { code: 'EVALGATE_ERR_MISSING_SECRET' } });
  });

  it('test replays the first prediction of a predictions model', async () => {
    const r = await run(['models', 'test', 'replay', '--json']);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, text: 'replayed answer', input: 'replay of sample s1' });
  });

  it('test of an unknown id fails with the registry code', async () => {
    const r = await run(['models', 'test', 'nope', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stderr)).toMatchObject({ error: { code: 'EVALGATE_ERR_MODEL_NOT_CONFIGURED' } });
  });
});
