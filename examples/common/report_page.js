// The attention explorer (report.hpp): draws the views of one report page from its inline data
// (<script id="report-data">), in plain JavaScript with no library and no network, so the page
// works opened from a file. Compiled into the programs and inlined in each page.
//
// The data: {title, examples: [{label, input, output: [token], reference: [token], joiner, right,
// wrong: [position], attention: [view], image?, grid?: [rows, cols]}]}, where a view is
// {name, query_title, key_title, queries, keys, layers, heads, causal, note, weights}, and
// weights is base64 of one byte per cell, layer by layer, head by head, row by row:
// round(254 × weight), or 255 where a mask hides the key from the query.
//
// The address may choose what is shown first: index.html#example=2&view=1&layer=0&head=1&hover=3
// (hover: a query token of the head view, as if the pointer rested on it).
"use strict";

const MASKED = 255;
const HEAD_COLOURS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
                      "#bcbd22", "#17becf"];
const data = JSON.parse(document.getElementById("report-data").textContent);

// What is shown: the example, its attention view, the layer, the heads drawn in the head view,
// the heatmap's head (-1: the mean of the heads), the hovered token and the caption's word.
const state = { example: 0, view: 0, layer: 0, heads: new Set(), heatHead: -1, hover: null, pinned: null, word: 0 };

// ---- data ----

function decodeWeights(view) {
  if (!view.bytes) {
    const text = atob(view.weights);
    view.bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; ++i) view.bytes[i] = text.charCodeAt(i);
  }
  return view.bytes;
}

// The weight of query q on key k in a layer's head, or null where masked; head -1: the heads' mean.
function weight(view, layer, head, q, k) {
  const bytes = decodeWeights(view), Q = view.queries.length, K = view.keys.length;
  if (head < 0) {
    let sum = 0;
    for (let h = 0; h < view.heads; ++h) {
      const w = weight(view, layer, h, q, k);
      if (w === null) return null;
      sum += w;
    }
    return sum / view.heads;
  }
  const b = bytes[((layer * view.heads + head) * Q + q) * K + k];
  return b === MASKED ? null : b / 254;
}

function currentExample() { return data.examples[state.example]; }
function currentView() { return currentExample().attention[state.view]; }

// ---- small helpers ----

function el(tag, attributes, children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes || {})) {
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children || []) node.append(child);
  return node;
}

function escapeXml(text) {
  return String(text).replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", "\"": "&quot;", "'": "&#39;" })[c]);
}

// White (0) to dark blue (1), as [r, g, b] and as a CSS colour.
function shadeRgb(w) {
  const t = Math.max(0, Math.min(1, w));
  return [255 + (8 - 255) * t, 255 + (48 - 255) * t, 255 + (107 - 255) * t].map(Math.round);
}

function shade(w) { return `rgb(${shadeRgb(w).join(",")})`; }

// ✓ right, ✗ wrong, · nothing to score against (a sample, the user's own input).
function mark(e) {
  if (e.reference.length === 0) return { text: "·", class: "" };
  return e.right ? { text: "✓", class: "right-mark" } : { text: "✗", class: "wrong-mark" };
}

function headName(head) { return head < 0 ? "mean of the heads" : `head ${head}`; }

// The tokens of an output with its wrong positions marked.
function markedTokens(e) {
  const node = el("span", { class: "tokens" });
  const wrong = new Set(e.wrong);
  e.output.forEach((token, i) => {
    if (i > 0 && e.joiner) node.append(e.joiner);
    node.append(wrong.has(i) ? el("span", { class: "wrong", text: token, title: "wrong" }) : token);
  });
  if (e.output.length === 0) node.append(el("span", { class: "wrong", text: "(nothing)" }));
  return node;
}

// ---- the controls ----

function selectBox(id, options, selected, onChange) {
  const box = el("select", { id, onchange: () => onChange(Number(box.value)) });
  options.forEach((text, i) => box.append(el("option", { value: String(i), text })));
  box.value = String(selected);
  return box;
}

