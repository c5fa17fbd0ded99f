'use strict';
const $ = (selector) => document.querySelector(selector);
// The page renders the interval and range buttons (the intervals from the server's table), each with its
// length in ms, and marks the defaults "on".
const INTERVALS = Object.fromEntries([...document.querySelectorAll('#intervals button')]
  .map((button) => [button.dataset.interval, Number(button.dataset.ms)]));
const state = { symbols: new Map(), selected: null, interval: $('#intervals .on').dataset.interval,
  range: Number($('#ranges .on').dataset.range), candles: [], view: null,
  compare: new Set(), compareMode: false, compareSeries: new Map(), status: null, tape: [], frames: 0, ticks: 0,
  qualityDrawn: 0, pipelineDrawn: 0, hover: null };
window.__stockpipe = state;

async function api(path) {
  const response = await fetch(path, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(path + ' answered ' + response.status);
  return response.json();
}
function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }
function price(value) { return value == null ? '—' : value < 10 ? value.toFixed(5) : value.toFixed(2); }
function count(value) { return Math.round(value).toLocaleString('en-US'); }
// Crypto and FX volumes are fractions of a unit (0.07596 BTC): kept to 4 significant digits below
// 1 and 4 decimals above, whole numbers as they are.
function quantity(value) {
  if (value == null) return '—';
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return Math.abs(value) < 1 ? value.toLocaleString('en-US', { maximumSignificantDigits: 4 })
    : value.toLocaleString('en-US', { maximumFractionDigits: 4 });
}
function clock(ms, withDate) {
  const d = new Date(ms), iso = d.toISOString();
  return withDate ? iso.slice(5, 16).replace('T', ' ') : iso.slice(11, 19);
}

// How long ago, in words, once it is a minute or more; null before that.
function ago(milliseconds) {
  const seconds = Math.max(0, Math.round(milliseconds / 1000));
  if (seconds < 60) return null;
  const minutes = Math.floor(seconds / 60), hours = Math.floor(minutes / 60), days = Math.floor(hours / 24);
  if (days >= 2) return days + ' days ago';
  if (hours >= 1) return hours + ' h ' + (minutes % 60) + ' min ago';
  return minutes + ' min ago';
}

// The server's time as of its last status, so that ages do not depend on the browser's clock.
function serverNow() { return state.status ? state.status.at + (Date.now() - state.statusSeenAt) : Date.now(); }

// Canvas sized to its box and the screen's pixel ratio; returns the context and CSS size.
function surface(canvas) {
  const ratio = window.devicePixelRatio || 1, box = canvas.getBoundingClientRect();
  const width = Math.max(1, Math.round(box.width)), height = Math.max(1, Math.round(box.height));
  if (canvas.width !== width * ratio || canvas.height !== height * ratio) { canvas.width = width * ratio; canvas.height = height * ratio; }
  const context = canvas.getContext('2d');
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  context.clearRect(0, 0, width, height);
  context.font = '11px ' + (css('--font') || 'sans-serif');
  return { context, width, height };
}

function niceTicks(low, high, count) {
  const span = high - low || Math.abs(high) || 1, raw = span / count, power = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => span / s <= count) || power * 10;
  const ticks = [];
  for (let value = Math.ceil(low / step) * step; value <= high; value += step) ticks.push(value);
  return ticks;
}

