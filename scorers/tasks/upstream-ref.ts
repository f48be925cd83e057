// Where a scorer's behaviour comes from. Every normalizer, extractor and task
// metric names the upstream code it reproduces, so a run can record exactly
// which definition produced its numbers and docs/scoring.md can cite it.

/** One upstream source a scorer follows. */
export interface UpstreamRef {
  /** GitHub `owner/name`. */
  readonly repo: string;
  /** A release tag or a full commit id that was read (never a branch). */
  readonly ref: string;
  /** File in that repository. */
  readonly path: string;
  /** The function or class reproduced, when the file holds several. */
  readonly symbol?: string;
}

/** Versioned identity of a scorer component: `version` changes whenever its behaviour does. */
export interface VersionedScorer {
  /** `name@upstream-version`, recorded with each run (e.g. `whisper-en@v20250625`). */
  readonly version: string;
  /** The upstream code it reproduces; empty for an identity. */
  readonly upstream: readonly UpstreamRef[];
}

/** `repo@ref path[ symbol]`: one line for docs and messages. */
export function formatUpstream(u: UpstreamRef): string {
  return `${u.repo}@${u.ref} ${u.path}${u.symbol ? ` ${u.symbol}` : ''}`;
}