function headChips(view) {
  const chips = el("span", { id: "head-chips" });
  for (let h = 0; h < view.heads; ++h) {
    const colour = HEAD_COLOURS[h % HEAD_COLOURS.length];
    const chip = el("span", {
      class: "chip" + (state.heads.has(h) ? "" : " off"), style: `background:${colour};border-color:${colour}`,
      title: "click: show or hide this head; double-click: this head alone", "data-head": String(h), text: String(h),
    });
    chip.addEventListener("click", () => {
      state.heads.has(h) ? state.heads.delete(h) : state.heads.add(h);
      drawViews();
    });
    chip.addEventListener("dblclick", () => {
      state.heads = new Set([h]);
      state.heatHead = h;
      drawViews();
    });
    chips.append(chip);
  }
  return chips;
}

function drawControls(root) {
  const e = currentExample(), view = currentView();
  const controls = el("div", { class: "controls" });
  controls.append(el("label", {}, ["example ", selectBox("example-select", data.examples.map(x =>
    `${mark(x).text} ${x.label}`), state.example, i => selectExample(i))]));
  controls.append(el("label", {}, ["attention ", selectBox("view-select", e.attention.map(v => v.name), state.view,
    i => { state.view = i; resetView(); drawExplorer(); })]));
  controls.append(el("label", {}, ["layer ", selectBox("layer-select",
    Array.from({ length: view.layers }, (_, l) => `layer ${l}`), state.layer, l => { state.layer = l; drawViews(); })]));
  controls.append(el("span", {}, ["heads ", headChips(view),
    el("button", { type: "button", text: "all", onclick: () => { resetHeads(); drawViews(); } })]));
  root.append(controls);
}

// ---- the head view: lines from each query token to the keys it attends to ----

const HEAD_VIEW_GAP = 200;

// The head view's geometry: each column as wide as its longest label or title, rows closer when
// there are many.
function headViewLayout(view) {
  const width = (tokens, title) => Math.ceil(7.5 * Math.max(3, title.length, ...tokens.map(t => t.length))) + 8;
  const left = width(view.queries, view.query_title), row = Math.max(view.queries.length, view.keys.length) > 30 ? 16 : 20;
  return { left, right: left + HEAD_VIEW_GAP, keysWidth: width(view.keys, view.key_title), row };
}

function headViewLines(view, only) {
  let svg = "";
  const Q = view.queries.length, K = view.keys.length, layout = headViewLayout(view);
  const x1 = layout.left + 6, x2 = layout.right - 6, y = i => 34 + i * layout.row - layout.row / 2 + 6;
  for (const h of state.heads) {
    const colour = HEAD_COLOURS[h % HEAD_COLOURS.length];
    for (let q = 0; q < Q; ++q) {
      if (only && only.side === "query" && only.index !== q) continue;
      for (let k = 0; k < K; ++k) {
        if (only && only.side === "key" && only.index !== k) continue;
        const w = weight(view, state.layer, h, q, k);
        if (w === null || w < 0.01) continue;
        svg += `<line class="attention-line" x1="${x1}" y1="${y(q)}" x2="${x2}" y2="${y(k)}" stroke="${colour}" ` +
          `stroke-width="2" stroke-opacity="${(only ? w : w * 0.6).toFixed(3)}"/>`;
      }
    }
  }
  return svg;
}

function headViewSvg(view) {
  const { left, right, keysWidth, row } = headViewLayout(view);
  const width = right + keysWidth, height = 40 + Math.max(view.queries.length, view.keys.length) * row;
  let svg = `<svg id="head-view" width="${width}" height="${height}">` +
    `<text x="${left}" y="14" text-anchor="end" font-weight="bold">${escapeXml(view.query_title)}</text>` +
    `<text x="${right}" y="14" font-weight="bold">${escapeXml(view.key_title)}</text><g id="head-view-lines"></g>`;
  view.queries.forEach((t, q) => {
    svg += `<g class="token query" data-side="query" data-index="${q}"><rect x="0" y="${24 + q * row}" ` +
      `width="${left + 4}" height="${row}" fill="transparent"/><text x="${left}" y="${34 + q * row}" ` +
      `text-anchor="end">${escapeXml(t)}</text></g>`;
  });
  view.keys.forEach((t, k) => {
    svg += `<g class="token key" data-side="key" data-index="${k}"><rect x="${right - 4}" y="${24 + k * row}" ` +
      `width="${keysWidth}" height="${row}" fill="transparent"/><text x="${right}" y="${34 + k * row}">` +
      `${escapeXml(t)}</text></g>`;
  });
  return svg + "</svg>";
}

