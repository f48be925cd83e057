import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { describe, expect, it } from 'vitest';

// No import points upward: the server registers the live routes and hands them
// to gateway/live (create-app.ts), so live code never imports gateway/server,
// and the client (shipped to other programs) pulls no server code at runtime.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** [file, specifier, type-only] for every relative import of the .ts files of a folder. */
function imports(dir: string): { file: string; target: string; typeOnly: boolean }[] {
  return readdirSync(path.join(root, dir))
    .filter((f) => f.endsWith('.ts'))
    .flatMap((f) => {
      const file = path.join(dir, f);
      const text = readFileSync(path.join(root, file), 'utf8');
      return [...text.matchAll(/^(import|export)(\s+type)?\b[^;]*?\bfrom\s+'(\.[^']+)'|import\(\s*'(\.[^']+)'\s*\)/gm)].map((m) => ({
        file,
        target: path.relative(root, path.resolve(root, dir, m[3] ?? m[4] ?? '')),
        typeOnly: Boolean(m[2]),
      }));
    });
}

describe('live layering', () => {
  it('sees the imports it checks (the scan is not vacuous)', () => {
    const live = imports('gateway/live');
    expect(live.some((i) => i.target === path.join('gateway', 'live', 'audio-buffer.js'))).toBe(true);
    expect(imports('gateway/server/routes').some((i) => i.target.startsWith(path.join('gateway', 'live') + path.sep))).toBe(true);
  });

  it('gateway/live imports nothing from gateway/server', () => {
    expect(imports('gateway/live').filter((i) => i.target.startsWith(path.join('gateway', 'server') + path.sep))).toEqual([]);
  });

  it('the stream client imports only types from the live code', () => {
    const live = imports('gateway/client').filter((i) => i.target.startsWith(path.join('gateway', 'live') + path.sep));
    expect(live.length).toBeGreaterThan(0);
    expect(live.filter((i) => !i.typeOnly)).toEqual([]);
  });

  it('the responder interface imports none of its implementations (createResponder lives apart)', () => {
    const impls = ['batch-responder.js', 'realtime-responder.js'].map((f) => path.join('gateway', 'live', f));
    const live = imports('gateway/live');
    // The factory does import both, so the scan would see such an import.
    expect(impls.filter((t) => live.some((i) => i.file === path.join('gateway', 'live', 'create-responder.ts') && i.target === t))).toEqual(impls);
    expect(live.filter((i) => i.file === path.join('gateway', 'live', 'responder.ts') && impls.includes(i.target))).toEqual([]);
  });

  // Issue 14: the session stays an orchestrator; its parts live in their own files.
  it('live-session.ts is at most 300 lines as formatted', async () => {
    const file = path.join(root, 'gateway', 'live', 'live-session.ts');
    const formatted = await format(readFileSync(file, 'utf8'), { ...(await resolveConfig(file)), filepath: file });
    const lines = formatted.trimEnd().split('\n').length;
    expect(lines).toBeGreaterThan(100);
    expect(lines).toBeLessThanOrEqual(300);
  });
});
