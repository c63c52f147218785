// The target charts (uPlot): replicas and requests, and signals, from a series of points as
// GET /targets/{name}/series returns them ({at, desired, observed, ready, held, inFlight, signals}).
// Shared by the dashboard and the pages `zeroscale simulate --out` writes, so both draw the same.
'use strict';

const zeroscaleCharts = (() => {
  const COLORS = ['#1a56c4', '#1f7a3a', '#a15c00', '#a11d1d', '#6b3fa0', '#00838f'];

  function data(points) {
    const xs = points.map((p) => Date.parse(p.at) / 1000);
    const names = [...new Set(points.flatMap((p) => Object.keys(p.signals)))];
    return {
      replicas: [xs, ...['desired', 'observed', 'ready', 'held', 'inFlight'].map((key) => points.map((p) => p[key]))],
      names,
      signals: [xs, ...names.map((key) => points.map((p) => (key in p.signals ? p.signals[key] : null)))],
    };
  }

  // Draws both charts into the two elements; returns what update() needs.
  function draw(points, replicasElement, signalsElement, width) {
    const d = data(points);
    const stepped = uPlot.paths.stepped({ align: 1 });
    const line = (label, i, dash) => ({ label, stroke: COLORS[i % COLORS.length], width: 2, paths: stepped, dash, spanGaps: false });
    const charts = [
      new uPlot({
        width, height: 220, scales: { x: { time: true } }, axes: [{}, { label: 'count' }],
        series: [{}, line('desired', 0), line('observed', 1, [6, 4]), line('ready', 2), line('held', 3, [2, 3]), line('in flight', 4, [2, 3])],
      }, d.replicas, replicasElement),
      new uPlot({
        width, height: 180, scales: { x: { time: true } },
        // A gap in a line is a signal that was unknown then: unknown is not zero.
        series: [{}, ...d.names.map((name, i) => line(name, i))],
      }, d.signals, signalsElement),
    ];
    return { charts, names: d.names.join(',') };
  }

  // New points into drawn charts; false when the signals changed and the charts must be drawn again.
  function update(drawn, points) {
    const d = data(points);
    if (d.names.join(',') !== drawn.names) return false;
    drawn.charts[0].setData(d.replicas);
    drawn.charts[1].setData(d.signals);
    return true;
  }

  return { draw, update };
})();
