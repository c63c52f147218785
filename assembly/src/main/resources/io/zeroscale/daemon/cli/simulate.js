// The page `zeroscale simulate --out DIR` writes: the replay's series (data.js) drawn with the
// dashboard's own charts (charts.js, uPlot), and its decisions. Opened from disk, no server.
'use strict';

(() => {
  const data = window.zeroscaleSimulation;
  const $ = (id) => document.getElementById(id);
  $('title').textContent = data.title;
  document.title = data.title;
  $('summary').textContent = data.points.length + ' changes of the target\'s status, ' + data.steps.length
    + ' journal entries; replicas are drawn as observed when they changed, signals as the engine saw them (a gap is unknown).';
  const width = Math.max(600, document.body.clientWidth - 60);
  window.zeroscaleDrawn = zeroscaleCharts.draw(data.points, $('replicas-chart'), $('signals-chart'), width);
  const cell = (text) => { const td = document.createElement('td'); td.textContent = String(text); return td; };
  $('decisions').tBodies[0].replaceChildren(...data.steps.map((step) => {
    const tr = document.createElement('tr');
    tr.append(cell(step.at), cell(step.state), cell(step.replicas), cell(step.ready), cell(step.routing), cell(step.kind), cell(step.reason));
    return tr;
  }));
})();
