// Task-specific rules that used to be `task === 'asr'` branches outside the
// registry now live in each TaskSpec; these pin them to the old behaviour.
import { describe, expect, it } from 'vitest';
import { audioDecodeRateFor } from '../../gateway/runner/build-request.js';
import { taskNames, taskSpecs } from '../../scorers/tasks/index.js';

describe('TaskSpec fields that replace task branches', () => {
  it('local specialists decode asr audio at 16 kHz and nothing else; adapters with a PCM rate keep theirs', () => {
    expect(taskNames.filter((t) => taskSpecs[t].specialistAudioRateHz !== undefined)).toEqual(['asr']);
    expect(audioDecodeRateFor({ adapter: 'pocketsphinx', kind: 'specialist' }, 'asr')).toBe(16_000);
    expect(audioDecodeRateFor({ adapter: 'some-local', kind: 'specialist' }, 'asr')).toBe(16_000);
    expect(audioDecodeRateFor({ adapter: 'some-local', kind: 'specialist' }, 'mcq')).toBeUndefined();
    expect(audioDecodeRateFor({ adapter: 'openai-chat', kind: 'generalist' }, 'asr')).toBeUndefined();
  });

  it('only asr prints alignments; asr and cls (one true label) take a single reference', () => {
    expect(taskNames.filter((t) => taskSpecs[t].alignment)).toEqual(['asr']);
    expect(taskNames.filter((t) => taskSpecs[t].singleReference)).toEqual(['asr', 'cls']);
  });

  it("demo scorer options and headlines are the demo's previous ones", () => {
    expect(taskSpecs.asr.demoScorer).toEqual({ unit: 'mixed', normalizer: 'wenet-zh' });
    for (const t of ['ocr', 'vqa', 'mcq'] as const) expect(taskSpecs[t].demoScorer).toBeUndefined();
    const m = { cer: 0.12345, wer: 0.5, accuracy: 2 / 3, anls: 0.9, exact_match: 0.25 };
    expect(taskSpecs.asr.headline(m, taskSpecs.asr.demoScorer)).toBe('mixed-unit error rate 0.123');
    expect(taskSpecs.asr.headline({}, taskSpecs.asr.demoScorer)).toBe('mixed-unit error rate -');
    expect(taskSpecs.asr.headline(m)).toBe('wer 0.500');
    expect(taskSpecs.mcq.headline(m)).toBe('accuracy 0.667');
    expect(taskSpecs.ocr.headline(m)).toBe('anls 0.900 exact 0.250');
    expect(taskSpecs.vqa.headline({ anls: 1 })).toBe('anls 1.000 exact -');
  });
});
