// The Tension dashboard: the index of one pair over time (uPlot), the
// drivers of a clicked bucket, and the range's top entities and cues. All
// times are UTC; the API takes and returns RFC 3339. Text from the API is
// only ever set as textContent, never as HTML.
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'
import './style.css'

const $ = (id) => document.getElementById(id)
const STEP = { minute: 60, hour: 3600, day: 86400 }
const RANGE = { '6h': 6 * 3600, '24h': 86400, '7d': 7 * 86400, '30d': 30 * 86400, '90d': 90 * 86400, '365d': 365 * 86400 }
const POLL_MS = 15000
// Rolling windows the dashboard offers, in seconds; "auto" picks the
// smallest that is at least 1/40 of the range (none up to 60 buckets), so a
// year of hours is smoothed by 30 days and a month of days is not smoothed.
const WINDOW = { '6h': 6 * 3600, '24h': 86400, '7d': 7 * 86400, '30d': 30 * 86400 }
// Splits of the pair the chart can overlay (docs/views.md): each part's
// tension_index against the whole pair's base share, so the parts of a
// direction or source-type split add up to the pair's index.
const SPLITS = {
  direction: (pair) => [[pair.slice(0, 2), `${pair.slice(0, 2)} → ${pair.slice(3)}`], [pair.slice(3), `${pair.slice(3)} → ${pair.slice(0, 2)}`], ['none', 'no side dominates']],
  source_type: () => ['government', 'state_media', 'analyst', 'firm', 'press', 'other'].map((s) => [s, s.replace('_', ' ')]),
  lang: () => [['en', 'English'], ['zh', 'Chinese']],
}
const SPLIT_PARAM = { direction: 'actor', source_type: 'source_type', lang: 'lang' }
const SPLIT_COLORS = ['#7c3aed', '#0891b2', '#ca8a04', '#db2777', '#4d7c0f', '#64748b']
const KIND_COLOR = { escalation: '#b91c1c', 'de-escalation': '#15803d', other: '#6b7280' }

const state = {
  pair: 'CN-US', interval: 'hour', range: '7d', from: null, to: null, live: true, window: 'auto', split: 'none',
  buckets: [], selected: null, driversOffset: 0, events: [],
}
let plot = null
let timer = null
let seq = 0 // drops answers to requests that a newer one replaced

// ---- URL state -------------------------------------------------------------
function readURL() {
  const q = new URLSearchParams(location.search)
  if (q.get('pair')) state.pair = q.get('pair')
  if (STEP[q.get('interval')]) state.interval = q.get('interval')
  if (RANGE[q.get('range')]) state.range = q.get('range')
  if (q.get('from') && q.get('to')) {
    state.range = 'custom'
    state.from = new Date(q.get('from'))
    state.to = new Date(q.get('to'))
  }
  if (q.get('live') === '0') state.live = false
  if (WINDOW[q.get('window')] || q.get('window') === 'none') state.window = q.get('window')
  if (SPLITS[q.get('split')]) state.split = q.get('split')
}

function writeURL() {
  const q = new URLSearchParams({ pair: state.pair, interval: state.interval })
  if (state.range === 'custom') {
    q.set('from', iso(state.from))
    q.set('to', iso(state.to))
  } else q.set('range', state.range)
  if (!state.live) q.set('live', '0')
  if (state.window !== 'auto') q.set('window', state.window)
  if (state.split !== 'none') q.set('split', state.split)
  history.replaceState(null, '', '?' + q)
}

const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z')
const fmtUTC = (d, withSec) => d.toISOString().slice(0, withSec ? 19 : 16).replace('T', ' ') + ' UTC'
const localInput = (d) => d.toISOString().slice(0, 16)
const fromInput = (s) => new Date(s + ':00Z')

function span() {
  if (state.range === 'custom') return [state.from, state.to]
  const to = new Date()
  return [new Date(to.getTime() - RANGE[state.range] * 1000), to]
}