// ---- symbols ------------------------------------------------------------------------------------
function renderSymbols(list) {
  const ul = $('#symbols');
  for (const summary of list) {
    state.symbols.set(summary.symbol, summary);
    let li = ul.querySelector('li[data-symbol="' + CSS.escape(summary.symbol) + '"]');
    if (!li) {
      ul.querySelector('.empty')?.remove();
      // The page's empty row, so that the row is written once (in DashboardPage.swift).
      li = $('#symbol-row').content.firstElementChild.cloneNode(true);
      li.dataset.symbol = summary.symbol;
      li.querySelector('.name').textContent = summary.symbol;
      const box = li.querySelector('input');
      box.setAttribute('aria-label', box.getAttribute('aria-label') + summary.symbol);
      ul.appendChild(li);
    }
    li.querySelector('.price').textContent = price(summary.last);
    const change = li.querySelector('.change');
    const age = ago(serverNow() - summary.lastUpdate);
    change.textContent = (summary.changePercent >= 0 ? '+' : '') + summary.changePercent.toFixed(2) + '%' + (age ? ' · ' + age : '');
    // Coloured as shown: a change that rounds to 0.00 % is neither up nor down.
    change.className = 'change ' + (summary.changePercent > 0 ? 'up' : summary.changePercent < 0 ? 'down' : 'flat');
    li.title = summary.symbol + ': last trade ' + clock(summary.lastUpdate, true) + ' UTC' + (age ? ', ' + age : '');
    drawSpark(li.querySelector('.spark'), summary.sparkline, summary.change);
  }
  if (!state.selected && list.length) select(list[0].symbol);
}

function drawSpark(canvas, values, change) {
  const { context, width, height } = surface(canvas);
  if (!values || values.length < 2) return;
  const low = Math.min(...values), high = Math.max(...values), span = high - low || 1;
  context.strokeStyle = change >= 0 ? css('--up') : css('--down');
  context.lineWidth = 1.2;
  context.beginPath();
  values.forEach((value, index) => {
    const x = index / (values.length - 1) * (width - 2) + 1, y = height - 2 - (value - low) / span * (height - 4);
    index ? context.lineTo(x, y) : context.moveTo(x, y);
  });
  context.stroke();
}

async function select(symbol) {
  state.selected = symbol;
  for (const li of document.querySelectorAll('#symbols .symbol')) li.classList.toggle('selected', li.dataset.symbol === symbol);
  await loadCandles();
}

// ---- main chart -----------------------------------------------------------------------------------
function candleRange() {
  const summary = state.symbols.get(state.selected);
  const to = summary ? summary.lastUpdate : Date.now();
  return { from: to - state.range, to };
}

async function loadCandles() {
  if (state.compareMode) return loadCompare();
  if (!state.selected) return draw();
  const { from, to } = candleRange();
  const symbol = state.selected;
  const candles = await api('/api/v1/candles?symbol=' + encodeURIComponent(symbol) + '&interval=' + state.interval +
    '&from=' + Math.floor(from) + '&to=' + Math.ceil(to + INTERVALS[state.interval]));
  if (symbol !== state.selected) return;
  state.candles = candles;
  state.view = null;
  $('#chart-title').textContent = symbol + ' · ' + state.interval;
  draw();
}

async function loadCompare() {
  const symbols = [...state.compare];
  if (!symbols.length && state.selected) symbols.push(state.selected);
  const { from, to } = candleRange();
  const series = new Map();
  await Promise.all(symbols.map(async (symbol) => {
    series.set(symbol, await api('/api/v1/candles?symbol=' + encodeURIComponent(symbol) + '&interval=' + state.interval +
      '&from=' + Math.floor(from) + '&to=' + Math.ceil(to + INTERVALS[state.interval])));
  }));
  state.compareSeries = series;
  state.view = null;
  const starts = [...series.values()].flat().map((c) => c.start);
  $('#chart-title').textContent = 'Compare · % since ' + clock(starts.length ? Math.min(...starts) : from, true);
  draw();
}

function visible() {
  const all = state.compareMode ? [...state.compareSeries.values()].flat() : state.candles;
  if (!all.length) return null;
  const step = INTERVALS[state.interval];
  const first = Math.min(...all.map((c) => c.start)), last = Math.max(...all.map((c) => c.start)) + step;
  return state.view || { from: first, to: last };
}

