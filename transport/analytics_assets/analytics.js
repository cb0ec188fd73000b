"use strict";
// The analytics page: asks this server's analytics.* reports (JSON-RPC, same origin) and draws
// them as SVG. No library: a chart here is a few rectangles or lines with axes and tooltips.

const DAY_MS = 86400000;
const SVG_NS = "http://www.w3.org/2000/svg";
const AGENT_COLORS = {
  planner: "#7c5cff",
  architect: "#b54ce0",
  director: "#3559e0",
  actor: "#12a594",
  narrator: "#e3901d",
  keeper: "#d9487a",
  replyer: "#6b7a90",
};
const FAILURE_COLORS = {
  invalid_output: "#e3901d",
  provider_error: "#d92d20",
  timeout: "#b54ce0",
  cancelled: "#6b7a90",
  error: "#8a2c0d",
};
const TURN_COLORS = { completed: "#12a594", failed: "#d92d20" };
const COST_COLOR = "#3559e0";
const OTHER_COLOR = "#98a2b3";

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });
const percent = new Intl.NumberFormat(undefined, { style: "percent", maximumFractionDigits: 1 });

// -- talking to the server ------------------------------------------------------------------

let requestNumber = 0;

async function rpc(method, params) {
  requestNumber += 1;
  const response = await fetch("/rpc", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: `analytics-${requestNumber}`, method, params }),
  });
  let envelope;
  try {
    envelope = await response.json();
  } catch {
    throw new Error(`${method}: the server answered HTTP ${response.status}`);
  }
  if (envelope.error) {
    throw new Error(`${method}: ${envelope.error.message}`);
  }
  return envelope.result;
}

async function fetchReports(sinceMs) {
  const range = sinceMs === null ? {} : { since_ms: sinceMs };
  const [callsByDayAgent, callsByAgent, callsByDay, turnsByDay, turnsByStory, stories] = await Promise.all([
    rpc("analytics.llm_usage", { ...range, group_by: ["day", "agent"] }),
    rpc("analytics.llm_usage", { ...range, group_by: ["agent"], latency_histogram: true }),
    rpc("analytics.llm_usage", { ...range, group_by: ["day"] }),
    rpc("analytics.play", { ...range, group_by: ["day"] }),
    rpc("analytics.play", { ...range, group_by: ["story"] }),
    rpc("story.list", {}),
  ]);
  return { callsByDayAgent, callsByAgent, callsByDay, turnsByDay, turnsByStory, stories };
}

// -- days -----------------------------------------------------------------------------------

function utcDay(ms) {
  return new Date(ms).toISOString().slice(0, 10);
}

function dayStartMs(ms) {
  return ms - (ms % DAY_MS);
}

/** Every UTC day from `sinceMs` (or the first day with data) to today, as YYYY-MM-DD. */
function daysOfRange(sinceMs, reports) {
  let first = sinceMs;
  if (first === null) {
    const seen = [...reports.callsByDay.rows, ...reports.turnsByDay.rows].map((row) => Date.parse(row.day));
    first = seen.length ? Math.min(...seen) : Date.now();
  }
  const days = [];
  for (let ms = dayStartMs(first); ms <= Date.now(); ms += DAY_MS) {
    days.push(utcDay(ms));
  }
  return days;
}

// -- SVG ------------------------------------------------------------------------------------

function svgElement(name, attributes = {}, parent = null) {
  const element = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) {
    element.setAttribute(key, String(value));
  }
  if (parent) {
    parent.appendChild(element);
  }
  return element;
}

function withTooltip(element, text) {
  svgElement("title", {}, element).textContent = text;
  return element;
}

const NICE_STEPS = [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10];

/** A round axis maximum at or above `value` whose quarters are round too. */
function niceCeiling(value) {
  if (!(value > 0)) {
    return 1;
  }
  const quarter = value / 4;
  const power = 10 ** Math.floor(Math.log10(quarter));
  const step = NICE_STEPS.find((candidate) => candidate * power >= quarter) || 10;
  return 4 * step * power;
}

/** Round latencies for a log-scale axis between `lowMs` and `highMs`: 1, 2, 5 × 10^k. */
function latencyTicks(lowMs, highMs) {
  const ticks = [];
  for (let power = Math.floor(Math.log10(lowMs)); 10 ** power <= highMs; power += 1) {
    for (const step of [1, 2, 5]) {
      const tick = step * 10 ** power;
      if (tick >= lowMs && tick <= highMs) {
        ticks.push(tick);
      }
    }
  }
  return ticks.length > 8 ? ticks.filter((tick) => Math.log10(tick) % 1 === 0) : ticks;
}