// rankedSpan is the range of the ranked lists: for a week or more, whole
// UTC days around the chart's range, which the server sums from its daily
// rollups (a partial day at either end is read from the raw tables, at 10 M
// articles most of a year's list's cost); a shorter range as it is.
function rankedSpan(from, to) {
  if (to - from < 7 * 86400 * 1000) return [from, to]
  const day = 86400 * 1000
  return [new Date(Math.floor(from / day) * day), new Date(Math.ceil(to / day) * day)]
}

// rankedCaption says which days the ranked lists cover when they are
// whole days.
function rankedCaption(what, from, to, [rf, rt]) {
  if (rf.getTime() === from.getTime() && rt.getTime() === to.getTime()) return `${what} in range`
  const last = new Date(rt.getTime() - 86400 * 1000)
  return `${what}, ${rf.toISOString().slice(0, 10)} – ${last.toISOString().slice(0, 10)} (UTC days)`
}

// windowFor is the window a request uses: the chosen one, or for "auto"
// the smallest offered that covers 1/40 of the range and is a whole number
// of buckets (none when the range has at most 60 buckets).
function windowFor(from, to) {
  if (state.window !== 'auto') return state.window === 'none' ? '' : state.window
  const step = STEP[state.interval]
  const secs = (to - from) / 1000
  if (secs / step <= 60) return ''
  for (const [name, w] of Object.entries(WINDOW)) {
    if (w > step && w % step === 0 && w >= secs / 40) return name
  }
  return '30d'
}

// ---- API -------------------------------------------------------------------
class AuthError extends Error {}

async function api(path, params) {
  const headers = { Accept: 'application/json' }
  const tok = localStorage.getItem('tension.token')
  if (tok) headers.Authorization = 'Bearer ' + tok
  const r = await fetch(path + '?' + new URLSearchParams(params), { headers })
  const body = await r.json().catch(() => ({}))
  if (r.status === 401 || r.status === 403) throw new AuthError(body.error?.message || 'token required')
  if (!r.ok) throw new Error(body.error?.message || `HTTP ${r.status}`)
  return body
}

function showError(err) {
  if (err instanceof AuthError) {
    $('token-box').hidden = false
  }
  const box = $('error')
  box.hidden = !err
  box.textContent = err ? String(err.message || err) : ''
}

// ---- chart -----------------------------------------------------------------
let plotSplit = null // the split the plot's series were made for
function makePlot(parts = []) {
  const el = $('chart')
  if (plot) plot.destroy()
  const width = Math.max(320, el.clientWidth)
  const opts = {
    width, height: 320,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
    cursor: { points: { size: 9 }, drag: { x: false, y: false } },
    legend: { show: true, live: true },
    scales: { x: { time: true }, idx: { auto: true }, net: { range: [-1, 1] } },
    series: [
      { label: 'UTC', value: (u, v) => (v == null ? '' : fmtUTC(new Date(v * 1000))) },
      { label: 'tension_index', scale: 'idx', stroke: '#c2410c', width: 2, points: { show: true, size: 5 },
        value: (u, v) => (v == null ? '' : v.toFixed(1)) },
      { label: 'net_tension', scale: 'net', stroke: '#2563eb', width: 1.5, dash: [4, 3], points: { show: true, size: 4 },
        value: (u, v) => (v == null ? '' : v.toFixed(3)) },
      ...parts.map(([, label], i) => ({ label, scale: 'idx', stroke: SPLIT_COLORS[i % SPLIT_COLORS.length], width: 1.5,
        points: { show: false }, value: (u, v) => (v == null ? '' : v.toFixed(1)) })),
    ],
    axes: [
      { stroke: '#555', grid: { stroke: '#eee' } },
      { scale: 'idx', stroke: '#c2410c', grid: { stroke: '#eee' }, size: 50 },
      { scale: 'net', side: 1, stroke: '#2563eb', grid: { show: false }, size: 50 },
    ],
    hooks: {
      draw: [drawEvents],
      ready: [(u) => u.over.addEventListener('click', () => {
        const i = u.cursor.idx
        if (i != null && state.buckets[i]) selectBucket(i)
      })],
    },
  }
  plot = new uPlot(opts, [[], [], [], ...parts.map(() => [])], el)
}
window.addEventListener('resize', () => plot.setSize({ width: Math.max(320, $('chart').clientWidth), height: 320 }))