function redrawHeadViewLines() {
  const view = currentView(), focus = state.pinned || state.hover;
  document.getElementById("head-view-lines").innerHTML = headViewLines(view, focus);
  for (const token of document.querySelectorAll("#head-view .token"))
    token.classList.toggle("active", !!focus && token.dataset.side === focus.side &&
      Number(token.dataset.index) === focus.index);
}

function drawHeadView(panel) {
  const view = currentView();
  panel.append(el("h3", { text: `Head view: ${view.name}, layer ${state.layer}` }),
    el("p", { class: "hint", text: "Hover (or tap) a token: lines go to the tokens it attends to (or come from the " +
      "tokens attending to it); a line's opacity is the weight, its colour the head." }));
  const box = el("div", { class: "scroll" });
  box.innerHTML = headViewSvg(view);
  panel.append(box);
  for (const token of box.querySelectorAll(".token")) {
    const focus = { side: token.dataset.side, index: Number(token.dataset.index) };
    token.addEventListener("mouseover", () => { state.hover = focus; redrawHeadViewLines(); });
    token.addEventListener("mouseout", () => { state.hover = null; redrawHeadViewLines(); });
    token.addEventListener("click", () => {
      const same = state.pinned && state.pinned.side === focus.side && state.pinned.index === focus.index;
      state.pinned = same ? null : focus;
      redrawHeadViewLines();
    });
  }
}

// ---- the model view: every layer and head as a small map; click one to enlarge it ----

function drawThumbnail(canvas, view, layer, head) {
  const Q = view.queries.length, K = view.keys.length, context = canvas.getContext("2d");
  const image = context.createImageData(K, Q);
  for (let q = 0; q < Q; ++q)
    for (let k = 0; k < K; ++k) {
      const w = weight(view, layer, head, q, k), i = (q * K + k) * 4;
      const [r, g, b] = w === null ? [210, 210, 210] : shadeRgb(w);
      image.data[i] = r, image.data[i + 1] = g, image.data[i + 2] = b, image.data[i + 3] = 255;
    }
  context.putImageData(image, 0, 0);
}

function drawModelView(panel) {
  const view = currentView(), size = Math.max(48, Math.min(96, 360 / (view.heads + 1)));
  panel.append(el("h3", { text: `Model view: ${view.name}, ${view.layers} layer(s) × ${view.heads} head(s)` }),
    el("p", { class: "hint", text: "Rows are layers, columns heads (the last: their mean). Click a map to enlarge it " +
      "in the heatmap." }));
  const grid = el("div", { id: "model-view", style: `grid-template-columns: auto repeat(${view.heads + 1}, ${size}px)` });
  grid.append(el("span"));
  for (let h = 0; h <= view.heads; ++h) grid.append(el("span", { class: "axis", text: h < view.heads ? `head ${h}` : "mean" }));
  for (let l = 0; l < view.layers; ++l) {
    grid.append(el("span", { class: "axis", text: `layer ${l}` }));
    for (let h = 0; h <= view.heads; ++h) {
      const head = h < view.heads ? h : -1;
      const canvas = el("canvas", {
        class: "thumb" + (l === state.layer && head === state.heatHead ? " selected" : ""), width: view.keys.length,
        height: view.queries.length, style: `width:${size}px;height:${size}px`, title: `layer ${l}, ${headName(head)}`,
        "data-layer": String(l), "data-head": String(head),
        onclick: () => { state.layer = l; state.heatHead = head; drawViews(); location.hash = "heatmap-panel"; },
      });
      drawThumbnail(canvas, view, l, head);
      grid.append(canvas);
    }
  }
  panel.append(grid);
}

// ---- the heatmap: rows are queries, columns keys; masked cells hatched ----

