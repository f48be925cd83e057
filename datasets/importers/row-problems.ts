import { MAX_MANIFEST_PROBLEMS, ManifestError } from '../parse-manifest.js';

/**
 * Collects the bad rows of an import so they are reported together, as
 * parseManifestText does for manifest lines: the first problem becomes the
 * thrown ManifestError (its file, row and field) and its detail lists the
 * others, up to {@link MAX_MANIFEST_PROBLEMS}, then how many more there were.
 * Rows span several files (parquet shards, lhotse's two manifests), so each
 * listed problem names its own file.
 */
export class RowProblems {
  /** The most problems listed; beyond it they are only counted. */
  static readonly limit = MAX_MANIFEST_PROBLEMS;

  #problems: ManifestError[] = [];
  #more = 0;

  /** `unit` names a position in the listed problems: `row` for parquet, `line` for JSON lines. */
  constructor(unit: 'row' | 'line') {
    this.#unit = unit;
  }

  readonly #unit: 'row' | 'line';

  /** Records one bad row. */
  add(err: ManifestError): void {
    if (this.#problems.length < MAX_MANIFEST_PROBLEMS) this.#problems.push(err);
    else this.#more++;
  }

  /** Number of bad rows seen so far. */
  get count(): number {
    return this.#problems.length + this.#more;
  }

  /** Rewrites the listed problems (e.g. to add what was learned after they were found). */
  map(fn: (err: ManifestError) => ManifestError): void {
    this.#problems = this.#problems.map(fn);
  }

  /** Throws the collected problems as one ManifestError; does nothing when there are none. */
  throwIfAny(): void {
    const [first, ...rest] = this.#problems;
    if (!first) return;
    const others = rest.map((p) => `${p.file === first.file ? `${this.#unit} ` : `${p.file}:`}${p.line}: ${p.field}: ${p.detail}`);
    if (this.#more > 0) others.push(`${this.#more} more not shown`);
    throw new ManifestError(first.file, first.line, first.field, others.length ? `${first.detail}; also ${others.join('; ')}` : first.detail);
  }
}
