// Each preset's parse rule on published judge outputs, and what it refuses:
// a reply no rule can read is undefined (the sample then fails), never 0.
import { describe, expect, it } from 'vitest';
import { audiobenchOpenRubric, bigBenchAudioRubric, judgeRubricNames, mmVetRubric, voicebenchOpenRubric } from '../../scorers/judge/judge-presets.js';
import { formatJudgeReference, parseJudgeReply, renderJudgePrompt } from '../../scorers/judge/judge-rubric.js';

describe('AudioBench open-ended (last token, 0-5)', () => {
  // Replies from AudioLLMs/AudioBench@e991641 log_for_all_models/MERaLiON-AudioLLM-Whisper-SEA-LION/*_llama3_70b_judge_score.json
  // ("judge_response" and the "rate_score" upstream read from it).
  const published: [string, number][] = [
    [
      'Explanation: The reference answer is "Yes, waves do exist", which provides a clear and concise affirmative response to the question. The model\'s answer is "Yes, there are waves", which is also a clear and concise affirmative response. While the wording is slightly different, the meaning and content of both answers are identical. \n\nRating: 5',
      5,
    ],
    ["… I think the model's answer is misleading and incorrect.\nRating: 1", 1],
    ['… with the reference answer in terms of content, accuracy, and relevance.\n\nRating: 0', 0],
    ['… a relevant and famous quote from Martin Luther King Jr.\nRating: 2', 2],
  ];
  it.each(published)('reads the published reply %#', (reply, score) => {
    expect(parseJudgeReply(audiobenchOpenRubric, reply)).toBe(score);
  });

  // Replies upstream could not read and scored 0.0 with success = 0 (same logs): here they are unreadable.
  it.each([
    "… Overall, the model's answer is generally accurate but lacks precision and detail in some aspects.",
    "… However, it could be clearer and more concise, which is why I didn't give it a perfect score.",
    'Rating: (int)',
    'Rating: 7',
    'Rating: -1',
    '',
  ])('refuses %j', (reply) => {
    expect(parseJudgeReply(audiobenchOpenRubric, reply)).toBeUndefined();
  });

  it('reports the mean x20 (0-100) and fills the upstream prompt once per placeholder', () => {
    expect(audiobenchOpenRubric.multiplier).toBe(20);
    const prompt = renderJudgePrompt(audiobenchOpenRubric.template, { question: 'Q?', reference: 'R {prediction}', prediction: 'P' });
    expect(prompt.startsWith('        [Reference Answer]\n        R {prediction}\n\n        [Model Answer]\n        P\n')).toBe(true);
    expect(prompt).toContain('        [Question]\n        Q?\n');
    expect(prompt.endsWith('        Rating: (int)')).toBe(true);
  });
});

describe('MM-Vet (first token, 0.0-1.0, re-asked)', () => {
  // The correctness values of the published few-shot table (yuweihao/MM-Vet@acde843 mm-vet_evaluator.py), as a
  // `max_tokens=3` reply carries them.
  it.each([
    ['0.0', 0],
    ['0.5', 0.5],
    ['1.0', 1],
    ['0.4', 0.4],
    ['0.8 ', 0.8],
    ['1.0 |', 1],
  ])('reads %j', (reply, score) => {
    expect(parseJudgeReply(mmVetRubric, reply)).toBe(score);
  });
  it.each(['1.5', 'The', '| 0.5', 'correct', ''])('refuses %j', (reply) => {
    expect(parseJudgeReply(mmVetRubric, reply)).toBeUndefined();
  });
  it('keeps the upstream re-ask: 4 re-asks with the digit suffix, temperature +0.5 from the second', () => {
    expect(mmVetRubric.reask).toEqual({ max: 4, promptSuffix: '\nPredict the correctness of the answer (digit): ', temperatureStep: 0.5 });
    expect(mmVetRubric.temperature).toBe(0);
    expect(mmVetRubric.maxOutputTokens).toBe(3);
  });
  it('writes the table row as upstream: question | spaced <AND> answer | prediction | (blank)', () => {
    const reference = formatJudgeReference(mmVetRubric, '-1<AND>-5');
    expect(reference).toBe('-1 <AND> -5');
    const prompt = renderJudgePrompt(mmVetRubric.template, { question: 'What is x in the equation?', reference, prediction: 'x = 3' });
    expect(prompt.endsWith('\nWhat is x in the equation? | -1 <AND> -5 | x = 3 | ')).toBe(true);
    expect(prompt.startsWith('Compare the ground truth and prediction from AI models, to give a correctness score for the prediction.')).toBe(true);
  });
});

describe('VoiceBench open (number or [[n]], 1-5, n = 3)', () => {
  it.each([
    ['4', 4],
    ['5\n', 5],
    ['Rating: [[3]]', 3],
    ['1', 1],
  ])('reads %j', (reply, score) => {
    expect(parseJudgeReply(voicebenchOpenRubric, reply)).toBe(score);
  });
  // upstream `extract_rating` raises on these; 0 and 6 are off the 1-5 scale.
  it.each(['0', '6', 'four', 'Score: 4', '[[9]]'])('refuses %j', (reply) => {
    expect(parseJudgeReply(voicebenchOpenRubric, reply)).toBeUndefined();
  });
  it('asks 3 samples at temperature 0.5 with the upstream system message', () => {
    expect([voicebenchOpenRubric.samples, voicebenchOpenRubric.temperature, voicebenchOpenRubric.maxOutputTokens]).toEqual([3, 0.5, 1024]);
    expect(voicebenchOpenRubric.system).toBe("You are a helpful assistant who tries to help answer the user's question.");
    const prompt = renderJudgePrompt(voicebenchOpenRubric.template, { question: 'hi', reference: '', prediction: 'hello' });
    expect(prompt).toContain('### [Instruction]: hi\n### [Response]: hello\n');
  });
});

describe('Big Bench Audio (CORRECT / INCORRECT)', () => {
  it.each([
    ['CORRECT', 1],
    ['INCORRECT', 0],
    ['correct.', 1],
    ['**INCORRECT**', 0],
  ])('reads %j', (reply, score) => {
    expect(parseJudgeReply(bigBenchAudioRubric, reply)).toBe(score);
  });
  it.each(['The answer is CORRECT', 'CORRECT or INCORRECT', 'yes', ''])('refuses %j', (reply) => {
    expect(parseJudgeReply(bigBenchAudioRubric, reply)).toBeUndefined();
  });
  it('fills the published prompt', () => {
    const prompt = renderJudgePrompt(bigBenchAudioRubric.template, { question: 'Q', reference: 'valid', prediction: 'It is valid.' });
    expect(prompt).toContain('The OFFICIAL ANSWER:valid\n\nBEGIN CANDIDATE ANSWER TO ASSESS\n\nIt is valid.\n\nEND CANDIDATE ANSWER TO ASSESS');
    expect(prompt.endsWith('Reply only with CORRECT or INCORRECT.')).toBe(true);
  });
});

describe('presets', () => {
  it('each names its upstream at a full commit', () => {
    expect(judgeRubricNames).toEqual(['audiobench-open', 'mm-vet', 'voicebench-open', 'big-bench-audio']);
    for (const r of [audiobenchOpenRubric, mmVetRubric, voicebenchOpenRubric, bigBenchAudioRubric]) {
      expect(r.upstream.length).toBeGreaterThan(0);
      for (const u of r.upstream) expect(u.ref).toMatch(/^[0-9a-f]{40}$/);
    }
  });
});