function draw() {
  const canvas = $('#chart');
  const { context, width, height } = surface(canvas);
  const view = visible();
  context.fillStyle = css('--muted');
  if (!view) { context.fillText(state.selected ? 'No candles in this range yet.' : 'No data yet.', 12, 24); return; }
  const plot = { left: 8, right: width - 64, top: 8, bottom: height - 22 };
  const x = (time) => plot.left + (time - view.from) / (view.to - view.from) * (plot.right - plot.left);
  const step = INTERVALS[state.interval];
  const timeTicks = niceTicks(view.from, view.to, Math.max(2, Math.floor(width / 110)))
    .map((t) => Math.round(t / step) * step);
  context.strokeStyle = css('--grid');
  context.lineWidth = 1;
  for (const t of timeTicks) {
    const px = Math.round(x(t)) + .5;
    if (px < plot.left || px > plot.right) continue;
    context.beginPath(); context.moveTo(px, plot.top); context.lineTo(px, plot.bottom); context.stroke();
    const label = clock(t, view.to - view.from > 86400e3), half = context.measureText(label).width / 2;
    context.fillText(label, Math.min(Math.max(px - half, plot.left), plot.right - 2 * half), height - 6);
  }
  state.layout = { plot, view, x, step };
  if (state.compareMode) drawCompare(context, plot, view, x); else drawCandles(context, plot, view, x, step);
  drawCrosshair(context, plot);
  state.frames += 1;
}

function drawCandles(context, plot, view, x, step) {
  const shown = state.candles.filter((c) => c.start + step >= view.from && c.start <= view.to);
  if (!shown.length) { context.fillText('No candles in this range.', 12, 24); return; }
  const volumeTop = plot.bottom - (plot.bottom - plot.top) * 0.2;
  const priceBottom = volumeTop - 6;
  let low = Math.min(...shown.map((c) => c.low)), high = Math.max(...shown.map((c) => c.high));
  const pad = (high - low) * 0.06 || Math.abs(high) * 0.001 || 1;
  low -= pad; high += pad;
  const y = (value) => plot.top + (high - value) / (high - low) * (priceBottom - plot.top);
  const maxVolume = Math.max(...shown.map((c) => c.volume)) || 1;
  context.strokeStyle = css('--grid');
  context.fillStyle = css('--muted');
  for (const tick of niceTicks(low, high, 6)) {
    const py = Math.round(y(tick)) + .5;
    context.beginPath(); context.moveTo(plot.left, py); context.lineTo(plot.right, py); context.stroke();
    context.fillText(price(tick), plot.right + 6, py + 4);
  }
  const bar = Math.max(1, (x(view.from + step) - x(view.from)) * 0.7);
  const up = css('--up'), down = css('--down');
  context.fillStyle = css('--volume');
  for (const c of shown) {
    const h = c.volume / maxVolume * (plot.bottom - volumeTop);
    context.fillRect(x(c.start + step / 2) - bar / 2, plot.bottom - h, bar, h);
  }
  for (const c of shown) {
    const color = c.close >= c.open ? up : down, center = Math.round(x(c.start + step / 2)) + .5;
    context.strokeStyle = color; context.fillStyle = color;
    context.beginPath(); context.moveTo(center, y(c.high)); context.lineTo(center, y(c.low)); context.stroke();
    const top = y(Math.max(c.open, c.close)), body = Math.max(1, Math.abs(y(c.open) - y(c.close)));
    context.fillRect(center - bar / 2, top, bar, body);
  }
  const last = state.candles[state.candles.length - 1];
  if (last) {
    const py = Math.round(y(last.close)) + .5;
    context.strokeStyle = css('--accent'); context.setLineDash([4, 3]);
    context.beginPath(); context.moveTo(plot.left, py); context.lineTo(plot.right, py); context.stroke();
    context.setLineDash([]);
    context.fillStyle = css('--accent');
    context.fillRect(plot.right + 2, py - 8, 60, 16);
    context.fillStyle = '#fff';
    context.fillText(price(last.close), plot.right + 6, py + 4);
  }
  state.layout.y = y; state.layout.priceAt = (py) => high - (py - plot.top) / (priceBottom - plot.top) * (high - low);
  state.layout.shown = shown;
}

