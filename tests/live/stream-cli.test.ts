import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import register from '../../gateway/cli/commands/stream.js';
import { hasRealdata, insertAsrSample, JFK_TEXT, realdataDir, scriptedModel, startGateway, useScriptedAdapter, type TestGateway } from './live-kit.js';
import { defined } from '../helpers/defined.js';

describe.skipIf(!hasRealdata)('evalgate stream', () => {
  let gw: TestGateway;
  let scripted: ReturnType<typeof useScriptedAdapter>;
  let shouting: ReturnType<typeof useScriptedAdapter>;
  // The CLI binds without scorer options, so scoring uses evalgate score's defaults (normalizer none):
  // the exact reference text scores WER 0.
  beforeAll(async () => {
    scripted = useScriptedAdapter(() => scriptedModel({ latencyMs: 20, reply: () => JFK_TEXT }));
    // Same words, upper-case and without punctuation: wrong under `none`, right under whisper-en.
    shouting = useScriptedAdapter(() => scriptedModel({ latencyMs: 20, reply: () => JFK_TEXT.toUpperCase().replace(/[,.]/g, '') }));
    gw = await startGateway({
      tls: false,
      auth: false,
      models: [
        { id: 'm', adapter: scripted.adapter, kind: 'specialist', options: {} },
        { id: 'shouting', adapter: shouting.adapter, kind: 'specialist', options: {} },
      ],
    });
    await insertAsrSample(gw, { name: 'realdata', sample: 'jfk', reference: JFK_TEXT });
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    scripted?.dispose();
    shouting?.dispose();
  });

  async function streamJson(args: string[]): Promise<{ files: { utterances: { scores: { wer: number } }[] }[] }> {
    const out: string[] = [];
    const spy = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => {
      out.push(String(s));
      return true;
    });
    try {
      const program = new Command().exitOverride();
      register(program);
      await program.parseAsync([
        'node',
        'evalgate',
        'stream',
        join(realdataDir, 'jfk.wav'),
        '--url',
        gw.url,
        '--dataset',
        'realdata',
        '--sample',
        'jfk',
        '--json',
        ...args,
      ]);
    } finally {
      spy.mockRestore();
    }
    return JSON.parse(out.join('')) as { files: { utterances: { scores: { wer: number } }[] }[] };
  }

  it("passes --normalizer to the bound sample's scorer", async () => {
    const raw = await streamJson(['--model', 'shouting']);
    expect(raw.files[0]?.utterances[0]?.scores.wer).toBe(1);
    const normalized = await streamJson(['--model', 'shouting', '--normalizer', 'whisper-en']);
    expect(normalized.files[0]?.utterances[0]?.scores.wer).toBe(0);
  });

  it('streams a file, prints the transcript, latency and the score as JSON', async () => {
    const doc = (await streamJson(['--model', 'm'])) as unknown as {
      files: {
        audioSeconds: number;
        utterances: { status: string; text: string; scores: { wer: number }; latency: { finalMs: number } }[];
        summary: { utterances: number };
      }[];
    };
    const f = defined(doc.files[0], 'the first file');
    expect(f.audioSeconds).toBeCloseTo(11, 1);
    expect(f.utterances).toHaveLength(1);
    expect(f.utterances[0]?.status).toBe('completed');
    expect(f.utterances[0]?.scores.wer).toBe(0);
    expect(f.utterances[0]?.latency.finalMs).toBeGreaterThan(0);
    expect(f.summary.utterances).toBe(1);
  });
});
