import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseWav } from '../../experts/audio-features/wav-file.js';
import { createSileroVad } from '../../experts/vad/silero-vad-segmenter.js';
import { manifestSampleSchema } from '../../datasets/manifest-schema.js';
import { parseManifest } from '../../datasets/parse-manifest.js';
import { synthTurnTakingSet, type TurnTakingSample } from '../../datasets/synth/turn-taking-set.js';
import registerDatasets from '../../gateway/cli/commands/datasets.js';
import { runCommandInProcess } from '../helpers/run-cli.js';
import { speechSpans } from '../../gateway/duplex/hear-recording.js';
import { mergeSpeechSpans } from '../../scorers/duplex/merge-speech-spans.js';

const has = (tool: string): boolean => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
const speechTools = has('espeak-ng') && has('sox');
if (!speechTools) console.warn('skipping turn-taking synth tests: espeak-ng and sox are needed');

const RATE = 16000;
/** How far an event may lie from the speech the audio really holds. */
const TOLERANCE_S = 0.15;

interface Written {
  dir: string;
  manifestText: string;
  lines: TurnTakingSample[];
  stdout: string;
  stderr: string;
}

async function readSet(dir: string, stdout = '', stderr = ''): Promise<Written> {
  const manifestText = await readFile(join(dir, 'manifest.jsonl'), 'utf8');
  const lines = manifestText
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as TurnTakingSample);
  return { dir, manifestText, lines, stdout, stderr };
}

async function samplesOf(dir: string, line: TurnTakingSample): Promise<Float32Array> {
  const wav = parseWav(await readFile(join(dir, line.audio)));
  expect(wav.sampleRateHz).toBe(RATE);
  return wav.samples;
}

/** The speech spans the manifest promises, where it describes all of them (backchannel's inner gaps are not in it). */
function expectedSpans(line: TurnTakingSample): Array<[number, number]> {
  const e = line.events;
  if (line.scenario === 'pause-handling') {
    const bounds = [0.5, ...e.pauses!.flat(), e.turn_end_s];
    return bounds.flatMap((b, i) => (i % 2 === 0 ? [[b, bounds[i + 1]!] as [number, number]] : []));
  }
  if (line.scenario === 'user-interruption') {
    return [
      [0.5, e.first_turn_end_s!],
      [e.barge_in_s!, e.turn_end_s],
    ];
  }
  return [[0.5, e.turn_end_s]];
}

/** Speech segments found by Silero VAD (the project's own detector, as the duplex runner reads it), gaps up to `mergeS` merged. */
async function vadSpans(samples: Float32Array, mergeS: number): Promise<Array<[number, number]>> {
  const spans = await speechSpans(await createSileroVad(), samples, RATE);
  return mergeSpeechSpans(
    spans.map(([startSecond, endSecond]) => ({ startSecond, endSecond })),
    mergeS,
  ).map((x) => [x.startSecond, x.endSecond]);
}

/** Largest |sample| between two times. */
function peak(samples: Float32Array, fromS: number, toS: number): number {
  let m = 0;
  for (let i = Math.max(0, Math.round(fromS * RATE)); i < Math.min(samples.length, Math.round(toS * RATE)); i++) m = Math.max(m, Math.abs(samples[i]!));
  return m;
}

const SPEECH = 0.01; // -40 dBFS
const SILENT = 0.001; // -60 dBFS