/** The width of a chart's drawing: wide cards get more room than the others. */
function chartWidth(container) {
  return container.closest(".card").classList.contains("wide") ? 900 : 520;
}

function frame(container, { width, height, left = 52, bottom = 26, top = 8, right = 12 }) {
  container.replaceChildren();
  const svg = svgElement("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" }, container);
  return { svg, left, top, plotWidth: width - left - right, plotHeight: height - top - bottom, width, height };
}

function yAxis(chart, maximum, format) {
  const axis = svgElement("g", { class: "axis" }, chart.svg);
  for (let tick = 0; tick <= 4; tick += 1) {
    const value = (maximum * tick) / 4;
    const y = chart.top + chart.plotHeight * (1 - tick / 4);
    svgElement("line", { x1: chart.left, x2: chart.left + chart.plotWidth, y1: y, y2: y }, axis);
    const label = svgElement("text", { x: chart.left - 6, y: y + 4, "text-anchor": "end" }, axis);
    label.textContent = format(value);
  }
}

function xLabels(chart, labels, positionOf, most = labels.length) {
  const axis = svgElement("g", { class: "axis" }, chart.svg);
  const every = Math.max(1, Math.ceil(labels.length / most));
  labels.forEach((label, index) => {
    if (index % every !== 0 && index !== labels.length - 1) {
      return;
    }
    const text = svgElement("text", { x: positionOf(index), y: chart.height - 8, "text-anchor": "middle" }, axis);
    text.textContent = label;
  });
}

function showEmpty(container, message) {
  container.replaceChildren();
  const note = document.createElement("p");
  note.className = "empty";
  note.textContent = message;
  container.appendChild(note);
}

function showLegend(name, entries) {
  const legend = document.querySelector(`[data-legend="${name}"]`);
  legend.replaceChildren();
  for (const { label, color } of entries) {
    const entry = document.createElement("span");
    const swatch = document.createElement("i");
    swatch.style.background = color;
    entry.append(swatch, label);
    legend.appendChild(entry);
  }
}

// -- charts ---------------------------------------------------------------------------------

/** Bars per day, each split into `series` ({name, color, valueOf(day)}), with a y axis. */
function stackedDayBars(container, days, series, format, describe) {
  const chart = frame(container, { width: chartWidth(container), height: 260 });
  const totals = days.map((day) => series.reduce((sum, one) => sum + one.valueOf(day), 0));
  const maximum = niceCeiling(Math.max(0, ...totals));
  yAxis(chart, maximum, format);
  const slot = chart.plotWidth / days.length;
  const barWidth = Math.max(1, slot * 0.72);
  days.forEach((day, index) => {
    let base = chart.top + chart.plotHeight;
    for (const one of series) {
      const value = one.valueOf(day);
      if (!(value > 0)) {
        continue;
      }
      const height = (value / maximum) * chart.plotHeight;
      base -= height;
      const bar = svgElement(
        "rect",
        {
          class: "bar",
          x: chart.left + index * slot + (slot - barWidth) / 2,
          y: base,
          width: barWidth,
          height: Math.max(height, 0.5),
          fill: one.color,
          "data-value": value,
        },
        chart.svg,
      );
      withTooltip(bar, describe(day, one.name, value));
    }
  });
  xLabels(chart, days.map((day) => day.slice(5)), (index) => chart.left + index * slot + slot / 2, chart.width / 90);
}

function drawCallsPerDay(reports, days) {
  const container = document.querySelector('[data-chart="calls-per-day"]');
  const rows = reports.callsByDayAgent.rows;
  if (!rows.length) {
    showEmpty(container, "No LLM calls in this range.");
    showLegend("calls-per-day", []);
    return;
  }
  const calls = new Map(rows.map((row) => [`${row.day} ${row.agent}`, row.calls]));
  const agents = [...new Set(rows.map((row) => row.agent))];
  const series = agents.map((agent) => ({
    name: agent,
    color: AGENT_COLORS[agent] || OTHER_COLOR,
    valueOf: (day) => calls.get(`${day} ${agent}`) || 0,
  }));
  stackedDayBars(container, days, series, (value) => compact.format(value), (day, agent, value) =>
    `${day} · ${agent}: ${integer.format(value)} calls`,
  );
  showLegend("calls-per-day", series.map((one) => ({ label: one.name, color: one.color })));
}