// drawEvents marks each dated event with a vertical line in its kind's colour.
function drawEvents(u) {
  const ctx = u.ctx
  const { left, top, width, height } = u.bbox
  ctx.save()
  ctx.lineWidth = Math.max(1, devicePixelRatio)
  ctx.setLineDash([3 * devicePixelRatio, 3 * devicePixelRatio])
  for (const e of state.events) {
    const x = u.valToPos(Date.parse(e.date + 'T00:00:00Z') / 1000, 'x', true)
    if (x < left || x > left + width) continue
    ctx.strokeStyle = KIND_COLOR[e.kind] || KIND_COLOR.other
    ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + height); ctx.stroke()
  }
  ctx.restore()
}

function drawEventList(resp) {
  state.events = resp.annotations
  $('annotations').replaceChildren(...resp.annotations.map((a) => {
    const li = el('li', 'event ' + a.kind)
    li.append(el('span', 'date', a.date), el('span', 'label', a.label), el('span', 'muted', a.origin === 'user' ? ' · yours' : ''))
    return li
  }))
  $('chart').dataset.events = String(resp.annotations.length)
  plot.redraw(false)
}

function drawIndex(resp, parts = []) {
  state.buckets = resp.buckets
  const xs = resp.buckets.map((b) => Date.parse(b.start) / 1000)
  // A part's index is its share over the whole pair's base share.
  const partLine = (r) => r.buckets.map((b) => (b.gap || !(resp.base.share > 0) ? null : (100 * b.tension_share) / resp.base.share))
  // Gaps are null: uPlot breaks the line there instead of drawing zero.
  plot.setData([xs, resp.buckets.map((b) => (b.gap ? null : b.tension_index)), resp.buckets.map((b) => (b.gap ? null : b.net_tension)),
    ...parts.map(partLine)])
  $('chart').dataset.split = parts.length ? `${state.split}:${parts.length}` : ''
  if (xs.length) {
    plot.setScale('x', { min: Date.parse(resp.from) / 1000, max: Date.parse(resp.to) / 1000 })
  }
  const el = $('chart')
  el.dataset.buckets = String(xs.length)
  el.dataset.starts = resp.buckets.map((b) => b.start).join(',')
  el.dataset.gaps = String(resp.buckets.filter((b) => b.gap).length)
  el.dataset.window = resp.window || ''
  const smooth = resp.window ? ` · ${resp.window} rolling window` : ''
  $('chart-title').textContent = `${resp.pair} by ${resp.interval}${smooth} · ${fmtUTC(new Date(resp.from))} – ${fmtUTC(new Date(resp.to))}`
  if (!resp.buckets.some((b) => !b.gap)) $('status').textContent = 'no articles in this range'
}

// Test hook: where on the page bucket i is drawn, so a browser test can
// click it like a user would.
window.__tension = {
  data() { return plot.data },
  bucketPoint(i) {
    const r = plot.over.getBoundingClientRect()
    const x = plot.valToPos(plot.data[0][i], 'x')
    const y = plot.valToPos(plot.data[1][i], 'idx')
    return { x: r.left + x, y: r.top + y }
  },
}

// ---- drivers ---------------------------------------------------------------
function selectBucket(i) {
  state.selected = state.buckets[i].start
  state.driversOffset = 0
  $('drivers').replaceChildren()
  loadDrivers()
}

