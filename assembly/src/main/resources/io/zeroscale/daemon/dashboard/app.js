// The Zeroscale dashboard: the targets table and one target's details, kept live by the daemon's
// Server-Sent Events (GET /events). Plain DOM, no framework; every text from the daemon goes in
// through textContent, never as HTML. Served by the daemon with a strict Content-Security-Policy,
// so nothing here is inline and nothing is loaded from anywhere else.
'use strict';

const PAGE_SIZE = 100;
const JOURNAL_SHOWN = 200;

const state = {
  targets: new Map(), // name -> the target as GET /targets/{name} shows it
  names: [],          // in the daemon's order
  page: 0,
  filter: '',
  selected: null,
  csrf: null,         // the session's CSRF token, when signed in with a cookie
  events: null,
  series: null,       // the selected target's points, as GET /targets/{name}/series
  charts: [],         // its uPlot charts
};

const $ = (id) => document.getElementById(id);

function el(tag, attributes, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) {
    if (key === 'class') node.className = value;
    else if (key.startsWith('data-')) node.setAttribute(key, value);
    else node[key] = value;
  }
  for (const child of children) {
    if (child !== null && child !== undefined) node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && state.csrf) headers['X-CSRF-Token'] = state.csrf;
  const response = await fetch(path, {
    method, headers, credentials: 'same-origin', cache: 'no-store',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json = null;
  try { json = text ? JSON.parse(text) : null; } catch (e) { json = null; }
  if (!response.ok) {
    const error = new Error(json && json.message ? json.message : response.status + ' ' + response.statusText);
    error.status = response.status;
    throw error;
  }
  return json;
}

// ---- sign-in (only when the daemon has an API token) ---------------------------------------------

async function start() {
  try {
    const session = await api('GET', '/session');
    state.csrf = session && session.csrf ? session.csrf : null;
  } catch (e) {
    if (e.status === 401) { showLogin(); return; }
    // No session route answered: a daemon without a token needs none.
  }
  showMain();
}

function showLogin() {
  $('login').hidden = false;
  $('main').hidden = true;
  $('connection').dataset.state = 'signed-out';
  $('connection').textContent = 'signed out';
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('login-error').textContent = '';
  try {
    const response = await fetch('/session', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer ' + $('login-token').value },
      body: '{}',
    });
    const json = await response.json();
    if (!response.ok) throw new Error(json.message || response.statusText);
    state.csrf = json.csrf;
    $('login-token').value = '';
    $('login').hidden = true;
    showMain();
  } catch (e) {
    $('login-error').textContent = e.message;
  }
});

function showMain() {
  $('main').hidden = false;
  api('GET', '/version').then((v) => { $('version').textContent = 'v' + v.version; }).catch(() => {});
  connect();
}

// ---- live updates ---------------------------------------------------------------------------------

