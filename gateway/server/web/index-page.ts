/**
 * The web page served at `/`. One static document with plain browser JS:
 * it calls the same /v1 API as any client, so the page can never show what
 * the API would refuse (references stay admin-only).
 */
export function indexPageHtml(authEnabled: boolean): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>evalgate</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style>
  body { font: 14px/1.4 system-ui, sans-serif; margin: 0; color: #1b1f24; background: #f6f8fa; }
  header { background: #24292f; color: #fff; padding: 10px 20px; display: flex; gap: 16px; align-items: center; }
  header h1 { font-size: 18px; margin: 0 12px 0 0; }
  nav button { background: none; border: 0; color: #d0d7de; font-size: 14px; cursor: pointer; padding: 6px 10px; }
  nav button.active { color: #fff; border-bottom: 2px solid #fd8c73; }
  main { padding: 16px 20px; }
  section { display: none; } section.active { display: block; }
  table { border-collapse: collapse; background: #fff; margin: 8px 0 16px; }
  th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
  th { background: #eaeef2; }
  .tie { color: #9a6700; } .muted { color: #57606a; } .warn { color: #9a6700; }
  .err { color: #cf222e; }
  label { margin-right: 12px; }
  img.preview { max-width: 240px; max-height: 120px; display: block; }
  iframe.report { width: 100%; height: 1400px; border: 1px solid #d0d7de; background: #fff; }
  button.link { background: none; border: 0; color: #0969da; cursor: pointer; padding: 0; font: inherit; text-decoration: underline; }
</style>
</head>
<body>
<header>
  <h1>evalgate</h1>
  <nav>
    <button data-tab="leaderboard" class="active">Leaderboard</button>
    <button data-tab="compare">Compare</button>
    <button data-tab="samples">Run view</button>
    <button data-tab="live">Live sessions</button>
  </nav>
  <span style="flex:1"></span>
  ${authEnabled ? '<label style="color:#d0d7de">API key <input id="apikey" type="password" size="24"></label>' : '<span class="muted">auth disabled (local)</span>'}
</header>
<main>
  <p id="error" class="err" role="alert"></p>
  <section id="leaderboard" class="active">
    <label>Task <select id="lb-task"></select></label>
    <div id="lb-out"><p class="muted">Loading…</p></div>
  </section>
  <section id="compare">
    <p class="muted">Pick two or more runs on the same dataset and task; the first is the baseline.</p>
    <div id="cmp-runs"></div>
    <label>Breakdown <select id="cmp-by"><option>tag</option><option>lang</option><option>task</option></select></label>
    <button id="cmp-go">Compare</button>
    <div id="cmp-out"></div>
    <div id="cmp-charts"></div>
  </section>
  <section id="samples">
    <label>Run <select id="smp-run"></select></label> <button id="smp-go">Show</button>
    <div id="smp-out"></div>
  </section>
  <section id="live">
    <button id="live-refresh">Refresh</button>
    <div id="live-out"></div>
    <div id="live-session"></div>
  </section>
</main>
<script>
const $ = (id) => document.getElementById(id);
const keyInput = $('apikey');
if (keyInput) { keyInput.value = localStorage.getItem('evalgate-key') || ''; keyInput.onchange = () => { localStorage.setItem('evalgate-key', keyInput.value); boot(); }; }
function esc(s) { return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c])); }
function fx(x, d = 4) { return x == null || Number.isNaN(x) ? '-' : Number(x).toFixed(d); }
function ci(i) { return i ? fx(i.estimate) + ' <span class="muted">[' + fx(i.low) + ', ' + fx(i.high) + ']</span>' : '-'; }
async function api(path) {
  const headers = keyInput && keyInput.value ? { authorization: 'Bearer ' + keyInput.value } : {};
  const res = await fetch(path, { headers });
  const body = await res.json();
  if (!res.ok) throw new Error((body.error && body.error.message) || res.statusText);
  return body;
}
function show(err) { $('error').textContent = err ? String(err.message || err) : ''; }
function table(head, rows) {
  return '<table><thead><tr>' + head.map((h) => '<th>' + esc(h) + '</th>').join('') + '</tr></thead><tbody>' +
    rows.map((r) => '<tr>' + r.map((c) => '<td>' + c + '</td>').join('') + '</tr>').join('') + '</tbody></table>';
}
document.querySelectorAll('nav button').forEach((b) => b.onclick = () => {
  document.querySelectorAll('nav button').forEach((x) => x.classList.toggle('active', x === b));
  document.querySelectorAll('section').forEach((s) => s.classList.toggle('active', s.id === b.dataset.tab));
  if (b.dataset.tab === 'live' && !(keyInput && !keyInput.value)) loadLive();
});
let runs = [];
async function boot() {
  // With auth on, every API call needs the key: ask for it rather than collect 401s.
  if (keyInput && !keyInput.value) { $('lb-out').innerHTML = '<p class="muted">Enter an API key (top right) to see results.</p>'; return; }
  try {
    show();
    runs = (await api('/v1/runs?limit=500')).runs;
    const tasks = [...new Set(runs.map((r) => r.task))].sort();
    $('lb-task').innerHTML = tasks.map((t) => '<option>' + esc(t) + '</option>').join('');
    const label = (r) => esc(r.model_id + ' · ' + r.task + ' · ' + r.id.slice(0, 8) + ' · ' + r.status);
    $('cmp-runs').innerHTML = runs.map((r) => '<label><input type="checkbox" class="cmp-run" value="' + esc(r.id) + '"> ' + label(r) + '</label><br>').join('');
    $('smp-run').innerHTML = runs.map((r) => '<option value="' + esc(r.id) + '">' + label(r) + '</option>').join('');
    await loadLeaderboard();
  } catch (e) { show(e); $('lb-out').innerHTML = ''; }
}
async function loadLeaderboard() {
  const task = $('lb-task').value;
  if (!task) { $('lb-out').innerHTML = '<p class="muted">No runs yet.</p>'; return; }
  try {
    const { boards } = await api('/v1/leaderboard?task=' + encodeURIComponent(task));
    // Each board says what its runs share (criteria), and a separate or mixed board what differs (issue 19).
    $('lb-out').innerHTML = boards.map((b) => '<h3 data-dataset="' + esc(b.dataset) + '" data-board="' + esc(b.board) + '">' + esc(b.task + ' on ' + b.dataset) + ' — ' + esc(b.metric) +
      (b.lowerIsBetter ? ' (lower is better)' : ' (higher is better)') + (b.board === 'main' ? '' : ' · ' + esc(b.board) + ' board') + '</h3>' +
      '<p class="muted board-criteria">' + esc(b.criteria.text) + (b.differs.length ? '<br>differs: ' + esc(b.differs.join('; ')) : '') + '</p>' +
      table(['rank', 'model', 'kind', b.metric + ' (95% CI)', 'n', 'failed', 'tied with'], b.entries.map((e) => [
        '<span class="' + (e.tiedWith.length ? 'tie' : '') + '">' + e.rank + '</span>', esc(e.modelId) + (e.differs ? '<br><span class="muted">' + esc(e.differs.join('; ')) + '</span>' : ''),
        esc(e.modelKind), ci(e.value), e.n, e.failed, esc(e.tiedWith.join(', ')),
      ])) +
      (b.unranked.length ? '<p class="muted unranked">not ranked: ' + b.unranked.map((u) => esc(u.modelId + ' (' + u.reason + '; ' + u.failed + ' failed)')).join(', ') + '</p>' : '')
    ).join('') || '<p class="muted">No completed runs for this task.</p>';
  } catch (e) { show(e); }
}
$('lb-task').onchange = loadLeaderboard;
$('cmp-go').onclick = async () => {
  const ids = [...document.querySelectorAll('.cmp-run:checked')].map((c) => c.value);
  if (ids.length < 2) { show('Pick at least two runs.'); return; }
  try {
    show();
    const c = await api('/v1/compare?runs=' + ids.join(',') + '&by=' + $('cmp-by').value + '&samples=20');
    const rows = (s) => s.runs.map((r) => { const d = s.differences.find((x) => x.runId === r.runId);
      return [esc(s.slice), s.n, esc(r.modelId), ci(r.value), d ? ci(d.difference) : '(baseline)', d ? fx(d.pValue, 3) + ' ' + d.test : '']; });
    $('cmp-out').innerHTML = '<h3 id="cmp-title">' + esc(c.task + ': ' + c.metric + ' on ' + c.sharedSamples + ' shared samples') + '</h3>' +
      c.warnings.map((w) => '<p class="warn">warning: ' + esc(w) + '</p>').join('') +
      (c.withheld || []).map((w) => '<p class="muted">withheld: ' + esc(w) + '</p>').join('') +
      table(['slice', 'n', 'model', c.metric, 'difference vs baseline', 'p'], [...rows(c.overall), ...c.breakdown.flatMap(rows)]) +
      table(['run', 'latency p50 / p99 ms', 'first token p50 ms', 'RTFx'], c.latency.map((l) => [esc(l.runId.slice(0, 8)), fx(l.totalMs.p50, 0) + ' / ' + fx(l.totalMs.p99, 0), fx(l.firstTokenMs.p50, 0), fx(l.rtfx, 2)])) +
      (c.disagreements.length ? '<h4>Largest disagreements</h4>' + table(['sample', 'gap', 'predictions'], c.disagreements.map((d) => [esc(d.sampleKey), fx(d.gap),
        d.runs.map((r) => esc(r.runId.slice(0, 8)) + ': ' + fx(r.score) + ' ' + esc(r.errors) + ' “' + esc(r.prediction) + '”').join('<br>')])) : '');
    await loadCharts(ids);
  } catch (e) { show(e); }
};
// The charts are the HTML report's own (gateway/report/render-report.ts), fetched with the key and shown in a
// sandboxed frame: its scripts run in an opaque origin, so they can never read the key stored by this page.
async function loadCharts(ids) {
  const headers = keyInput && keyInput.value ? { authorization: 'Bearer ' + keyInput.value } : {};
  const res = await fetch('/v1/report?runs=' + ids.join(',') + '&by=' + $('cmp-by').value, { headers });
  if (!res.ok) { const body = await res.json().catch(() => ({})); throw new Error((body.error && body.error.message) || res.statusText); }
  const frame = document.createElement('iframe');
  frame.className = 'report';
  frame.id = 'cmp-report';
  frame.title = 'charts';
  frame.setAttribute('sandbox', 'allow-scripts');
  frame.srcdoc = await res.text();
  $('cmp-charts').replaceChildren(frame);
}
// Media comes through the signed links the API lists (no header needed; they last minutes): a link that died
// while the page sat idle is replaced by a fresh one when the element reports the error.
let shownRun = null, relinkedAt = 0;
function mediaCell(s) {
  return (s.media || []).map((m, i) => {
    const at = ' data-sample="' + esc(s.sample_key) + '" data-index="' + i + '"';
    if (!m.url) return '<span class="muted">' + esc(m.kind) + ' withheld (sealed set; admin keys only)</span>';
    if (m.kind === 'audio') return '<audio controls preload="metadata"' + at + ' src="' + esc(m.url) + '"></audio>';
    if (m.kind === 'image') return '<img class="preview" alt=""' + at + ' src="' + esc(m.url) + '">';
    return '<a' + at + ' href="' + esc(m.url) + '">' + esc(m.kind) + '</a>';
  }).join('');
}
async function relink() {
  if (!shownRun || Date.now() - relinkedAt < 10000) return;
  relinkedAt = Date.now();
  try {
    const { samples } = await api('/v1/runs/' + encodeURIComponent(shownRun) + '/samples?limit=200');
    for (const s of samples) (s.media || []).forEach((m, i) => {
      if (!m.url) return;
      document.querySelectorAll('#smp-out [data-index="' + i + '"]').forEach((el) => {
        if (el.dataset.sample !== s.sample_key) return;
        if (el.tagName === 'A') el.href = m.url; else el.src = m.url;
      });
    });
  } catch (e) { show(e); }
}
$('smp-out').addEventListener('error', (ev) => { if (ev.target.dataset && ev.target.dataset.sample) relink(); }, true);
$('smp-go').onclick = async () => {
  const id = $('smp-run').value;
  if (!id) return;
  try {
    show();
    const { samples } = await api('/v1/runs/' + encodeURIComponent(id) + '/samples?limit=200');
    shownRun = id;
    const metrics = [...new Set(samples.flatMap((s) => Object.keys(s.scores || {})))].sort();
    const hasRef = 'reference' in (samples[0] || {});
    $('smp-out').innerHTML = (samples.length && !samples.some((s) => 'scores' in s) ? '<p class="muted">Per-sample scores are shown to evaluator keys (admin keys on sealed sets).</p>' : '') +
      table(['sample', 'status', 'media', 'prediction'].concat(metrics, ['latency ms', 'tags'], hasRef ? ['reference'] : []),
      samples.map((s) => [esc(s.sample_key), esc(s.status) + (s.error ? '<br><span class="err">' + esc(s.error.message) + '</span>' : ''), mediaCell(s), esc(s.output_text)]
        .concat(metrics.map((k) => fx(s.scores && s.scores[k])), [fx(s.latency_total_ms, 0), esc((s.tags || []).join(', '))],
          hasRef ? [esc(JSON.stringify(s.reference ?? s.answer))] : [])));
  } catch (e) { show(e); }
};
async function loadLive() {
  try {
    const { sessions } = await api('/v1/sessions?limit=100');
    $('live-out').innerHTML = table(['session', 'model', 'status', 'audio s', 'utterances', 'first token p50 ms', 'final p50 / p99 ms', 'started'],
      sessions.map((s) => ['<button class="link live-open" data-id="' + esc(s.id) + '">' + esc(s.id.slice(0, 8)) + '</button>', esc(s.model_id), esc(s.status) + (s.stale ? ' <span class="warn">(stale)</span>' : ''),
        fx(s.audio_seconds, 1), s.utterances, fx(s.first_token_p50_ms, 0), fx(s.final_p50_ms, 0) + ' / ' + fx(s.final_p99_ms, 0), esc(s.created_at)]));
    document.querySelectorAll('.live-open').forEach((b) => b.onclick = () => loadSession(b.dataset.id));
  } catch (e) { show(e); }
}
// One session's utterances; scores come only where the key may see them (evaluator keys, admin on sealed sets).
async function loadSession(id) {
  try {
    show();
    const { session, utterances, latency } = await api('/v1/stream/sessions/' + encodeURIComponent(id));
    const metrics = [...new Set(utterances.flatMap((u) => Object.keys(u.scores || {})))].sort();
    $('live-session').innerHTML = '<h3 id="live-title">' + esc('Session ' + session.id.slice(0, 8) + ' · ' + session.model_id + ' · ' + session.status) + '</h3>' +
      '<p class="muted">first token p50 ' + fx(latency.firstTokenMs.p50, 0) + ' ms · final p50 ' + fx(latency.finalMs.p50, 0) + ' ms' +
      (utterances.length && !utterances.some((u) => u.scores) ? ' · scores are shown to evaluator keys (admin keys on sealed sets)' : '') + '</p>' +
      table(['#', 'status', 'transcript'].concat(metrics, ['first token ms', 'final ms', 'RTF']),
        utterances.map((u) => [u.seq, esc(u.status) + (u.error ? '<br><span class="err">' + esc(u.error.message) + '</span>' : ''), esc(u.transcript)]
          .concat(metrics.map((k) => fx(u.scores && u.scores[k])), [fx(u.latency_first_token_ms, 0), fx(u.latency_final_ms, 0), fx(u.real_time_factor, 2)])));
  } catch (e) { show(e); }
}
$('live-refresh').onclick = loadLive;
boot();
</script>
</body>
</html>
`;
}
