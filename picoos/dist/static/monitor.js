// picoos fleet monitor: polls the JSON API and redraws the tables.
// Actions are offered only when the server says they are enabled; the token
// is asked for once and kept in this page only.
"use strict";

const POLL_MS = 1000;
let actions = false;
let token = null;

function text(value) {
  return value === null || value === undefined ? "–" : String(value);
}

function bytes(n) {
  if (n === null || n === undefined) return "–";
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return n.toFixed(i ? 1 : 0) + " " + units[i];
}

function cell(row, content, cls) {
  const td = document.createElement("td");
  if (content instanceof Node) td.appendChild(content); else td.textContent = text(content);
  if (cls) td.className = cls;
  row.appendChild(td);
  return td;
}

function cpuBar(busy) {
  const span = document.createElement("span");
  if (busy === null || busy === undefined) { span.textContent = "–"; return span; }
  const bar = document.createElement("span");
  bar.className = "bar";
  bar.style.width = Math.max(2, Math.round(busy)) + "px";
  span.appendChild(bar);
  span.appendChild(document.createTextNode(busy.toFixed(0) + "%"));
  return span;
}

async function act(path, body) {
  if (!token) token = window.prompt("monitor token");
  if (!token) return;
  const res = await fetch("/api/actions/" + path, {
    method: "POST",
    headers: {"Content-Type": "application/json", "X-Picoos-Token": token},
    body: JSON.stringify(body),
  });
  if (res.status === 403) token = null;
  const reply = await res.json();
  document.getElementById("status").textContent = reply.error || "done";
}

function actionButton(label, path, body) {
  const b = document.createElement("button");
  b.textContent = label;
  b.addEventListener("click", () => act(path, body));
  return b;
}

function drawNodes(nodes) {
  const body = document.querySelector("#nodes tbody");
  body.replaceChildren();
  for (const n of nodes) {
    const row = document.createElement("tr");
    row.className = "node " + n.state;
    row.dataset.node = n.name;
    cell(row, n.name);
    cell(row, n.addr + ":" + n.port);
    cell(row, n.state, "state-" + n.state);
    cell(row, n.model || n.platform);
    cell(row, cpuBar(n.cpu_busy));
    cell(row, bytes(n.memory_available) + " / " + bytes(n.memory_total));
    cell(row, n.temperature === null ? "–" : n.temperature.toFixed(1) + " °C",
         n.temperature !== null && n.temperature >= 80 ? "hot" : "");
    cell(row, n.servers);
    cell(row, n.running);
    cell(row, n.done, "done");
    const key = n.addr + ":" + n.port;
    if (actions && n.state === "ready") cell(row, actionButton("suspend", "suspend_node", {node: key}));
    else if (actions && n.state === "suspended") cell(row, actionButton("resume", "resume_node", {node: key}));
    else cell(row, "");
    body.appendChild(row);
  }
}

function drawJobs(jobs, recent) {
  document.getElementById("jobcounts").textContent =
    `${jobs.done} done, ${jobs.running} running, ${jobs.queued} queued, ` +
    `${jobs.failed} failed, ${jobs.abandoned} abandoned, ${jobs.rerun} rerun — ${jobs.rate} jobs/s`;
  const body = document.querySelector("#jobs tbody");
  body.replaceChildren();
  for (const j of recent.slice().reverse().slice(0, 30)) {
    const row = document.createElement("tr");
    cell(row, j.id);
    cell(row, j.name);
    cell(row, j.state, "state-" + j.state);
    cell(row, j.node);
    cell(row, j.server);
    cell(row, j.tries);
    cell(row, actions && j.state === "running" ? actionButton("terminate", "terminate_job", {job: j.id}) : "");
    body.appendChild(row);
  }
}

async function poll() {
  try {
    const res = await fetch("/api/fleet", {cache: "no-store"});
    const fleet = await res.json();
    actions = fleet.actions;
    const jobs = fleet.jobs;
    document.getElementById("summary").textContent =
      `client ${fleet.client}: ${fleet.nodes.filter(n => n.state === "ready").length} nodes ready, ` +
      `${fleet.servers.length} servers, ${jobs.done}/${jobs.submitted} jobs done, ${fleet.elapsed}s`;
    drawNodes(fleet.nodes);
    drawJobs(jobs, fleet.recent_jobs);
    document.getElementById("status").textContent = "updated " + new Date().toLocaleTimeString();
  } catch (err) {
    document.getElementById("status").textContent = "monitor unreachable: " + err;
  }
  setTimeout(poll, POLL_MS);
}

poll();
