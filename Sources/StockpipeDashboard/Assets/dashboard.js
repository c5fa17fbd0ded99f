'use strict';
const $ = (selector) => document.querySelector(selector);
const MINUTE = 60e3, HOUR = 3600e3, DAY = 86400e3;
// The page renders the interval and range buttons (the intervals from the server's table), each with its
// length in ms, and marks the defaults "on".
const INTERVALS = Object.fromEntries([...document.querySelectorAll('#intervals button')]
  .map((button) => [button.dataset.interval, Number(button.dataset.ms)]));
const state = { symbols: new Map(), selected: null, interval: $('#intervals .on').dataset.interval,
  range: Number($('#ranges .on').dataset.range), candles: [], minutes: new Map(), view: null, log: false,
  compare: new Set(), compareMode: false, compareScale: 'percent', compareSeries: new Map(), colors: new Map(),
  zone: 'utc', status: null, tape: [], frames: 0, ticks: 0, liveMerged: 0, compareMerged: 0, qualityDrawn: 0, pipelineDrawn: 0, hover: null };
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
// Signed to two decimals; what rounds to zero shows as 0.00 %, without a sign.
function percent(value) { const shown = Number(value.toFixed(2)) || 0; return (shown > 0 ? '+' : '') + shown.toFixed(2) + '%'; }

// ---- time ---------------------------------------------------------------------------------------
// Every time on the page is in one zone the user picks: UTC, this browser's, or the exchange's
// (New York, where US stocks trade). Candles stay UTC buckets, as the store keeps them.
const ZONES = { utc: 'UTC', local: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC', exchange: 'America/New_York' };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const wallFormats = new Map();
const two = (n) => String(n).padStart(2, '0');

// The chosen zone's wall clock at `ms`: year, month (1-12), day, hour, minute, second.
function wallClock(ms) {
  const zone = ZONES[state.zone];
  if (zone === 'UTC') {
    const d = new Date(ms);
    return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(),
      minute: d.getUTCMinutes(), second: d.getUTCSeconds() };
  }
  let format = wallFormats.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric',
      day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    wallFormats.set(zone, format);
  }
  const parts = {};
  for (const part of format.formatToParts(new Date(ms))) if (part.type !== 'literal') parts[part.type] = Number(part.value);
  if (parts.hour === 24) parts.hour = 0;
  return parts;
}
// How far the zone's wall clock is ahead of UTC at `ms`.
function zoneOffset(ms) {
  if (ZONES[state.zone] === 'UTC') return 0;
  const p = wallClock(ms);
  return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - Math.floor(ms / 1000) * 1000;
}
function zoneLabel() {
  if (state.zone === 'utc') return 'UTC';
  if (state.zone === 'exchange') return 'New York';
  const short = new Intl.DateTimeFormat('en-US', { timeZone: ZONES.local, timeZoneName: 'short' }).formatToParts(new Date())
    .find((part) => part.type === 'timeZoneName');
  return short ? short.value : ZONES.local;
}
function timeOfDay(ms, seconds = true) {
  const p = wallClock(ms);
  return two(p.hour) + ':' + two(p.minute) + (seconds ? ':' + two(p.second) : '');
}
function dayOf(ms) { const p = wallClock(ms); return MONTHS[p.month - 1] + ' ' + p.day; }
function dateTime(ms, seconds = false) { return dayOf(ms) + ' ' + timeOfDay(ms, seconds); }
// A moment as a person reads it now: the time, with the day in front when it is not today's.
function moment(ms) { return (dayOf(ms) === dayOf(serverNow()) ? '' : dayOf(ms) + ' ') + timeOfDay(ms) + ' ' + zoneLabel(); }

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