function heatmapSvg(view) {
  const Q = view.queries.length, K = view.keys.length, cell = K > 30 || Q > 30 ? 16 : 26;
  const longest = Math.max(...view.keys.map(t => t.length), ...view.queries.map(t => t.length), 1);
  const left = 40 + Math.min(longest, 24) * 7, top = 40 + Math.min(longest, 24) * 6;
  const width = left + K * cell + 120, height = top + Q * cell + 20;
  let svg = `<svg width="${width}" height="${height}"><defs><pattern id="hatch" width="6" height="6" ` +
    `patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="6" height="6" fill="#eee"/>` +
    `<line x1="0" y1="0" x2="0" y2="6" stroke="#aaa" stroke-width="2"/></pattern>` +
    `<linearGradient id="legend-gradient" x1="0" y1="1" x2="0" y2="0"><stop offset="0" stop-color="${shade(0)}"/>` +
    `<stop offset="1" stop-color="${shade(1)}"/></linearGradient></defs>`;
  svg += `<text x="${left + (K * cell) / 2}" y="14" text-anchor="middle" font-weight="bold">` +
    `${escapeXml(view.key_title)} (columns: attended to) →</text>`;
  svg += `<text transform="translate(14 ${top + (Q * cell) / 2}) rotate(-90)" text-anchor="middle" ` +
    `font-weight="bold">${escapeXml(view.query_title)} (rows: attending) →</text>`;
  view.keys.forEach((t, k) => {
    const x = left + k * cell + cell / 2 + 4, y = top - 6;
    svg += `<text x="${x}" y="${y}" transform="rotate(-60 ${x} ${y})">${escapeXml(t)}</text>`;
  });
  view.queries.forEach((t, q) => {
    svg += `<text x="${left - 6}" y="${top + q * cell + cell / 2 + 4}" text-anchor="end">${escapeXml(t)}</text>`;
  });
  for (let q = 0; q < Q; ++q)
    for (let k = 0; k < K; ++k) svg += heatmapCell(view, q, k, left + k * cell, top + q * cell, cell);
  return svg + heatmapLegend(left + K * cell + 24, top) + "</svg>";
}

function heatmapCell(view, q, k, x, y, cell) {
  const w = weight(view, state.layer, state.heatHead, q, k);
  const about = `${view.queries[q]} → ${view.keys[k]}`;
  if (w === null)
    return `<rect class="cell masked" x="${x}" y="${y}" width="${cell}" height="${cell}" fill="url(#hatch)">` +
      `<title>${escapeXml(about)}: masked (the query cannot see this key)</title></rect>`;
  let svg = `<rect class="cell" x="${x}" y="${y}" width="${cell}" height="${cell}" fill="${shade(w)}" ` +
    `stroke="#f4f4f4"><title>${escapeXml(about)}: ${w.toFixed(3)}</title></rect>`;
  if (cell >= 26 && w >= 0.1)
    svg += `<text x="${x + cell / 2}" y="${y + cell / 2 + 4}" text-anchor="middle" font-size="9" ` +
      `fill="${w > 0.5 ? "white" : "black"}" pointer-events="none">${w >= 0.995 ? "1" : w.toFixed(2).slice(1)}</text>`;
  return svg;
}

function heatmapLegend(x, y) {
  let svg = `<text x="${x}" y="${y - 8}" font-weight="bold">weight</text>` +
    `<rect x="${x}" y="${y}" width="14" height="120" fill="url(#legend-gradient)" stroke="#999"/>`;
  for (const v of [0, 0.25, 0.5, 0.75, 1])
    svg += `<text x="${x + 20}" y="${y + 124 - v * 120}">${v}</text>`;
  return svg + `<rect x="${x}" y="${y + 136}" width="14" height="14" fill="url(#hatch)" stroke="#999"/>` +
    `<text x="${x + 20}" y="${y + 147}">masked</text>`;
}

function drawHeatmap(panel) {
  const view = currentView();
  panel.id = "heatmap-panel";
  panel.append(el("h3", { text: `Heatmap: ${view.name}, layer ${state.layer}, ${headName(state.heatHead)}` }),
    el("p", { class: "hint", text: "Each row is one token attending; its cells, summing to 1, say how much it took " +
      "from each column's token. Hover a cell for its weight. Choose the map in the model view." }));
  const box = el("div", { class: "scroll", id: "heatmap" });
  box.innerHTML = heatmapSvg(view);
  panel.append(box);
}