function connect() {
  const events = new EventSource('/events');
  state.events = events;
  events.addEventListener('open', () => setConnection('live'));
  events.addEventListener('error', () => setConnection(events.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'));
  events.addEventListener('snapshot', (event) => {
    // Sent first on every (re)connection: the whole truth, so nothing missed while away is kept.
    const targets = JSON.parse(event.data);
    state.targets = new Map(targets.map((target) => [target.name, target]));
    state.names = targets.map((target) => target.name);
    renderTable();
    renderDetail();
  });
  events.addEventListener('status', (event) => {
    const target = JSON.parse(event.data);
    const known = state.targets.has(target.name);
    state.targets.set(target.name, target);
    if (!known) {
      state.names.push(target.name);
      renderTable();
    } else {
      updateRow(target);
    }
    if (state.selected === target.name) {
      renderFacts(target);
      addPoint(target);
      highlightState(target.state);
    }
  });
  events.addEventListener('journal', (event) => {
    const entry = JSON.parse(event.data);
    if (state.selected === entry.target) prependJournal(entry);
  });
}

function setConnection(value) {
  $('connection').dataset.state = value;
  $('connection').textContent = value;
}

// ---- the targets table (paged: only the rows of one page exist) ----------------------------------

function visibleNames() {
  const filter = state.filter.trim().toLowerCase();
  if (!filter) return state.names;
  return state.names.filter((name) => {
    const target = state.targets.get(name);
    return name.toLowerCase().includes(filter) || (target && target.state.toLowerCase() === filter);
  });
}

function renderTable() {
  const names = visibleNames();
  const pages = Math.max(1, Math.ceil(names.length / PAGE_SIZE));
  state.page = Math.min(state.page, pages - 1);
  const body = $('targets').tBodies[0];
  const rows = names.slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE).map((name) => row(state.targets.get(name)));
  body.replaceChildren(...rows);
  $('page').textContent = 'page ' + (state.page + 1) + ' of ' + pages;
  $('prev').disabled = state.page === 0;
  $('next').disabled = state.page >= pages - 1;
  $('counts').textContent = names.length + ' of ' + state.names.length + ' targets';
}

function row(target) {
  const tr = el('tr', { 'data-target': target.name });
  fillRow(tr, target);
  return tr;
}

function updateRow(target) {
  const tr = $('targets').tBodies[0].querySelector('tr[data-target="' + CSS.escape(target.name) + '"]');
  if (tr) fillRow(tr, target);
}

function fillRow(tr, target) {
  const r = target.replicas;
  const name = el('button', { class: 'link', type: 'button', title: 'details' }, target.name);
  name.addEventListener('click', () => select(target.name));
  tr.classList.toggle('selected', state.selected === target.name);
  tr.replaceChildren(
    el('td', { class: 'name' }, name),
    el('td', {}, el('span', { class: 'state', 'data-state': target.state }, target.state)),
    el('td', { class: 'replicas' }, r.desired + ' / ' + r.observed + ' / ' + r.ready),
    el('td', { class: 'requests' }, target.requests.held + ' held, ' + target.requests.inFlight + ' in flight'),
    el('td', { class: 'signals' }, ...signals(target)),
    el('td', { class: 'control' }, control(target)),
    el('td', { class: 'reason' }, target.lastReason),
  );
}

function signals(target) {
  const out = [];
  for (const [name, signal] of Object.entries(target.signals)) {
    if (out.length) out.push(', ');
    out.push(signal.known
      ? el('span', { title: 'at ' + signal.at }, name + '=' + format(signal.value))
      : el('span', { class: 'unknown', title: signal.reason || '' }, name + '=unknown'));
  }
  return out.length ? out : ['none'];
}

function format(value) {
  if (value === null) return '?';
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

function control(target) {
  const parts = [];
  if (target.automationPaused) parts.push('paused');
  if (target.override) parts.push('override ' + target.override.replicas + (target.override.until ? ' until ' + target.override.until : ''));
  return el('span', { class: parts.length ? 'paused' : '' }, parts.length ? parts.join(', ') : 'automatic');
}

$('filter').addEventListener('input', (event) => { state.filter = event.target.value; state.page = 0; renderTable(); });
$('prev').addEventListener('click', () => { state.page = Math.max(0, state.page - 1); renderTable(); });
$('next').addEventListener('click', () => { state.page += 1; renderTable(); });

// ---- one target ---------------------------------------------------------------------------------

async function select(name) {
  state.selected = name;
  state.series = null;
  state.charts.forEach((chart) => chart.destroy());
  state.charts = [];
  renderTable();
  renderDetail();
  loadSeries(name);
  loadDiagram(name);
  try {
    const entries = await api('GET', '/journal?target=' + encodeURIComponent(name) + '&limit=' + JOURNAL_SHOWN);
    if (state.selected !== name) return;
    $('journal').replaceChildren(...entries.reverse().map(journalItem));
  } catch (e) {
    $('journal').replaceChildren(el('li', { class: 'error' }, e.message));
  }
}

function renderDetail() {
  const target = state.selected && state.targets.get(state.selected);
  $('detail').hidden = !target;
  if (target) renderFacts(target);
}

function renderFacts(target) {
  $('detail-name').textContent = target.name;
  $('detail-state').textContent = target.state;
  $('detail-state').dataset.state = target.state;
  const w = target.workload;
  const facts = [
    ['workload', w.orchestrator + ' ' + w.kind + ' ' + (w.namespace ? w.namespace + '/' : '') + w.name],
    ['replicas', 'desired ' + target.replicas.desired + ', observed ' + target.replicas.observed + ', ready ' + target.replicas.ready],
    ['requests', target.requests.held + ' held, ' + target.requests.inFlight + ' in flight, ' + target.requests.arrivals + ' arrived'],
    ['routing', target.routing],
    ['control', control(target).textContent],
    ['last decision', target.lastReason],
  ];
  if (target.wakes) facts.push(['wakes', wakeText(target.wakes)]);
  if (target.startFailures) facts.push(['start failures', target.startFailures.failuresInARow + ' in a row: ' + target.startFailures.lastReason]);
  $('detail-facts').replaceChildren(...facts.flatMap(([key, value]) => [el('dt', {}, key), el('dd', { 'data-fact': key }, value)]));
  $('override-replicas').max = String(Math.max(target.replicas.desired, 1000));
}

function seconds(value) {
  return value === null ? '?' : (value < 10 ? value.toFixed(2) : value.toFixed(1)) + ' s';
}

function wakeText(w) {
  const parts = [];
  if (w.completed > 0) parts.push('last ' + seconds(w.lastSeconds) + ', median ' + seconds(w.medianSeconds) + ', p99 ' + seconds(w.p99Seconds));
  parts.push(w.completed + ' completed, ' + w.failed + ' failed');
  if (w.wakingSince) parts.push('waking since ' + w.wakingSince);
  return parts.join('; ');
}

function journalItem(entry) {
  return el('li', { 'data-kind': entry.kind }, entry.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z') + '  ' + entry.state + '  ' + entry.message);
}

function prependJournal(entry) {
  const list = $('journal');
  list.prepend(journalItem(entry));
  while (list.children.length > JOURNAL_SHOWN) list.lastChild.remove();
}

// ---- the automaton's state diagram (SVG from GET /targets/{name}/automaton, laid out by dagre) ----

const SVG = 'http://www.w3.org/2000/svg';
const NODE = { w: 118, h: 34 };

function svg(tag, attributes, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, String(value));
  for (const child of children) node.append(child instanceof Node ? child : String(child));
  return node;
}

async function loadDiagram(name) {
  $('automaton').replaceChildren();
  $('automaton-transitions').replaceChildren();
  $('automaton-type').textContent = '';
  try {
    const diagram = await api('GET', '/targets/' + encodeURIComponent(name) + '/automaton');
    if (state.selected !== name) return;
    drawDiagram(diagram);
    const target = state.targets.get(name);
    highlightState(target ? target.state : diagram.state);
  } catch (e) {
    $('automaton').replaceChildren(el('p', { class: 'error' }, e.message));
  }
}

// Laid out by dagre (dagre.js, from its WebJar): states ranked left to right from the initial one,
// each transition an edge routed between them (a self-loop included), drawn as a curve through the
// points dagre computed. Each edge carries its number at the label position dagre reserved for it;
// the guards are listed under the diagram, where long text reads well.
const LABEL = 18;

function drawDiagram(diagram) {
  const graph = new dagre.graphlib.Graph({ multigraph: true });
  graph.setGraph({ rankdir: 'LR', nodesep: 28, edgesep: 16, ranksep: 70, marginx: 12, marginy: 12 });
  for (const s of diagram.states) graph.setNode(s.name, { width: NODE.w, height: NODE.h });
  diagram.transitions.forEach((t, i) => graph.setEdge(t.from, t.to, { width: LABEL, height: LABEL, labelpos: 'c' }, String(i)));
  dagre.layout(graph);
  const { width, height } = graph.graph();
  const root = svg('svg', { viewBox: '0 0 ' + width + ' ' + height, width, height, role: 'img', 'aria-label': 'state diagram' });
  root.append(svg('defs', {}, svg('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
    svg('path', { d: 'M0,0 L10,5 L0,10 z' }))));
  diagram.transitions.forEach((t, i) => {
    const laid = graph.edge({ v: t.from, w: t.to, name: String(i) });
    root.append(svg('g', { class: 'edge', 'data-from': t.from, 'data-to': t.to },
      svg('title', {}, t.from + ' \u2192 ' + t.to + ': ' + t.guard),
      svg('path', { d: curveThrough(laid.points), 'marker-end': 'url(#arrow)' }),
      svg('circle', { cx: laid.x, cy: laid.y, r: LABEL / 2 - 1 }),
      svg('text', { x: laid.x, y: laid.y }, String(i + 1))));
  });
  for (const s of diagram.states) {
    const p = graph.node(s.name);
    root.append(svg('g', { class: 'node', 'data-state': s.name },
      svg('title', {}, s.name + (s.description ? ': ' + s.description : '')),
      svg('rect', { x: p.x - p.width / 2, y: p.y - p.height / 2, width: p.width, height: p.height, rx: 8 }),
      svg('text', { x: p.x, y: p.y }, s.name)));
  }
  $('automaton').replaceChildren(root);
  $('automaton-type').textContent = diagram.type ? '(' + diagram.type + ')' : '';
  $('automaton-transitions').replaceChildren(...diagram.transitions.map((t) =>
    el('li', { 'data-from': t.from }, t.from + ' \u2192 ' + t.to + ': ' + t.guard)));
}

// A smooth path through dagre's points: straight to the first midpoint, then a quadratic curve per
// inner point (bent at it, through the midpoints), straight into the last point where the arrow is.
function curveThrough(points) {
  const mid = (a, b) => ({ x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 });
  let d = 'M' + points[0].x + ',' + points[0].y;
  if (points.length === 2) return d + ' L' + points[1].x + ',' + points[1].y;
  for (let i = 1; i < points.length - 1; i++) {
    const end = i === points.length - 2 ? points[i + 1] : mid(points[i], points[i + 1]);
    d += ' Q' + points[i].x + ',' + points[i].y + ' ' + end.x + ',' + end.y;
  }
  return d;
}

function highlightState(current) {
  for (const node of $('automaton').querySelectorAll('.node')) node.classList.toggle('current', node.dataset.state === current);
  for (const edge of $('automaton').querySelectorAll('.edge')) edge.classList.toggle('from-current', edge.dataset.from === current);
  for (const item of $('automaton-transitions').children) item.classList.toggle('from-current', item.dataset.from === current);
}

// ---- charts (charts.js on uPlot, served by the daemon from its WebJar) ----------------------------

async function loadSeries(name) {
  try {
    const series = await api('GET', '/targets/' + encodeURIComponent(name) + '/series');
    if (state.selected !== name) return;
    state.series = series;
    drawCharts();
  } catch (e) {
    $('replicas-chart').replaceChildren(el('p', { class: 'error' }, e.message));
  }
}

function pointOf(target) {
  const signals = {};
  for (const [key, signal] of Object.entries(target.signals)) signals[key] = signal.known ? signal.value : null;
  return {
    at: target.updatedAt, desired: target.replicas.desired, observed: target.replicas.observed, ready: target.replicas.ready,
    held: target.requests.held, inFlight: target.requests.inFlight, signals,
  };
}

function addPoint(target) {
  if (!state.series || state.series.target !== target.name) return;
  const points = state.series.points;
  points.push(pointOf(target));
  if (points.length > state.series.maxPoints) points.shift();
  updateCharts();
}

function drawCharts() {
  state.charts.forEach((chart) => chart.destroy());
  state.charts = [];
  state.drawn = null;
  if (typeof uPlot === 'undefined' || !state.series) return;
  state.drawn = zeroscaleCharts.draw(state.series.points, $('replicas-chart'), $('signals-chart'), Math.max(400, $('detail').clientWidth - 40));
  state.charts = state.drawn.charts;
}

function updateCharts() {
  if (!state.drawn || !zeroscaleCharts.update(state.drawn, state.series.points)) drawCharts();
}

// Manual actions change what the daemon does: each asks first.
async function act(question, method, path, body) {
  if (!window.confirm(question)) {
    $('action-result').textContent = 'cancelled';
    return;
  }
  try {
    await api(method, path, body);
    $('action-result').textContent = 'done';
  } catch (e) {
    $('action-result').textContent = e.message;
  }
}

const targetPath = (suffix) => '/targets/' + encodeURIComponent(state.selected) + suffix;

$('pause').addEventListener('click', () => act('Pause automation of ' + state.selected + '? Its replicas stay as they are until resumed.',
  'POST', targetPath('/automation'), { action: 'pause' }));
$('resume').addEventListener('click', () => act('Resume automation of ' + state.selected + '?',
  'POST', targetPath('/automation'), { action: 'resume' }));
$('clear-override').addEventListener('click', () => act('Clear the override of ' + state.selected + '?',
  'DELETE', targetPath('/override')));
$('override-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const replicas = Number($('override-replicas').value);
  const expiry = $('override-expiry').value.trim();
  const body = expiry ? { replicas, expiry } : { replicas };
  act('Override ' + state.selected + ' to ' + replicas + ' replica(s)' + (expiry ? ' for ' + expiry : '') + '?',
    'PUT', targetPath('/override'), body);
});

start();