const TICK_STEPS = [1, 2, 5, 10, 15, 30].map((m) => m * MINUTE).concat([1, 2, 3, 6, 12].map((h) => h * HOUR), [1, 2, 7, 14].map((d) => d * DAY));
// At most `most` ticks between `from` and `to`, on whole minutes, hours or days of the zone's wall
// clock (every step divides a day, so midnight is always one). A tick where the day changes is
// labelled with the date; so is the first one when none does, so that the day is never out of view.
function timeTicks(from, to, most) {
  const step = TICK_STEPS.find((s) => (to - from) / s <= most) || TICK_STEPS[TICK_STEPS.length - 1];
  const anchor = step === 7 * DAY || step === 14 * DAY ? 4 * DAY : 0; // weeks start on Monday (5 Jan 1970)
  const ticks = [];
  const wallTo = to + zoneOffset(to);
  for (let wall = Math.ceil((from + zoneOffset(from) - anchor) / step) * step + anchor; wall <= wallTo && ticks.length < 400; wall += step) {
    // Back from the wall clock to an instant, with the offset in force at that instant (it moves at DST).
    const t = wall - zoneOffset(wall - zoneOffset(wall));
    if (t < from || t > to || (ticks.length && t <= ticks[ticks.length - 1].t)) continue;
    ticks.push({ t, step });
  }
  let previousDay = null;
  for (const tick of ticks) {
    const p = wallClock(tick.t), day = dayOf(tick.t);
    tick.dayStart = step >= DAY || (p.hour === 0 && p.minute === 0) || (previousDay !== null && day !== previousDay);
    tick.label = tick.dayStart ? day : two(p.hour) + ':' + two(p.minute);
    previousDay = day;
  }
  if (ticks.length && !ticks.some((tick) => tick.dayStart)) ticks[0].label = dayOf(ticks[0].t) + ' ' + ticks[0].label;
  return ticks;
}

// Time labels along a chart's bottom edge, each skipped when it would touch the one before.
function drawTimeLabels(context, ticks, x, left, right, baseline) {
  let end = -Infinity;
  for (const tick of ticks) {
    context.font = (tick.dayStart ? '600 ' : '') + '11px ' + (css('--font') || 'sans-serif');
    const px = x(tick.t), width = context.measureText(tick.label).width;
    const at = Math.min(Math.max(px - width / 2, left), right - width);
    if (at < end + 8) continue;
    context.fillText(tick.label, at, baseline);
    end = at + width;
  }
  context.font = '11px ' + (css('--font') || 'sans-serif');
}

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
// Price ticks for a log scale: 1, 2 and 5 of each power of ten when it spans more than a factor of
// three, evenly spaced ones otherwise (a log scale over a narrow range is nearly linear).
function logTicks(low, high, count) {
  if (!(low > 0) || high / low < 3) return niceTicks(low, high, count);
  const ticks = [];
  for (let power = Math.pow(10, Math.floor(Math.log10(low))); power <= high; power *= 10) {
    for (const m of [1, 2, 5]) if (m * power >= low && m * power <= high) ticks.push(m * power);
  }
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
      li.querySelector('.name').replaceChildren(...symbolName(summary.symbol));
      const box = li.querySelector('input');
      box.setAttribute('aria-label', box.getAttribute('aria-label') + summary.symbol);
      ul.appendChild(li);
    }
    li.querySelector('.price').textContent = price(summary.last);
    const change = li.querySelector('.change');
    const age = ago(serverNow() - summary.lastUpdate);
    change.textContent = percent(summary.changePercent) + (age ? ' · ' + age : '');
    // Coloured as shown: a change that rounds to 0.00 % is neither up nor down.
    const shown = Number(summary.changePercent.toFixed(2));
    change.className = 'change ' + (shown > 0 ? 'up' : shown < 0 ? 'down' : 'flat');
    li.title = summary.symbol + ': last trade ' + dateTime(summary.lastUpdate, true) + ' ' + zoneLabel() + (age ? ', ' + age : '');
    drawSpark(li.querySelector('.spark'), summary.sparkline, summary.change);
  }
  if (!state.selected && list.length) select(list[0].symbol);
}

// An exchange's prefix ("BINANCE:") and the pair, with a line break allowed between them only.
function symbolName(symbol) {
  const colon = symbol.indexOf(':') + 1;
  return colon > 0 && colon < symbol.length ? [symbol.slice(0, colon), document.createElement('wbr'), symbol.slice(colon)] : [symbol];
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
  await loadCandles({ resetView: true });
}

// ---- main chart -----------------------------------------------------------------------------------
// A range shows 5 to 1,500 candles of an interval: fewer is not a chart, more is finer than the screen.
function rangeFits(range, interval) { const n = range / INTERVALS[interval]; return n >= 5 && n <= 1500; }

function candlesPath(symbol, interval, from, to) {
  return '/api/v1/candles?symbol=' + encodeURIComponent(symbol) + '&interval=' + interval + '&from=' + Math.floor(from) +
    '&to=' + Math.ceil(to);
}