// ---- captioning: the picture under the selected word's attention ----

// The view drawn over the picture (its keys are the grid's cells), and its layer and head: the
// ones chosen, as far as that view has them.
function gridView(e) {
  const view = e.grid && e.attention.find(v => v.over_picture);
  if (!view) return null;
  return { view, layer: Math.min(state.layer, view.layers - 1), head: state.heatHead < view.heads ? state.heatHead : -1 };
}

// The word's attention over the grid, scaled up smoothly over the picture: cells it looks at
// lit in yellow, the others dimmed (on a dark picture dimming alone would not show).
function drawOverlay(canvas, e, { view, layer, head }) {
  const [rows, cols] = e.grid, context = canvas.getContext("2d");
  const weights = Array.from({ length: rows * cols }, (_, k) => weight(view, layer, head, state.word, k) || 0);
  const peak = Math.max(1e-9, ...weights);
  const paint = (rgb, alpha) => {
    const small = document.createElement("canvas");
    small.width = cols, small.height = rows;
    const image = small.getContext("2d").createImageData(cols, rows);
    weights.forEach((w, k) => {
      image.data.set([...rgb, Math.round(255 * alpha(w / peak))], k * 4);
    });
    small.getContext("2d").putImageData(image, 0, 0);
    context.drawImage(small, 0, 0, canvas.width, canvas.height);
  };
  context.clearRect(0, 0, canvas.width, canvas.height);
  context.imageSmoothingEnabled = true;
  paint([0, 0, 0], w => 0.55 * (1 - w));
  paint([255, 215, 0], w => 0.5 * w);
}

function drawCaption(panel) {
  const e = currentExample(), grid = gridView(e);
  if (!grid) return;
  const view = grid.view;
  state.word = Math.min(state.word, view.queries.length - 1);
  panel.append(el("h3", { text: `The picture under each word's attention (${view.name}, layer ${grid.layer}, ` +
    `${headName(grid.head)})` }));
  // The picture keeps its shape (the grid's, as each cell is 16 x 16 pixels): 240 px high for a
  // square or a tall one, up to 480 px wide for a wide strip.
  const aspect = e.grid[1] / e.grid[0], w = Math.round(Math.min(480, 240 * aspect)), h = Math.round(w / aspect);
  const size = `width:${w}px;height:${h}px`;
  const canvas = el("canvas", { id: "overlay", width: String(w), height: String(h), style: size });
  panel.append(el("div", { class: "overlay-box" },
    [el("img", { src: e.image, alt: "the input picture", style: size }), canvas]));
  const words = el("div", { class: "caption-words tokens" });
  const slider = el("input", { type: "range", id: "word-slider", min: "0", max: String(view.queries.length - 1),
    value: String(state.word) });
  const show = () => {
    drawOverlay(canvas, e, grid);
    words.querySelectorAll("span").forEach((s, i) => s.classList.toggle("current", i === state.word));
  };
  view.queries.forEach((w, i) => words.append(el("span", { text: w, onclick: () => {
    state.word = i; slider.value = String(i); show();
  } }), " "));
  slider.addEventListener("input", () => { state.word = Number(slider.value); show(); });
  panel.append(el("div", {}, [el("label", {}, ["word ", slider])]), words);
  show();
}

// ---- the whole explorer ----

function drawViews() {
  const e = currentExample(), box = document.getElementById("views");
  box.innerHTML = "";
  const chips = document.getElementById("head-chips");
  if (chips) chips.replaceWith(headChips(currentView()));
  document.getElementById("layer-select").value = String(state.layer);
  const panel = () => { const p = el("div", { class: "panel" }); box.append(p); return p; };
  if (e.image && gridView(e)) drawCaption(panel());
  drawHeadView(panel());
  drawModelView(panel());
  drawHeatmap(panel());
  redrawHeadViewLines();
}

