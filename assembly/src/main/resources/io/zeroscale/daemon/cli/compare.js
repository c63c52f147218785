// The page `zeroscale simulate --compare ... --out DIR` writes: the policies' costs side by side, then
// each policy's run (data.js) drawn with the dashboard's own charts (charts.js, uPlot) and its
// decisions. Opened from disk, no server.
'use strict';

(() => {
  const data = window.zeroscaleComparison;
  const $ = (id) => document.getElementById(id);
  const el = (tag, attributes, ...children) => {
    const node = document.createElement(tag);
    Object.entries(attributes || {}).forEach(([key, value]) => node.setAttribute(key, value));
    children.forEach((child) => node.append(child instanceof Node ? child : String(child)));
    return node;
  };
  $('title').textContent = data.title;
  document.title = data.title;
  const fixed = (value, digits) => Number(value).toFixed(digits);
  $('comparison').tBodies[0].replaceChildren(...data.policies.map((p) => el('tr', { 'data-policy': p.policy },
    el('td', {}, p.policy), el('td', {}, p.metrics.requests), el('td', {}, p.metrics.coldStarts),
    el('td', {}, fixed(p.metrics.addedWaitSeconds, 1)), el('td', {}, fixed(p.metrics.maxWaitSeconds, 1)),
    el('td', {}, fixed(p.metrics.idleReplicaSeconds, 0)), el('td', {}, p.metrics.failed))));
  const width = Math.max(600, document.body.clientWidth - 60);
  window.zeroscaleDrawn = data.policies.map((p) => {
    const replicas = el('div', { class: 'chart' });
    const signals = el('div', { class: 'chart' });
    const decisions = el('tbody', {}, ...p.steps.map((step) => el('tr', {},
      el('td', {}, step.at), el('td', {}, step.state), el('td', {}, step.replicas), el('td', {}, step.ready),
      el('td', {}, step.routing), el('td', {}, step.kind), el('td', {}, step.reason))));
    $('policies').append(el('section', { class: 'policy', 'data-policy': p.policy },
      el('h2', {}, p.policy), el('h3', {}, 'Replicas and requests'), replicas, el('h3', {}, 'Signals'), signals,
      el('details', {}, el('summary', {}, 'Decisions (' + p.steps.length + ')'),
        el('table', { class: 'decisions' }, el('thead', {}, el('tr', {}, ...['Time', 'State', 'Replicas', 'Ready', 'Routing', 'Kind', 'Reason']
          .map((h) => el('th', {}, h)))), decisions))));
    return zeroscaleCharts.draw(p.points, replicas, signals, width);
  });
})();
