import { pairVerdicts } from '../../scorers/judge/judge-pair.js';
import type { PairJudgeReport } from './execute-pair-judging.js';

const pct = (x: number | null): string => (x === null ? '-' : `${(100 * x).toFixed(1)}%`);

/** The human summary `evalgate judge --pairwise` ends with. */
export function formatPairJudgeReport(r: PairJudgeReport): string {
  const { a, b } = r.sourceRuns;
  const j = r.judge;
  const s = r.samples;
  const pb = r.positionBias;
  const lines = [
    `pairwise judge run ${r.runId}: ${r.status}${r.resumed ? ' (continued)' : ''}`,
    `A = ${a.modelId} (run ${a.runId})   B = ${b.modelId} (run ${b.runId})`,
    `judge ${j.modelId}${j.providerModel ? ` (${j.providerModel})` : ''}, ${j.rubric} (${j.rubricVersion}), temperature ${j.temperature}, parse ${j.parseRule}, up to ${j.reask.max} re-ask(s), both orders`,
    `samples: ${s.shared} answered by both, ${s.ok} judged in both orders, ${s.judgeFailed} failed at the judge, ${s.pending} pending; ${s.sourceFailed} a source run did not answer (failed at stage source, not judged)`,
    `verdicts as presented (A = the answer shown first):`,
    `  order  ${pairVerdicts.map((v) => v.padStart(5)).join(' ')}  failed`,
    ...(['AB', 'BA'] as const).map(
      (o) =>
        `  ${o === 'AB' ? 'A first' : 'B first'} ${pairVerdicts.map((v) => String(r.orders[o].verdicts[v]).padStart(5)).join(' ')}  ${String(r.orders[o].failed).padStart(6)}`,
    ),
    `position bias: the answer shown first won ${pb.firstWins} of ${pb.games - pb.ties} decided verdicts (${pct(pb.firstWinRate)}; unbiased ≈ 50%), ${pb.ties} ties, ${pb.flips} pair(s) flipped with the order, ${pb.unreadable} unreadable`,
    `${a.modelId} vs ${b.modelId}: ${r.summary.wins} win(s), ${r.summary.ties} tie(s), ${r.summary.losses} loss(es) over ${r.summary.votes} vote(s) (source judge)`,
    `this execution: ${r.thisExecution.judged} sample(s) judged, ${r.thisExecution.failed} failed, ${r.thisExecution.votesAdded} vote(s) added${r.thisExecution.cancelled ? '  (stopped early)' : ''}`,
  ];
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  if (s.judgeFailed > 0) {
    lines.push(
      `note: ${s.judgeFailed} sample(s) have an order without a verdict (unreadable after re-asks, or a failed judge call): no vote, never a tie. See \`evalgate runs show ${r.runId} --failed\`; run the same command to retry them.`,
    );
  }
  return lines.join('\n');
}