const PALETTE = ['#2563eb', '#d97706', '#059669', '#db2777', '#7c3aed', '#0891b2', '#65a30d', '#dc2626'];
function drawCompare(context, plot, view, x) {
  const lines = [];
  for (const [symbol, candles] of state.compareSeries) {
    const shown = candles.filter((c) => c.start >= view.from && c.start <= view.to);
    if (shown.length) lines.push({ symbol, points: shown.map((c) => [c.start, (c.close / shown[0].open - 1) * 100]) });
  }
  if (!lines.length) { context.fillText('Tick symbols to compare.', 12, 24); return; }
  const values = lines.flatMap((l) => l.points.map((p) => p[1]));
  let low = Math.min(0, ...values), high = Math.max(0, ...values);
  const pad = (high - low) * 0.08 || 0.1; low -= pad; high += pad;
  const y = (value) => plot.top + (high - value) / (high - low) * (plot.bottom - plot.top);
  context.strokeStyle = css('--grid'); context.fillStyle = css('--muted');
  for (const tick of niceTicks(low, high, 6)) {
    const py = Math.round(y(tick)) + .5;
    context.beginPath(); context.moveTo(plot.left, py); context.lineTo(plot.right, py); context.stroke();
    context.fillText(tick.toFixed(2) + '%', plot.right + 6, py + 4);
  }
  lines.forEach((line, index) => {
    context.strokeStyle = PALETTE[index % PALETTE.length]; context.lineWidth = 1.5;
    context.beginPath();
    line.points.forEach(([t, v], i) => i ? context.lineTo(x(t), y(v)) : context.moveTo(x(t), y(v)));
    context.stroke();
    context.fillStyle = PALETTE[index % PALETTE.length];
    context.fillText(line.symbol + ' ' + line.points[line.points.length - 1][1].toFixed(2) + '%', plot.left + 6, plot.top + 14 + index * 14);
  });
  context.lineWidth = 1;
  state.layout.y = y; state.layout.shown = [];
}

function drawCrosshair(context, plot) {
  const tooltip = $('#tooltip');
  const hover = state.hover, layout = state.layout;
  if (!hover || !layout || hover.x < plot.left || hover.x > plot.right || hover.y < plot.top || hover.y > plot.bottom) {
    tooltip.hidden = true; return;
  }
  context.strokeStyle = css('--muted'); context.setLineDash([2, 3]);
  context.beginPath(); context.moveTo(hover.x + .5, plot.top); context.lineTo(hover.x + .5, plot.bottom);
  context.moveTo(plot.left, hover.y + .5); context.lineTo(plot.right, hover.y + .5); context.stroke();
  context.setLineDash([]);
  const time = layout.view.from + (hover.x - plot.left) / (plot.right - plot.left) * (layout.view.to - layout.view.from);
  const candle = (layout.shown || []).find((c) => time >= c.start && time < c.start + layout.step);
  if (candle) {
    tooltip.textContent = clock(candle.start, true) + '  O ' + price(candle.open) + '  H ' + price(candle.high) + '  L ' +
      price(candle.low) + '  C ' + price(candle.close) + '  V ' + quantity(candle.volume) +
      (candle.vwap != null ? '  VWAP ' + price(candle.vwap) : '') + (candle.backfilled ? '  (backfilled)' : '');
  } else {
    tooltip.textContent = clock(time, true) + (layout.priceAt ? '  ' + price(layout.priceAt(hover.y)) : '');
  }
  tooltip.hidden = false;
}

