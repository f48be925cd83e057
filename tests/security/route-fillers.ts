/**
 * How the security matrix reaches each route of the server. Every route in
 * `app.routeList` must have an entry here: a route the generator does not
 * know fails the matrix, so a new route is covered (or deliberately listed)
 * before it ships.
 */

/** Seeded facts a filler may use, per dataset. */
export interface DatasetFixture {
  /** Dataset name. */
  readonly name: string;
  /** Dataset id. */
  readonly id: string;
  /** Sealed or open. */
  readonly sealed: boolean;
  /** Two full runs (baseline first) and one small run of the same dataset. */
  readonly runs: readonly string[];
  /**
   * Two judged runs (task `judge-score`, as `evalgate judge` writes them) of the two full runs: their
   * predictions are judge scores, and one failed judge reply quotes the sample's reference.
   */
  readonly judgedRuns: readonly string[];
  /** A sample key with a media file. */
  readonly sampleKey: string;
  /** The sample spoken-answer turns are bound to: its reference holds words the ASR expert hears. */
  readonly spokenSampleKey: string;
  /** Stream sessions bound to samples of this dataset, text and spoken answers both. */
  readonly sessions: readonly string[];
  /**
   * Signed links to that media file that a caller might hold: one signed for
   * a viewer (valid, yet not enough for a sealed set) and one whose scope was
   * raised to admin after signing (forged).
   */
  readonly mediaLinks: readonly string[];
}

/**
 * An HTTP request list, or a WebSocket protocol to drive. The matrix drives
 * each WebSocket endpoint once per way a model answers (its `voices`): in
 * text, and in speech that a local ASR expert hears (`?asr_model=`).
 */
export type Filler = { readonly http: (d: DatasetFixture) => readonly string[] } | { readonly ws: 'native' | 'realtime' };

export const routeFillers: Readonly<Record<string, Filler>> = {
  'GET /healthz': { http: () => ['/healthz'] },
  'GET /metrics': { http: () => ['/metrics'] },
  'GET /': { http: () => ['/'] },
  'GET /arena': { http: () => ['/arena'] },
  'GET /v1/runs': { http: () => ['/v1/runs'] },
  'GET /v1/runs/:id/samples': { http: (d) => [...d.runs, ...d.judgedRuns].map((r) => `/v1/runs/${r}/samples?limit=1000`) },
  'GET /v1/compare': {
    http: (d) => [
      `/v1/compare?runs=${d.runs[0]},${d.runs[1]}&by=tag&samples=50&iterations=50`,
      `/v1/compare?runs=${d.runs[0]},${d.runs[1]}&by=lang&samples=5&iterations=50`,
      `/v1/compare?runs=${d.runs[0]},${d.runs[1]},${d.runs[0]}&by=task&iterations=50`,
      `/v1/compare?runs=${d.judgedRuns[0]},${d.judgedRuns[1]}&by=tag&samples=50&iterations=50`,
    ],
  },
  'GET /v1/compare/kinds': {
    http: (d) => [
      `/v1/compare/kinds?task=asr&dataset=${d.name}&iterations=50`,
      '/v1/compare/kinds?task=asr&iterations=50',
      `/v1/compare/kinds?task=asr&dataset=${d.name}&allowMixed=true&iterations=50`,
      `/v1/compare/kinds?task=judge-score&dataset=${d.name}&iterations=50`,
    ],
  },
  // The small run is not comparable with the full ones: a separate board, and a mixed one with allowMixed.
  'GET /v1/leaderboard': {
    http: (d) => [
      `/v1/leaderboard?task=asr&dataset=${d.name}&iterations=50`,
      '/v1/leaderboard?task=asr&iterations=50',
      `/v1/leaderboard?task=asr&dataset=${d.name}&allowMixed=true&iterations=50`,
      `/v1/leaderboard?task=judge-score&dataset=${d.name}&iterations=50`,
    ],
  },
  'GET /v1/report': {
    http: (d) => [
      `/v1/report?runs=${d.runs[0]},${d.runs[1]}&by=tag&samples=50&iterations=50`,
      `/v1/report?runs=${d.runs[0]},${d.runs[1]},${d.runs[2]}&by=lang&samples=5&iterations=50&seed=2`,
      `/v1/report?runs=${d.judgedRuns[0]},${d.judgedRuns[1]}&by=tag&samples=50&iterations=50`,
    ],
  },
  'GET /v1/datasets/:dataset/samples/:sample/media/:index': { http: (d) => [`/v1/datasets/${d.name}/samples/${d.sampleKey}/media/0`, ...d.mediaLinks] },
  'GET /v1/sessions': { http: () => ['/v1/sessions'] },
  'GET /v1/stream/sessions/:id': { http: (d) => d.sessions.map((s) => `/v1/stream/sessions/${s}`) },
  // Arena battles belong to the key that created them (tests/arena/battle-flow.test.ts checks creators, scopes and
  // keyless access; battle-preset.test.ts the sealed-preset refusal). The matrix drives GETs only: an unknown battle
  // must be a 404 for every scope, and the POSTs are listed so a new arena route still needs its entry.
  'POST /v1/arena/battles': { http: () => [] },
  // Ratings are aggregates of anonymous votes (no prompt, answer or sample): every scope from viewer may read them.
  'GET /v1/arena/ratings': {
    http: () => ['/v1/arena/ratings', '/v1/arena/ratings?source=judge&modality=text', '/v1/arena/ratings?source=combined&freeze=2026-01-01T00:00:00Z'],
  },
  'GET /v1/arena/battles/:id': { http: () => ['/v1/arena/battles/00000000-0000-4000-8000-000000000000'] },
  'GET /v1/arena/battles/:id/events': { http: () => ['/v1/arena/battles/00000000-0000-4000-8000-000000000000/events'] },
  'POST /v1/arena/battles/:id/vote': { http: () => [] },
  'GET /v1/arena/battles/:id/media/:name': {
    http: () => [
      '/v1/arena/battles/00000000-0000-4000-8000-000000000000/media/prompt-0',
      '/v1/arena/battles/00000000-0000-4000-8000-000000000000/media/prompt-0?expires=9999999999&sig=AAAA',
    ],
  },
  'GET /v1/realtime': { ws: 'realtime' },
  'GET /v1/stream': { ws: 'native' },
};
