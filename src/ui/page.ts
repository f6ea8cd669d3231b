import {SHORT_ID_LENGTH} from '../deliveries/ids.js'

/**
 * The inspector page: a document, its style and its script, served by the inspector itself (no CDN, no
 * fonts to fetch, no inline script or style: the page's Content-Security-Policy allows none). Plain DOM
 * code; every text that came in a request is inserted with textContent, never as HTML.
 */
export const INSPECTOR_STYLE = `  :root { --ok: #1a7f37; --warn: #9a6700; --bad: #cf222e; --dim: #6e7781; --line: #d0d7de; --sel: #ddf4ff; }
  * { box-sizing: border-box; }
  body { margin: 0; font: 13px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1f2328; display: grid; grid-template-rows: auto auto 1fr; height: 100vh; }
  header { display: flex; gap: 18px; align-items: baseline; padding: 8px 14px; border-bottom: 1px solid var(--line); background: #f6f8fa; }
  header h1 { font-size: 15px; margin: 0; }
  .stat b { font-variant-numeric: tabular-nums; }
  .filters { display: flex; gap: 8px; padding: 8px 14px; border-bottom: 1px solid var(--line); }
  .filters input, .filters select, button { font: inherit; padding: 3px 6px; }
  main { display: grid; grid-template-columns: minmax(420px, 48%) 1fr; min-height: 0; }
  #list { overflow: auto; border-right: 1px solid var(--line); }
  table { border-collapse: collapse; width: 100%; }
  th { position: sticky; top: 0; background: #fff; text-align: left; color: var(--dim); font-weight: 500; border-bottom: 1px solid var(--line); }
  td, th { padding: 3px 8px; white-space: nowrap; }
  /* Long event types and reasons are cut, not the latency column: the whole row fits the list's width. */
  td:nth-child(2) { max-width: 230px; overflow: hidden; text-overflow: ellipsis; }
  td:nth-child(4) { max-width: 150px; overflow: hidden; text-overflow: ellipsis; }
  tbody tr { cursor: pointer; border-bottom: 1px solid #eaeef2; }
  tbody tr:hover { background: #f6f8fa; }
  tbody tr.selected { background: var(--sel); }
  .accepted { color: var(--ok); } .duplicate { color: var(--dim); } .refused { color: var(--warn); } .dead-letter { color: var(--bad); }
  #detail { overflow: auto; padding: 10px 16px; }
  #detail h2 { font-size: 14px; margin: 4px 0; }
  #detail h3 { font-size: 12px; text-transform: uppercase; color: var(--dim); margin: 14px 0 4px; }
  pre { background: #f6f8fa; padding: 8px; overflow: auto; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, monospace; margin: 0; }
  .key { background: #fff8c5; }
  .hint { color: var(--warn); }
  .actions { display: flex; gap: 8px; margin: 8px 0; flex-wrap: wrap; }
  .muted { color: var(--dim); }
  .more { padding: 6px 8px; }
`