// One symbol's candles over the range, and the minutes of its newest bucket, so that live minutes
// keep that bucket whole (volume and VWAP included) at every interval.
async function loadSeries(symbol) {
  const summary = state.symbols.get(symbol), step = INTERVALS[state.interval];
  const to = summary ? summary.lastUpdate : Date.now();
  const candles = await api(candlesPath(symbol, state.interval, to - state.range, to + step));
  const minutes = new Map(), last = candles[candles.length - 1];
  if (last && step > MINUTE) {
    for (const minute of await api(candlesPath(symbol, '1m', last.start, last.start + step - 1))) minutes.set(minute.start, minute);
    // Read after the bucket, the minutes may hold a trade more: the bucket is theirs from now on.
    if (minutes.size) candles[candles.length - 1] = rollUp(minutes, last.start);
  }
  return { candles, minutes };
}

async function loadCandles({ resetView = false } = {}) {
  if (resetView) state.view = null;
  if (state.compareMode) return loadCompare();
  if (!state.selected) return draw();
  const symbol = state.selected, interval = state.interval, range = state.range;
  const series = await loadSeries(symbol);
  if (symbol !== state.selected || interval !== state.interval || range !== state.range || state.compareMode) return;
  state.candles = series.candles;
  state.minutes = series.minutes;
  draw();
}

async function loadCompare() {
  const symbols = [...state.compare];
  if (!symbols.length && state.selected) symbols.push(state.selected);
  for (const symbol of symbols) colorOf(symbol);
  const loaded = await Promise.all(symbols.map(loadSeries));
  if (!state.compareMode) return;
  state.compareSeries = new Map(symbols.map((symbol, index) => [symbol, loaded[index]]));
  draw();
}

// A symbol keeps the colour it was first given, whatever else is compared or the interval.
const PALETTE = ['#2563eb', '#d97706', '#059669', '#db2777', '#7c3aed', '#0891b2', '#65a30d', '#dc2626'];
function colorOf(symbol) {
  if (!state.colors.has(symbol)) state.colors.set(symbol, PALETTE[state.colors.size % PALETTE.length]);
  return state.colors.get(symbol);
}

// What the range buttons select: the range ending at the newest candle. The user's zoom or pan, if any.
function extent() {
  const step = INTERVALS[state.interval];
  const all = state.compareMode ? [...state.compareSeries.values()].flatMap((series) => series.candles) : state.candles;
  if (!all.length) return null;
  let first = Infinity, last = -Infinity;
  for (const candle of all) { first = Math.min(first, candle.start); last = Math.max(last, candle.start); }
  return { from: last + step - state.range, to: last + step, first };
}
function visible() { const range = extent(); return range && (state.view || { from: range.from, to: range.to }); }

function draw() {
  const canvas = $('#chart');
  const { context, width, height } = surface(canvas);
  const range = extent(), view = visible();
  state.layout = null;
  context.fillStyle = css('--muted');
  renderNote(range);
  if (!view) {
    renderLegend([]);
    context.fillText(state.selected ? 'No candles in this range yet.' : 'No data yet.', 12, 24); return;
  }
  const step = INTERVALS[state.interval];
  const twoAxes = state.compareMode && state.compareScale === 'price' && state.compareSeries.size > 1;
  const plot = { left: twoAxes ? 64 : 8, right: width - 64, top: 8, bottom: height - 22 };
  const x = (time) => plot.left + (time - view.from) / (view.to - view.from) * (plot.right - plot.left);
  const ticks = timeTicks(view.from, view.to, Math.max(2, Math.floor((plot.right - plot.left) / 90)));
  context.strokeStyle = css('--grid');
  context.lineWidth = 1;
  for (const tick of ticks) {
    const px = Math.round(x(tick.t)) + .5;
    context.beginPath(); context.moveTo(px, plot.top); context.lineTo(px, plot.bottom); context.stroke();
  }
  context.fillStyle = css('--muted');
  drawTimeLabels(context, ticks, x, plot.left, plot.right, height - 6);
  context.fillText(zoneLabel(), plot.right + 6, height - 6);
  state.layout = { plot, view, x, step, ticks, zone: ZONES[state.zone] };
  // Before the data starts, the range is shaded: the chart shows how much of it there is.
  if (range.first > view.from) {
    context.fillStyle = css('--grid');
    context.globalAlpha = 0.35;
    context.fillRect(plot.left, plot.top, Math.max(0, Math.min(x(range.first), plot.right) - plot.left), plot.bottom - plot.top);
    context.globalAlpha = 1;
  }
  if (state.compareMode) drawCompare(context, plot, view, x, step); else drawCandles(context, plot, view, x, step);
  drawCrosshair(context, plot);
  state.frames += 1;
}

