// The EventMesh dashboard: reads the runtime's admin API (/v1/*, /metrics) every few seconds
// and renders it; actions POST to the same API. Plain browser JavaScript, no dependencies.
// Every value from the runtime is put into the page as text (never as HTML).
'use strict';

const TOKEN_KEY = 'eventmesh.admin.token';
const REFRESH_MS = 2000;
const HISTORY = 60; // chart samples kept (two minutes at the default interval)

const state = {
  last: null,     // previous metrics sample {t, publish, pushes, acks, dead, latencySum, latencyCount}
  history: [],    // [{publish, deliver, latencyMs}]
  busy: false,
};

// ----- HTTP -----------------------------------------------------------------------------------

function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }

async function api(method, path, body) {
  const headers = {};
  if (token()) headers['Authorization'] = 'Bearer ' + token();
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  const text = await response.text();
  if (!response.ok) {
    let message = text;
    try { message = JSON.parse(text).error || text; } catch (e) { /* plain text */ }
    const err = new Error(`${method} ${path}: HTTP ${response.status}: ${message}`);
    err.status = response.status;
    throw err;
  }
  const type = response.headers.get('Content-Type') || '';
  return type.startsWith('application/json') && text ? JSON.parse(text) : text;
}

function enc(s) { return encodeURIComponent(s); }

// ----- DOM helpers ----------------------------------------------------------------------------

// el('td', {class: 'num'}, 'text', childNode, ...)
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'onclick') node.addEventListener('click', v);
    else node.setAttribute(k, v);
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

function fill(tbody, rows) { tbody.replaceChildren(...rows); }

function setStatus(message, kind) {
  const status = document.getElementById('status');
  status.textContent = message;
  status.className = 'status ' + (kind || '');
}

function keyValueRows(pairs) {
  return pairs.map(([k, v]) => el('tr', {}, el('th', {}, k), el('td', {class: 'num'}, v)));
}

// ----- Prometheus text ------------------------------------------------------------------------

// Sums the samples of `name` whose labels include every `want` label.
function metricSum(samples, name, want) {
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (want && !Object.entries(want).every(([k, v]) => s.labels[k] === v)) continue;
    sum += s.value;
  }
  return sum;
}

function parseMetrics(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[3]) {
      for (const l of m[3].matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) {
        labels[l[1]] = l[2].replace(/\\"/g, '"').replace(/\\n/g, '\n').replace(/\\\\/g, '\\');
      }
    }
    samples.push({name: m[1], labels, value: Number(m[4])});
  }
  return samples;
}

// ----- Sections -------------------------------------------------------------------------------

