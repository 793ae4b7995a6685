// physnn playground: the page. It draws what the server sends and sends the controls back;
// the state (URL hash) is validated on the server (physnn/playground/params.py).
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const LR = [0.00001, 0.0001, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
  const REG = [0, 0.001, 0.003, 0.01, 0.03, 0.1, 0.3, 1, 3, 10];
  const DROPOUT = [0, 0.1, 0.2, 0.3, 0.5];
  const CLASSIFY = [["circle", "Circle"], ["xor", "XOR"], ["gauss", "Gauss"], ["spiral", "Spiral"],
                    ["xor4", "XOR 4 pts"], ["jets", "Jets"], ["blobs", "3 blobs"], ["custom", "Yours"]];
  const REGRESS = [["reg-plane", "Plane"], ["reg-gauss", "Multi-Gauss"], ["polynomial", "Polynomial"], ["custom-reg", "Yours"]];
  const FEATURES = [["x", "X\u2081"], ["y", "X\u2082"], ["xSquared", "X\u2081\u00b2"], ["ySquared", "X\u2082\u00b2"],
                    ["xTimesY", "X\u2081X\u2082"], ["sinX", "sin(X\u2081)"], ["sinY", "sin(X\u2082)"]];
  const CLASS_COLORS = [[245, 147, 34], [8, 119, 189], [46, 160, 67], [148, 103, 189], [214, 39, 40],
                        [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]];

  // TF Playground's colour scale: -1 orange, 0 grey-white, +1 blue
  const LUT = new Uint8Array(256 * 3);
  (function () {
    const a = [245, 147, 34], m = [232, 234, 235], b = [8, 119, 189];
    for (let i = 0; i < 256; i++) {
      const v = i / 127.5 - 1, t = Math.abs(v), c = v < 0 ? a : b;
      for (let k = 0; k < 3; k++) LUT[i * 3 + k] = Math.round(m[k] + (c[k] - m[k]) * t);
    }
  })();

  const S = { params: null, data: null, model: null, frame: null, hist: [], running: false, ws: null,
              pendingAcks: 0, drawScheduled: false, table: null };
  // counters read by the benchmark (benchmarks/playground_frames.py)
  const stats = window.physnnPlayground = { frames: 0, bytes: 0, drawn: 0, lastEpoch: 0 };

  function fill(select, values, fmt) {
    select.innerHTML = "";
    for (const v of values) {
      const o = document.createElement("option");
      o.value = String(v); o.textContent = fmt ? fmt(v) : String(v);
      select.appendChild(o);
    }
  }
  fill($("learningRate"), LR);
  fill($("regularizationRate"), REG);
  fill($("dropout"), DROPOUT);

  function b64bytes(s) {
    const bin = atob(s), out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function esc(t) { return String(t).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]); }
  function fmtLoss(v) { return v === null || v === undefined ? "\u2013" : v.toFixed(3); }
  function send(msg) { if (S.ws && S.ws.readyState === 1) S.ws.send(JSON.stringify(msg)); }
  function set(values) { send({ type: "set", values }); }

  // ------------------------------------------------------------------ the URL hash
  function readHash() {
    const out = {};
    const h = location.hash.replace(/^#/, "");
    if (!h) return out;
    for (const part of h.split("&")) {
      if (!part) continue;
      const i = part.indexOf("=");
      const k = decodeURIComponent(i < 0 ? part : part.slice(0, i));
      out[k] = decodeURIComponent(i < 0 ? "" : part.slice(i + 1));
    }
    return out;
  }

  // ------------------------------------------------------------------ controls
  document.querySelectorAll("[data-key]").forEach((el) => {
    const key = el.dataset.key;
    const evt = el.type === "range" ? "input" : "change";
    el.addEventListener(evt, () => {
      let v;
      if (el.type === "checkbox") v = el.checked;
      else if (el.type === "range" || el.type === "number") v = Number(el.value);
      else if (key === "learningRate" || key === "regularizationRate" || key === "dropout") v = Number(el.value);
      else v = el.value;
      if (el.type === "range") { const lab = $(key + "Val"); if (lab) lab.textContent = el.value; }
      if (el.type === "range") { clearTimeout(el._t); el._t = setTimeout(() => set({ [key]: v }), 120); }
      else if (key === "activation") set({ activation: v, activations: "" });  // one activation for every layer again
      else set({ [key]: v });
    });
  });
  $("play").addEventListener("click", () => send({ type: S.running ? "pause" : "play" }));
  $("step").addEventListener("click", () => send({ type: "step" }));
  $("reset").addEventListener("click", () => { send({ type: "reset" }); });
  $("regenerate").addEventListener("click", () => send({ type: "regenerate" }));
  $("export").addEventListener("click", () => send({ type: "export" }));
  $("addLayer").addEventListener("click", () => {
    const s = S.params.networkShape.slice();
    if (s.length < 10) { s.push(s.length ? s[s.length - 1] : 2); set({ networkShape: s.join(","), activations: "" }); }
  });
  $("removeLayer").addEventListener("click", () => {
    const s = S.params.networkShape.slice();
    if (s.length) { s.pop(); set({ networkShape: s.join(","), activations: "" }); }
  });
  $("upload").addEventListener("change", (ev) => {
    const f = ev.target.files[0];
    if (!f) return;
    if (f.size > 10 * 1024 * 1024) { showError(`${f.name} is ${(f.size / 1048576).toFixed(1)} MB; files up to 10 MB can be uploaded.`); return; }
    const r = new FileReader();
    r.onload = () => send({ type: "upload", name: f.name, text: String(r.result) });
    r.onerror = () => showError(`could not read ${f.name}`);
    r.readAsText(f);
    ev.target.value = "";
  });
  for (const id of ["colX", "colY", "colLabel"]) {
    $(id).addEventListener("change", () => send({ type: "columns", x: $("colX").value, y: $("colY").value, label: $("colLabel").value }));
  }

  function showError(msg) { const e = $("error"); e.textContent = msg; e.hidden = false; clearTimeout(e._t); e._t = setTimeout(() => { e.hidden = true; }, 15000); }
  function showNotes(notes) {
    const n = $("notes");
    if (!notes || !notes.length) return;
    n.innerHTML = "";
    const head = document.createElement("b"); head.textContent = "Settings changed: "; n.appendChild(head);
    for (const t of notes) { const d = document.createElement("div"); d.textContent = t; n.appendChild(d); }
    n.hidden = false;
  }

  // ------------------------------------------------------------------ state from the server
  function applyState(p) {
    S.params = p;
    for (const el of document.querySelectorAll("[data-key]")) {
      const v = p[el.dataset.key];
      if (el.tagName === "SELECT" && ![...el.options].some((o) => o.value === String(v))) {
        const o = document.createElement("option"); o.value = String(v); o.textContent = String(v); el.appendChild(o);
      }
      if (el.type === "checkbox") el.checked = !!v;
      else el.value = String(v);
      const lab = $(el.dataset.key + "Val"); if (lab) lab.textContent = String(v);
    }
    document.body.classList.toggle("hideText", !!p.hideText);
    buildDatasetButtons();
    drawPoints();
    if (S.frame) drawHeat(S.frame);
  }

  function buildDatasetButtons() {
    const box = $("datasets"), p = S.params;
    const list = p.problem === "regression" ? REGRESS : CLASSIFY;
    const current = p.problem === "regression" ? p.regDataset : p.dataset;
    if (box.dataset.kind !== p.problem) {
      box.innerHTML = "";
      for (const [name, label] of list) {
        const b = document.createElement("button");
        b.dataset.testid = "dataset-" + name; b.setAttribute("data-testid", "dataset-" + name);
        b.title = label; b.dataset.name = name;
        b.innerHTML = `<canvas width="40" height="40"></canvas><span>${label}</span>`;
        thumbnail(b.querySelector("canvas"), name);
        b.addEventListener("click", () => {
          if (name === "custom" || name === "custom-reg") { $("upload").click(); return; }
          set(p.problem === "regression" ? { regDataset: name } : { dataset: name });
        });
        box.appendChild(b);
      }
      box.dataset.kind = p.problem;
    }
    for (const b of box.children) b.classList.toggle("selected", b.dataset.name === current);
  }

  // small pictures of the data sets (drawn here, like TF Playground's, from a few formulas)
  function thumbnail(cv, name) {
    const ctx = cv.getContext("2d"), n = 40, img = ctx.createImageData(n, n);
    const blue = [8, 119, 189], orange = [245, 147, 34], grey = [232, 234, 235];
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      const x = (j / (n - 1)) * 12 - 6, y = 6 - (i / (n - 1)) * 12, r = Math.hypot(x, y);
      let c = grey, v = null;
      if (name === "circle") c = r < 2.5 ? blue : r > 3.5 && r < 5 ? orange : grey;
      else if (name === "xor" || name === "xor4") c = Math.abs(x) < 0.4 || Math.abs(y) < 0.4 ? grey : (x * y > 0 ? blue : orange);
      else if (name === "gauss") c = Math.hypot(x - 2, y - 2) < 1.8 ? blue : Math.hypot(x + 2, y + 2) < 1.8 ? orange : grey;
      else if (name === "spiral") { const t = Math.atan2(x, y), s = ((r / 5 * 1.75 * 2 * Math.PI - t) % (2 * Math.PI) + 2 * Math.PI) % (2 * Math.PI); c = r > 5.3 ? grey : s < Math.PI ? blue : orange; }
      else if (name === "blobs") { const k = [0, 1, 2].find((q) => Math.hypot(x - 3.2 * Math.cos(Math.PI / 2 + 2 * Math.PI * q / 3), y - 3.2 * Math.sin(Math.PI / 2 + 2 * Math.PI * q / 3)) < 1.8); c = k === undefined ? grey : CLASS_COLORS[k]; }
      else if (name === "jets") c = x > -1 && x < 3 && y < 0 ? blue : x < -1 ? orange : grey;
      else if (name === "reg-plane") v = (x + y) / 12;
      else if (name === "reg-gauss") v = Math.max(-1, Math.min(1, Math.sin(x / 1.3) * Math.sin(y / 1.6) * 1.5));
      else if (name === "polynomial") { const u = x / 5; v = Math.tanh((4 * u * u * u - 3 * u) * 5 - y); }
      else c = (i + j) % 8 < 4 ? grey : [200, 200, 200];
      if (v !== null) { const q = Math.round((Math.max(-1, Math.min(1, v)) + 1) * 127.5); c = [LUT[q * 3], LUT[q * 3 + 1], LUT[q * 3 + 2]]; }
      const p = (i * n + j) * 4; img.data[p] = c[0]; img.data[p + 1] = c[1]; img.data[p + 2] = c[2]; img.data[p + 3] = 255;
    }
    ctx.putImageData(img, 0, 0);
  }

  // ------------------------------------------------------------------ the plot
  const heatCanvas = $("heatmap"), pointCanvas = $("points");
  const off = document.createElement("canvas");
  function heatImage(frame) {
    const n = Math.round(Math.sqrt(b64len(frame.heat)));
    off.width = n; off.height = n;
    const ctx = off.getContext("2d"), img = ctx.createImageData(n, n);
    const v = b64bytes(frame.heat), disc = S.params && S.params.discretize;
    if (frame.heatKind === "classes") {
      const conf = b64bytes(frame.conf);
      for (let i = 0; i < n * n; i++) {
        const c = CLASS_COLORS[v[i] % 10], t = disc ? 1 : Math.max(0, (conf[i] / 255 - 0.3) / 0.7);
        for (let k = 0; k < 3; k++) img.data[i * 4 + k] = Math.round(232 + (c[k] - 232) * t);
        img.data[i * 4 + 3] = 255;
      }
    } else {
      for (let i = 0; i < n * n; i++) {
        let q = v[i];
        if (disc && !(S.data && S.data.curve)) q = q >= 128 ? 255 : 0;
        img.data[i * 4] = LUT[q * 3]; img.data[i * 4 + 1] = LUT[q * 3 + 1]; img.data[i * 4 + 2] = LUT[q * 3 + 2]; img.data[i * 4 + 3] = 255;
      }
    }
    ctx.putImageData(img, 0, 0);
    return off;
  }
  function b64len(s) { const pad = s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0; return s.length / 4 * 3 - pad; }
  function drawHeat(frame) {
    const ctx = heatCanvas.getContext("2d");
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(heatImage(frame), 0, 0, heatCanvas.width, heatCanvas.height);
    if (frame.curve && S.data) {
      const D = S.data.domain, W = heatCanvas.width;
      ctx.strokeStyle = "#222"; ctx.lineWidth = 2; ctx.beginPath();
      frame.curve.forEach((f, j) => { const x = j / (frame.curve.length - 1) * W, y = (D - f) / (2 * D) * W; j ? ctx.lineTo(x, y) : ctx.moveTo(x, y); });
      ctx.stroke();
    }
    heatCanvas.dataset.drawn = String(Number(heatCanvas.dataset.drawn || 0) + 1);
  }
  function toPx(x, D, W) { return (x + D) / (2 * D) * W; }
  function drawPoints() {
    const ctx = pointCanvas.getContext("2d"), W = pointCanvas.width;
    ctx.clearRect(0, 0, W, W);
    const d = S.data; if (!d || !S.params) return;
    const D = d.domain, showTest = S.params.showTestData;
    for (let i = 0; i < d.label.length; i++) {
      const train = d.train[i] === 1;
      if (!train && !showTest) continue;
      const x = toPx(d.xy[2 * i], D, W), y = W - toPx(d.xy[2 * i + 1], D, W);
      let col;
      if (d.task === "classification") { const c = d.classes > 2 ? CLASS_COLORS[d.label[i] % 10] : (d.label[i] === 1 ? [8, 119, 189] : [245, 147, 34]); col = `rgb(${c})`; }
      else if (d.curve) col = "#555";
      else { const q = Math.round((Math.max(-1, Math.min(1, d.label[i])) + 1) * 127.5); col = `rgb(${LUT[q * 3]},${LUT[q * 3 + 1]},${LUT[q * 3 + 2]})`; }
      ctx.beginPath(); ctx.arc(x, y, d.label.length > 2000 ? 2 : 3.5, 0, 2 * Math.PI);
      ctx.fillStyle = col; ctx.fill();
      ctx.lineWidth = 1; ctx.strokeStyle = train ? "#fff" : "#000"; ctx.stroke();
    }
  }
  pointCanvas.addEventListener("click", (ev) => {
    if (!S.data) return;
    const r = pointCanvas.getBoundingClientRect(), D = S.data.domain;
    const x = ((ev.clientX - r.left) / r.width) * 2 * D - D, y = D - ((ev.clientY - r.top) / r.height) * 2 * D;
    const label = S.data.task === "classification" ? Number($("addClass").value || 0) : (ev.shiftKey ? -1 : 1);
    send({ type: "add_point", x: Math.max(-D, Math.min(D, x)), y: Math.max(-D, Math.min(D, y)), label });
  });
  function drawAxes() {
    const d = S.data; if (!d) return;
    const fmt = (v) => Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(1) : v.toFixed(2);
    const ax = (lo, hi) => [lo, (lo + hi) / 2, hi].map(fmt);
    $("axisX").innerHTML = ax(d.axes[0][1], d.axes[0][2]).map((t) => `<span>${t}</span>`).join("") ;
    $("axisY").innerHTML = ax(d.axes[1][1], d.axes[1][2]).reverse().map((t) => `<span>${t}</span>`).join("");
    $("axisX").title = d.axes[0][0]; $("axisY").title = d.axes[1][0];
    const leg = $("legend"); leg.innerHTML = "";
    const add = (rgb, text) => { const i = document.createElement("i"); i.style.background = `rgb(${rgb})`; leg.appendChild(i); leg.appendChild(document.createTextNode(text)); };
    leg.appendChild(document.createTextNode(`${d.axes[0][0]} \u2192, ${d.axes[1][0]} \u2191 `));
    if (d.task === "classification") {
      const names = d.classNames && d.classNames.length ? d.classNames : null;
      if (d.classes > 2) for (let k = 0; k < d.classes; k++) add(CLASS_COLORS[k], names ? names[k] : String(k));
      else { add([245, 147, 34], names ? names[0] : "\u22121"); add([8, 119, 189], names ? names[1] : "+1"); }
    }
    $("addClassBox").hidden = d.task !== "classification"; $("addValueHelp").hidden = d.task === "classification";
    const sel = $("addClass"), k = Math.max(2, d.classes || 2);
    const n = d.task === "classification" ? Math.min(10, k + 1) : 0;
    fill(sel, Array.from({ length: n }, (_, i) => i), (i) => (d.classNames && d.classNames[i]) || (k === 2 && i < 2 ? ["orange (\u22121)", "blue (+1)"][i] : "class " + i));
    sel.value = "1";
  }

  // ------------------------------------------------------------------ loss chart
  const chart = $("lossChart");
  function drawChart() {
    const ctx = chart.getContext("2d"), W = chart.width, H = chart.height;
    ctx.clearRect(0, 0, W, H);
    const h = S.hist; if (h.length < 2) return;
    let max = 0;
    for (const r of h) { if (r[1] !== null) max = Math.max(max, r[1]); if (r[2] !== null) max = Math.max(max, r[2]); }
    if (!(max > 0)) return;
    const e0 = h[0][0], e1 = h[h.length - 1][0] || 1;
    const X = (e) => (e - e0) / Math.max(1, e1 - e0) * (W - 2) + 1, Y = (v) => H - 2 - v / max * (H - 4);
    for (const [k, col] of [[2, "#000"], [1, "#999"]]) {
      ctx.strokeStyle = col; ctx.lineWidth = 1.2; ctx.beginPath();
      let started = false;
      const stepN = Math.max(1, Math.floor(h.length / W));
      for (let i = 0; i < h.length; i += stepN) { const r = h[i]; if (r[k] === null) continue; const x = X(r[0]), y = Y(r[k]); started ? ctx.lineTo(x, y) : ctx.moveTo(x, y); started = true; }
      ctx.stroke();
    }
    chart._scale = { X, e0, e1, W };
  }
  chart.addEventListener("mousemove", (ev) => {
    const h = S.hist, tip = $("lossTip"); if (h.length < 1) return;
    const r = chart.getBoundingClientRect(), fx = (ev.clientX - r.left) / r.width;
    const e0 = h[0][0], e1 = h[h.length - 1][0];
    const target = e0 + fx * (e1 - e0);
    let best = 0; for (let i = 0; i < h.length; i++) if (Math.abs(h[i][0] - target) < Math.abs(h[best][0] - target)) best = i;
    const row = h[best];
    tip.textContent = `epoch ${row[0]}: test ${fmtLoss(row[2])}, train ${fmtLoss(row[1])}`;
    tip.hidden = false;
  });
  chart.addEventListener("mouseleave", () => { $("lossTip").hidden = true; });

  // ------------------------------------------------------------------ the network
  const NODE = 36, TOP = 30, ROWH = 46;
  let COLW = 110;
  function layout() {
    const m = S.model; if (!m) return null;
    const cols = [m.features.length, ...m.shape];
    const big = cols.reduce((a, b) => a + b, 0) > 160;
    return { cols, big };
  }
  function nodePos(c, i) { return { x: 70 + c * COLW, y: TOP + i * ROWH }; }
  function buildNetwork() {
    const m = S.model, box = $("nodes"), svg = $("links");
    box.innerHTML = ""; svg.innerHTML = "";
    const L = layout(); if (!L) return;
    const avail = $("net").parentElement.clientWidth || 600;
    COLW = Math.max(76, Math.min(110, Math.floor((avail - 110) / (m.shape.length + 1))));
    $("net").style.width = (70 + (m.shape.length + 1) * COLW + 20) + "px";
    $("layerCount").textContent = `${m.shape.length} hidden layer${m.shape.length === 1 ? "" : "s"}`;
    const maxRows = Math.max(...L.cols.map((n) => L.big ? 1 : n), FEATURES.length);
    $("net").style.height = (TOP + maxRows * ROWH + 20) + "px";
    S.nodeCanvases = [];
    // feature column: all seven, the selected ones lit
    FEATURES.forEach(([key, label], i) => {
      const { x, y } = nodePos(0, i);
      const used = m.features.indexOf(key);
      const d = document.createElement("div"); d.className = "node" + (used < 0 ? " off" : "");
      d.style.left = x + "px"; d.style.top = y + "px"; d.title = `${label}: click to ${used < 0 ? "use" : "drop"} this feature`;
      d.setAttribute("data-testid", "feature-" + key);
      const cv = document.createElement("canvas"); cv.width = 20; cv.height = 20; d.appendChild(cv);
      d.addEventListener("click", () => set({ [key]: used < 0 }));
      box.appendChild(d);
      const t = document.createElement("div"); t.className = "featlabel"; t.textContent = label;
      t.style.left = (x - 66) + "px"; t.style.top = (y + 10) + "px"; box.appendChild(t);
      if (used >= 0) S.nodeCanvases[used] = cv;
    });
    let k = m.features.length;
    m.shape.forEach((n, l) => {
      const c = l + 1, { x } = nodePos(c, 0);
      const head = document.createElement("div"); head.className = "layerlabel"; head.style.left = (x - 17) + "px"; head.style.top = "0px";
      head.innerHTML = `<button class="pm" title="Add a neuron">+</button> <button class="pm" title="Remove a neuron">&minus;</button><br>${n} neuron${n === 1 ? "" : "s"}`;
      const [plus, minus] = head.querySelectorAll("button");
      plus.setAttribute("data-testid", `add-neuron-${l}`); minus.setAttribute("data-testid", `remove-neuron-${l}`);
      plus.addEventListener("click", () => { const s = m.shape.slice(); if (s[l] < 64) { s[l]++; set({ networkShape: s.join(",") }); } });
      minus.addEventListener("click", () => { const s = m.shape.slice(); if (s[l] > 1) { s[l]--; set({ networkShape: s.join(",") }); } });
      box.appendChild(head);
      const act = document.createElement("select"); act.className = "layeract"; act.title = "this layer's activation";
      act.setAttribute("data-testid", `activation-${l}`);
      fill(act, ["relu", "tanh", "sigmoid", "linear"]);
      act.value = m.activations[l] === "identity" ? "linear" : m.activations[l];
      act.style.position = "absolute"; act.style.left = (x - 12) + "px"; act.style.top = "32px"; act.style.fontSize = "10px";
      act.addEventListener("change", () => {
        const acts = m.activations.map((a) => a === "identity" ? "linear" : a); acts[l] = act.value;
        set({ activations: acts.join(",") });
      });
      box.appendChild(act);
      if (L.big) {
        const b = document.createElement("div"); b.className = "layerbox"; b.style.left = (x - 12) + "px"; b.style.top = (TOP + 30) + "px";
        b.textContent = `${n} \u00d7 ${act.value}`; box.appendChild(b);
        return;
      }
      for (let i = 0; i < n; i++) {
        const { y } = nodePos(c, i);
        const d = document.createElement("div"); d.className = "node"; d.style.left = x + "px"; d.style.top = (y + 30) + "px";
        d.setAttribute("data-testid", `neuron-${l}-${i}`);
        const cv = document.createElement("canvas"); cv.width = 20; cv.height = 20; d.appendChild(cv);
        const bias = document.createElement("div"); bias.className = "bias"; bias.title = "bias: click to edit"; d.appendChild(bias);
        bias.dataset.layer = String(l); bias.dataset.index = String(i);
        bias.addEventListener("click", (ev) => { ev.stopPropagation(); openEditor(l, i, -1, ev); });
        box.appendChild(d);
        S.nodeCanvases[k++] = cv;
      }
    });
    // output bias editor: click the plot label
    svg.setAttribute("width", String(70 + (m.shape.length + 1) * COLW));
    svg.setAttribute("height", $("net").style.height);
  }
  function linkPos(c, i, nShape) {
    const p = nodePos(c, i);
    return { x: p.x, y: p.y + (c === 0 ? 0 : 30) + NODE / 2 };
  }
  function drawLinks(frame) {
    const svg = $("links"), m = S.model; const L = layout();
    if (!frame.weights || !m || L.big) { svg.innerHTML = ""; return; }
    const parts = [];
    const featRow = m.features.map((f) => FEATURES.findIndex(([k]) => k === f));
    const nL = frame.weights.length;
    for (let l = 0; l < nL; l++) {
      const W = frame.weights[l];
      const last = l === nL - 1;
      for (let o = 0; o < W.length; o++) {
        const to = last ? { x: 70 + (m.shape.length + 1) * COLW - 30, y: TOP + 60 + o * 20 } : linkPos(l + 1, o);
        for (let j = 0; j < W[o].length; j++) {
          const from = l === 0 ? linkPos(0, featRow[j]) : linkPos(l, j);
          const w = W[o][j], width = Math.min(6, 0.5 + Math.abs(w) * 2);
          const x1 = from.x + NODE, y1 = from.y, x2 = to.x, y2 = to.y, mx = (x1 + x2) / 2;
          parts.push(`<path data-l="${l}" data-o="${o}" data-j="${j}" d="M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}" stroke="${w < 0 ? "#f59322" : "#0877bd"}" stroke-width="${width.toFixed(2)}" stroke-opacity="0.75"><title>weight ${w.toFixed(3)} (click to edit)</title></path>`);
        }
      }
    }
    svg.innerHTML = parts.join("");
  }
  $("links").addEventListener("click", (ev) => {
    const t = ev.target; if (t.tagName !== "path") return;
    openEditor(Number(t.dataset.l), Number(t.dataset.o), Number(t.dataset.j), ev);
  });
  function openEditor(layer, to, from, ev) {
    const f = S.frame; if (!f || !f.weights) return;
    const ed = $("editor"), r = $("net").getBoundingClientRect();
    const value = from < 0 ? f.biases[layer][to] : f.weights[layer][to][from];
    $("editorLabel").textContent = from < 0 ? `bias of neuron ${to + 1} in layer ${layer + 1}` : `weight ${from + 1}\u2192${to + 1}, layer ${layer + 1}`;
    $("editorValue").value = String(value);
    ed.style.left = (ev.clientX - r.left + 10) + "px"; ed.style.top = (ev.clientY - r.top + 10) + "px"; ed.hidden = false;
    ed._target = { layer, to, from };
    $("editorValue").focus();
  }
  $("editorValue").addEventListener("keydown", (ev) => {
    if (ev.key === "Enter") {
      const t = $("editor")._target, v = Number($("editorValue").value);
      if (Number.isFinite(v)) send({ type: "edit", layer: t.layer, to: t.to, from: t.from, value: v });
      $("editor").hidden = true;
    } else if (ev.key === "Escape") $("editor").hidden = true;
  });
  function drawNodes(frame) {
    if (frame.biases) for (const el of document.querySelectorAll("#nodes .bias")) {
      const v = frame.biases[Number(el.dataset.layer)][Number(el.dataset.index)];
      el.title = `bias ${v.toFixed(3)} (click to edit)`;
    }
    if (!frame.nodes || !S.nodeCanvases) return;
    const r = frame.nodes.res;
    frame.nodes.maps.forEach((m, i) => {
      const cv = S.nodeCanvases[i]; if (!cv) return;
      if (cv.width !== r) { cv.width = r; cv.height = r; }
      const ctx = cv.getContext("2d"), img = ctx.createImageData(r, r), v = b64bytes(m);
      for (let p = 0; p < r * r; p++) { const q = v[p]; img.data[p * 4] = LUT[q * 3]; img.data[p * 4 + 1] = LUT[q * 3 + 1]; img.data[p * 4 + 2] = LUT[q * 3 + 2]; img.data[p * 4 + 3] = 255; }
      ctx.putImageData(img, 0, 0);
    });
  }

  // ------------------------------------------------------------------ frames
  function onFrame(f) {
    stats.frames++; stats.lastEpoch = f.epoch;
    if (f.ack) S.pendingAcks++;
    if (f.epoch === 0 || (S.hist.length && f.epoch < S.hist[S.hist.length - 1][0])) S.hist = [];
    if (!S.hist.length || S.hist[S.hist.length - 1][0] !== f.epoch) S.hist.push([f.epoch, f.trainLoss, f.testLoss]);
    else S.hist[S.hist.length - 1] = [f.epoch, f.trainLoss, f.testLoss];
    S.frame = f;
    setRunning(f.running);
    if (!S.drawScheduled) { S.drawScheduled = true; requestAnimationFrame(draw); }
  }
  function draw() {
    S.drawScheduled = false;
    const f = S.frame; if (!f) return;
    $("epoch").textContent = String(f.epoch).padStart(6, "0").replace(/(\d{3})(\d{3})$/, "$1,$2");
    $("testLoss").textContent = fmtLoss(f.testLoss);
    $("trainLoss").textContent = fmtLoss(f.trainLoss);
    drawHeat(f); drawNodes(f); drawLinks(f); drawChart(); drawMetrics(f);
    stats.drawn++;
    for (; S.pendingAcks > 0; S.pendingAcks--) send({ type: "ack" });
  }
  function drawMetrics(f) {
    const m = f.metrics || {}, box = $("metrics");
    let html = `<div>learning rate now ${f.lr !== undefined ? Number(f.lr).toPrecision(3) : "\u2013"}</div>`;
    if (m.accuracy !== undefined && m.accuracy !== null) {
      html += `<div>Test accuracy <b data-testid="accuracy">${(100 * m.accuracy).toFixed(1)}%</b></div>`;
      if (m.confusion) {
        const names = ((S.data && S.data.classNames && S.data.classNames.length) ? S.data.classNames : m.confusion.map((_, i) => String(i))).map(esc);
        html += `<table data-testid="confusion"><tr><th>true\\pred</th>${m.confusion.map((_, i) => `<th>${names[i] || i}</th>`).join("")}</tr>` +
          m.confusion.map((row, i) => `<tr><th>${names[i] || i}</th>${row.map((v) => `<td>${v}</td>`).join("")}</tr>`).join("") + "</table>";
      }
    }
    if (m.r2 !== undefined) html += `<div>Test R\u00b2 <b data-testid="r2">${m.r2 === null ? "\u2013" : m.r2.toFixed(3)}</b></div>`;
    box.innerHTML = html;
  }
  function setRunning(r) {
    S.running = !!r;
    $("play").classList.toggle("running", S.running);
    $("play").innerHTML = S.running ? "&#x275A;&#x275A;" : "&#x25B6;";
    $("play").dataset.running = S.running ? "true" : "false";
  }

  function download(msg) {
    const bytes = b64bytes(msg.data), blob = new Blob([bytes], { type: "application/zip" });
    const a = document.createElement("a"); a.href = URL.createObjectURL(blob); a.download = msg.filename;
    document.body.appendChild(a); a.click(); setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    $("status").textContent = `Exported ${msg.filename} (${(msg.bytes / 1024).toFixed(1)} kB): unzip it and run physnn train experiment.toml`;
  }

  // ------------------------------------------------------------------ the socket
  function connect() {
    const ws = new WebSocket((location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/ws");
    S.ws = ws;
    ws.onopen = () => send({ type: "hello", hash: readHash() });
    ws.onmessage = (ev) => {
      stats.bytes += ev.data.length;
      const msg = JSON.parse(ev.data);
      switch (msg.type) {
        case "frame": onFrame(msg); break;
        case "state":
          applyState(msg.params); showNotes(msg.notes);
          history.replaceState(null, "", "#" + msg.hash);
          break;
        case "data":
          S.data = msg; stats.points = msg.label.length; drawAxes(); drawPoints(); buildDatasetButtons(); break;
        case "model": S.model = msg; S.hist = []; buildNetwork(); break;
        case "status": setRunning(msg.running); if (msg.message) $("status").textContent = msg.message; break;
        case "error": showError(msg.message); break;
        case "table": {
          for (const id of ["colX", "colY", "colLabel"]) fill($(id), msg.columns);
          $("colX").value = msg.x; $("colY").value = msg.y; $("colLabel").value = msg.label;
          $("columns").hidden = false;
          $("status").textContent = `${msg.name}: ${msg.rows} rows; pick the two input columns and the label.`;
          break;
        }
        case "export": download(msg); break;
      }
    };
    ws.onclose = () => { $("status").textContent = "Disconnected from the physnn server: restart `physnn playground` and reload."; setRunning(false); };
  }
  connect();
})();