// Says what the chart shows, and when the data is shorter than the range asked for.
function renderNote(range) {
  const names = { 3600000: '1 hour', 21600000: '6 hours', 86400000: '1 day', 432000000: '5 days', 2592000000: '30 days' };
  const rangeText = names[state.range] || Math.round(state.range / HOUR) + ' hours';
  const step = INTERVALS[state.interval];
  let note = state.interval + ' candles over ' + rangeText + (step >= DAY ? ' (UTC days)' : '');
  if (range && range.first > range.from + step) {
    note += ' · data since ' + dateTime(range.first) + ' ' + zoneLabel() + ' (' + count(Math.round((range.to - range.first) / step)) +
      ' of ' + count(Math.round(state.range / step)) + ' candles)';
  }
  if (state.view) note += ' · zoomed (double-click to reset)';
  $('#chart-note').textContent = note;
  $('#chart-title').textContent = state.compareMode
    ? 'Compare · ' + (state.compareScale === 'percent' ? '% change' : 'prices')
    : (state.selected || '—') + ' · ' + state.interval;
}

// The price range to draw: the candles' bodies and what their wicks add, up to once the bodies'
// spread again on either side. A lone bad tick far outside (a print at ten times the price) would
// otherwise flatten every other candle into a line; those wicks are cut at the edge and marked.
function fittedRange(shown) {
  let low = Infinity, high = -Infinity;
  for (const c of shown) { low = Math.min(low, c.low); high = Math.max(high, c.high); }
  const bodies = shown.flatMap((c) => [c.open, c.close]).sort((a, b) => a - b);
  const at = (fraction) => bodies[Math.round(fraction * (bodies.length - 1))];
  const inner = at(0.02), outer = at(0.98), spread = Math.max(outer - inner, Math.abs(outer) * 1e-4);
  return { low: Math.max(low, inner - spread), high: Math.min(high, outer + spread) };
}

function drawCandles(context, plot, view, x, step) {
  const shown = state.candles.filter((c) => c.start + step > view.from && c.start < view.to);
  if (!shown.length) { context.fillText('No candles in this part of the range.', plot.left + 4, plot.top + 16); return; }
  const volumeTop = plot.bottom - (plot.bottom - plot.top) * 0.2;
  const priceBottom = volumeTop - 6;
  const fitted = fittedRange(shown);
  const scale = state.log ? (value) => Math.log(Math.max(value, 1e-12)) : (value) => value;
  const pad = (scale(fitted.high) - scale(fitted.low)) * 0.06 || Math.abs(scale(fitted.high)) * 0.001 || 1;
  const top = scale(fitted.high) + pad, bottom = scale(fitted.low) - pad;
  const y = (value) => plot.top + (top - scale(value)) / (top - bottom) * (priceBottom - plot.top);
  const priceAt = (py) => { const v = top - (py - plot.top) / (priceBottom - plot.top) * (top - bottom); return state.log ? Math.exp(v) : v; };
  const low = priceAt(priceBottom), high = priceAt(plot.top);
  const last = state.candles[state.candles.length - 1];
  const tagY = last ? Math.min(Math.max(y(last.close), plot.top + 8), priceBottom - 8) : null;
  context.strokeStyle = css('--grid');
  context.fillStyle = css('--muted');
  for (const tick of (state.log ? logTicks : niceTicks)(low, high, Math.max(3, Math.floor((priceBottom - plot.top) / 50)))) {
    const py = Math.round(y(tick)) + .5;
    if (py < plot.top || py > priceBottom) continue;
    context.beginPath(); context.moveTo(plot.left, py); context.lineTo(plot.right, py); context.stroke();
    // The last price's tag sits on the axis; a label it would cover is left out.
    if (tagY == null || Math.abs(py - tagY) > 14) context.fillText(price(tick), plot.right + 6, py + 4);
  }
  const bar = Math.min(40, Math.max(1, (x(view.from + step) - x(view.from)) * 0.7));
  const up = css('--up'), down = css('--down');
  context.save();
  context.beginPath(); context.rect(plot.left, plot.top, plot.right - plot.left, plot.bottom - plot.top); context.clip();
  const maxVolume = Math.max(...shown.map((c) => c.volume)) || 1;
  context.fillStyle = css('--volume');
  for (const c of shown) {
    const h = c.volume / maxVolume * (plot.bottom - volumeTop);
    context.fillRect(x(c.start + step / 2) - bar / 2, plot.bottom - h, bar, h);
  }
  const outliers = [];
  for (const c of shown) {
    const color = c.close >= c.open ? up : down, center = Math.round(x(c.start + step / 2)) + .5;
    context.strokeStyle = color; context.fillStyle = color;
    const wickTop = Math.max(y(c.high), plot.top), wickBottom = Math.min(y(c.low), priceBottom);
    context.beginPath(); context.moveTo(center, wickTop); context.lineTo(center, wickBottom); context.stroke();
    const bodyTop = Math.max(plot.top, Math.min(priceBottom, y(Math.max(c.open, c.close))));
    const bodyBottom = Math.max(plot.top, Math.min(priceBottom, y(Math.min(c.open, c.close))));
    context.fillRect(center - bar / 2, bodyTop, bar, Math.max(1, bodyBottom - bodyTop));
    if (c.high > high) outliers.push({ center, edge: plot.top, value: c.high, up: true });
    if (c.low < low) outliers.push({ center, edge: priceBottom, value: c.low, up: false });
  }
  // A wick cut at the edge gets a caret and its price.
  context.fillStyle = css('--bad');
  for (const o of outliers) {
    context.beginPath();
    context.moveTo(o.center - 4, o.edge + (o.up ? 6 : -6)); context.lineTo(o.center + 4, o.edge + (o.up ? 6 : -6)); context.lineTo(o.center, o.edge);
    context.fill();
    context.fillText(price(o.value), Math.min(o.center + 6, plot.right - 60), o.edge + (o.up ? 10 : -4));
  }
  context.restore();
  if (last) {
    const py = Math.round(tagY) + .5;
    context.strokeStyle = css('--accent'); context.setLineDash([4, 3]);
    context.beginPath(); context.moveTo(plot.left, py); context.lineTo(plot.right, py); context.stroke();
    context.setLineDash([]);
    context.fillStyle = css('--accent');
    context.fillRect(plot.right + 2, py - 8, 62, 16);
    context.fillStyle = '#fff';
    context.fillText(price(last.close), plot.right + 6, py + 4);
  }
  Object.assign(state.layout, { y, priceAt, shown, low, high, outliers: outliers.length, priceBottom });
  renderLegend([]);
}