async function renderOverview() {
  const [info, text] = await Promise.all([api('GET', '/v1/info'), api('GET', '/metrics')]);
  document.getElementById('runtime-id').textContent = info.runtimeId;
  fill(document.querySelector('#info tbody'), keyValueRows([
    ['version', info.version], ['runtime id', info.runtimeId], ['connector', info.connector],
    ['cluster', info.cluster], ['idc', info.idc], ['protocols', (info.protocols || []).join(', ')],
  ]));
  const samples = parseMetrics(text);
  const sessions = samples.filter((s) => s.name === 'eventmesh_sessions');
  fill(document.querySelector('#sessions tbody'),
       keyValueRows(sessions.map((s) => [s.labels.protocol, s.value])));
  const now = {
    t: Date.now(),
    publish: metricSum(samples, 'eventmesh_publish_total', {result: 'ok'}),
    pushes: metricSum(samples, 'eventmesh_delivery_pushes_total'),
    acks: metricSum(samples, 'eventmesh_delivery_acks_total'),
    dead: metricSum(samples, 'eventmesh_delivery_dead_letters_total'),
    latencySum: metricSum(samples, 'eventmesh_publish_durable_latency_seconds_sum'),
    latencyCount: metricSum(samples, 'eventmesh_publish_durable_latency_seconds_count'),
    unacked: metricSum(samples, 'eventmesh_delivery_unacked'),
    commitSum: metricSum(samples, 'eventmesh_store_commit_write_seconds_sum'),
    commitCount: metricSum(samples, 'eventmesh_store_commit_write_seconds_count'),
  };
  const prev = state.last;
  state.last = now;
  let rates = null;
  if (prev) {
    const dt = Math.max(0.001, (now.t - prev.t) / 1000);
    const dCount = now.latencyCount - prev.latencyCount;
    const dCommits = now.commitCount - prev.commitCount;
    rates = {
      commitMs: dCommits > 0 ? (now.commitSum - prev.commitSum) / dCommits * 1000 : null,
      publish: (now.publish - prev.publish) / dt,
      deliver: (now.pushes - prev.pushes) / dt,
      acks: (now.acks - prev.acks) / dt,
      dead: (now.dead - prev.dead) / dt,
      latencyMs: dCount > 0 ? (now.latencySum - prev.latencySum) / dCount * 1000 : 0,
    };
    state.history.push(rates);
    if (state.history.length > HISTORY) state.history.shift();
  }
  const f = (v) => (rates ? v.toFixed(1) : '…');
  fill(document.querySelector('#rates tbody'), keyValueRows([
    ['publishes (durable)', f(rates ? rates.publish : 0)],
    ['deliveries', f(rates ? rates.deliver : 0)],
    ['acks', f(rates ? rates.acks : 0)],
    ['dead letters', f(rates ? rates.dead : 0)],
    ['publish latency ms', f(rates ? rates.latencyMs : 0)],
    ['unacked now', now.unacked],
    ['published since start', now.publish],
  ]));
  renderStore(samples, rates);
  drawChart();
}

// The embedded store's health from its metrics: whether RocksDB holds the writes back now (a
// stop or a slow-down while flushes or compactions catch up), how often and how long it did,
// the commit writes' mean duration over the last interval, the tail cache. A runtime whose
// connector is not the embedded store exports none of these.
function renderStore(samples, rates) {
  const tbody = document.querySelector('#store tbody');
  if (!samples.some((s) => s.name === 'eventmesh_store_writes_stopped')) {
    fill(tbody, [el('tr', {}, el('td', {class: 'muted'}, 'no embedded store in this runtime'))]);
    return;
  }
  const stopped = metricSum(samples, 'eventmesh_store_writes_stopped') > 0;
  const slowRate = metricSum(samples, 'eventmesh_store_write_slowdown_bytes_per_second');
  const held = stopped || slowRate > 0;
  const writes = stopped ? 'stopped (waiting for a flush or compaction)'
      : slowRate > 0 ? `slowed to ${(slowRate / 1048576).toFixed(1)} MiB/s` : 'flowing';
  const tailCache = metricSum(samples, 'eventmesh_store_tail_cache_bytes');
  const row = (k, v, attrs) => el('tr', attrs || {}, el('th', {}, k), el('td', {class: 'num'}, v));
  fill(tbody, [
    row('writes', writes, {'data-writes': stopped ? 'stopped' : slowRate > 0 ? 'slowed' : 'flowing',
                           ...(held ? {class: 'lag-high'} : {})}),
    row('write stops since start', metricSum(samples, 'eventmesh_store_write_stops_total')),
    row('seconds writes waited',
        metricSum(samples, 'eventmesh_store_write_stall_seconds_total').toFixed(3)),
    // No commit write in the interval: nothing to average.
    row('commit write ms (mean)',
        rates ? (rates.commitMs !== null ? rates.commitMs.toFixed(3) : '–') : '…'),
    row('tail cache', formatBytes(tailCache), {'data-tail-cache': tailCache}),
  ]);
}

function formatBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1048576) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1073741824) return `${(n / 1048576).toFixed(1)} MiB`;
  return `${(n / 1073741824).toFixed(2)} GiB`;
}

