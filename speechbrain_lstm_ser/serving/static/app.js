// The page of `sb-lstm-ser serve`: microphone -> AudioWorklet -> 16 kHz PCM over
// the WebSocket /stream -> labels and a scrolling chart; a dropped file -> /timeline.
"use strict";
const COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
  "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
const SECONDS_SHOWN = 20;
// received (and with ?keep, the PCM sent) let a test compare with the Python API.
const KEEP = new URLSearchParams(location.search).has("keep");
const state = { labels: [], history: [], socket: null, context: null, stream: null,
  kept: [], received: [] };
window.sbSer = state;

const $ = (id) => document.getElementById(id);

function legend(el, labels) {
  el.innerHTML = labels.map((l, i) =>
    `<span><i style="background:${COLORS[i % COLORS.length]}"></i>${l}</span>`).join("");
}

function grid(g, w, y) {
  g.strokeStyle = "#eee"; g.fillStyle = "#888"; g.font = "11px sans-serif"; g.lineWidth = 1;
  for (let p = 0; p <= 1.001; p += 0.25) {
    g.beginPath(); g.moveTo(0, y(p)); g.lineTo(w, y(p)); g.stroke();
    g.fillText(`${Math.round(p * 100)} %`, w - 34, y(p) + (p > 0.9 ? 12 : -2));
  }
}

function drawChart() {
  const canvas = $("chart"), g = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height;
  g.clearRect(0, 0, w, h);
  const last = state.history.length ? state.history[state.history.length - 1].time : 0;
  const t0 = Math.max(0, last - SECONDS_SHOWN);
  const x = (t) => ((t - t0) / SECONDS_SHOWN) * w, y = (p) => h - 4 - p * (h - 8);
  grid(g, w, y);
  g.fillStyle = "#888"; g.font = "11px sans-serif";
  for (let t = Math.ceil(t0 / 5) * 5; t <= t0 + SECONDS_SHOWN; t += 5) g.fillText(`${t} s`, x(t) + 2, h - 6);
  state.labels.forEach((label, k) => {
    g.strokeStyle = COLORS[k % COLORS.length]; g.lineWidth = 2; g.beginPath();
    let first = true;
    for (const item of state.history) {
      if (item.time < t0) continue;
      const px = x(item.time), py = y(item.probabilities[label]);
      if (first) { g.moveTo(px, py); first = false; } else { g.lineTo(px, py); }
    }
    g.stroke();
  });
}

function show(prediction) {
  state.received.push(prediction);
  state.history.push(prediction);
  while (state.history.length && state.history[0].time < prediction.time - SECONDS_SHOWN - 1) state.history.shift();
  $("label").textContent = prediction.label;
  $("confidence").textContent = `${Math.round(prediction.confidence * 100)} %` +
    (prediction.speech === false ? " (no speech)" : "");
  drawChart();
}

async function start() {
  $("start").disabled = true;
  try {
    state.stream = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1 } });
    state.context = new AudioContext({ sampleRate: 16000 });
    await state.context.audioWorklet.addModule("/static/pcm-worklet.js");
    const source = state.context.createMediaStreamSource(state.stream);
    const node = new AudioWorkletNode(state.context, "pcm-sender");
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${location.host}/stream?rate=${state.context.sampleRate}`);
    socket.binaryType = "arraybuffer";
    socket.onmessage = (event) => show(JSON.parse(event.data));
    socket.onclose = (event) => {
      $("status").textContent = event.code === 1000 ? "stopped" : `closed: ${event.reason || event.code}`;
      stop();
    };
    socket.onopen = () => {
      $("status").textContent = `streaming at ${state.context.sampleRate} Hz`;
      node.port.onmessage = (event) => {
        if (socket.readyState === WebSocket.OPEN) { socket.send(event.data); if (KEEP) state.kept.push(event.data); }
      };
      source.connect(node);
    };
    state.socket = socket;
    $("stop").disabled = false;
  } catch (error) {
    $("status").textContent = `microphone unavailable: ${error.message}`;
    $("start").disabled = false;
  }
}

function stop() {
  if (state.socket && state.socket.readyState === WebSocket.OPEN) state.socket.send("end");
  if (state.stream) state.stream.getTracks().forEach((t) => t.stop());
  if (state.context) state.context.close();
  state.socket = state.stream = state.context = null;
  $("start").disabled = false; $("stop").disabled = true;
}

function drawTimeline(result) {
  const canvas = $("timeline"), g = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height, total = Math.max(result.duration, 1e-6);
  g.clearRect(0, 0, w, h);
  const y = (p) => h - 4 - p * (h - 18);
  grid(g, w, y);
  result.labels.forEach((label, k) => {
    g.strokeStyle = COLORS[k % COLORS.length]; g.lineWidth = 2; g.beginPath();
    result.segments.forEach((s, i) => {
      const px = (((s.start + s.end) / 2) / total) * w, py = y(s.probabilities[k]);
      if (i === 0) g.moveTo(px, py); else g.lineTo(px, py);
    });
    g.stroke();
  });
  result.segments.forEach((s) => {
    const k = result.labels.indexOf(s.label);
    g.fillStyle = COLORS[k % COLORS.length];
    g.fillRect((s.start / total) * w, 0, Math.max(1, ((s.end - s.start) / total) * w - 1), 6);
  });
  $("segments").innerHTML = result.segments.length
    ? result.segments.map((s) => `<span>${s.start.toFixed(1)}–${s.end.toFixed(1)} s: <b>${s.label}</b></span>`).join("")
    : "<span>(no speech)</span>";
  state.timeline = result;
}

async function upload(file) {
  $("segments").textContent = `analysing ${file.name}…`;
  const form = new FormData();
  form.append("file", file);
  const response = await fetch("/timeline", { method: "POST", body: form });
  const body = await response.json();
  if (!response.ok) { $("segments").textContent = `error: ${body.error}`; return; }
  drawTimeline(body);
}

async function init() {
  const health = await (await fetch("/health")).json();
  state.labels = health.labels;
  legend($("legend"), health.labels);
  $("status").textContent = health.streaming ? "ready" : "ready (no live stream: this model cannot stream)";
  $("start").disabled = !health.streaming;
  $("start").onclick = start;
  $("stop").onclick = stop;
  const drop = $("drop");
  drop.ondragover = (e) => { e.preventDefault(); drop.classList.add("over"); };
  drop.ondragleave = () => drop.classList.remove("over");
  drop.ondrop = (e) => { e.preventDefault(); drop.classList.remove("over"); if (e.dataTransfer.files[0]) upload(e.dataTransfer.files[0]); };
  $("picker").onchange = (e) => { if (e.target.files[0]) upload(e.target.files[0]); };
  drawChart();
}
init();