function drawExampleText(root, e) {
  const text = el("p", {}, [el("span", { class: mark(e).class, text: mark(e).text + " " }),
    el("b", { text: e.label + ": " })]);
  if (e.input) text.append(el("code", { text: e.input }), " → ");
  text.append(markedTokens(e));
  if (!e.right) text.append("  (expected ", el("code", { text: e.reference.join(e.joiner) }), ")");
  root.append(text);
}

function drawExplorer() {
  const root = document.getElementById("explorer-root"), e = currentExample();
  root.innerHTML = "";
  drawExampleText(root, e);
  if (e.attention.length === 0) {
    if (e.image) root.append(el("img", { src: e.image, alt: "the input picture", class: "picture" }));
    root.append(el("p", { class: "note", text: e.attention_left_out
      ? "This example's attention was left out to keep the page small; the first examples have theirs."
      : "There is no attention to show: this model has none, or the input was empty." }));
    return;
  }
  drawControls(root);
  if (currentView().note) root.append(el("p", { class: "note", text: currentView().note }));
  root.append(el("div", { class: "views", id: "views" }));
  drawViews();
  for (const row of document.querySelectorAll("#example-list tr[data-example]"))
    row.classList.toggle("selected", Number(row.dataset.example) === state.example);
}

function resetHeads() { state.heads = new Set(Array.from({ length: currentView().heads }, (_, h) => h)); }

function resetView() {
  const view = currentView();
  state.layer = Math.min(state.layer, view.layers - 1);
  state.heatHead = view.heads === 1 ? 0 : -1;
  state.hover = state.pinned = null;
  state.word = 0;
  resetHeads();
}

function selectExample(i) {
  state.example = i;
  state.view = Math.min(state.view, Math.max(0, currentExample().attention.length - 1));
  if (currentExample().attention.length > 0) resetView();
  drawExplorer();
}

// The held-out examples as a table; a click shows one in the explorer.
function drawExampleList() {
  const table = el("table", {}, [el("tr", {}, ["", "example", "input", "output (wrong tokens marked)", "expected"]
    .map(t => el("th", { text: t })))]);
  data.examples.forEach((e, i) => {
    table.append(el("tr", { "data-example": String(i), title: "show this example's attention",
      onclick: () => { selectExample(i); document.getElementById("explorer").scrollIntoView(); } }, [
      el("td", { class: mark(e).class, text: mark(e).text }),
      el("td", { text: e.label }), el("td", {}, [e.image ? el("img", { src: e.image, alt: "picture", class: "list-thumb" })
        : el("code", { text: e.input })]),
      el("td", {}, [markedTokens(e)]), el("td", {}, [el("code", { text: e.reference.join(e.joiner) })]),
    ]));
  });
  document.getElementById("example-list").append(table);
}

function applyAddress() {
  const asked = {};
  for (const part of location.hash.replace(/^#/, "").split("&")) {
    const [key, value] = part.split("=");
    if (value !== undefined && /^\d+$/.test(value)) asked[key] = Number(value);
  }
  if (asked.example !== undefined && asked.example < data.examples.length) state.example = asked.example;
  const e = currentExample();
  if (asked.view !== undefined && asked.view < e.attention.length) state.view = asked.view;
  if (e.attention.length === 0) return asked;
  resetView();
  const view = currentView();
  if (asked.layer !== undefined && asked.layer < view.layers) state.layer = asked.layer;
  if (asked.head !== undefined && asked.head < view.heads) state.heatHead = asked.head;
  return asked;
}

function showError(message) {
  document.getElementById("page-errors").textContent += message + "\n";
}

window.addEventListener("error", event => showError(`error: ${event.message} (line ${event.lineno})`));

function start() {
  if (data.examples.length === 0) {
    document.getElementById("explorer-root").append(el("p", { text: "No examples to show." }));
    return;
  }
  const asked = applyAddress();
  drawExampleList();
  drawExplorer();
  if (asked.hover !== undefined) {
    const token = document.querySelector(`#head-view .token.query[data-index="${asked.hover}"]`);
    if (token) token.dispatchEvent(new MouseEvent("mouseover", { bubbles: true }));
  }
}

start();
