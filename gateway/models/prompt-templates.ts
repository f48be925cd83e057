/**
 * Per-task default prompts for generalist models, and how a model's options
 * override them. The exact template used is stored with every run (the
 * runner puts it in the run config), so a score can always be traced to the
 * words the model saw.
 *
 * - mcq: Video-MME's evaluation prompt (BradyFU/Video-MME README, "Evaluation
 *   Pipeline", subtitle-free form), with the options as "A. …" lines.
 * - vqa: lmms-eval / LLaVA's short-answer post-prompt.
 * - asr, ocr: plain instructions that ask for the content only, so the
 *   scorers' normalizers see no chatter.
 *
 * The texts live in each task's spec (scorers/tasks/<task>.ts).
 */
import { taskNames, tasks, type TaskName } from '../../scorers/tasks/index.js';

/** Tasks a prompt exists for (the manifest's `task`). */
export type PromptTask = TaskName;

/** Default templates, each from its task's spec; `{question}`, `{options}` and `{lang}` are filled per sample. */
export const defaultPromptTemplates: Readonly<Record<PromptTask, string>> = Object.freeze(
  Object.fromEntries(taskNames.map((t) => [t, tasks[t].defaultPrompt])) as Record<PromptTask, string>,
);

/** Video-MME's subtitle preamble, for templates that want it (`{subtitles}` is filled by the caller). */
export const videoMmeSubtitlePreamble = "This video's subtitles are listed below:\n{subtitles}\n";

/**
 * The template for a task: `options.prompts[task]` of the model config when
 * set (a string), else the default.
 */
export function promptTemplateFor(task: PromptTask, modelOptions: Readonly<Record<string, unknown>> = {}): string {
  const prompts = modelOptions.prompts;
  if (prompts && typeof prompts === 'object' && !Array.isArray(prompts)) {
    const t = (prompts as Record<string, unknown>)[task];
    if (typeof t === 'string') return t;
  }
  return defaultPromptTemplates[task];
}

/** What a template is filled with. */
export interface PromptValues {
  /** The sample's question. */
  readonly question?: string | null;
  /** Multiple-choice options in letter order. */
  readonly choices?: readonly string[] | null;
  /** Language code. */
  readonly lang?: string | null;
}

/**
 * Fills a template. Options become "A. text" lines, unless they are already
 * lettered ("A. ", "(A) "), as Video-MME's are. Unknown `{names}` stay as
 * written, so a template can contain literal braces.
 */
export function renderPrompt(template: string, values: PromptValues): string {
  const options = (values.choices ?? [])
    .map((c, i) => {
      const letter = String.fromCharCode(65 + i);
      return new RegExp(`^\\(?${letter}[.)]\\s`).test(c) ? c : `${letter}. ${c}`;
    })
    .join('\n');
  const filled: Record<string, string> = { question: values.question ?? '', options, lang: values.lang ?? '' };
  return template.replace(/\{(question|options|lang)\}/g, (_m, name: string) => filled[name] ?? '');
}
