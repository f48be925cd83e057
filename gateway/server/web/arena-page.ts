import { createHash } from 'node:crypto';
import type { EvalgateConfig } from '../../config/config-schema.js';

/** What the arena page needs to know about the server; nothing here names a model. */
export interface ArenaPageOptions {
  /** Whether the API asks for keys (`server.auth`). */
  readonly authEnabled: boolean;
  /** `arena.public`: battles and votes without a key (the API answers with a battle token). */
  readonly arenaPublic: boolean;
  /** Modalities with at least two arena models; the others are shown disabled. */
  readonly modalities: readonly string[];
  /** `arena.maxUploadBytes`, checked before a file is read into memory. */
  readonly maxUploadBytes: number;
  /** `arena.maxAudioSeconds`: recording stops by itself there. */
  readonly maxAudioSeconds: number;
}

// The page's own style and script. They never change per request (the server's settings travel as data-*
// attributes on <body>), so their hashes are computed once and the CSP can forbid every other script,
// inline style attribute and foreign origin: answers are model output and are shown as text only.
const style = `
  [hidden] { display: none !important; }
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1b1f24; background: #f6f8fa; }
  header { background: #24292f; color: #fff; padding: 10px 20px; display: flex; gap: 16px; align-items: center; }
  header h1 { font-size: 18px; margin: 0 12px 0 0; }
  header a { color: #d0d7de; }
  header .spacer { flex: 1; }
  header label { color: #d0d7de; }
  main { padding: 16px 20px; max-width: 1200px; }
  fieldset { border: 1px solid #d0d7de; background: #fff; margin: 0 0 12px; padding: 8px 12px; }
  legend { font-weight: 600; }
  label { margin-right: 12px; }
  #rec-preview { display: block; margin-top: 6px; }
  textarea { width: 100%; max-width: 720px; font: inherit; }
  button { font: inherit; padding: 4px 10px; cursor: pointer; }
  button:disabled { cursor: default; }
  .muted { color: #57606a; } .err { color: #cf222e; } .warn { color: #9a6700; } .ok { color: #1a7f37; }
  .sides { display: grid; grid-template-columns: 1fr 1fr; gap: 12px; }
  .side { background: #fff; border: 1px solid #d0d7de; padding: 8px 12px; min-height: 120px; }
  .side h2, #prompt-shown h2 { font-size: 16px; margin: 0 0 6px; }
  .answer-text { white-space: pre-wrap; }
  .side audio { display: block; margin-top: 8px; width: 100%; }
  .prompt-media img, .prompt-media video { max-width: 320px; max-height: 200px; display: block; }
  #vote-buttons button { margin: 0 6px 6px 0; }
  table { border-collapse: collapse; background: #fff; margin: 8px 0 16px; }
  th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; }
  th { background: #eaeef2; }
`;