// Each compared series from the first time all of them have a price, which is their common 0 %.
function compareLines(view, step) {
  const lines = [];
  for (const [symbol, series] of state.compareSeries) {
    const candles = series.candles.filter((c) => c.start + step > view.from && c.start < view.to);
    if (candles.length) lines.push({ symbol, color: colorOf(symbol), candles });
  }
  if (!lines.length) return { lines, start: null };
  const start = Math.max(...lines.map((line) => line.candles[0].start));
  for (const line of lines) {
    const base = line.candles.filter((c) => c.start <= start).pop();
    line.base = base.close;
    line.points = line.candles.filter((c) => c.start >= start).map((c) => ({ t: c.start + step / 2, close: c.close,
      change: (c.close / line.base - 1) * 100 }));
  }
  return { lines, start };
}

function drawCompare(context, plot, view, x, step) {
  const { lines, start } = compareLines(view, step);
  state.layout.lines = lines; state.layout.shown = [];
  if (!lines.length) { renderLegend([]); context.fillText('Tick symbols to compare.', plot.left + 4, plot.top + 16); return; }
  // Normalised: one % axis. Prices: the first symbol on the right axis, the second on the left.
  const percentMode = state.compareScale === 'percent';
  const drawn = percentMode ? lines : lines.slice(0, 2);
  const axes = drawn.map((line, index) => {
    const values = line.points.map((p) => (percentMode ? p.change : p.close));
    let low = Math.min(...values), high = Math.max(...values);
    if (percentMode) { low = Math.min(0, low); high = Math.max(0, high); }
    const pad = (high - low) * 0.08 || Math.abs(high) * 0.001 || 0.1;
    return { line, low: low - pad, high: high + pad, side: index === 1 ? 'left' : 'right' };
  });
  if (percentMode) {
    const low = Math.min(...axes.map((a) => a.low)), high = Math.max(...axes.map((a) => a.high));
    for (const axis of axes) { axis.low = low; axis.high = high; }
  }
  const yOf = (axis) => (value) => plot.top + (axis.high - value) / (axis.high - axis.low) * (plot.bottom - plot.top);
  context.strokeStyle = css('--grid');
  for (const axis of percentMode ? axes.slice(0, 1) : axes) {
    const y = yOf(axis);
    context.fillStyle = percentMode ? css('--muted') : axis.line.color;
    for (const tick of niceTicks(axis.low, axis.high, Math.max(3, Math.floor((plot.bottom - plot.top) / 50)))) {
      const py = Math.round(y(tick)) + .5;
      if (axis.side === 'right') { context.beginPath(); context.moveTo(plot.left, py); context.lineTo(plot.right, py); context.stroke(); }
      const label = percentMode ? percent(tick) : price(tick);
      context.fillText(label, axis.side === 'right' ? plot.right + 6 : plot.left - 6 - context.measureText(label).width, py + 4);
    }
  }
  context.save();
  context.beginPath(); context.rect(plot.left, plot.top, plot.right - plot.left, plot.bottom - plot.top); context.clip();
  if (percentMode) {
    const zero = Math.round(yOf(axes[0])(0)) + .5;
    context.strokeStyle = css('--muted'); context.beginPath(); context.moveTo(x(start + step / 2), zero); context.lineTo(plot.right, zero); context.stroke();
  }
  context.lineWidth = 1.5;
  for (const axis of axes) {
    const y = yOf(axis);
    context.strokeStyle = axis.line.color;
    context.beginPath();
    axis.line.points.forEach((p, i) => {
      const value = percentMode ? p.change : p.close;
      i ? context.lineTo(x(p.t), y(value)) : context.moveTo(x(p.t), y(value));
    });
    context.stroke();
  }
  context.restore();
  context.lineWidth = 1;
  state.layout.compareStart = start;
  state.layout.axes = axes.map((a) => ({ symbol: a.line.symbol, side: a.side }));
  renderLegend(lines, null, lines.length - drawn.length);
}