function drawChart() {
  const svg = document.getElementById('chart');
  const h = state.history;
  const W = 600, H = 120;
  const line = (values, max, cls, color) => {
    if (values.length < 2) return null;
    const step = W / (HISTORY - 1);
    const x0 = W - (values.length - 1) * step;
    const points = values.map((v, i) =>
      `${(x0 + i * step).toFixed(1)},${(H - 4 - (max > 0 ? v / max : 0) * (H - 8)).toFixed(1)}`);
    const p = document.createElementNS('http://www.w3.org/2000/svg', 'polyline');
    p.setAttribute('points', points.join(' '));
    p.setAttribute('fill', 'none');
    p.setAttribute('stroke', color);
    p.setAttribute('stroke-width', '2');
    p.setAttribute('class', cls);
    return p;
  };
  const rateMax = Math.max(1, ...h.map((r) => Math.max(r.publish, r.deliver)));
  const latMax = Math.max(1, ...h.map((r) => r.latencyMs));
  svg.replaceChildren(...[
    line(h.map((r) => r.publish), rateMax, 'publish', '#2457c5'),
    line(h.map((r) => r.deliver), rateMax, 'deliver', '#067647'),
    line(h.map((r) => r.latencyMs), latMax, 'latency', '#b54708'),
  ].filter(Boolean));
}

async function renderTopics() {
  const topics = await api('GET', '/v1/topics');
  fill(document.querySelector('#topics-table tbody'), topics.map((t) => el('tr', {'data-topic': t.name},
    el('td', {class: 'topic-name'}, t.name),
    el('td', {class: 'num'}, t.partitions.length),
    el('td', {class: 'end-offsets'}, t.partitions.map((p) => `p${p.partition}: ${p.endOffset}`).join(', ')),
    el('td', {class: 'num'}, t.messageCount),
    el('td', {}, el('button', {class: 'topic-delete', onclick: () => deleteTopic(t.name)}, 'Delete')))));
}

async function renderGroups() {
  const groups = await api('GET', '/v1/groups');
  const list = document.getElementById('groups-list');
  if (groups.length === 0) {
    list.replaceChildren(el('p', {class: 'muted'}, 'No consumer group has a subscriber in this runtime.'));
    return;
  }
  list.replaceChildren(...groups.map((g) => {
    const rows = [];
    for (const t of g.topics) {
      const parts = t.partitions || [];
      parts.forEach((p, i) => rows.push(el('tr', {'data-group': g.group, 'data-topic': t.topic, 'data-partition': p.partition},
        el('td', {}, i === 0 ? t.topic : ''),
        el('td', {class: 'num'}, p.partition),
        el('td', {class: 'num'}, p.committed === null ? '–' : p.committed),
        el('td', {class: 'num'}, p.endOffset),
        el('td', {class: 'num lag' + (p.lag > 1000 ? ' lag-high' : '')}, p.lag),
        el('td', {}, i === 0 ? resetButtons(g.group, t.topic) : ''))));
      if (t.offsetsError) rows.push(el('tr', {}, el('td', {colspan: 6}, t.topic + ': ' + t.offsetsError)));
    }
    return el('div', {class: 'group', 'data-group': g.group},
      el('h3', {}, g.group, ' ', el('span', {class: 'muted'},
        `${g.members.length} member(s), lag `, el('span', {class: 'group-lag'}, g.lag))),
      el('table', {}, el('thead', {}, el('tr', {}, el('th', {}, 'Topic'), el('th', {class: 'num'}, 'Partition'),
        el('th', {class: 'num'}, 'Committed'), el('th', {class: 'num'}, 'End offset'),
        el('th', {class: 'num'}, 'Lag'), el('th', {}, 'Replay'))), el('tbody', {}, ...rows)));
  }));
}