const script = `
const $ = (id) => document.getElementById(id);
const cfg = document.body.dataset;
const authEnabled = cfg.auth === '1', arenaPublic = cfg.public === '1';
const allowed = (cfg.modalities || '').split(',').filter(Boolean);
const maxUploadBytes = Number(cfg.maxUploadBytes), maxAudioSeconds = Number(cfg.maxAudioSeconds);
const keyInput = $('apikey');
// The same stored key as the results page at /, so a key entered there works here.
if (keyInput) { keyInput.value = localStorage.getItem('evalgate-key') || ''; keyInput.onchange = () => localStorage.setItem('evalgate-key', keyInput.value); }
function show(err) { $('error').textContent = err ? String(err.message || err) : ''; }
function say(text) { $('status').textContent = text || ''; }
function fx(x, d) { return x == null || Number.isNaN(Number(x)) ? '-' : Number(x).toFixed(d); }
// A keyless battle (arena.public) is reached with the token its POST returned; a key wins when one is given.
function headers(extra) {
  const h = Object.assign({}, extra || {});
  if (keyInput && keyInput.value) h.authorization = 'Bearer ' + keyInput.value;
  else if (battle && battle.token) h['x-arena-token'] = battle.token;
  return h;
}
async function api(path, init) {
  const res = await fetch(path, Object.assign({}, init || {}, { headers: headers(init && init.headers) }));
  const body = await res.json().catch(() => ({}));
  if (!res.ok) {
    const e = new Error((body.error && (body.error.message || body.error.code)) || res.status + ' ' + res.statusText);
    e.status = res.status;
    throw e;
  }
  return body;
}

// ---- the prompt ----
let recorded = null; // { blob, seconds }
function modality() { const c = document.querySelector('input[name="modality"]:checked'); return c ? c.value : ''; }
document.querySelectorAll('input[name="modality"]').forEach((r) => {
  if (!allowed.includes(r.value)) { r.disabled = true; r.parentElement.title = 'fewer than two arena models take this modality'; }
  r.onchange = showInputs;
});
const firstAllowed = document.querySelector('input[name="modality"]:not(:disabled)');
if (firstAllowed) firstAllowed.checked = true; else say('No modality has two arena models configured (arena.models in the config).');
function showInputs() {
  const m = modality();
  $('recorder').hidden = m !== 'audio';
  $('upload').hidden = m !== 'image' && m !== 'video';
  $('prompt-file').accept = m === 'image' ? 'image/png,image/jpeg,image/webp' : 'video/mp4,video/webm';
  $('prompt-text-hint').textContent = m === 'audio' ? '(optional, sent with the recording)' : m === 'text' ? '' : '(the question about the file)';
}
showInputs();

let recorder = null, recordTimer = null;
$('rec').onclick = async () => {
  if (recorder) { recorder.stop(); return; }
  show();
  let stream;
  try { stream = await navigator.mediaDevices.getUserMedia({ audio: true }); } catch (e) { show('The microphone is not available: ' + e.message); return; }
  const mime = MediaRecorder.isTypeSupported('audio/webm;codecs=opus') ? 'audio/webm;codecs=opus' : '';
  recorder = new MediaRecorder(stream, mime ? { mimeType: mime } : undefined);
  const chunks = [], startedAt = performance.now();
  recorder.ondataavailable = (e) => { if (e.data.size) chunks.push(e.data); };
  recorder.onstop = () => {
    clearInterval(recordTimer);
    stream.getTracks().forEach((t) => t.stop());
    const blob = new Blob(chunks, { type: recorder.mimeType || 'audio/webm' });
    recorded = { blob, seconds: (performance.now() - startedAt) / 1000 };
    recorder = null;
    $('rec').textContent = 'Record again';
    $('rec-state').textContent = 'Recorded ' + recorded.seconds.toFixed(1) + ' s';
    const a = $('rec-preview');
    if (a.src) URL.revokeObjectURL(a.src);
    a.src = URL.createObjectURL(blob);
    a.hidden = false;
  };
  recorder.start();
  $('rec').textContent = 'Stop recording';
  recordTimer = setInterval(() => {
    const s = (performance.now() - startedAt) / 1000;
    $('rec-state').textContent = 'Recording… ' + Math.floor(s) + ' s';
    if (s >= maxAudioSeconds && recorder) recorder.stop();
  }, 250);
};

function base64Of(blob) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).slice(String(r.result).indexOf(',') + 1));
    r.onerror = () => reject(r.error);
    r.readAsDataURL(blob);
  });
}
async function promptBody() {
  const m = modality(), text = $('prompt-text').value.trim();
  const body = { modality: m };
  if (text) body.prompt = text;
  let media = null;
  if (m === 'audio') {
    if (recorder) throw new Error('Stop the recording first.');
    media = recorded && recorded.blob;
    if (!media) throw new Error('Record a spoken prompt first.');
  } else if (m === 'image' || m === 'video') {
    media = $('prompt-file').files[0];
    if (!media) throw new Error('Choose a file to upload.');
    if (!text) throw new Error('Type the question about the file.');
  } else if (!text) throw new Error('Type a prompt.');
  if (media) {
    if (media.size > maxUploadBytes) throw new Error('The file is ' + (media.size / 1048576).toFixed(1) + ' MiB; the limit is ' + (maxUploadBytes / 1048576).toFixed(1) + ' MiB.');
    body.media = { mime: media.type, dataBase64: await base64Of(media) };
  }
  return body;
}

// ---- the battle ----
// Nothing below ever holds a model name until the vote's answer: the API withholds them, and the page shows sides only as A and B.
let battle = null; // { id, token, eventsUrl, modality, sides: { A, B }, votable, voted }
function newSide() { return { status: 'pending', text: '', error: null, audio: [] }; }
async function start(body) {
  show();
  $('go').disabled = $('preset-go').disabled = true;
  try {
    say('Starting the battle…');
    const created = await api('/v1/arena/battles', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    battle = { id: created.id, token: created.token || null, eventsUrl: created.eventsUrl, modality: created.modality, sides: { A: newSide(), B: newSide() }, votable: false, voted: false };
    $('battle').hidden = false;
    $('result').hidden = true;
    $('result').replaceChildren();
    $('both-bad').checked = false;
    renderPrompt(created.prompt);
    // A new battle starts blank: the last battle's names, answers and errors must not sit over the new sides.
    for (const side of ['A', 'B']) {
      $('answer-' + side).textContent = '';
      $('name-' + side).textContent = '';
      $('media-' + side).replaceChildren();
      $('state-' + side).textContent = 'answering…';
      $('state-' + side).className = 'state muted';
    }
    $('again').hidden = true;
    applySides(created.sides || {});
    say('Both models are answering.');
    follow(battle);
  } catch (e) { show(e); say(''); } finally { $('go').disabled = $('preset-go').disabled = false; }
}
$('go').onclick = async () => { try { await start(await promptBody()); } catch (e) { show(e); } };
$('preset-go').onclick = () => {
  const dataset = $('preset-dataset').value.trim();
  if (!dataset) { show('Name a dataset to draw a preset prompt from.'); return; }
  start({ modality: modality(), preset: { dataset } });
};
function renderPrompt(prompt) {
  const box = $('prompt-shown');
  box.replaceChildren();
  const h = document.createElement('h2');
  h.textContent = 'Your prompt';
  const p = document.createElement('p');
  p.className = 'answer-text';
  p.textContent = prompt && prompt.text ? prompt.text : '';
  box.append(h, p);
  for (const m of (prompt && prompt.media) || []) box.append(mediaElement(m, 'prompt'));
}
function mediaElement(m, label) {
  let el;
  if (m.kind === 'audio') { el = document.createElement('audio'); el.controls = true; el.preload = 'auto'; }
  else if (m.kind === 'image') { el = document.createElement('img'); el.alt = label + ' image'; }
  else if (m.kind === 'video') { el = document.createElement('video'); el.controls = true; el.preload = 'metadata'; }
  else { el = document.createElement('a'); el.href = m.url; el.textContent = label + ' ' + m.kind; return el; }
  el.src = m.url;
  el.dataset.name = (m.url.split('/media/')[1] || '').split('?')[0];
  const wrap = document.createElement('div');
  wrap.className = 'prompt-media';
  wrap.append(el);
  return wrap;
}
// Links are signed for minutes: one that died while the page sat open is replaced from a fresh GET.
let relinkedAt = 0;
document.addEventListener('error', async (ev) => {
  const el = ev.target;
  if (!battle || !el.dataset || !el.dataset.name || Date.now() - relinkedAt < 10000) return;
  relinkedAt = Date.now();
  try {
    const b = await api('/v1/arena/battles/' + encodeURIComponent(battle.id));
    const all = [...((b.prompt && b.prompt.media) || []), ...['A', 'B'].flatMap((s) => (b.sides[s] && b.sides[s].media) || [])];
    for (const m of all) {
      const name = (m.url.split('/media/')[1] || '').split('?')[0];
      document.querySelectorAll('[data-name="' + name + '"]').forEach((x) => { x.src = m.url; });
    }
  } catch (e) { show(e); }
}, true);

function applySides(sides) {
  for (const side of ['A', 'B']) {
    const s = sides[side];
    if (!s) continue;
    const cur = battle.sides[side];
    if (cur.status !== 'pending') continue;
    if (s.status === 'pending') { if (typeof s.text === 'string' && s.text.length >= cur.text.length) { cur.text = s.text; $('answer-' + side).textContent = cur.text; } continue; }
    finishSide(side, s);
  }
  gate();
}
function finishSide(side, s) {
  const cur = battle.sides[side];
  if (cur.status !== 'pending') return;
  cur.status = s.status;
  if (s.status === 'ok') {
    cur.text = s.text || '';
    $('answer-' + side).textContent = cur.text;
    $('state-' + side).textContent = 'finished' + (s.latencyTotalMs != null ? ' in ' + fx(s.latencyTotalMs / 1000, 1) + ' s' : '');
    for (const m of s.media || []) {
      const el = mediaElement(m, 'Model ' + side + ' answer');
      $('media-' + side).append(el);
      const a = el.querySelector('audio');
      if (!a) continue;
      // "Played through": the ended event, with most of the answer actually heard. Heard time is summed from
      // playback progress (timeupdate steps of normal playback), so a seek to the end, which also ends it, is not listening.
      const track = { el: a, played: false, heard: 0, last: 0 };
      cur.audio.push(track);
      const mark = () => { track.last = a.currentTime; };
      a.addEventListener('play', mark);
      a.addEventListener('seeked', mark);
      a.addEventListener('timeupdate', () => {
        const step = a.currentTime - track.last;
        if (!a.seeking && step > 0 && step < 1.5) track.heard += step;
        track.last = a.currentTime;
      });
      a.addEventListener('ended', () => {
        track.played = !(a.duration > 0) || track.heard >= 0.9 * a.duration;
        say(track.played ? '' : 'Model ' + side + "'s audio answer was skipped through; play it to the end to vote.");
        gate();
      });
      const play = document.createElement('button');
      play.type = 'button';
      play.className = 'play';
      play.id = 'play-' + side + '-' + (cur.audio.length - 1);
      play.textContent = 'Play Model ' + side + "'s answer";
      play.onclick = () => a.play().catch((e) => show(e));
      $('media-' + side).append(play);
    }
  } else {
    cur.error = s.error || null;
    $('answer-' + side).textContent = '';
    $('state-' + side).textContent = 'failed' + (s.error && s.error.code ? ' (' + s.error.code + ')' : '') + ': this battle cannot be voted on; start a new one.';
    $('state-' + side).className = 'state err';
  }
}
function gate() {
  if (!battle) return;
  const sides = Object.values(battle.sides);
  const failed = sides.some((s) => s.status === 'failed');
  const pending = sides.some((s) => s.status === 'pending');
  const unheard = sides.flatMap((s) => s.audio).filter((t) => !t.played).length;
  const open = !battle.voted && !failed && !pending && battle.votable && unheard === 0;
  document.querySelectorAll('#vote-buttons button').forEach((b) => { b.disabled = !open; });
  $('both-bad').disabled = !open;
  $('vote').dataset.open = open ? '1' : '0';
  $('vote-hint').textContent = battle.voted ? 'Voted.' : failed ? 'A model failed to answer: there is nothing to compare.'
    : pending ? 'The vote opens when both answers are finished.'
    : unheard ? 'Play the audio answer' + (unheard > 1 ? 's' : '') + ' to the end to open the vote.'
    : battle.votable ? 'Which answer is better?' : 'Waiting for the server…';
}
gate();

// Server-sent events read through fetch (EventSource cannot send the key); polling when the stream ends early.
async function follow(b) {
  let ready = false;
  try {
    const res = await fetch(b.eventsUrl, { headers: headers({ accept: 'text/event-stream' }) });
    if (!res.ok || !res.body) throw new Error('events: ' + res.status);
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done || b !== battle) break;
      buf = (buf + value).replace(/\\r\\n?/g, '\\n');
      let cut;
      while ((cut = buf.indexOf('\\n\\n')) >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        if (onEvent(b, block)) ready = true;
      }
      if (ready) { reader.cancel().catch(() => {}); break; }
    }
  } catch (e) { /* the GET below still answers */ }
  if (!ready && b === battle) poll(b);
}
function onEvent(b, block) {
  let name = '', data = '';
  for (const line of block.split('\\n')) {
    if (line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i), value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (field === 'event') name = value; else if (field === 'data') data += (data ? '\\n' : '') + value;
  }
  if (!data || b !== battle) return false;
  let d;
  try { d = JSON.parse(data); } catch { return false; }
  name = name || d.type || '';
  if (name === 'battle.state') { b.votable = !!d.votable; applySides(d.sides || {}); return b.votable || !Object.values(d.sides || {}).some((s) => s.status === 'pending'); }
  if (name === 'answer.delta') {
    const cur = b.sides[d.side];
    if (cur && cur.status === 'pending') { cur.text += d.delta || ''; $('answer-' + d.side).textContent = cur.text; }
    return false;
  }
  // A streamed attempt failed and is being retried: its text so far is not the answer.
  if (name === 'answer.reset') {
    const cur = b.sides[d.side];
    if (cur && cur.status === 'pending') { cur.text = ''; $('answer-' + d.side).textContent = ''; }
    return false;
  }
  if (name === 'answer.done' || name === 'answer.failed') { finishSide(d.side, d); gate(); return false; }
  if (name === 'battle.ready') { b.votable = !!d.votable; gate(); say(b.votable ? 'Both answers are in.' : 'A model failed.'); return true; }
  return false;
}
// A refusal (wrong key, gone battle) ends the polling: asking again would only add failed authentications. A
// rate limit or an outage is waited out, more slowly each time.
async function poll(b) {
  let waitMs = 1000;
  while (b === battle) {
    try {
      const body = await api('/v1/arena/battles/' + encodeURIComponent(b.id));
      b.votable = !!body.votable;
      applySides(body.sides || {});
      if (waitMs > 1000) show();
      waitMs = 1000;
      if (!Object.values(body.sides || {}).some((s) => s.status === 'pending')) { say('Both answers are in.'); return; }
    } catch (e) {
      show(e);
      if (e.status >= 400 && e.status < 500 && e.status !== 429) return;
      waitMs = Math.min(waitMs * 2, 15000);
    }
    await new Promise((r) => setTimeout(r, waitMs));
  }
}

// ---- the vote ----
document.querySelectorAll('#vote-buttons button').forEach((btn) => btn.onclick = async () => {
  if (!battle || battle.voted) return;
  const b = battle;
  show();
  document.querySelectorAll('#vote-buttons button').forEach((x) => { x.disabled = true; });
  try {
    const body = { vote: btn.dataset.vote };
    if ($('both-bad').checked) body.bothBad = true;
    const r = await api('/v1/arena/battles/' + encodeURIComponent(b.id) + '/vote', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    b.voted = true;
    gate();
    reveal(r);
    await showRatings(b.modality);
  } catch (e) { show(e); gate(); }
});
function reveal(r) {
  const out = $('result');
  out.replaceChildren();
  const h = document.createElement('h2');
  h.textContent = 'Your vote: ' + r.vote + (r.bothBad ? ' (both are bad)' : '');
  out.append(h);
  for (const side of ['A', 'B']) {
    const p = document.createElement('p');
    p.className = 'revealed';
    p.id = 'revealed-' + side;
    p.textContent = 'Model ' + side + ' was ' + r.models[side];
    out.append(p);
    $('name-' + side).textContent = ': ' + r.models[side];
  }
  const c = document.createElement('p');
  c.id = 'counted';
  c.className = r.counted ? 'ok' : 'warn';
  c.textContent = r.counted ? 'Your vote counts in the ratings.' : 'Your vote is stored but not counted (' + r.excludedReason + ').';
  out.append(c);
  out.hidden = false;
  $('again').hidden = false;
}
// The ratings appear only where GET /v1/arena/ratings answers (human votes only: judge votes have their own board).
async function showRatings(m) {
  // Keyless (arena.public): the ratings route wants a key, and a refused call would count as a failed authentication of this address.
  if (authEnabled && !(keyInput && keyInput.value)) {
    const note = document.createElement('p');
    note.className = 'muted';
    note.textContent = 'Enter an API key (top right) to see the ratings.';
    $('result').append(note);
    return;
  }
  let body;
  try { body = await api('/v1/arena/ratings?source=human&modality=' + encodeURIComponent(m)); } catch (e) { return; }
  const rows = (body.ratings && body.ratings.models) || [];
  if (!Array.isArray(rows) || !rows.length) return;
  const t = document.createElement('table');
  t.id = 'ratings';
  const cap = document.createElement('caption');
  cap.textContent = 'Ratings from ' + (body.label || 'human') + ' votes, ' + m + (body.votes && body.votes.used != null ? ', ' + body.votes.used + ' votes used' : '');
  t.append(cap);
  const tr = document.createElement('tr');
  for (const h of ['rank', 'model', 'rating', '95% interval', 'votes']) { const th = document.createElement('th'); th.textContent = h; tr.append(th); }
  t.append(tr);
  for (const r of rows) {
    const row = document.createElement('tr');
    const cells = [r.rank == null ? 'not ranked' + (r.unrankedReason ? ' (' + r.unrankedReason + ')' : '') : r.rank, r.model, fx(r.rating, 1), r.low != null && r.high != null ? fx(r.low, 1) + ' – ' + fx(r.high, 1) : '-', r.votes];
    for (const c of cells) { const td = document.createElement('td'); td.textContent = c == null ? '-' : String(c); row.append(td); }
    t.append(row);
  }
  $('result').append(t);
}
$('again').onclick = () => {
  battle = null;
  $('battle').hidden = true;
  $('result').replaceChildren();
  $('result').hidden = true;
  for (const side of ['A', 'B']) { $('name-' + side).textContent = ''; $('answer-' + side).textContent = ''; $('media-' + side).replaceChildren(); }
  $('again').hidden = true;
  say('');
  show();
};
`;

