// The scorer versions a run records must name what scoring applied: the
// defaults (asr's normalizer by unit, mcq's extractor) each live in one place.
import { describe, expect, it } from 'vitest';
import { extractors } from '../../scorers/mcq/mcq-extractors.js';
import { getNormalizer, NORMALIZER_NAMES, normalizers } from '../../scorers/normalizers/normalizer-registry.js';
import { scoreTask } from '../../scorers/score-task.js';
import { scoreMcq } from '../../scorers/tasks/mcq.js';
import { scorerVersions } from '../../scorers/tasks/scorer-versions.js';

// Mixed case, punctuation and CJK, so the normalizers give different text.
const reference = 'Hello, World! 我爱北京。';
const prediction = 'hello world 我爱北京';

describe('recorded scorer versions name the normalizer scoring applied', () => {
  for (const unit of [undefined, 'word', 'char', 'mixed'] as const) {
    for (const normalizer of [undefined, ...NORMALIZER_NAMES]) {
      it(`asr unit ${unit ?? '(default)'}, normalizer ${normalizer ?? '(default)'}`, () => {
        const options = { ...(unit ? { unit } : {}), ...(normalizer ? { normalizer } : {}) };
        const result = scoreTask([{ id: 'x', reference, prediction }], { task: 'asr', ...options });
        const applied = result.normalizer;
        expect(result.samples[0]?.normalized_reference).toBe(getNormalizer(applied).normalize(reference));
        if (normalizer) expect(applied).toBe(normalizer);
        else expect(applied).toBe(unit === 'mixed' ? 'wenet-zh' : 'none');
        expect(scorerVersions('asr', options).normalizer).toBe(normalizers[applied].version);
      });
    }
  }

  it('for ocr and mcq too, and mcq records the extractor it applied', () => {
    for (const task of ['ocr', 'vqa', 'mcq'] as const) {
      for (const normalizer of [undefined, 'whisper-basic'] as const) {
        const options = normalizer ? { normalizer } : {};
        const result = scoreTask([{ id: 'x', reference, answer: 'A', prediction }], { task, ...options });
        expect(scorerVersions(task, options).normalizer).toBe(normalizers[result.normalizer].version);
      }
    }
    const byDefault = scoreMcq([{ id: 'q', answer: 'A', prediction: 'A' }]);
    expect(scorerVersions('mcq', {}).extractor).toBe(extractors[byDefault.extractor].version);
    const lmms = scoreMcq([{ id: 'q', answer: 'A', prediction: 'A' }], { extractor: 'lmms' });
    expect(lmms.extractor).toBe('lmms');
    expect(scorerVersions('mcq', { extractor: 'lmms' }).extractor).toBe(extractors.lmms.version);
    expect(extractors.lmms.version).not.toBe(extractors[byDefault.extractor].version);
  });
});
