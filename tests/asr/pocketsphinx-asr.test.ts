import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseWav } from '../../experts/audio-features/wav-file.js';
import { createAsr } from '../../experts/asr/create-asr.js';
import { PocketsphinxAsr } from '../../experts/asr/pocketsphinx-asr.js';
import { hasRealdata, realdataDir } from '../helpers/realdata.js';

const realdata = `${realdataDir}/`;
const haveRealdata = hasRealdata;
let havePocketsphinx = true;
try {
  execFileSync('sh', ['-c', 'command -v pocketsphinx_continuous'], { stdio: 'ignore' });
} catch {
  havePocketsphinx = false;
}
if (!havePocketsphinx) console.warn('skipping pocketsphinx tests: pocketsphinx_continuous is not installed (apt-get install pocketsphinx pocketsphinx-en-us)');
if (!haveRealdata) console.warn(`skipping pocketsphinx real-audio test: ${realdata} is missing`);

describe('pocketsphinx subprocess', () => {
  it.skipIf(!havePocketsphinx || !haveRealdata)(
    'recognises LibriSpeech 1995-1837-0001 well enough to find its key words',
    async () => {
      const { samples, sampleRateHz } = parseWav(readFileSync(`${realdata}librispeech-1995-1837-0001.wav`));
      const asr = await createAsr({ kind: 'pocketsphinx' });
      const { text } = await asr.transcribe(samples, sampleRateHz);
      // Reference: "IT WAS THE FIRST GREAT SORROW OF HIS LIFE … THE FANTASY THE HOPES THE DREAMS BUILT AROUND IT".
      expect(text).toMatch(/first great sorrow/);
      expect(text).toMatch(/fantasy/);
      // A real pocketsphinx decode: seconds alone, far longer on a loaded CI machine.
    },
    180_000,
  );

  it.skipIf(!havePocketsphinx)('stops the process when the signal aborts', async () => {
    const asr = new PocketsphinxAsr();
    const ac = new AbortController();
    const p = asr.transcribe(new Float32Array(16000 * 20), 16000, { signal: ac.signal });
    setTimeout(() => ac.abort(new Error('stop now')), 50);
    await expect(p).rejects.toThrow(/stop now|abort/i);
  });

  it('explains how to install it when the binary is missing, and refuses other languages', async () => {
    const asr = new PocketsphinxAsr({ binary: 'pocketsphinx_continuous_not_here' });
    await expect(asr.transcribe(new Float32Array(1600), 16000)).rejects.toThrow(/apt-get install pocketsphinx pocketsphinx-en-us/);
    expect(() => new PocketsphinxAsr({ language: 'zh' })).toThrow(/US English/);
  });
});