/** The page's settings from the config: modalities are offered only where two models can be drawn. */
export function arenaPageOptions(config: EvalgateConfig): ArenaPageOptions {
  const models: Readonly<Record<string, readonly string[] | undefined>> = config.arena.models;
  return {
    authEnabled: config.server.auth,
    arenaPublic: config.arena.public,
    modalities: ['text', 'audio', 'image', 'video'].filter((m) => new Set(models[m] ?? []).size >= 2),
    maxUploadBytes: config.arena.maxUploadBytes,
    maxAudioSeconds: config.arena.maxAudioSeconds,
  };
}

const sha256 = (s: string): string => `'sha256-${createHash('sha256').update(s).digest('base64')}'`;

/** The CSP `/arena` is served with: its own script and style only, media from this origin (signed links) or recorded blobs. */
export const arenaPageCsp = [
  "default-src 'none'",
  `script-src ${sha256(script)}`,
  `style-src ${sha256(style)}`,
  "connect-src 'self'",
  "media-src 'self' blob:",
  "img-src 'self' data: blob:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The blind arena at `/arena` (issue 16): a prompt typed, spoken, uploaded or
 * drawn from a dataset; two anonymous answers side by side; a 5-level vote
 * that opens once both answers are finished and audio answers were heard;
 * then the names and the human ratings. It calls the same /v1/arena API as
 * any client, which withholds model names until the vote, so the page cannot
 * leak them.
 */
export function arenaPageHtml(opts: ArenaPageOptions): string {
  const attr = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  const keyField = !opts.authEnabled
    ? '<span class="muted">auth disabled (local)</span>'
    : `<label>API key${opts.arenaPublic ? ' (optional)' : ''} <input id="apikey" type="password" size="24" autocomplete="off"></label>`;
  const radio = (m: string, label: string): string => `<label><input type="radio" name="modality" value="${m}"> ${label}</label>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>evalgate arena</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style>${style}</style>
</head>
<body data-auth="${opts.authEnabled ? '1' : '0'}" data-public="${opts.arenaPublic ? '1' : '0'}" data-modalities="${attr(opts.modalities.join(','))}" data-max-upload-bytes="${opts.maxUploadBytes}" data-max-audio-seconds="${opts.maxAudioSeconds}">
<header>
  <h1>evalgate arena</h1>
  <a href="/">Results</a>
  <span class="spacer"></span>
  ${keyField}
</header>
<main>
  <p id="error" class="err" role="alert"></p>
  <p id="status" class="muted" role="status" aria-live="polite"></p>
  <fieldset id="setup">
    <legend>Your prompt</legend>
    <p>Modality: ${radio('text', 'Text')} ${radio('audio', 'Audio')} ${radio('image', 'Image')} ${radio('video', 'Video')}</p>
    <div id="recorder">
      <button type="button" id="rec">Record from the microphone</button> <span id="rec-state" class="muted" aria-live="polite"></span>
      <audio id="rec-preview" controls hidden></audio>
    </div>
    <p id="upload"><label>File <input type="file" id="prompt-file"></label></p>
    <p><label for="prompt-text">Prompt</label> <span id="prompt-text-hint" class="muted"></span><br>
      <textarea id="prompt-text" rows="3" maxlength="8000" aria-describedby="prompt-text-hint"></textarea></p>
    <p><button type="button" id="go">Start the battle</button></p>
    <p><label>Or draw a preset prompt from dataset <input id="preset-dataset" size="20"></label>
      <button type="button" id="preset-go">Draw a preset prompt</button></p>
  </fieldset>
  <section id="battle" hidden aria-label="Battle">
    <div id="prompt-shown"></div>
    <div class="sides">
      <div class="side" id="side-A"><h2>Model A<span id="name-A"></span></h2><p id="state-A" class="state muted"></p><div id="answer-A" class="answer-text" aria-live="polite"></div><div id="media-A"></div></div>
      <div class="side" id="side-B"><h2>Model B<span id="name-B"></span></h2><p id="state-B" class="state muted"></p><div id="answer-B" class="answer-text" aria-live="polite"></div><div id="media-B"></div></div>
    </div>
    <fieldset id="vote">
      <legend>Your vote</legend>
      <p id="vote-hint" class="muted" aria-live="polite"></p>
      <div id="vote-buttons">
        <button type="button" data-vote="A>>B" disabled>A is much better (A≫B)</button>
        <button type="button" data-vote="A>B" disabled>A is better (A&gt;B)</button>
        <button type="button" data-vote="A=B" disabled>Tie (A=B)</button>
        <button type="button" data-vote="B>A" disabled>B is better (B&gt;A)</button>
        <button type="button" data-vote="B>>A" disabled>B is much better (B≫A)</button>
      </div>
      <label><input type="checkbox" id="both-bad" disabled> Both are bad</label>
    </fieldset>
    <div id="result" hidden aria-live="polite"></div>
    <p><button type="button" id="again" hidden>New battle</button></p>
  </section>
</main>
<script>${script}</script>
</body>
</html>
`;
}
