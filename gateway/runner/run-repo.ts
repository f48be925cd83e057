// The runner's persistence, where its callers have always imported it from.
// The statements live in gateway/store/: runs in run-repo.ts, predictions and
// scores in prediction-repo.ts, a run's samples in run-scope-repo.ts.

export { createRun, findRunByConfigHash, finishRun, getRun, listRuns, markRunRunning, upsertModel } from '../store/run-repo.js';
export {
  hasOkPrediction,
  predictionsForScoring,
  runCounts,
  savePrediction,
  savePredictions,
  type PredictionError,
  type PredictionWrite,
  type RunCounts,
  type ScoredPredictionRow,
  type ScoreRow,
} from '../store/prediction-repo.js';
export { getSample, listPendingSamples, runScopeSize } from '../store/run-scope-repo.js';