// The compared symbols, outside the plot: colour, name, and the value at the crosshair or the newest.
function renderLegend(lines, at, hidden = 0) {
  const legend = $('#legend');
  legend.hidden = !state.compareMode;
  if (!state.compareMode) return;
  legend.replaceChildren(...lines.map((line) => {
    const point = at == null ? line.points[line.points.length - 1] : pointAt(line, at) || line.points[0];
    const item = document.createElement('span'), swatch = document.createElement('i'), value = document.createElement('b');
    item.className = 'item'; swatch.style.background = line.color;
    value.textContent = percent(point.change) + ' · ' + price(point.close);
    item.append(swatch, line.symbol + ' ', value);
    return item;
  }), ...(hidden ? [Object.assign(document.createElement('span'), { className: 'muted',
    textContent: hidden + ' more not drawn: prices compare two symbols; % compares any number' })] : []));
}

// A line's point for the candle under `time`; in a gap, the last before it.
function pointAt(line, time) {
  const half = INTERVALS[state.interval] / 2;
  return line.points.find((p) => Math.abs(p.t - time) <= half) || line.points.filter((p) => p.t <= time).pop();
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
  if (state.compareMode) {
    const lines = layout.lines || [];
    renderLegend(lines, time, lines.length - (state.compareScale === 'percent' ? lines.length : Math.min(2, lines.length)));
    tooltip.textContent = dateTime(time) + ' ' + zoneLabel() + lines.map((line) => {
      const point = pointAt(line, time);
      return point ? '  ' + line.symbol + ' ' + percent(point.change) + ' (' + price(point.close) + ')' : '';
    }).join('');
    tooltip.hidden = false;
    return;
  }
  const candle = (layout.shown || []).find((c) => time >= c.start && time < c.start + layout.step);
  if (candle) {
    tooltip.textContent = dateTime(candle.start) + ' ' + zoneLabel() + '  O ' + price(candle.open) + '  H ' + price(candle.high) +
      '  L ' + price(candle.low) + '  C ' + price(candle.close) + '  V ' + quantity(candle.volume) +
      (candle.vwap != null ? '  VWAP ' + price(candle.vwap) : '') + (candle.backfilled ? '  (backfilled)' : '');
  } else {
    tooltip.textContent = dateTime(time) + ' ' + zoneLabel() + (layout.priceAt && hover.y <= layout.priceBottom ? '  ' + price(layout.priceAt(hover.y)) : '');
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
      if (shift) state.view = { from: drag.view.from + shift, to: drag.view.to + shift };
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
    markRanges();
    loadCandles({ resetView: true }).catch(report);
  });
  for (const button of document.querySelectorAll('#ranges button')) button.addEventListener('click', () => {
    setRange(Number(button.dataset.range)); loadCandles({ resetView: true }).catch(report);
  });
  $('#log-scale').addEventListener('click', () => {
    state.log = !state.log; $('#log-scale').classList.toggle('on', state.log); $('#log-scale').setAttribute('aria-pressed', String(state.log)); draw();
  });
  $('#compare-toggle').addEventListener('click', () => {
    state.compareMode = !state.compareMode;
    $('#compare-toggle').classList.toggle('on', state.compareMode);
    $('#compare-scale').hidden = !state.compareMode;
    loadCandles({ resetView: true }).catch(report);
  });
  $('#compare-scale').addEventListener('change', (event) => { state.compareScale = event.target.value; draw(); });
  $('#symbols').addEventListener('click', (event) => {
    const li = event.target.closest('.symbol'); if (!li) return;
    if (event.target.matches('input[type=checkbox]')) {
      event.target.checked ? state.compare.add(li.dataset.symbol) : state.compare.delete(li.dataset.symbol);
      if (state.compareMode) loadCompare().catch(report);
    } else if (event.target.closest('.pick')) {
      if (state.compareMode) { state.compareMode = false; $('#compare-toggle').classList.remove('on'); $('#compare-scale').hidden = true; }
      select(li.dataset.symbol).catch(report);
    }
  });
  window.addEventListener('resize', () => { draw(); drawQuality(); drawPipeline(); });
  markRanges();
}

