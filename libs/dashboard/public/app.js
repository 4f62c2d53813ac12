// copyfleet dashboard: the little the server cannot do. Polling is htmx's (hx-trigger
// "every 2s" on .poll regions); this pauses it while the tab is hidden, refreshes on
// return, reports the outcome of actions, and draws the throughput chart with uPlot.
'use strict';
(function () {
  document.addEventListener('htmx:beforeRequest', function (e) {
    var elt = e.detail.elt;
    if (document.hidden && elt.classList && elt.classList.contains('poll')) e.preventDefault();
  });
  document.addEventListener('visibilitychange', function () {
    if (!document.hidden) document.querySelectorAll('.poll').forEach(function (el) { htmx.trigger(el, 'refresh'); });
  });

  function flash(text, isError) {
    var el = document.getElementById('flash');
    if (!el) return;
    el.textContent = text;
    el.className = isError ? 'error' : 'ok';
    el.hidden = false;
    clearTimeout(flash.timer);
    flash.timer = setTimeout(function () { el.hidden = true; }, 8000);
  }

  // Actions (hx-post, hx-swap="none"): say what happened, then reload the live region now.
  document.addEventListener('htmx:afterRequest', function (e) {
    var elt = e.detail.elt;
    if (!elt.classList || !elt.classList.contains('action')) return;
    var xhr = e.detail.xhr;
    var body = {};
    try { body = JSON.parse(xhr.responseText); } catch (_) { body = { error: xhr.statusText }; }
    if (xhr.status >= 200 && xhr.status < 300) flash(body.message || 'done', false);
    else flash((body.error || 'failed') + ' (HTTP ' + xhr.status + ')', true);
    var live = document.getElementById('live');
    var run = location.pathname.match(/^\/runs\/(\d+)/);
    if (live && run) htmx.ajax('GET', '/runs/' + run[1] + '/fragment', { target: '#live', swap: 'outerHTML' });
  });

  // Throughput chart: fetched on load and again whenever the live region is refreshed
  // (every 2 s while the run can change; once more after an action).
  var chartEl = document.getElementById('chart');
  if (!chartEl || typeof uPlot === 'undefined') return;
  var plot = null;
  var loading = false;
  function draw(d) {
    var data = [d.x, d.mbPerSecond, d.rowsPerSecond];
    if (d.x.length === 0) { chartEl.textContent = 'No chunk committed yet.'; return; }
    if (plot) { plot.setData(data); return; }
    chartEl.textContent = '';
    plot = new uPlot({
      width: Math.max(320, chartEl.clientWidth - 12), height: 220,
      series: [
        {},
        { label: 'MB/s', stroke: '#2563eb', fill: 'rgba(37,99,235,0.12)', width: 2, scale: 'mb', value: function (u, v) { return v == null ? '–' : v.toFixed(1) + ' MB/s'; } },
        { label: 'rows/s', stroke: '#16a34a', width: 1.5, scale: 'rows', value: function (u, v) { return v == null ? '–' : Math.round(v).toLocaleString() + ' rows/s'; } },
      ],
      axes: [{}, { scale: 'mb', label: 'MB/s' }, { scale: 'rows', side: 1, label: 'rows/s', grid: { show: false } }],
    }, data, chartEl);
  }
  function load() {
    if (loading) return;
    loading = true;
    fetch(chartEl.dataset.src, { headers: { Accept: 'application/json' }, credentials: 'same-origin' })
      .then(function (r) { return r.json(); }).then(draw).catch(function () {}).then(function () { loading = false; });
  }
  document.addEventListener('htmx:afterSettle', function (e) {
    var t = e.target;
    if (t && (t.id === 'live' || (t.closest && t.closest('#live')))) load();
  });
  load();
})();