function setupChart() {
  const canvas = $('#chart');
  let drag = null;
  canvas.addEventListener('mousemove', (event) => {
    const box = canvas.getBoundingClientRect();
    state.hover = { x: event.clientX - box.left, y: event.clientY - box.top };
    if (drag && state.layout) {
      const { plot } = state.layout, span = drag.view.to - drag.view.from;
      const shift = (drag.x - event.clientX) / (plot.right - plot.left) * span;
      state.view = { from: drag.view.from + shift, to: drag.view.to + shift };
    }
    draw();
  });
  canvas.addEventListener('mouseleave', () => { state.hover = null; drag = null; draw(); });
  canvas.addEventListener('mousedown', (event) => { const view = visible(); if (view) drag = { x: event.clientX, view }; });
  window.addEventListener('mouseup', () => { drag = null; });
  canvas.addEventListener('dblclick', () => { state.view = null; draw(); });
  canvas.addEventListener('wheel', (event) => {
    const view = visible(); if (!view || !state.layout) return;
    event.preventDefault();
    const { plot } = state.layout, box = canvas.getBoundingClientRect();
    const at = view.from + (event.clientX - box.left - plot.left) / (plot.right - plot.left) * (view.to - view.from);
    const factor = event.deltaY > 0 ? 1.2 : 1 / 1.2;
    const minimum = INTERVALS[state.interval] * 5;
    const from = at - (at - view.from) * factor, to = at + (view.to - at) * factor;
    if (to - from >= minimum) state.view = { from, to };
    draw();
  }, { passive: false });
  for (const button of document.querySelectorAll('#intervals button')) button.addEventListener('click', () => {
    state.interval = button.dataset.interval;
    for (const b of document.querySelectorAll('#intervals button')) b.classList.toggle('on', b === button);
    if (state.range < INTERVALS[state.interval] * 20) setRange(INTERVALS[state.interval] * 120);
    loadCandles().catch(report);
  });
  for (const button of document.querySelectorAll('#ranges button')) button.addEventListener('click', () => {
    setRange(Number(button.dataset.range)); loadCandles().catch(report);
  });
  $('#compare-toggle').addEventListener('click', () => {
    state.compareMode = !state.compareMode;
    $('#compare-toggle').classList.toggle('on', state.compareMode);
    loadCandles().catch(report);
  });
  $('#symbols').addEventListener('click', (event) => {
    const li = event.target.closest('.symbol'); if (!li) return;
    if (event.target.matches('input[type=checkbox]')) {
      event.target.checked ? state.compare.add(li.dataset.symbol) : state.compare.delete(li.dataset.symbol);
      if (state.compareMode) loadCompare().catch(report);
    } else if (event.target.closest('.pick')) {
      if (state.compareMode) { state.compareMode = false; $('#compare-toggle').classList.remove('on'); }
      select(li.dataset.symbol).catch(report);
    }
  });
  window.addEventListener('resize', () => { draw(); drawQuality(); drawPipeline(); });
}
function setRange(range) {
  state.range = range;
  for (const b of document.querySelectorAll('#ranges button')) b.classList.toggle('on', Number(b.dataset.range) === range);
}

// ---- live updates ---------------------------------------------------------------------------------
function mergeCandle(candle) {
  if (candle.symbol !== state.selected || state.compareMode) return;
  const step = INTERVALS[state.interval];
  const start = Math.floor(candle.start / step) * step;
  const last = state.candles[state.candles.length - 1];
  if (state.interval === '1m') {
    if (last && last.start === candle.start) state.candles[state.candles.length - 1] = candle;
    else if (!last || candle.start > last.start) state.candles.push(candle);
  } else if (last && last.start === start) {
    // Only the newest minute is known here: widen the bucket with it.
    last.high = Math.max(last.high, candle.high); last.low = Math.min(last.low, candle.low); last.close = candle.close;
  } else if (!last || start > last.start) {
    state.candles.push({ ...candle, interval: state.interval, start });
  }
}

function onTick(event) {
  state.ticks += 1;
  renderSymbols(event.symbols);
  for (const candle of event.candles) mergeCandle(candle);
  // A connection's first event carries the newest trades, which replace what a page reconnecting has.
  state.tape = event.trades.slice().reverse().concat(event.first ? [] : state.tape).slice(0, 40);
  renderTape();
  renderStatus(event.status);
  draw();
}

function renderTape() {
  const body = $('#tape tbody');
  body.replaceChildren(...state.tape.map((trade) => {
    const row = document.createElement('tr');
    for (const text of [clock(trade.timestamp), trade.symbol, price(trade.price), quantity(trade.volume)]) {
      const cell = document.createElement('td'); cell.textContent = text; row.appendChild(cell);
    }
    return row;
  }));
}

