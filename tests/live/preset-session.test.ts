// The live gateway finds a model by the same lookup as `evalgate run`: a bundled preset works with no models configured.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StreamClient } from '../../gateway/client/stream-client.js';
import { findBundledPreset } from '../../gateway/config/bundled-presets.js';
import { hasRealdata, startGateway, wavPcm16, type TestGateway } from './live-kit.js';

const pocketsphinxHere = findBundledPreset('pocketsphinx')?.availability().available === true;

describe.skipIf(!pocketsphinxHere || !hasRealdata)('a live session on a bundled preset (pocketsphinx installed)', () => {
  let gw: TestGateway;
  let key: string;
  beforeAll(async () => {
    gw = await startGateway({ tls: false, models: [] });
    key = await gw.key('submitter');
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
  });

  it('streams to the pocketsphinx preset with no models configured and gets its transcript', async () => {
    const client = await StreamClient.connect({ url: gw.url, model: 'pocketsphinx', apiKey: key });
    try {
      await client.configure({ sampleRateHz: 16000 });
      await client.sendAudio(await wavPcm16('jfk.wav', 16000));
      client.commit();
      const final = await client.nextFinal();
      // pocketsphinx's en-us model is weak, but it hears these words of the JFK clip.
      expect(final?.text.toLowerCase()).toMatch(/country/);
    } finally {
      client.close();
    }
  }, 60_000);

  it('an id that is neither configured nor a preset is still refused with MODEL_NOT_CONFIGURED', async () => {
    await expect(StreamClient.connect({ url: gw.url, model: 'no-such-model', apiKey: key })).rejects.toMatchObject({
      code: 'EVALGATE_ERR_MODEL_NOT_CONFIGURED',
    });
  });
});
