import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import register from '../../gateway/cli/commands/datasets.js';
import { runCommandInProcess } from '../helpers/run-cli.js';
import { writeHfShard } from '../helpers/write-hf-parquet.js';
import { put } from './fixtures.js';

// An empty source is refused with a manifest error naming the file (issue 18), never recorded as a 0-sample dataset.

async function configIn(dir: string): Promise<string> {
  const path = join(dir, 'evalgate.config.json');
  await writeFile(path, JSON.stringify({ database: { pgliteDir: join(dir, 'db') } }));
  return path;
}

describe('evalgate datasets import of an empty source', () => {
  it('refuses an empty manifest, generic JSONL, Kaldi dir and parquet shard with EVALGATE_ERR_MANIFEST_INVALID', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eg-empty-'));
    const cfg = await configIn(dir);
    await put(join(dir, 'm.jsonl'), '\n');
    await put(join(dir, 'g.jsonl'), '');
    await put(join(dir, 'kaldi', 'data', 'test', 'wav.scp'), '');
    await put(join(dir, 'kaldi', 'data', 'test', 'text'), '');
    writeHfShard(join(dir, 'hf', 'test-00000-of-00001.parquet'), [
      { name: 'question', kind: 'string', data: [] },
      { name: 'answer', kind: 'strings', data: [] },
    ]);
    const cases: [string[], string][] = [
      [['manifest', join(dir, 'm.jsonl')], join(dir, 'm.jsonl')],
      [['jsonl', join(dir, 'g.jsonl'), '--task', 'asr'], join(dir, 'g.jsonl')],
      [['kaldi', join(dir, 'kaldi', 'data', 'test')], join(dir, 'kaldi', 'data', 'test')],
      [['hf-parquet', join(dir, 'hf', 'test-00000-of-00001.parquet'), '--task', 'vqa', '--map', 'reference=answer'], join(dir, 'hf')],
    ];
    for (const [args, file] of cases) {
      const r = await runCommandInProcess(register, ['-c', cfg, 'datasets', 'import', ...args, '--name', `empty-${args[0]}`]);
      expect(r.exitCode, `${args[0]}: ${r.stdout} ${r.stderr}`).toBe(1);
      expect(r.stderr, args[0]).toContain('EVALGATE_ERR_MANIFEST_INVALID');
      // The parquet importer refuses an empty shard itself ("the shard has no rows").
      expect(r.stderr, args[0]).toMatch(/no samples|has no rows/);
      expect(r.stderr, args[0]).toContain(file);
    }
    const list = await runCommandInProcess(register, ['-c', cfg, 'datasets', 'list', '--json']);
    expect(JSON.parse(list.stdout)).toEqual([]);
  }, 120_000);
});