/** The page, holding this process's token (see guard.ts): its script sends it back with every request. */
export function inspectorPage(token: string, receiver?: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>zoomctl inspector</title>
<meta name="zoomctl-token" content="${token}">
<meta name="zoomctl-receiver" content="${escapeAttribute(receiver ?? '')}">
<link rel="stylesheet" href="/inspector.css">
</head>
<body>
<header>
  <h1>zoomctl inspector</h1>
  <span class="stat">accepted <b id="n-accepted">0</b></span>
  <span class="stat">duplicate <b id="n-duplicate">0</b></span>
  <span class="stat">refused <b id="n-refused">0</b></span>
  <span class="stat">dead letters <b id="n-dead-letter">0</b></span>
  <span class="stat">last minute <b id="rate">0</b>/min</span>
  <span class="stat">latency p50 <b id="p50">–</b> p99 <b id="p99">–</b> <span class="muted">(Zoom allows 3 s)</span></span>
</header>
<div class="filters">
  <select id="verdict"><option value="">every verdict</option><option>accepted</option><option>duplicate</option><option>refused</option><option value="dead-letter">dead letter</option><option value="rejected">rejected (unauthenticated, no body kept)</option><option value="probe">doctor's probes</option><option value="gap">WebSocket gaps</option></select>
  <input id="event" placeholder="event type, e.g. meeting.started" size="28">
  <input id="q" placeholder="text" size="18">
  <button id="apply">Filter</button>
  <a id="export" href="#" title="every delivery the filter selects, however many, oldest first, as store lines">Download NDJSON (all matching)</a>
  <span id="live" class="muted">connecting…</span>
</div>
<main>
  <div id="list"><table><thead><tr><th>received (UTC)</th><th>event</th><th>verdict</th><th>why</th><th>latency</th></tr></thead><tbody id="rows"></tbody></table>
    <p class="more"><button id="older" hidden>Older deliveries</button> <span id="paging" class="muted"></span></p></div>
  <div id="detail"><p class="muted">Select a delivery.</p></div>
</main>
<script src="/inspector.js"></script>
</body>
</html>`
}

export const INSPECTOR_SCRIPT = `// The token this process gave its page (see guard.ts): sent back in a header, which no other site can make a browser add.
const token = document.querySelector('meta[name="zoomctl-token"]').content
const get = (path) => fetch(path, {headers: {'x-zoomctl-token': token}})
// An EventSource and a download link cannot send a header: the token goes in their URL (GET only).
const withToken = (path) => path + (path.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token)
const rows = document.getElementById('rows')
// Where re-send goes when no URL is typed (the receiver this page belongs to, or --url).
const receiver = document.querySelector('meta[name="zoomctl-receiver"]').content
let selected = null

function el(tag, text, cls) { const node = document.createElement(tag); if (text !== undefined) node.textContent = text; if (cls) node.className = cls; return node }
function why(d) { return d.verdict === 'duplicate' ? 'copy of ' + d.duplicateOf.slice(0, ${SHORT_ID_LENGTH}) : [d.status, d.reason].filter(Boolean).join(' ') }
function ms(v) { return v === undefined || v === null ? '' : v < 10 ? v.toFixed(1) + ' ms' : Math.round(v) + ' ms' }

function row(d) {
  const tr = document.createElement('tr')
  tr.dataset.id = d.id
  // The event and the reason may be cut to fit: the whole text shows on hover.
  const event = el('td', d.eventType || '-'), reason = el('td', why(d))
  event.title = event.textContent
  reason.title = reason.textContent
  // serve measures how long it took to answer, but the store does not keep it: only live rows have it.
  const latency = d.durationMs === undefined ? el('td', '–', 'muted') : el('td', ms(d.durationMs))
  if (d.durationMs === undefined) latency.title = 'measured for deliveries that arrive while this page is open; the store does not keep it'
  if (d.id === selected) tr.className = 'selected'
  const received = el('td', d.receivedAt.slice(0, 10) + ' ' + d.receivedAt.slice(11, 23))
  received.title = d.receivedAt + ' (UTC)'
  tr.append(received, event, el('td', d.verdict, d.verdict), reason, latency)
  tr.onclick = () => show(d.id, d.receivedAt)
  return tr
}

function params() {
  const p = new URLSearchParams()
  for (const name of ['verdict', 'event', 'q']) { const v = document.getElementById(name).value.trim(); if (v) p.set(name, v) }
  return p
}
function matches(d) {
  const p = params()
  if (p.get('verdict') && d.verdict !== p.get('verdict')) return false
  if (p.get('event') && d.eventType !== p.get('event')) return false
  if (p.get('q') && !JSON.stringify(d).toLowerCase().includes(p.get('q').toLowerCase())) return false
  return true
}

// The server reads the store backwards from a cursor, a page at a time: a million deliveries are never all sent.
let next = null
async function load(more) {
  const p = params()
  if (more && next) p.set('cursor', next)
  const answer = await (await get('/api/deliveries?' + p)).json()
  if (more) rows.append(...answer.deliveries.map(row))
  else rows.replaceChildren(...answer.deliveries.map(row))
  next = answer.next || null
  document.getElementById('older').hidden = !next
  document.getElementById('paging').textContent = next && !answer.deliveries.length ? 'none in the last ' + answer.scanned + ' read: look further back' : ''
  document.getElementById('export').href = withToken('/api/export?' + params())
}

async function stats() {
  const s = await (await get('/api/stats')).json()
  for (const [k, v] of Object.entries(s.counts)) { const n = document.getElementById('n-' + k); if (n) n.textContent = v }
  document.getElementById('rate').textContent = s.perMinute
  document.getElementById('p50').textContent = ms(s.latencyMs.p50) || '–'
  document.getElementById('p99').textContent = ms(s.latencyMs.p99) || '–'
}

function flatten(value, prefix, out) {
  if (value && typeof value === 'object' && !Array.isArray(value)) { for (const [k, v] of Object.entries(value)) flatten(v, prefix ? prefix + '.' + k : k, out) }
  else out.push([prefix, value])
  return out
}

async function show(id, at) {
  selected = id
  // The page's address names the delivery shown: a reload or a shared link opens it again.
  history.replaceState(null, '', location.search + '#' + encodeURIComponent(id))
  for (const tr of rows.children) tr.classList.toggle('selected', tr.dataset.id === id)
  const d = await (await get('/api/deliveries/' + encodeURIComponent(id) + (at ? '?at=' + encodeURIComponent(at) : ''))).json()
  const box = document.getElementById('detail')
  box.replaceChildren()
  if (d.error) return void box.append(el('p', d.error.message, 'hint'))
  box.append(el('h2', (d.entry.eventType || 'delivery') + ' — ' + d.entry.verdict), el('div', d.entry.receivedAt + (d.entry.from ? ' from ' + d.entry.from : '') + ', ' + d.rawBodyBytes + ' bytes', 'muted'))
  if (d.entry.detail) box.append(el('p', d.entry.detail, 'hint'))
  if (d.problem) box.append(el('p', d.problem, 'dead-letter'))
  if (d.hint) box.append(el('p', '→ ' + d.hint))
  for (const s of d.sinks || []) box.append(el('div', 'forwarded to ' + s.sink + ': ' + s.state + (s.error ? ' (' + s.error + ')' : ''), s.state === 'dead-letter' ? 'dead-letter' : s.state === 'delivered' ? 'accepted' : 'muted'))
  const actions = el('div', undefined, 'actions')
  const target = el('input'); target.placeholder = 'another URL (default: ' + (receiver || 'none: type one') + ')'; target.size = 36
  const resend = el('button', 'Re-send (re-signed)'); const curl = el('button', 'Copy as curl'); const status = el('span', '', 'muted')
  resend.onclick = async () => {
    const url = target.value.trim()
    // A URL typed here gets the delivery signed with the Secret Token: say where it goes before it goes.
    if (url && !confirm('Send this delivery, signed with your Secret Token, to ' + url + '? The auth header configured for ' + (receiver || 'the receiver') + ' is not sent there.')) return
    status.textContent = 'sending…'
    const r = await (await fetch('/api/resend', {method: 'POST', headers: {'content-type': 'application/json', 'x-zoomctl-token': token}, body: JSON.stringify({ids: [id], url: url || undefined})})).json()
    // Sent to a zoomctl serve that holds the event already (this one, by default), it is kept as a copy.
    const note = r.credentials ? ' (' + r.credentials + ')' : ''
    status.textContent = r.error ? r.error.message : r.copies ? 'sent: ' + r.url + ' had it already (kept as a copy, not indexed again)' : r.succeeded ? 'sent: accepted by ' + r.url + note : 'sent to ' + r.url + note + ': ' + JSON.stringify(r.failures)
  }
  curl.onclick = async () => {
    const r = await (await get('/api/deliveries/' + encodeURIComponent(id) + '/curl?url=' + encodeURIComponent(target.value.trim()) + (at ? '&at=' + encodeURIComponent(at) : ''))).json()
    if (r.error) return void (status.textContent = r.error.message)
    try { await navigator.clipboard.writeText(r.curl); status.textContent = 'copied (credentials as env vars)' } catch { status.textContent = r.curl }
  }
  actions.append(resend, target, curl, status)
  box.append(actions)
  if (d.document) {
    box.append(el('h3', "What Elastic's Zoom integration indexes"))
    // Highlighted: the fields validate expects for this type; named: those it would find missing.
    const checked = d.checkedFields || []
    const fields = flatten(d.document, '', [])
    const present = new Set(fields.map(([field]) => field))
    const missing = checked.filter((field) => !present.has(field) && !fields.some(([f]) => f.startsWith(field + '.')))
    if (missing.length) box.append(el('p', 'validate expects, and this document lacks: ' + missing.join(', '), 'hint'))
    const legend = el('p', undefined, 'muted legend')
    legend.append(el('span', 'highlighted', 'key'), document.createTextNode(': the fields zoomctl validate checks for ' + (d.entry.eventType || 'this event type') + ' in Elasticsearch'))
    box.append(legend)
    const pre = el('pre')
    for (const [field, value] of fields) {
      const line = el('div', field + ': ' + JSON.stringify(value))
      if (checked.includes(field)) line.className = 'key'
      pre.append(line)
    }
    box.append(pre)
  }
  box.append(el('h3', 'Body'), el('pre', typeof d.body === 'object' ? JSON.stringify(d.body, null, 2) : String(d.body)))
  box.append(el('h3', 'Headers'), el('pre', Object.entries(d.headers).map(([k, v]) => k + ': ' + v).join('\\n')))
}

document.getElementById('apply').onclick = () => load()
document.getElementById('older').onclick = () => load(true)
for (const name of ['event', 'q']) document.getElementById(name).addEventListener('keydown', (e) => { if (e.key === 'Enter') load() })
document.getElementById('verdict').onchange = () => load()

const stream = new EventSource(withToken('/api/stream'))
stream.onopen = () => { document.getElementById('live').textContent = 'live' }
stream.onerror = () => { document.getElementById('live').textContent = 'reconnecting…' }
// At most one stats request every two seconds, however fast deliveries come.
let statsDue = null
stream.onmessage = (message) => {
  const d = JSON.parse(message.data)
  if (matches(d)) {
    rows.prepend(row(d))
    while (rows.children.length > 2000) rows.lastChild.remove()
  }
  statsDue ??= setTimeout(() => { statsDue = null; stats() }, 2000)
}
// A deep link (#<id>) opens its delivery, and its row is highlighted once the list is there.
if (location.hash.length > 1) { selected = decodeURIComponent(location.hash.slice(1)); show(selected) }
load().then(() => rows.querySelector('tr.selected')?.scrollIntoView({block: 'center'}))
stats(); setInterval(stats, 10000)
`

function escapeAttribute(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')
}
