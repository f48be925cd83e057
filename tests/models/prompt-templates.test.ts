import { describe, expect, it } from 'vitest';
import { defaultPromptTemplates, promptTemplateFor, renderPrompt } from '../../gateway/models/prompt-templates.js';
import { defaultPromptTemplates as runnerDefaults, renderPrompt as runnerRender } from '../../gateway/runner/build-request.js';

describe('prompt templates', () => {
  it('renders the Video-MME README example exactly (subtitle-free form)', () => {
    const prompt = renderPrompt(defaultPromptTemplates.mcq, {
      question: 'What is the color of the clothing worn by the persons in the video?',
      choices: ['Black.', 'Gray.', 'Green.', 'Brown.'],
    });
    expect(prompt).toBe(
      'Select the best answer to the following multiple-choice question based on the video. Respond with only the letter (A, B, C, or D) of the correct option.\n' +
        'What is the color of the clothing worn by the persons in the video?\n' +
        'A. Black.\nB. Gray.\nC. Green.\nD. Brown.\n' +
        'The best answer is:',
    );
  });

  it('does not letter options twice, and leaves unknown placeholders alone', () => {
    expect(renderPrompt('{options} {other}', { choices: ['A. x', '(B) y', 'z'] })).toBe('A. x\n(B) y\nC. z {other}');
  });

  it('takes options.prompts[task] over the default', () => {
    expect(promptTemplateFor('vqa', { prompts: { vqa: 'Q: {question}' } })).toBe('Q: {question}');
    expect(promptTemplateFor('asr', { prompts: { vqa: 'x' } })).toBe(defaultPromptTemplates.asr);
    expect(promptTemplateFor('ocr')).toBe(defaultPromptTemplates.ocr);
  });

  it('agrees with the templates the batch runner uses, so stored prompts have one source of truth', () => {
    expect(runnerDefaults).toEqual(defaultPromptTemplates);
    const sample = { question: 'Which?', choices: ['one', 'two'], lang: 'en' };
    for (const t of Object.values(defaultPromptTemplates)) expect(renderPrompt(t, sample)).toBe(runnerRender(t, sample));
  });
});
