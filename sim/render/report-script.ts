/**
 * The report's inline CSS and script. The script runs no model: it reads the digest's embedded
 * JSON (`#hasim-data`) and shows the state at the scrubber's instant (RaftScope's time slider,
 * ongardie/raftscope script.js, without the simulation behind it): breaker states from the last
 * transition at or before the instant, requests in flight in that bucket, faults active and
 * provider deployments cooling down then. It
 * moves one cursor (`line.cursor`) over every time-axis chart. Arrow keys step one bucket, with
 * Shift to the previous or next event (a fault or a breaker transition); Home and End jump to the
 * ends; a bookmark button or a click on a chart jumps there.
 */

export const REPORT_CSS = `
body { font-family: 'DejaVu Sans', sans-serif; margin: 0 auto; max-width: 1000px; padding: 0 16px 40px; color: #222; }
h1 { font-size: 22px; } h2 { font-size: 17px; margin-top: 28px; }
code { background: #F3F3F3; padding: 1px 4px; }
table { border-collapse: collapse; font-size: 13px; }
td, th { border: 1px solid #CCC; padding: 3px 8px; text-align: left; }
td.ok { color: #2E7D32; } td.fail { color: #C62828; font-weight: bold; }
.verdict-pass { color: #2E7D32; } .verdict-fail { color: #C62828; }
#scrub { position: sticky; top: 0; background: #FFF; border-bottom: 1px solid #CCC; padding: 8px 0; z-index: 2; }
#scrubber { width: 100%; }
#state { font-size: 12px; display: flex; gap: 24px; flex-wrap: wrap; min-height: 18px; }
#state span.OPEN { color: #D9534F; font-weight: bold; } #state span.HALF_OPEN { color: #E08E0B; font-weight: bold; }
#state span.CLOSED { color: #2E7D32; }
#bookmarks button { font-size: 11px; margin: 2px; }
.hint { font-size: 12px; color: #555; }
figure { margin: 16px 0; overflow-x: auto; } figcaption { font-size: 13px; color: #444; margin-bottom: 4px; }
svg.hasim-chart { background: #FFF; }
`;

export const REPORT_SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('hasim-data').textContent);
  var slider = document.getElementById('scrubber');
  var clock = document.getElementById('clock');
  var state = document.getElementById('state');
  var charts = Array.prototype.slice.call(document.querySelectorAll('svg[data-t1]'));
  var now = 0;
  function breakersAt(t) {
    var b = data.breakers, out = {}, cur = b.initial.slice();
    b.changes.forEach(function (c) { if (c[0] <= t) cur[c[1]] = c[2]; });
    b.names.forEach(function (name, i) { out[name] = cur[i]; });
    return out;
  }
  function faultsAt(t) {
    return data.bands.filter(function (b) { return b.startMs <= t && (b.endMs === null || t < b.endMs); });
  }
  function item(text, cls) {
    var s = document.createElement('span');
    s.textContent = text;
    if (cls) s.className = cls;
    return s;
  }
  function show(t) {
    now = Math.max(0, Math.min(data.endMs, t));
    slider.value = String(now);
    clock.textContent = (now / 1000).toFixed(3) + ' s';
    charts.forEach(function (svg) {
      var x0 = Number(svg.getAttribute('data-x0')), x1 = Number(svg.getAttribute('data-x1'));
      var x = x0 + (x1 - x0) * now / Number(svg.getAttribute('data-t1'));
      svg.querySelectorAll('line.cursor').forEach(function (l) {
        l.setAttribute('x1', x.toFixed(1)); l.setAttribute('x2', x.toFixed(1)); l.setAttribute('visibility', 'visible');
      });
    });
    var bucket = Math.min(data.inflight.length - 1, Math.floor(now / data.bucketMs));
    state.replaceChildren();
    state.appendChild(item('in flight: ' + (data.inflight[bucket] === undefined ? 0 : data.inflight[bucket])));
    var b = breakersAt(now);
    Object.keys(b).forEach(function (name) { state.appendChild(item('breaker ' + name + ': ' + b[name], b[name])); });
    // The breaker diagram marks the state the first breaker is in at the cursor.
    var first = Object.keys(b)[0];
    document.querySelectorAll('#diagram-breaker g.node').forEach(function (g) {
      var on = first !== undefined && g.classList.contains('state-' + b[first]);
      g.querySelector('rect').setAttribute('stroke-width', on ? '4' : '1');
    });
    var f = faultsAt(now);
    var cool = data.cooldowns.filter(function (c) { return c.startMs <= now && now < c.endMs; });
    if (cool.length > 0) state.appendChild(item('cooling down: ' + cool.map(function (c) { return c.model; }).join(', '), 'OPEN'));
    state.appendChild(item(f.length === 0 ? 'faults active: none' : 'faults active: ' + f.map(function (x) { return x.kind + ' ' + x.target; }).join(', ')));
  }
  function step(direction) {
    var next = direction > 0
      ? data.steps.find(function (s) { return s > now; })
      : data.steps.slice().reverse().find(function (s) { return s < now; });
    if (next !== undefined) show(next);
  }
  slider.addEventListener('input', function () { show(Number(slider.value)); });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
      var d = e.key === 'ArrowRight' ? 1 : -1;
      if (e.shiftKey) step(d); else show(now + d * data.bucketMs);
      e.preventDefault();
    } else if (e.key === 'Home') { show(0); e.preventDefault(); }
    else if (e.key === 'End') { show(data.endMs); e.preventDefault(); }
  });
  charts.forEach(function (svg) {
    svg.addEventListener('click', function (e) {
      var box = svg.getBoundingClientRect();
      var vb = svg.viewBox.baseVal;
      var x = (e.clientX - box.left) * vb.width / box.width;
      var x0 = Number(svg.getAttribute('data-x0')), x1 = Number(svg.getAttribute('data-x1'));
      if (x >= x0 && x <= x1) show((x - x0) / (x1 - x0) * Number(svg.getAttribute('data-t1')));
    });
  });
  document.querySelectorAll('#bookmarks button').forEach(function (button) {
    button.addEventListener('click', function () { show(Number(button.getAttribute('data-t'))); });
  });
  show(0);
})();
`;
