import { scenarioNames, type ScenarioName } from '../../scorers/duplex/turn-taking-scenario.js';
import { fullDuplexBenchVersion } from '../../scorers/duplex/full-duplex-bench-version.js';

/** The metrics each scenario reports, with their labels and units (the duplex task's names). */
const perScenario: Record<ScenarioName, ReadonlyArray<readonly [metric: string, label: string, unit: string]>> = {
  'pause-handling': [['pause_tor', 'TOR (lower is better)', '']],
  'smooth-turn-taking': [
    ['turn_tor', 'TOR', ''],
    ['turn_latency_s', 'latency', ' s'],
  ],
  'user-interruption': [
    ['interrupt_tor', 'TOR', ''],
    ['interrupt_latency_s', 'latency', ' s'],
    ['stop_latency_s', 'stop latency', ' s'],
    ['kept_talking', 'kept talking', ''],
  ],
  backchannel: [
    ['backchannel_per_min', 'backchannels/min', ''],
    ['backchannel_tor', 'TOR', ''],
  ],
};

/** The per-scenario table `evalgate duplex` prints after the run report. */
export function formatDuplexSummary(metrics: Readonly<Record<string, unknown>>): string {
  const num = (k: string): number | undefined => (typeof metrics[k] === 'number' ? (metrics[k] as number) : undefined);
  const lines = [`turn-taking (Full-Duplex-Bench rules, ${fullDuplexBenchVersion.split(' ')[0]}):`];
  for (const name of scenarioNames) {
    const n = num(`n_${name}`) ?? 0;
    const parts = perScenario[name].flatMap(([k, label, unit]) => {
      const v = num(k);
      return v === undefined ? [] : [`${label} ${v.toFixed(3)}${unit}`];
    });
    lines.push(`  ${name.padEnd(20)} n ${String(n).padStart(3)}  ${n === 0 ? '-' : parts.join(', ') || '(no value)'}`);
  }
  const acc = num('behaviour_accuracy');
  lines.push(`  behaviour accuracy ${acc === undefined ? '-' : acc.toFixed(3)} (the model did what each scenario asks)`);
  return lines.join('\n');
}
