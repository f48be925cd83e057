import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EvalgateError, errorRegistry } from '../gateway/errors.js';

const doc = readFileSync(new URL('../docs/errors.md', import.meta.url), 'utf8');

describe('error registry', () => {
  const codes = Object.keys(errorRegistry) as (keyof typeof errorRegistry)[];

  it('documents every code in docs/errors.md with its HTTP status and close code', () => {
    for (const code of codes) {
      const section = doc.split(`## ${code}\n`)[1]?.split('\n## ')[0];
      expect(section, `docs/errors.md lacks a "## ${code}" section`).toBeDefined();
      expect(section).toContain(`HTTP status: ${errorRegistry[code].httpStatus}`);
      expect(section).toContain(`WebSocket close code: ${errorRegistry[code].wsCloseCode}`);
    }
  });

  it('documents no code that the registry lacks', () => {
    const documented = [...doc.matchAll(/^## (EVALGATE_ERR_\w+)$/gm)].map((m) => m[1]);
    expect(documented.sort()).toEqual([...codes].sort());
  });

  it('uses valid HTTP statuses and WebSocket close codes', () => {
    for (const code of codes) {
      const { httpStatus, wsCloseCode } = errorRegistry[code];
      expect(httpStatus >= 400 && httpStatus < 600, code).toBe(true);
      expect([1001, 1003, 1007, 1008, 1009, 1011, 1013], code).toContain(wsCloseCode);
    }
  });

  it('renders message templates from params', () => {
    const e = new EvalgateError('EVALGATE_ERR_WS_FRAME_TOO_LARGE', { bytes: 2048, limit: 1024 });
    expect(e.message).toBe('Frame of 2048 bytes exceeds the limit of 1024 bytes');
    expect(e.httpStatus).toBe(413);
    expect(e.wsCloseCode).toBe(1009);
    expect(e.toJSON()).toEqual({ code: 'EVALGATE_ERR_WS_FRAME_TOO_LARGE', message: e.message });
  });

  it('gives user errors a hint that says what to do (issue 19)', () => {
    expect(new EvalgateError('EVALGATE_ERR_GATEWAY_UNREACHABLE', { host: 'h', port: 1, detail: 'ECONNREFUSED' }).message).toContain(
      'is `evalgate serve` running?',
    );
    expect(new EvalgateError('EVALGATE_ERR_API_KEY_REJECTED', { url: 'u', detail: 'd' }).message).toContain('Set EVALGATE_API_KEY or --api-key');
    expect(new EvalgateError('EVALGATE_ERR_PORT_IN_USE', { host: 'h', port: 8080 }).message).toContain('Port 8080 on h is already in use');
    expect(new EvalgateError('EVALGATE_ERR_FILE_NOT_FOUND', { path: 'x.jsonl', cwd: '/w' }).message).toBe(
      'File not found: x.jsonl. Check the path (a relative path is read from /w).',
    );
  });
});