function renderStatus(status) {
  state.status = status; state.statusSeenAt = Date.now();
  const health = $('#health');
  const reconciliation = status.reconciliation || (status.balanced ? 'balanced' : 'in-flight');
  health.textContent = { balanced: 'counts reconcile', 'in-flight': 'records in flight', unbalanced: 'counts do not reconcile' }[reconciliation];
  health.className = 'badge ' + (reconciliation === 'balanced' ? 'ok' : reconciliation === 'unbalanced' ? 'warn' : '');
  // What a static store or a stopped feed looks like: the newest trade's age, not only a ticking clock.
  const newest = Math.max(0, ...[...state.symbols.values()].map((summary) => summary.lastUpdate));
  const age = newest ? ago(status.at - newest) : null;
  $('#clock').textContent = (newest ? 'last trade ' + clock(newest) + ' UTC' + (age ? ' (' + age + ')' : '') + ' · ' : '') +
    'updated ' + clock(status.at) + ' UTC';
  $('#clock').className = age ? 'stale' : 'muted';
  const lag = status.lag || {};
  const latency = status.latencyMs ? 'p50 ' + status.latencyMs.p50 + ' ms · p99 ' + status.latencyMs.p99 + ' ms' : 'latency: not measured here';
  const stages = [['ingest', 'staged ' + count(status.staged || 0)], ['validate', 'lag ' + count(lag.validate || 0)],
    ['load', 'lag ' + count((lag.load || 0) + (lag['load-quarantine'] || 0))]];
  $('#stages').replaceChildren(...stages.map(([name, detail]) => {
    const div = document.createElement('div'); div.className = 'stage';
    div.innerHTML = '<small></small><b></b><small></small>';
    div.children[0].textContent = name; div.children[1].textContent = count(status.rates[name] || 0) + '/s';
    div.children[2].textContent = detail;
    return div;
  }));
  $('#reconcile').textContent = 'staged ' + count(status.staged) + ' = stored ' + count(status.stored) + ' + quarantined ' +
    count(status.quarantined) + ' + pending ' + count(status.pending) + ' · ' + latency;
  state.history = (state.history || []).concat([status]).slice(-150);
  drawPipeline();
}

// One small chart per stage, each on its own scale (ingest runs at thousands a second while a
// stage catching up may show a lag of millions): records/s as a line, lag dashed, a shared time axis.
function drawPipeline() {
  const history = state.history || [];
  const { context, width, height } = surface($('#pipeline-chart'));
  if (history.length < 2) {
    context.fillStyle = css('--muted'); context.fillText('Collecting: a point every few seconds.', 8, 16); return;
  }
  const stages = [['ingest', css('--accent'), null], ['validate', css('--bad'), (p) => (p.lag || {}).validate || 0],
    ['load', css('--up'), (p) => ((p.lag || {}).load || 0) + ((p.lag || {})['load-quarantine'] || 0)]];
  const left = 58, right = width - 64, axis = 14, row = (height - axis) / stages.length;
  const first = history[0].at, last = history[history.length - 1].at, span = Math.max(1, last - first);
  const x = (p) => left + (p.at - first) / span * (right - left);
  stages.forEach(([stage, color, lagOf], index) => {
    const top = index * row + 3, bottom = (index + 1) * row - 3;
    context.strokeStyle = css('--border'); context.lineWidth = 1;
    context.beginPath(); context.moveTo(left, bottom + .5); context.lineTo(right, bottom + .5); context.stroke();
    context.fillStyle = color; context.fillText(stage, 4, top + 11);
    const high = Math.max(1, ...history.map((p) => p.rates[stage] || 0));
    context.strokeStyle = color; context.lineWidth = 1.5; context.beginPath();
    history.forEach((p, i) => {
      const y = bottom - (p.rates[stage] || 0) / high * (bottom - top);
      i ? context.lineTo(x(p), y) : context.moveTo(x(p), y);
    });
    context.stroke();
    context.fillStyle = css('--muted'); context.fillText('max ' + count(high) + '/s', right + 4, top + 11);
    if (lagOf) {
      const lagHigh = Math.max(...history.map(lagOf));
      if (lagHigh > 0) {
        context.setLineDash([3, 3]); context.strokeStyle = css('--muted'); context.lineWidth = 1; context.beginPath();
        history.forEach((p, i) => {
          const y = bottom - lagOf(p) / lagHigh * (bottom - top);
          i ? context.lineTo(x(p), y) : context.moveTo(x(p), y);
        });
        context.stroke(); context.setLineDash([]);
      }
      context.fillText(lagHigh > 0 ? 'lag ≤ ' + count(lagHigh) : 'no lag', right + 4, top + 24);
    }
  });
  context.fillStyle = css('--muted');
  context.fillText(clock(first), left, height - 2);
  const end = clock(last); context.fillText(end, right - context.measureText(end).width, height - 2);
  state.pipelineDrawn += 1;
}

