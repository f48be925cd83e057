import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../gateway/config/config-schema.js';
import { loadConfig } from '../../gateway/config/load-config.js';
import { defaultLiveLimits, liveLimitsFromEnv } from '../../gateway/live/live-limits.js';

function dirWith(config: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'evalgate-config-'));
  writeFileSync(join(dir, 'evalgate.config.json'), typeof config === 'string' ? config : JSON.stringify(config));
  return dir;
}

describe('loadConfig', () => {
  it('fills defaults when there is no file', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'evalgate-empty-'));
    const cfg = loadConfig({ cwd, env: {} });
    // Relative defaults come back absolute, resolved against the project home (here the folder itself).
    expect(cfg.database).toEqual({ pgliteDir: join(cwd, '.evalgate/db') });
    expect(cfg.cacheDir).toBe(join(cwd, '.evalgate/cache'));
    expect(cfg.server).toEqual({ host: '127.0.0.1', port: 8080, auth: true, authFailures: { max: 20, windowMs: 60_000 } });
    expect(cfg.models).toEqual([]);
  });

  it('merges file values over defaults and environment over both, then freezes', () => {
    const cwd = dirWith({
      server: { port: 9000 },
      models: [{ id: 'gpt4o', adapter: 'openai-chat', kind: 'generalist', baseUrl: 'http://127.0.0.1:1/v1', model: 'gpt-4o', apiKeyEnv: 'OPENAI_API_KEY' }],
    });
    const cfg = loadConfig({ cwd, env: { DATABASE_URL: 'postgres://x@127.0.0.1/db', EVALGATE_HOST: '0.0.0.0' } });
    expect(cfg.server).toEqual({ host: '0.0.0.0', port: 9000, auth: true, authFailures: { max: 20, windowMs: 60_000 } });
    expect(cfg.database.url).toBe('postgres://x@127.0.0.1/db');
    expect(cfg.models[0]).toMatchObject({ id: 'gpt4o', kind: 'generalist', options: {} });
    expect(Object.isFrozen(cfg)).toBe(true);
    expect(Object.isFrozen(cfg.models[0])).toBe(true);
    expect(() => {
      (cfg.server as { port: number }).port = 1;
    }).toThrow(TypeError);
  });

  it('names the field and the problem for an invalid value', () => {
    const cwd = dirWith({ models: [{ id: 'm', adapter: 'openai-chat', kind: 'expert' }] });
    expect(() => loadConfig({ cwd, env: {} })).toThrow(/models\.0\.kind: .*generalist.*specialist/);
  });

  it('rejects unknown keys, duplicate model ids and bad environment values', () => {
    expect(() => loadConfig({ cwd: dirWith({ sever: {} }), env: {} })).toThrow(/sever/);
    const dup = { id: 'a', adapter: 'x', kind: 'specialist' };
    expect(() => loadConfig({ cwd: dirWith({ models: [dup, dup] }), env: {} })).toThrow(/models\.1\.id: duplicate model id "a"/);
    expect(() => loadConfig({ cwd: dirWith({}), env: { EVALGATE_PORT: 'eighty' } })).toThrow(/server\.port/);
  });

  it('rejects an unknown adapter name when the configuration loads, naming the model and the adapters there are', () => {
    const cwd = dirWith({
      models: [
        { id: 'ok', adapter: 'openai-chat', kind: 'generalist' },
        { id: 'typo', adapter: 'openai-chatt', kind: 'generalist' },
      ],
    });
    expect(() => loadConfig({ cwd, env: {} })).toThrow(/models\.1\.adapter: unknown adapter "openai-chatt" \(model typo\); the adapters are openai-chat, /);
    // A known adapter loads as before.
    expect(() => loadConfig({ cwd: dirWith({ models: [{ id: 'p', adapter: 'ppocr', kind: 'specialist' }] }), env: {} })).not.toThrow();
  });

  it('reports unparsable JSON and a missing explicit file', () => {
    expect(() => loadConfig({ cwd: dirWith('{ not json'), env: {} })).toThrow(/Invalid configuration in .*evalgate\.config\.json/);
    expect(() => loadConfig({ file: '/nonexistent/evalgate.json', env: {} })).toThrow(/Configuration file not found/);
  });
});

describe('the live section', () => {
  it('names exactly the live-gateway limits', () => {
    const keys = Object.keys(configSchema.shape.live.unwrap().shape).sort();
    // Plus the journal folder, the one live setting that is not a numeric limit.
    expect(keys).toEqual([...Object.keys(defaultLiveLimits), 'journalDir'].sort());
  });

  it('layers defaults, then the file, then EVALGATE_LIVE_* variables, then explicit overrides', () => {
    const cwd = dirWith({ live: { maxSessionsPerKey: 4, resumeGraceMs: 5000, maxBufferedAudioS: 30 } });
    const cfg = loadConfig({ cwd, env: {} });
    // The journal folder's default is filled in, in the project home.
    expect(cfg.live).toEqual({ maxSessionsPerKey: 4, resumeGraceMs: 5000, maxBufferedAudioS: 30, journalDir: join(cwd, '.evalgate/journal') });
    const limits = liveLimitsFromEnv({ EVALGATE_LIVE_RESUME_GRACE_MS: '7000' }, { maxBufferedAudioS: 10 }, cfg.live);
    expect(limits.maxSessionsPerKey).toBe(4); // file
    expect(limits.resumeGraceMs).toBe(7000); // environment over file
    expect(limits.maxBufferedAudioS).toBe(10); // override over both
    expect(limits.maxFrameBytes).toBe(defaultLiveLimits.maxFrameBytes); // default
    expect(Object.isFrozen(limits)).toBe(true);
  });

  it('refuses unknown keys, non-positive values and a soft outbound limit above the hard one', () => {
    expect(() => loadConfig({ cwd: dirWith({ live: { maxSessions: 3 } }), env: {} })).toThrow(/live.*maxSessions/);
    expect(() => loadConfig({ cwd: dirWith({ live: { maxFrameBytes: 0 } }), env: {} })).toThrow(/live\.maxFrameBytes/);
    expect(() => liveLimitsFromEnv({}, {}, { outboundSoftBytes: 10, outboundHardBytes: 5 })).toThrow(/outboundSoftBytes/);
    expect(() => liveLimitsFromEnv({ EVALGATE_LIVE_MAX_SESSIONS: 'many' })).toThrow(/EVALGATE_LIVE_MAX_SESSIONS/);
  });
});