function drawTurnsPerDay(reports, days) {
  const container = document.querySelector('[data-chart="turns-per-day"]');
  const rows = reports.turnsByDay.rows.filter((row) => row.turns > 0);
  if (!rows.length) {
    showEmpty(container, "No turns played in this range.");
    showLegend("turns-per-day", []);
    return;
  }
  const byDay = new Map(rows.map((row) => [row.day, row]));
  const series = [
    { name: "completed", color: TURN_COLORS.completed, valueOf: (day) => byDay.get(day)?.completed_turns || 0 },
    { name: "failed", color: TURN_COLORS.failed, valueOf: (day) => byDay.get(day)?.failed_turns || 0 },
  ];
  stackedDayBars(container, days, series, (value) => compact.format(value), (day, name, value) =>
    `${day}: ${integer.format(value)} ${name} turns`,
  );
  showLegend("turns-per-day", series.map((one) => ({ label: `${one.name} turns`, color: one.color })));
}

/** The currency with the largest total, and every currency's total. */
function currencies(rows) {
  const totals = new Map();
  for (const row of rows) {
    for (const { currency, amount } of row.cost) {
      totals.set(currency, (totals.get(currency) || 0) + amount);
    }
  }
  const ordered = [...totals.entries()].sort((a, b) => b[1] - a[1]);
  return { main: ordered.length ? ordered[0][0] : null, totals: ordered };
}