// Ranges that do not fit the interval are disabled and say why; when the range in use does not fit
// a newly chosen interval, the nearest that does is chosen, and lit.
function markRanges() {
  const buttons = [...document.querySelectorAll('#ranges button')];
  for (const b of buttons) {
    const fits = rangeFits(Number(b.dataset.range), state.interval);
    b.disabled = !fits;
    b.title = fits ? '' : b.textContent + ' of ' + state.interval + ' candles would be ' +
      (Number(b.dataset.range) / INTERVALS[state.interval] < 5 ? 'fewer than 5 candles' : 'more than 1,500 candles');
  }
  if (!rangeFits(state.range, state.interval)) {
    const fitting = buttons.map((b) => Number(b.dataset.range)).filter((range) => rangeFits(range, state.interval));
    const nearest = fitting.sort((a, b) => Math.abs(Math.log(a / state.range)) - Math.abs(Math.log(b / state.range)))[0];
    if (nearest) setRange(nearest);
  }
}
function setRange(range) {
  state.range = range;
  for (const b of document.querySelectorAll('#ranges button')) b.classList.toggle('on', Number(b.dataset.range) === range);
}

// ---- live updates ---------------------------------------------------------------------------------
// The newest bucket of an interval from its minutes, as the server rolls candles up.
function rollUp(minutes, start) {
  const list = [...minutes.values()].sort((a, b) => a.start - b.start);
  let volume = 0, notional = 0, priced = true, trades = 0;
  for (const m of list) {
    volume += m.volume; trades += m.trades || 0;
    if (m.vwap == null) priced = false; else notional += m.vwap * m.volume;
  }
  const candle = { symbol: list[0].symbol, interval: state.interval, start, open: list[0].open,
    high: Math.max(...list.map((m) => m.high)), low: Math.min(...list.map((m) => m.low)), close: list[list.length - 1].close,
    volume, vwap: priced && volume > 0 ? notional / volume : null, trades };
  if (list.some((m) => m.backfilled)) candle.backfilled = true;
  return candle;
}

// A symbol's newest minute, as the stream sends it, into a series of the chosen interval: at 1m it
// is a candle; above, it replaces its minute in the newest bucket, which is rolled up again.
function mergeMinute(series, minute) {
  const step = INTERVALS[state.interval], candles = series.candles;
  const last = candles[candles.length - 1];
  if (step === MINUTE) {
    if (last && last.start === minute.start) candles[candles.length - 1] = minute;
    else if (!last || minute.start > last.start) candles.push(minute);
    return;
  }
  const start = Math.floor(minute.start / step) * step;
  if (last && start < last.start) return;
  if (!last || start > last.start) series.minutes = new Map();
  series.minutes.set(minute.start, minute);
  const bucket = rollUp(series.minutes, start);
  if (last && last.start === start) candles[candles.length - 1] = bucket; else candles.push(bucket);
}

function onTick(event) {
  state.ticks += 1;
  renderSymbols(event.symbols);
  for (const candle of event.candles) {
    if (state.compareMode) {
      const series = state.compareSeries.get(candle.symbol);
      if (series) { mergeMinute(series, candle); state.compareMerged += 1; }
    } else if (candle.symbol === state.selected) {
      const series = { candles: state.candles, minutes: state.minutes };
      mergeMinute(series, candle);
      state.minutes = series.minutes;
      state.liveMerged += 1;
    }
  }
  // A connection's first event carries the newest trades, which replace what a page reconnecting has.
  state.tape = event.trades.slice().reverse().concat(event.first ? [] : state.tape).slice(0, 40);
  renderTape();
  renderStatus(event.status);
  draw();
}