async function refreshQuality() {
  const reason = state.reasonFilter;
  const [counts, latest] = await Promise.all([api('/api/v1/quarantine/counts?bucket=1m'),
    api('/api/v1/quarantine?limit=8' + (reason ? '&reason=' + encodeURIComponent(reason) : ''))]);
  state.quality = counts;
  const totals = Object.entries(counts.totals).sort((a, b) => b[1] - a[1]);
  const accepted = counts.series.reduce((sum, b) => sum + b.accepted, 0);
  const records = counts.series.reduce((sum, b) => sum + b.records, 0);
  // Both counted by the minute they reached the store, so the share is of the same hour's work.
  $('#quality-summary').textContent = count(accepted) + ' accepted · ' + count(records) + ' quarantined in the last hour' +
    (accepted + records ? ' · ' + (records / (accepted + records) * 100).toFixed(2) + ' % quarantined' : '');
  $('#reasons').replaceChildren(...totals.slice(0, 6).map(([code, n]) => {
    const li = document.createElement('li'), button = document.createElement('button');
    button.type = 'button'; button.className = 'link' + (code === reason ? ' on' : '');
    button.textContent = code + ' — ' + count(n);
    button.title = code === reason ? 'Show every reason' : 'Show only ' + code;
    button.addEventListener('click', () => { state.reasonFilter = code === reason ? null : code; refreshQuality().catch(report); });
    li.appendChild(button); return li;
  }));
  $('#reason-filter').textContent = reason ? '· ' + reason : '';
  state.quarantine = latest;
  $('#quarantined').replaceChildren(...latest.map((record) => {
    const li = document.createElement('li'), button = document.createElement('button');
    button.type = 'button'; button.className = 'record';
    const reasons = document.createElement('span'); reasons.className = 'reason'; reasons.textContent = record.reasons.join(', ');
    const payload = document.createElement('code'); payload.textContent = record.payload.slice(0, 160);
    button.append(reasons, payload);
    button.addEventListener('click', () => showRecord(record));
    li.appendChild(button); return li;
  }));
  drawQuality();
}

// A quarantined record whole: its reasons, where it came from, when, and the payload laid out.
function showRecord(record) {
  $('#record-reasons').textContent = record.reasons.join(', ');
  const age = ago(serverNow() - record.quarantinedAt);
  const facts = [['quarantined', clock(record.quarantinedAt, true) + ' UTC' + (age ? ' (' + age + ')' : '')],
    ['source', record.origin.source], ['read from', record.origin.topic + ' partition ' + record.origin.partition + ' offset ' + record.origin.offset]];
  if (record.origin.occurrence) facts.push(['occurrence', String(record.origin.occurrence)]);
  if (record.origin.truncated) facts.push(['cut', 'kept the first bytes of ' + count(record.origin.originalSize || 0)]);
  if (record.origin.error) facts.push(['store error', record.origin.error]);
  $('#record-facts').replaceChildren(...facts.flatMap(([term, text]) => {
    const dt = document.createElement('dt'), dd = document.createElement('dd'); dt.textContent = term; dd.textContent = text; return [dt, dd];
  }));
  let payload = record.payload;
  try { payload = JSON.stringify(JSON.parse(record.payload), null, 2); } catch (error) { /* not JSON: shown as it came */ }
  $('#record-payload').textContent = payload;
  state.recordShown = record;
  $('#record').showModal();
}

