// A model configured to answer in speech would be scored on its own transcript
// of its audio, which is never the answer: live sessions refuse it unless a
// local ASR expert hears its replies (`asr_model`, docs/spoken-answers.md;
// live-spoken-answers.test.ts drives such a session end to end).
import { describe, expect, it } from 'vitest';
import { resolveLiveModel } from '../../gateway/live/live-model.js';

describe('live sessions and models that answer in speech', () => {
  it('refuses openai-realtime with outputModality audio and openai-chat with outputAudio without an expert; text models resolve', async () => {
    const realtime = { id: 'rt', adapter: 'openai-realtime', kind: 'generalist' as const, model: 'gpt-4o-realtime-preview', options: {} };
    await expect(resolveLiveModel({ ...realtime, options: { outputModality: 'audio' } })).rejects.toMatchObject({
      code: 'EVALGATE_ERR_BAD_INPUT',
      message: expect.stringMatching(/model rt answers in speech: connect with \?asr_model=<id>/),
    });
    const chat = { id: 'c', adapter: 'openai-chat', kind: 'generalist' as const, model: 'gpt-4o-audio-preview', options: {} };
    await expect(resolveLiveModel({ ...chat, options: { outputAudio: { voice: 'alloy' } } })).rejects.toMatchObject({ code: 'EVALGATE_ERR_BAD_INPUT' });
    expect((await resolveLiveModel({ ...chat, options: { outputAudio: { voice: 'alloy' } } }, { heard: true })).kind).toBe('batch');
    expect((await resolveLiveModel(realtime)).kind).toBe('realtime');
    expect((await resolveLiveModel(chat)).kind).toBe('batch');
  });
});
