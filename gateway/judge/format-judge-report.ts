import { formatRunReport } from '../runner/format-report.js';
import type { JudgeReport } from './execute-judging.js';

/** The human summary `evalgate judge` ends with: the judge settings, then the run report of the judged run. */
export function formatJudgeReport(r: JudgeReport): string {
  const j = r.judge;
  const lines = [
    `judged run ${r.sourceRunId} with ${j.modelId}${j.providerModel ? ` (${j.providerModel})` : ''}, rubric ${j.rubric} (${j.rubricVersion})`,
    `judge settings: temperature ${j.temperature}, ${j.samples} sample(s) per answer, parse ${j.parseRule} on ${j.scale.min}-${j.scale.max} ×${j.multiplier}, up to ${j.reask.max} re-ask(s)`,
    `source answers: ${r.source.answered} answered, ${r.source.unanswered} without an answer (failed or skipped there: not judged, counted failed at stage source)`,
    `this execution: judged ${r.thisExecution.judged}  failed ${r.thisExecution.failed}${r.thisExecution.cancelled ? '  (stopped early)' : ''}`,
    formatRunReport(r),
  ];
  const judgeFailed = r.counts.failed - r.source.unanswered;
  if (judgeFailed > 0) {
    lines.push(
      `note: ${judgeFailed} answer(s) have no judge score (stage judge: unreadable verdict or failed judge call); they are not averaged. See \`evalgate runs show ${r.runId} --failed\`; run the same command to retry them.`,
    );
  }
  return lines.join('\n');
}