function renderTape() {
  $('#tape-zone').textContent = '· times ' + zoneLabel();
  const body = $('#tape tbody');
  body.replaceChildren(...state.tape.map((trade) => {
    const row = document.createElement('tr');
    for (const text of [timeOfDay(trade.timestamp), trade.symbol, price(trade.price), quantity(trade.volume)]) {
      const cell = document.createElement('td'); cell.textContent = text; row.appendChild(cell);
    }
    row.title = dateTime(trade.timestamp, true) + ' ' + zoneLabel();
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
  $('#clock').textContent = (newest ? 'last trade ' + moment(newest) + (age ? ' (' + age + ')' : '') + ' · ' : '') +
    'updated ' + timeOfDay(status.at) + ' ' + zoneLabel();
  $('#clock').className = age ? 'stale' : 'muted';
  const lag = status.lag || {};
  const latency = status.latencyMs ? 'p50 ' + status.latencyMs.p50 + ' ms · p99 ' + status.latencyMs.p99 + ' ms' : status.latencyMeasuredHere ? 'latency: no trade stored in the last 10 s'
    : 'ingest-to-store latency: on the load processes\' /metrics (stockpipe_ingest_to_store_seconds)';
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
  context.fillText(timeOfDay(first), left, height - 2);
  const end = timeOfDay(last) + ' ' + zoneLabel(); context.fillText(end, right - context.measureText(end).width, height - 2);
  state.pipelineDrawn += 1;
}

// The quarantine as CSV, as `stockpipe quarantine list` lists it (the reason chosen, if any).
function quarantineCSV(reason) {
  return '/api/v1/quarantine?format=csv&limit=10000' + (reason ? '&reason=' + encodeURIComponent(reason) : '');
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
  $('#quarantine-csv').href = quarantineCSV(reason);
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
  const facts = [['quarantined', dateTime(record.quarantinedAt, true) + ' ' + zoneLabel() + (age ? ' (' + age + ')' : '')],
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
  context.fillText(timeOfDay(first, false) + ' ' + zoneLabel(), left, height - 2);
  const end = timeOfDay(last, false) + ' ' + zoneLabel();
  context.fillText(end, right - context.measureText(end).width, height - 2);
  state.qualityDrawn += 1;
}

function connect() {
  const source = new EventSource('/api/v1/stream');
  source.addEventListener('tick', (message) => { try { onTick(JSON.parse(message.data)); } catch (error) { report(error); } });
  source.addEventListener('error', () => { $('#health').textContent = 'reconnecting…'; $('#health').className = 'badge warn'; });
}

function report(error) { console.warn('stockpipe:', error && error.message ? error.message : error); }

function redrawAll() {
  draw(); drawQuality(); drawPipeline(); renderTape();
  if (state.status) renderStatus(state.status);
  renderSymbols([...state.symbols.values()]);
}

function setupTheme() {
  const saved = localStorage.getItem('stockpipe-theme');
  if (saved) document.documentElement.dataset.theme = saved;
  $('#theme').addEventListener('click', () => {
    const dark = document.documentElement.dataset.theme ? document.documentElement.dataset.theme === 'dark'
      : matchMedia('(prefers-color-scheme: dark)').matches;
    document.documentElement.dataset.theme = dark ? 'light' : 'dark';
    localStorage.setItem('stockpipe-theme', document.documentElement.dataset.theme);
    redrawAll();
  });
}

// The zone every time is shown in, kept for the next visit.
function setupZone() {
  const select = $('#zone');
  select.querySelector('option[value=local]').textContent = 'this browser (' + ZONES.local + ')';
  const saved = localStorage.getItem('stockpipe-zone');
  if (saved && ZONES[saved]) state.zone = saved;
  select.value = state.zone;
  select.addEventListener('change', () => {
    state.zone = select.value;
    localStorage.setItem('stockpipe-zone', state.zone);
    redrawAll();
  });
}

async function start() {
  setupTheme();
  setupZone();
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
  // Candles the live minutes cannot give (a late trade in an older minute, a backfill) come with a
  // reload each minute; the user's zoom stays.
  setInterval(() => loadCandles().catch(report), 60000);
  connect();
}
start().catch(report);
