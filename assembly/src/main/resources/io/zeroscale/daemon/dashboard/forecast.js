// The forecast panel of a target's details: its seasonal forecast for the next 24 hours (one bar
// per slot, its height the probability of a request, dark when the slot is in a window the target
// is woken for) and the pre-wake its policy planned, from GET /targets/{name}/forecast. Kept apart
// from app.js: it only watches which target the details show and reads that one route.
'use strict';

(() => {
  const REFRESH_MS = 60000;
  const $ = (id) => document.getElementById(id);
  let shown = null;
  let timer = null;

  function text(tag, value, className) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    node.textContent = value;
    return node;
  }

  function time(iso) {
    return iso ? new Date(iso).toISOString().replace('T', ' ').replace(/:00\.000Z$/, ' UTC').replace(/\.000Z$/, ' UTC') : '';
  }

  async function load(name) {
    const response = await fetch('/targets/' + encodeURIComponent(name) + '/forecast',
      { headers: { Accept: 'application/json' }, credentials: 'same-origin', cache: 'no-store' });
    if (!response.ok) throw new Error(response.status + ' ' + response.statusText);
    return response.json();
  }

  function render(forecast) {
    const prewake = $('forecast-prewake');
    const bars = $('forecast-bars');
    const windows = $('forecast-windows');
    prewake.replaceChildren();
    bars.replaceChildren();
    windows.replaceChildren();
    const planned = forecast.prewake;
    prewake.append(planned
      ? text('span', 'Pre-wake planned at ' + time(planned.at) + ' (' + planned.source + '): ' + planned.reason
        + '; kept up until ' + time(planned.keptUntil) + ' if no request comes.')
      : text('span', 'No pre-wake planned now (the target is up, or nothing is expected).'));
    const seasonal = forecast.seasonal;
    if (!seasonal) {
      windows.append(text('li', 'This target\'s policy makes no seasonal forecast (use automaton: adaptive).'));
      return;
    }
    $('forecast-basis').textContent = seasonal.basis;
    for (const slot of seasonal.slots) {
      const bar = text('span', '', slot.likely ? 'forecast-bar likely' : 'forecast-bar');
      bar.style.height = Math.max(2, Math.round(slot.probability * 60)) + 'px';
      bar.title = time(slot.start) + ': probability ' + slot.probability.toFixed(2) + ', ' + slot.daysSeen + ' of '
        + slot.daysObserved + ' days' + (slot.weekdaysObserved ? ', ' + slot.weekdaysSeen + ' of ' + slot.weekdaysObserved
        + ' same weekdays' : '') + ', ' + slot.expectedRequests.toFixed(1) + ' requests expected';
      bars.append(bar);
    }
    if (seasonal.windows.length === 0) {
      windows.append(text('li', seasonal.available
        ? 'No slot reaches probability ' + seasonal.minProbability + ' in the next 24 hours.' : 'No forecast: ' + seasonal.basis));
    }
    for (const expected of seasonal.windows) {
      windows.append(text('li', time(expected.start) + ' – ' + time(expected.end) + ': ' + expected.evidence));
    }
  }

  async function refresh() {
    const name = $('detail-name').textContent;
    if (!name || $('detail').hidden) return;
    try {
      render(await load(name));
      $('forecast-error').textContent = '';
    } catch (e) {
      $('forecast-error').textContent = 'forecast unavailable: ' + e.message;
    }
  }

  function watch() {
    const name = $('detail-name').textContent;
    if (name === shown) return;
    shown = name;
    $('forecast-basis').textContent = '';
    refresh();
  }

  document.addEventListener('DOMContentLoaded', () => {
    new MutationObserver(watch).observe($('detail-name'), { childList: true, characterData: true, subtree: true });
    timer = setInterval(refresh, REFRESH_MS);
    window.addEventListener('pagehide', () => clearInterval(timer));
  });
})();