function money(currency, digits) {
  return new Intl.NumberFormat(undefined, {
    style: "currency",
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function drawCostPerDay(reports, days) {
  const container = document.querySelector('[data-chart="cost-per-day"]');
  const { main, totals } = currencies(reports.callsByDay.rows);
  if (main === null) {
    const unpriced = reports.callsByDay.totals.unpriced_calls;
    showEmpty(container, unpriced ? "No api has prices: set them with api.update (prices)." : "No LLM calls in this range.");
    showLegend("cost-per-day", []);
    return;
  }
  const byDay = new Map(
    reports.callsByDay.rows.map((row) => [row.day, row.cost.find((cost) => cost.currency === main)?.amount || 0]),
  );
  const format = money(main, 2);
  stackedDayBars(
    container,
    days,
    [{ name: main, color: COST_COLOR, valueOf: (day) => byDay.get(day) || 0 }],
    (value) => format.format(value),
    (day, currency, value) => `${day}: ${money(currency, 4).format(value)}`,
  );
  const others = totals.slice(1).map(([currency, amount]) => `also ${money(currency, 2).format(amount)}`);
  showLegend("cost-per-day", [{ label: [main, ...others].join(" · "), color: COST_COLOR }]);
}

function drawLatency(reports) {
  const container = document.querySelector('[data-chart="latency"]');
  const rows = reports.callsByAgent.rows.filter((row) => row.latency_histogram && row.latency_histogram.length);
  if (!rows.length) {
    showEmpty(container, "No LLM calls in this range.");
    showLegend("latency", []);
    return;
  }
  // Bars are half a doubling wide and empty ones are left out: put them back as zeros, so that
  // a line never bridges a gap where no call was.
  const barOf = (ms) => Math.round(2 * Math.log2(ms));
  const bars = rows.flatMap((row) => row.latency_histogram.map((bar) => barOf(bar.upper_ms)));
  const [firstBar, lastBar] = [Math.min(...bars), Math.max(...bars)];
  const lowest = Math.log10(2 ** (firstBar / 2)) - 0.15;
  const highest = Math.log10(2 ** (lastBar / 2)) + 0.15;
  const shares = rows.map((row) => {
    const calls = new Map(row.latency_histogram.map((bar) => [barOf(bar.upper_ms), bar.calls]));
    const points = [];
    for (let bar = firstBar; bar <= lastBar; bar += 1) {
      const count = calls.get(bar) || 0;
      points.push({ upper: 2 ** (bar / 2), share: count / row.calls, calls: count });
    }
    return points;
  });
  const maximum = niceCeiling(Math.max(...shares.flat().map((point) => point.share)) * 100) / 100;
  const chart = frame(container, { width: chartWidth(container), height: 260 });
  yAxis(chart, maximum, (value) => percent.format(value));
  const xOf = (ms) => chart.left + ((Math.log10(ms) - lowest) / (highest - lowest)) * chart.plotWidth;
  const yOf = (share) => chart.top + chart.plotHeight * (1 - share / maximum);
  rows.forEach((row, index) => {
    const color = AGENT_COLORS[row.agent] || OTHER_COLOR;
    const points = shares[index].map((point) => `${xOf(point.upper).toFixed(1)},${yOf(point.share).toFixed(1)}`);
    const line = svgElement(
      "polyline",
      { class: "line", points: points.join(" "), fill: "none", stroke: color, "stroke-width": 2, "data-value": row.calls },
      chart.svg,
    );
    withTooltip(line, `${row.agent}: p50 ${milliseconds(row.latency_p50_ms)}, p95 ${milliseconds(row.latency_p95_ms)}`);
    for (const point of shares[index]) {
      const dot = svgElement("circle", { cx: xOf(point.upper), cy: yOf(point.share), r: 2.5, fill: color }, chart.svg);
      withTooltip(dot, `${row.agent}: ${integer.format(point.calls)} calls up to ${milliseconds(point.upper)}`);
    }
  });
  const ticks = latencyTicks(10 ** lowest, 10 ** highest);
  const grid = svgElement("g", { class: "axis" }, chart.svg);
  for (const tick of ticks) {
    svgElement("line", { x1: xOf(tick), x2: xOf(tick), y1: chart.top, y2: chart.top + chart.plotHeight }, grid);
  }
  xLabels(chart, ticks.map(milliseconds), (index) => xOf(ticks[index]));
  showLegend(
    "latency",
    rows.map((row) => ({
      label: `${row.agent} p50 ${milliseconds(row.latency_p50_ms)} · p95 ${milliseconds(row.latency_p95_ms)}`,
      color: AGENT_COLORS[row.agent] || OTHER_COLOR,
    })),
  );
}

function milliseconds(value) {
  if (value === null || value === undefined) {
    return "–";
  }
  if (value < 1000) {
    return `${Number(value.toPrecision(value < 10 ? 2 : 3))} ms`;
  }
  return `${Number((value / 1000).toPrecision(value < 10000 ? 2 : 3))} s`;
}

function drawFailures(reports) {
  const container = document.querySelector('[data-chart="failures"]');
  const rows = reports.callsByAgent.rows;
  if (!rows.length) {
    showEmpty(container, "No LLM calls in this range.");
    showLegend("failures", []);
    return;
  }
  const kinds = Object.keys(FAILURE_COLORS);
  const rates = rows.map((row) => row.failed_calls / row.calls);
  const maximum = niceCeiling(Math.max(0.01, ...rates) * 100) / 100;
  const rowHeight = 26;
  const chart = frame(container, { width: chartWidth(container), height: rows.length * rowHeight + 34, left: 80 });
  const axis = svgElement("g", { class: "axis" }, chart.svg);
  for (let tick = 0; tick <= 4; tick += 1) {
    const x = chart.left + (chart.plotWidth * tick) / 4;
    svgElement("line", { x1: x, x2: x, y1: chart.top, y2: chart.top + chart.plotHeight }, axis);
    const label = svgElement("text", { x, y: chart.height - 8, "text-anchor": "middle" }, axis);
    label.textContent = percent.format((maximum * tick) / 4);
  }
  rows.forEach((row, index) => {
    const y = chart.top + index * rowHeight + 4;
    const name = svgElement("text", { x: chart.left - 8, y: y + 13, "text-anchor": "end" }, axis);
    name.textContent = row.agent;
    let x = chart.left;
    for (const kind of kinds) {
      const calls = row.outcomes[kind] || 0;
      if (!calls) {
        continue;
      }
      const width = (calls / row.calls / maximum) * chart.plotWidth;
      const bar = svgElement(
        "rect",
        { class: "bar", x, y, width: Math.max(width, 1), height: rowHeight - 10, fill: FAILURE_COLORS[kind], "data-value": calls },
        chart.svg,
      );
      withTooltip(bar, `${row.agent}: ${integer.format(calls)} ${kind.replace("_", " ")} of ${integer.format(row.calls)} calls`);
      x += width;
    }
    const rate = svgElement("text", { x: x + 6, y: y + 13, class: "rate" }, axis);
    rate.textContent = row.failed_calls ? percent.format(row.failed_calls / row.calls) : "none failed";
  });
  showLegend("failures", kinds.map((kind) => ({ label: kind.replace("_", " "), color: FAILURE_COLORS[kind] })));
}

function drawStories(reports) {
  const container = document.querySelector('[data-chart="stories"]');
  const rows = reports.turnsByStory.rows;
  if (!rows.length) {
    showEmpty(container, "No sessions started or turns played in this range.");
    return;
  }
  const names = new Map(reports.stories.stories.map((story) => [story.story_id, story.display_name]));
  const mostTurns = Math.max(1, ...rows.map((row) => row.turns));
  const table = document.createElement("table");
  const head = table.createTHead().insertRow();
  for (const [title, numeric] of [
    ["Story", false],
    ["Sessions started", true],
    ["Sessions playing", true],
    ["Turns", true],
    ["", false],
    ["Failed turns", true],
    ["Failed at", false],
    ["Turn p50", true],
  ]) {
    const cell = document.createElement("th");
    cell.textContent = title;
    cell.className = numeric ? "number" : "";
    head.appendChild(cell);
  }
  const body = table.createTBody();
  for (const row of [...rows].sort((a, b) => b.turns - a.turns)) {
    const line = body.insertRow();
    const cells = [
      [names.get(row.story_id) || row.story_id, false],
      [integer.format(row.sessions_started), true],
      [integer.format(row.sessions), true],
      [integer.format(row.turns), true],
    ];
    for (const [text, numeric] of cells) {
      const cell = line.insertCell();
      cell.textContent = text;
      cell.className = numeric ? "number" : "";
    }
    const meterCell = line.insertCell();
    const meter = document.createElement("span");
    meter.className = "meter";
    meter.style.width = `${Math.round((row.turns / mostTurns) * 120)}px`;
    meterCell.appendChild(meter);
    const failed = line.insertCell();
    failed.className = "number";
    failed.textContent = row.turns ? `${integer.format(row.failed_turns)} (${percent.format(row.failed_turns / row.turns)})` : "–";
    line.insertCell().textContent =
      Object.entries(row.failures)
        .map(([stage, count]) => `${stage} ${count}`)
        .join(", ") || "–";
    const duration = line.insertCell();
    duration.className = "number";
    duration.textContent = milliseconds(row.turn_duration_p50_ms);
  }
  container.replaceChildren(table);
}

// -- tiles ----------------------------------------------------------------------------------

function setText(id, text) {
  document.getElementById(id).textContent = text;
}

function fillTiles(reports) {
  const calls = reports.callsByAgent.totals;
  const play = reports.turnsByDay.totals;
  setText("tile-calls", compact.format(calls.calls));
  setText("tile-failed", calls.calls ? `${percent.format(calls.failed_calls / calls.calls)} failed · ${integer.format(calls.retries)} retries · ${integer.format(calls.repairs)} repairs` : "");
  setText("tile-tokens", `${compact.format(calls.prompt_tokens)} / ${compact.format(calls.completion_tokens)}`);
  setText("tile-usage", calls.calls_without_usage ? `${integer.format(calls.calls_without_usage)} calls without token counts` : "");
  setText("tile-cost", calls.cost.length ? calls.cost.map((cost) => money(cost.currency, 2).format(cost.amount)).join(" + ") : "–");
  setText("tile-unpriced", calls.unpriced_calls ? `${integer.format(calls.unpriced_calls)} calls of apis without prices` : "");
  setText("tile-latency", `${milliseconds(calls.latency_p50_ms)} / ${milliseconds(calls.latency_p95_ms)}`);
  setText("tile-first-token", calls.first_token_p50_ms === null ? "" : `first token p50 ${milliseconds(calls.first_token_p50_ms)}`);
  setText("tile-turns", compact.format(play.turns));
  setText("tile-turn-failures", play.turns ? `${percent.format(play.failed_turns / play.turns)} failed · p50 ${milliseconds(play.turn_duration_p50_ms)}` : "");
  setText("tile-sessions", compact.format(play.sessions_started));
  setText("tile-playing", `${integer.format(play.sessions)} played a turn`);
}

// -- the page -------------------------------------------------------------------------------

function setStatus(text, failed = false) {
  const status = document.getElementById("status");
  status.textContent = text;
  status.classList.toggle("error", failed);
}

async function show(days) {
  const sinceMs = days ? dayStartMs(Date.now()) - (days - 1) * DAY_MS : null;
  setStatus("Loading…");
  try {
    const reports = await fetchReports(sinceMs);
    const range = daysOfRange(sinceMs, reports);
    fillTiles(reports);
    drawCallsPerDay(reports, range);
    drawLatency(reports);
    drawFailures(reports);
    drawTurnsPerDay(reports, range);
    drawCostPerDay(reports, range);
    drawStories(reports);
    const since = sinceMs === null ? "everything recorded" : `since ${utcDay(sinceMs)}`;
    setStatus(`${since}; updated ${new Date().toLocaleTimeString()}.`);
    document.body.dataset.loaded = "true";
  } catch (error) {
    setStatus(`Could not load the reports: ${error.message}`, true);
  }
}

function start() {
  const buttons = [...document.querySelectorAll("#range button")];
  for (const button of buttons) {
    button.addEventListener("click", () => {
      for (const other of buttons) {
        other.setAttribute("aria-pressed", String(other === button));
      }
      show(button.dataset.days ? Number(button.dataset.days) : null);
    });
  }
  const pressed = buttons.find((button) => button.getAttribute("aria-pressed") === "true");
  show(pressed && pressed.dataset.days ? Number(pressed.dataset.days) : null);
}

start();
