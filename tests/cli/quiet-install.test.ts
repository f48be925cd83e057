// Issue 19 "a quiet install": every `npx evalgate` call prints nothing but its answer. npm reads the
// project's .npmrc on each call and warns about any key it does not know (the old
// `onnxruntime-node-install=skip` did, on every command); .ci/run asserts the same of `npm ci`'s output.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string; bin: Record<string, string> };

describe('a quiet install', () => {
  it('npx evalgate --version prints the version and nothing on stderr', () => {
    const r = spawnSync('npx', ['--no', '--', 'evalgate', '--version'], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(pkg.version);
    expect(r.stderr).toBe('');
  });

  it('.npmrc holds only settings npm knows (npm config get answers each one; an unknown key warns)', () => {
    const keys = readFileSync(path.join(root, '.npmrc'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#') && !l.startsWith(';'))
      .map((l) => l.split('=')[0]!.trim());
    expect(keys).toContain('ignore-scripts');
    for (const key of keys) {
      const r = spawnSync('npm', ['config', 'get', key], { cwd: root, encoding: 'utf8' });
      expect(r.stderr, key).not.toMatch(/warn/i);
    }
  });

  it('the bin launcher says how to build when it has no dist/ and cannot build one', () => {
    // A copy of bin/evalgate.js in a folder with neither dist/ nor tsconfig: it must exit 1 with the hint, not a stack.
    const dir = mkdtempSync(path.join(tmpdir(), 'evalgate-bin-'));
    mkdirSync(path.join(dir, 'bin'));
    writeFileSync(path.join(dir, 'package.json'), '{"type": "module"}');
    copyFileSync(path.join(root, pkg.bin.evalgate!), path.join(dir, 'bin', 'evalgate.js'));
    const r = spawnSync(process.execPath, [path.join(dir, 'bin', 'evalgate.js'), '--version'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/dist\/gateway\/cli\/main\.js is missing and this install cannot build it \(run npm run build/);
  });

  it('the linked bin runs the built CLI', () => {
    expect(execFileSync(process.execPath, [path.join(root, pkg.bin.evalgate!), '--version'], { encoding: 'utf8' }).trim()).toBe(pkg.version);
  });
});