describe.skipIf(!speechTools)('evalgate datasets synth turn-taking', () => {
  let first: Written;
  beforeAll(async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eg-turns-'));
    const r = await runCommandInProcess(registerDatasets, ['datasets', 'synth', 'turn-taking', '--out', dir, '--seed', '7', '--count', '2']);
    expect(r.exitCode ?? 0).toBe(0);
    first = await readSet(dir, r.stdout, r.stderr);
  }, 120_000);

  it('writes two files of each scenario and says where the manifest is', () => {
    expect(first.lines.map((l) => l.id)).toEqual([
      'pause-handling-01',
      'pause-handling-02',
      'smooth-turn-taking-01',
      'smooth-turn-taking-02',
      'user-interruption-01',
      'user-interruption-02',
      'backchannel-01',
      'backchannel-02',
    ]);
    expect(first.stdout).toContain(`wrote ${join(first.dir, 'manifest.jsonl')}: 8 duplex scenarios`);
    // One progress line per file.
    expect(first.stderr.trim().split('\n')).toHaveLength(8);
    expect(first.stderr).toContain('audio/backchannel-02.wav');
  });

  it('writes manifest lines of exactly the duplex shape, with ms-rounded times', async () => {
    const eventKeys: Record<string, string[]> = {
      'pause-handling': ['turn_end_s', 'pauses'],
      'smooth-turn-taking': ['turn_end_s'],
      'user-interruption': ['turn_end_s', 'first_turn_end_s', 'barge_in_s'],
      backchannel: ['turn_end_s'],
    };
    const isMs = (x: number): boolean => Math.abs(x * 1000 - Math.round(x * 1000)) < 1e-6;
    for (const line of first.lines) {
      expect(Object.keys(line)).toEqual(['id', 'task', 'audio', 'scenario', 'events', 'duration_s', 'lang', 'tags']);
      expect(line).toMatchObject({ task: 'duplex', audio: `audio/${line.id}.wav`, lang: 'en', tags: [`duplex/${line.scenario}`] });
      expect(line.id.startsWith(`${line.scenario}-`)).toBe(true);
      expect(Object.keys(line.events)).toEqual(eventKeys[line.scenario]);
      const times = [line.duration_s, ...Object.values(line.events).flat(2)] as number[];
      for (const t of times) expect(isMs(t), `${line.id}: ${t}`).toBe(true);
      // duration_s is the file's own length.
      const samples = await samplesOf(first.dir, line);
      expect(Math.abs(line.duration_s - samples.length / RATE)).toBeLessThanOrEqual(0.0005 + 1e-9);
      const trailing = line.scenario === 'backchannel' ? 3 : 6;
      expect(line.duration_s - line.events.turn_end_s).toBeCloseTo(trailing, 2);
    }
  });

  it('passes the duplex manifest schema (scenario events checked per kind)', async () => {
    for (const line of first.lines) {
      const r = manifestSampleSchema.safeParse(line);
      expect(r.error?.issues ?? [], line.id).toEqual([]);
    }
    // The whole file reads as a manifest; each line's scenario and events become its stored reference.
    const m = await parseManifest(join(first.dir, 'manifest.jsonl'));
    expect(m.samples.map((s) => s.id)).toEqual(first.lines.map((l) => l.id));
    expect(m.samples.map((s) => JSON.parse(String(s.reference)) as unknown)).toEqual(first.lines.map((l) => ({ scenario: l.scenario, events: l.events })));
  });

  it('follows each scenario’s recipe: pauses of 1.5–2.5 s, a 3-s answer gap before the barge-in, ≥ 15 s of monologue', () => {
    for (const line of first.lines) {
      const e = line.events;
      if (line.scenario === 'pause-handling') {
        expect(e.pauses!.length).toBeGreaterThanOrEqual(1);
        expect(e.pauses!.length).toBeLessThanOrEqual(2);
        for (const [a, b] of e.pauses!) {
          expect(b - a).toBeGreaterThanOrEqual(1.499);
          expect(b - a).toBeLessThanOrEqual(2.501);
          expect(b).toBeLessThan(e.turn_end_s);
        }
      }
      if (line.scenario === 'user-interruption') {
        expect(e.barge_in_s! - e.first_turn_end_s!).toBeCloseTo(3, 2);
        expect(e.turn_end_s).toBeGreaterThan(e.barge_in_s!);
      }
      if (line.scenario === 'backchannel') expect(e.turn_end_s - 0.5).toBeGreaterThanOrEqual(15);
    }
    // Different files speak different sentences.
    const turnEnds = first.lines.map((l) => l.events.turn_end_s);
    expect(new Set(turnEnds).size).toBe(turnEnds.length);
  });

  it('puts every event where the audio’s speech starts or stops (energy, 50-ms windows) and keeps pauses silent', async () => {
    for (const line of first.lines) {
      const x = await samplesOf(first.dir, line);
      const spans = expectedSpans(line);
      for (const [a, b] of spans) {
        // Silence just before each onset and just after each offset; speech just inside both.
        expect(peak(x, a - 0.05, a - 0.002), `${line.id} before ${a}`).toBeLessThan(SILENT);
        expect(peak(x, a, a + 0.05), `${line.id} after onset ${a}`).toBeGreaterThanOrEqual(SPEECH);
        expect(peak(x, b - 0.05, b), `${line.id} before offset ${b}`).toBeGreaterThanOrEqual(SPEECH);
        expect(peak(x, b + 0.002, b + 0.05), `${line.id} after ${b}`).toBeLessThan(SILENT);
      }
      // The silences the manifest implies are silent: lead-in, pauses, answer gap, everything after the turn.
      expect(peak(x, 0, 0.498)).toBeLessThan(SILENT);
      for (let i = 1; i < spans.length; i++) expect(peak(x, spans[i - 1]![1] + 0.002, spans[i]![0] - 0.002)).toBeLessThan(SILENT);
      expect(peak(x, line.events.turn_end_s + 0.002, line.duration_s)).toBeLessThan(SILENT);
    }
  });

  it('agrees with Silero VAD on every speech onset and offset within 0.15 s', async () => {
    for (const line of first.lines) {
      const x = await samplesOf(first.dir, line);
      // espeak-ng's own comma and word gaps stay under 0.35 s; the set's silences are 0.4 s or more.
      const found = await vadSpans(x, 0.35);
      const want = expectedSpans(line);
      if (line.scenario === 'backchannel') {
        // The manifest gives the monologue's start and end; its inner gaps are free.
        expect(Math.abs(found[0]![0] - 0.5), line.id).toBeLessThan(TOLERANCE_S);
        expect(Math.abs(found.at(-1)![1] - line.events.turn_end_s), line.id).toBeLessThan(TOLERANCE_S);
        continue;
      }
      expect(found.length, `${line.id}: VAD ${JSON.stringify(found)} vs ${JSON.stringify(want)}`).toBe(want.length);
      found.forEach(([a, b], i) => {
        expect(Math.abs(a - want[i]![0]), `${line.id} onset ${i}: ${a} vs ${want[i]![0]}`).toBeLessThan(TOLERANCE_S);
        expect(Math.abs(b - want[i]![1]), `${line.id} offset ${i}: ${b} vs ${want[i]![1]}`).toBeLessThan(TOLERANCE_S);
      });
    }
  }, 60_000);

  it('is repeatable: the same seed gives the same manifest and the same audio bytes; another seed differs', async () => {
    const again = await mkdtemp(join(tmpdir(), 'eg-turns-again-'));
    await synthTurnTakingSet({ outDir: again, seed: 7, count: 2 });
    const second = await readSet(again);
    expect(second.manifestText).toBe(first.manifestText);
    for (const line of first.lines) {
      expect((await readFile(join(again, line.audio))).equals(await readFile(join(first.dir, line.audio))), line.id).toBe(true);
    }
    const other = await mkdtemp(join(tmpdir(), 'eg-turns-other-'));
    await synthTurnTakingSet({ outDir: other, seed: 8, count: 1 });
    const third = await readSet(other);
    expect(third.lines).toHaveLength(4);
    expect(third.lines.map((l) => l.events)).not.toEqual(first.lines.filter((l) => l.id.endsWith('-01')).map((l) => l.events));
  }, 120_000);
});

describe('evalgate datasets synth turn-taking options', () => {
  it('documents --out, --seed and --count in --help', () => {
    const program = new Command('evalgate');
    registerDatasets(program);
    const cmd = program.commands
      .find((c) => c.name() === 'datasets')
      ?.commands.find((c) => c.name() === 'synth')
      ?.commands.find((c) => c.name() === 'turn-taking');
    const help = cmd?.helpInformation() ?? '';
    expect(help).toMatch(/--out <dir>/);
    expect(help).toMatch(/--seed <n>/);
    expect(help).toMatch(/--count <k>\s+files per scenario \(default: "2"\)/);
    expect(help).toMatch(/pause-handling,\s+smooth-turn-taking,\s+user-interruption,\s+backchannel/);
  });

  it('refuses a count outside 1..10 before writing anything', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'eg-turns-bad-'));
    for (const count of ['0', '11', 'two']) {
      const r = await runCommandInProcess(registerDatasets, ['datasets', 'synth', 'turn-taking', '--out', dir, '--count', count]);
      expect(r.exitCode).toBe(1);
      expect(r.stderr).toMatch(/--count must be/);
      expect(r.stderr).toContain('EVALGATE_ERR_BAD_INPUT');
    }
  });
});