// The reset body for `to` from the offset and time fields; null (with a message) when incomplete.
function resetTarget(to) {
  if (to === 'offset') return {to, offset: Number(document.getElementById('reset-offset').value || 0)};
  if (to === 'time') {
    const value = document.getElementById('reset-time').value;
    if (!value) { setStatus('choose a time first', 'error'); return null; }
    return {to, timestampMs: new Date(value).getTime()};
  }
  return {to};
}

function resetButtons(group, topic) {
  return el('span', {},
    el('button', {class: 'reset-earliest', onclick: () => resetGroup(group, topic, {to: 'earliest'})}, 'Replay all'),
    ' ',
    el('button', {class: 'reset-latest', onclick: () => resetGroup(group, topic, {to: 'latest'})}, 'Skip to end'),
    ' ',
    el('button', {class: 'reset-offset', onclick: () => {
      const body = resetTarget('offset');
      if (body) resetGroup(group, topic, body);
    }}, 'To offset'),
    ' ',
    el('button', {class: 'reset-time', onclick: () => {
      const body = resetTarget('time');
      if (body) resetGroup(group, topic, body);
    }}, 'To time'));
}

async function renderClients() {
  const clients = await api('GET', '/v1/clients');
  fill(document.querySelector('#clients-table tbody'), clients.map((c) => el('tr', {'data-client': c.id},
    el('td', {}, c.protocol), el('td', {}, c.id), el('td', {class: 'client-group'}, c.group),
    el('td', {}, c.purpose), el('td', {class: 'client-address'}, c.address), el('td', {}, c.subsystem),
    el('td', {}, (c.topics || []).join(', ')), el('td', {class: 'num'}, c.unacked),
    el('td', {}, c.protocol === 'tcp' ? el('span', {},
      el('button', {class: 'client-reject', onclick: () => rejectClient(c.id)}, 'Reject'), ' ',
      el('button', {class: 'client-redirect', onclick: () => redirectClient(c.id)}, 'Redirect')) : ''))));
}

async function renderDeadLetters() {
  const dlqs = await api('GET', '/v1/dlq');
  const list = document.getElementById('dlq-list');
  if (dlqs.length === 0) {
    list.replaceChildren(el('p', {class: 'muted'}, 'No dead-letter topic.'));
    return;
  }
  const blocks = [];
  for (const d of dlqs) {
    const read = await api('GET', `/v1/topics/${enc(d.topic)}/events?count=50`);
    blocks.push(el('div', {class: 'group', 'data-dlq': d.topic},
      el('h3', {}, d.topic, ' ', el('span', {class: 'muted'}, `group ${d.group}, ${d.messageCount} event(s)`)),
      el('table', {}, el('thead', {}, el('tr', {}, el('th', {class: 'num'}, 'Partition'), el('th', {class: 'num'}, 'Offset'),
        el('th', {}, 'Event id'), el('th', {}, 'Original topic'), el('th', {}, 'Reason'),
        el('th', {class: 'num'}, 'Deliveries'), el('th', {}, 'Stored'), el('th', {}))),
      el('tbody', {}, ...read.events.map((e) => el('tr', {'data-offset': e.offset, 'data-partition': e.partition},
        el('td', {class: 'num'}, e.partition), el('td', {class: 'num'}, e.offset),
        el('td', {class: 'event-id'}, e.event.id), el('td', {class: 'dlq-topic'}, e.event.dlqtopic || ''),
        el('td', {}, e.event.dlqreason || ''), el('td', {class: 'num'}, e.event.dlqdeliveries || ''),
        el('td', {}, e.storedMs ? new Date(e.storedMs).toISOString() : ''),
        el('td', {}, el('button', {class: 'dlq-republish', onclick: () => republish(d.topic, e.partition, e.offset)}, 'Republish'))))))));
  }
  list.replaceChildren(...blocks);
}

// ----- Actions --------------------------------------------------------------------------------