// Accepted trades and quarantined records per minute, each on its own scale (accepted left,
// quarantined right): a few dozen quarantined among thousands would otherwise be a sliver.
function drawQuality() {
  const counts = state.quality;
  const { context, width, height } = surface($('#quality-chart'));
  if (!counts || !counts.series.length) { context.fillStyle = css('--muted'); context.fillText('Nothing in the last hour.', 8, 16); return; }
  const series = counts.series.slice(-60);
  const left = 4, right = width - 44, top = 18, bottom = height - 14;
  const last = series[series.length - 1].start, first = last - 59 * 60000;
  const acceptedHigh = Math.max(1, ...series.map((b) => b.accepted));
  const quarantinedHigh = Math.max(1, ...series.map((b) => b.records));
  const bar = (right - left) / 60, x = (b) => left + (b.start - first) / 60000 * bar;
  context.strokeStyle = css('--grid'); context.lineWidth = 1;
  for (const fraction of [0, .5, 1]) {
    const y = Math.round(bottom - fraction * (bottom - top)) + .5;
    context.beginPath(); context.moveTo(left, y); context.lineTo(right, y); context.stroke();
    context.fillStyle = css('--bad'); context.fillText(count(quarantinedHigh * fraction), right + 4, y + 4);
  }
  for (const b of series) {
    const h = b.accepted / acceptedHigh * (bottom - top), q = b.records / quarantinedHigh * (bottom - top);
    context.fillStyle = css('--volume'); context.fillRect(x(b), bottom - h, Math.max(1, bar * .6 - 1), h);
    context.fillStyle = css('--bad'); context.fillRect(x(b) + bar * .6, bottom - q, Math.max(1, bar * .4 - 1), q);
  }
  context.fillStyle = css('--muted');
  context.fillText('per minute: accepted (blue, up to ' + count(acceptedHigh) + ') · quarantined (orange, scale right)', 4, 12);
  context.fillText(clock(first) + ' UTC', left, height - 2);
  const end = clock(last) + ' UTC';
  context.fillText(end, right - context.measureText(end).width, height - 2);
  state.qualityDrawn += 1;
}

function connect() {
  const source = new EventSource('/api/v1/stream');
  source.addEventListener('tick', (message) => { try { onTick(JSON.parse(message.data)); } catch (error) { report(error); } });
  source.addEventListener('error', () => { $('#health').textContent = 'reconnecting…'; $('#health').className = 'badge warn'; });
}

function report(error) { console.warn('stockpipe:', error && error.message ? error.message : error); }

function setupTheme() {
  const saved = localStorage.getItem('stockpipe-theme');
  if (saved) document.documentElement.dataset.theme = saved;
  $('#theme').addEventListener('click', () => {
    const dark = document.documentElement.dataset.theme ? document.documentElement.dataset.theme === 'dark'
      : matchMedia('(prefers-color-scheme: dark)').matches;
    document.documentElement.dataset.theme = dark ? 'light' : 'dark';
    localStorage.setItem('stockpipe-theme', document.documentElement.dataset.theme);
    draw(); drawQuality(); drawPipeline();
    for (const summary of state.symbols.values()) {
      const li = document.querySelector('#symbols li[data-symbol="' + CSS.escape(summary.symbol) + '"]');
      if (li) drawSpark(li.querySelector('.spark'), summary.sparkline, summary.change);
    }
  });
}

async function start() {
  setupTheme();
  setupChart();
  const [symbols, status] = await Promise.all([api('/api/v1/symbols'), api('/api/v1/status')]);
  renderSymbols(symbols);
  // The charts start from the history the server kept, not empty on every reload.
  state.history = (status.pipeline.history || []).slice(0, -1);
  renderStatus(Object.assign({ staged: status.reconciliation.staged, stored: status.reconciliation.stored,
    quarantined: status.reconciliation.quarantined, pending: status.reconciliation.pending,
    balanced: status.reconciliation.balanced }, status.pipeline));
  await refreshQuality();
  setInterval(() => refreshQuality().catch(report), 10000);
  setInterval(() => { if (!state.compareMode) loadCandles().catch(report); }, 60000);
  connect();
}
start().catch(report);