async function loadDrivers() {
  if (!state.selected) return
  const from = new Date(state.selected)
  const to = new Date(from.getTime() + STEP[state.interval] * 1000)
  const label = `${fmtUTC(from)} – ${fmtUTC(to)}`
  $('drivers-bucket').textContent = label
  try {
    const r = await api('/v1/drivers', { pair: state.pair, from: iso(from), to: iso(to), limit: 10, offset: state.driversOffset })
    for (const d of r.drivers) $('drivers').append(driverItem(d))
    if (!r.drivers.length && state.driversOffset === 0) $('drivers').append(el('li', 'muted', 'no articles on this pair in the bucket'))
    $('drivers-more').hidden = r.next_offset == null
    state.driversOffset = r.next_offset ?? state.driversOffset
    $('drivers').dataset.bucket = state.selected
  } catch (e) { showError(e) }
}

function el(tag, cls, text) {
  const e = document.createElement(tag)
  if (cls) e.className = cls
  if (text != null) e.textContent = text
  return e
}

function driverItem(d) {
  const li = el('li', 'driver')
  const head = el('div', 'driver-head')
  const badge = el('span', 'badge ' + d.direction, `${d.tension >= 0 ? '+' : ''}${d.tension.toFixed(2)} ${d.direction}`)
  const title = d.url ? el('a', 'title', d.title || d.url) : el('span', 'title', d.title || d.article_id)
  if (d.url && /^https?:\/\//i.test(d.url)) { title.href = d.url; title.target = '_blank'; title.rel = 'noopener noreferrer' }
  head.append(badge, title)
  const meta = el('div', 'meta muted', `${d.source || 'unknown source'} · ${fmtUTC(new Date(d.published_at))} · ${d.n_cues} cue${d.n_cues === 1 ? '' : 's'}`)
  li.append(head, meta)
  const ul = el('ul', 'cues')
  for (const c of d.cues) {
    const ci = el('li', 'cue')
    const who = el('span', 'who ' + (c.polarity > 0 ? 'up' : 'down'), `${c.actor || '?'} → ${c.target || '?'}`)
    const q = el('q')
    if (c.context) {
      q.append(document.createTextNode(c.context.before), el('mark', c.polarity > 0 ? 'up' : 'down', c.context.match),
        document.createTextNode(c.context.after))
    } else q.append(el('mark', c.polarity > 0 ? 'up' : 'down', c.text))
    const flags = [c.category, `w ${c.weight.toFixed(1)}`, c.hedged && 'hedged', c.negated && 'negated',
      c.future && 'future', c.background && 'background', c.source_type].filter(Boolean).join(' · ')
    ci.append(who, q, el('span', 'flags muted', flags))
    ul.append(ci)
  }
  li.append(ul)
  return li
}

// ---- top lists -------------------------------------------------------------
function row(cells) {
  const tr = document.createElement('tr')
  for (const [text, cls] of cells) tr.append(el('td', cls || '', text))
  return tr
}

// rankedList fetches a top list; one the API refuses (a range holding more
// articles than it ranks, 400) becomes a note in its panel, and the chart
// still draws.
function rankedList(path, params) {
  return api(path, params).catch((e) => {
    if (e instanceof AuthError) throw e
    return { note: String(e.message || e) }
  })
}

function drawTop(ents, cues) {
  $('entities').replaceChildren(...(ents.note ? [row([[ents.note, 'muted']])] : ents.entities.length ? ents.entities.map((e) =>
    row([[e.canonical + (e.country ? ` (${e.country})` : '')], [e.type, 'muted'], [String(e.articles), 'num'], [String(e.mentions), 'num']]))
    : [row([['none in range', 'muted']])]))
  $('cues').replaceChildren(...(cues.note ? [row([[cues.note, 'muted']])] : cues.cues.length ? cues.cues.map((c) =>
    row([[c.text, c.polarity > 0 ? 'up' : 'down'], [`${c.actor || '?'} → ${c.target || '?'}`], [String(c.count), 'num'], [c.total_weight.toFixed(1), 'num']]))
    : [row([['none in range', 'muted']])]))
}

// ---- refresh ---------------------------------------------------------------
async function refresh() {
  const my = ++seq
  const [from, to] = span()
  const p = { pair: state.pair, from: iso(from), to: iso(to) }
  const ranked = rankedSpan(from, to)
  const rp = { pair: state.pair, from: iso(ranked[0]), to: iso(ranked[1]) }
  $('status').textContent = 'loading…'
  try {
    const w = windowFor(from, to)
    const ip = { ...p, interval: state.interval, fill: 'gaps', ...(w ? { window: w } : {}) }
    const parts = state.split === 'none' ? [] : SPLITS[state.split](state.pair)
    const [idx, ents, cues, evs, ...partResps] = await Promise.all([
      api('/v1/index', ip),
      rankedList('/v1/entities/top', { ...rp, limit: 12 }),
      rankedList('/v1/cues/top', { ...rp, limit: 12 }),
      api('/v1/annotations', p),
      ...parts.map(([v]) => api('/v1/index', { ...ip, [SPLIT_PARAM[state.split]]: v })),
    ])
    if (my !== seq) return
    showError(null)
    if (plotSplit !== state.split + state.pair) { makePlot(parts); plotSplit = state.split + state.pair }
    drawIndex(idx, partResps)
    drawEventList(evs)
    drawTop(ents, cues)
    $('entities-range').textContent = rankedCaption('articles', from, to, ranked)
    $('cues-range').textContent = rankedCaption('summed weight', from, to, ranked)
    const full = idx.buckets.filter((b) => !b.gap).length
    if (full) $('status').textContent = `${idx.buckets.length} buckets, ${idx.buckets.length - full} gaps · updated ${fmtUTC(new Date(), true)}`
    document.body.dataset.loaded = String(my)
  } catch (e) {
    if (my === seq) { showError(e); $('status').textContent = '' }
  }
}

function schedule() {
  clearInterval(timer)
  timer = state.live ? setInterval(() => { if (!document.hidden) refresh() }, POLL_MS) : null
}

async function loadPairs() {
  const sel = $('pair')
  let pairs = []
  try { pairs = (await api('/v1/pairs', {})).pairs.map((p) => p.pair) } catch (e) { showError(e) }
  if (!pairs.includes(state.pair)) pairs.unshift(state.pair)
  sel.replaceChildren(...pairs.map((p) => { const o = el('option', '', p); o.value = p; return o }))
  sel.value = state.pair
}

function syncControls() {
  $('interval').value = state.interval
  $('range').value = state.range
  $('custom').hidden = state.range !== 'custom'
  $('live').checked = state.live
  $('window').value = state.window
  $('split').value = state.split
  const [from, to] = span()
  $('from').value = localInput(from)
  $('to').value = localInput(to)
}

function onChange(e) {
  const id = e.target.id
  if (id === 'pair') state.pair = e.target.value
  if (id === 'interval') state.interval = e.target.value
  if (id === 'range') {
    const [from, to] = span()
    state.range = e.target.value
    if (state.range === 'custom') { state.from = from; state.to = to }
  }
  if (id === 'from' || id === 'to') {
    const f = fromInput($('from').value), t = fromInput($('to').value)
    if (!(f < t)) return showError(new Error('from must be before to'))
    state.from = f; state.to = t
  }
  if (id === 'live') state.live = e.target.checked
  if (id === 'window') state.window = e.target.value
  if (id === 'split') state.split = e.target.value
  state.selected = null
  $('drivers').replaceChildren()
  $('drivers-bucket').textContent = 'no bucket selected'
  $('drivers-more').hidden = true
  syncControls(); writeURL(); schedule(); refresh()
}

readURL()
makePlot(state.split === 'none' ? [] : SPLITS[state.split](state.pair))
plotSplit = state.split + state.pair
syncControls()
$('controls').addEventListener('change', onChange)
$('controls').addEventListener('submit', (e) => e.preventDefault())
$('drivers-more').addEventListener('click', loadDrivers)
$('token-form').addEventListener('submit', (e) => {
  e.preventDefault()
  localStorage.setItem('tension.token', $('token').value.trim())
  $('token-box').hidden = true
  loadPairs().then(refresh)
})
loadPairs().then(refresh)
schedule()