async function act(description, fn) {
  try {
    const result = await fn();
    setStatus(description + ': done' + (result && typeof result === 'object' ? ' ' + JSON.stringify(result) : ''), 'ok');
  } catch (err) {
    setStatus(description + ': ' + err.message, 'error');
  }
  refresh();
}

function resetGroup(group, topic, body) {
  if (!confirm(`Move group ${group} on ${topic} to ${JSON.stringify(body)}?`)) return;
  return act(`reset ${group} on ${topic}`, () =>
    api('POST', `/v1/groups/${enc(group)}/reset`, Object.assign({topic}, body)));
}

function deleteTopic(name) {
  if (!confirm(`Delete topic ${name} and every event in it?`)) return;
  return act(`delete ${name}`, () => api('DELETE', `/v1/topics/${enc(name)}`));
}

function rejectClient(id) {
  if (!confirm(`Tell client ${id} to leave?`)) return;
  return act(`reject client ${id}`, () => api('POST', '/v1/clients/reject', {id}));
}

function redirectClient(id) {
  const target = document.getElementById('redirect-to').value.trim();
  const m = /^(.+):(\d+)$/.exec(target);
  if (!m) { setStatus('enter the redirect target as host:port first', 'error'); return; }
  return act(`redirect client ${id}`, () =>
    api('POST', '/v1/clients/redirect', {id, ip: m[1], port: Number(m[2])}));
}

function republish(topic, partition, offset) {
  return act(`republish ${topic} p${partition}@${offset}`, () =>
    api('POST', '/v1/dlq/republish', {topic, partition, offset}));
}

// ----- Refresh loop ---------------------------------------------------------------------------

async function refresh() {
  if (state.busy) return;
  state.busy = true;
  const failures = [];
  for (const [name, fn] of [['overview', renderOverview], ['topics', renderTopics],
                            ['groups', renderGroups], ['clients', renderClients],
                            ['dead letters', renderDeadLetters]]) {
    try {
      await fn();
    } catch (err) {
      failures.push(err);
      if (err.status === 401 || err.status === 403) break; // the same answer for every section
    }
  }
  state.busy = false;
  document.getElementById('refreshed').textContent = new Date().toLocaleTimeString();
  document.body.dataset.loaded = failures.length === 0 ? 'ok' : 'error';
  if (failures.length > 0) {
    const auth = failures.find((e) => e.status === 401 || e.status === 403);
    setStatus(auth ? auth.message + ' (enter the admin token above)' : failures[0].message, 'error');
  } else if (document.getElementById('status').classList.contains('error') &&
             /HTTP 40[13]|unreachable/.test(document.getElementById('status').textContent)) {
    setStatus('', '');
  }
}

function start() {
  document.getElementById('interval').textContent = REFRESH_MS / 1000;
  document.getElementById('token').value = token();
  document.getElementById('token-form').addEventListener('submit', (e) => {
    e.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, document.getElementById('token').value.trim());
    setStatus('', '');
    refresh();
  });
  document.getElementById('token-clear').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    document.getElementById('token').value = '';
    refresh();
  });
  document.getElementById('topic-create').addEventListener('submit', (e) => {
    e.preventDefault();
    const body = {name: document.getElementById('topic-name').value.trim()};
    const partitions = document.getElementById('topic-partitions').value;
    if (partitions) body.partitions = Number(partitions);
    act(`create topic ${body.name}`, () => api('POST', '/v1/topics', body));
  });
  document.getElementById('group-reset').addEventListener('submit', (e) => {
    e.preventDefault();
    const body = resetTarget(document.getElementById('reset-to').value);
    if (body) {
      resetGroup(document.getElementById('reset-group').value.trim(),
                 document.getElementById('reset-topic').value.trim(), body);
    }
  });
  refresh();
  setInterval(refresh, REFRESH_MS);
}

window.addEventListener('unhandledrejection', (e) => setStatus(String(e.reason), 'error'));
document.addEventListener('DOMContentLoaded', start);
