// The inspector's page. It uses only the JSON API under /api/ (docs/inspector.md).
// Payload text is only ever inserted with textContent: nothing from a delivery is
// parsed as HTML, and no link inside a payload is made live.
"use strict";

(() => {
  const ROW = 32; // px, the height of a list row (app.css .row)
  const OVERSCAN = 8;
  const token = document.querySelector('meta[name="inspector-token"]').content;
  const $ = (id) => document.getElementById(id);

  const state = {
    entries: new Map(), // id → list entry
    order: [], // ids, oldest first
    shown: [], // ids passing the filter, oldest first (drawn newest first)
    selected: 0,
    mark: 0, // the entry marked for Compare
    filter: { event: "", q: "", warnings: false, duplicates: false, failed: false },
    detail: null, // the full entry shown
    bodyView: "pretty",
    info: {},
    dropped: 0,
    kept: 0,
    version: 0,
    dirty: false,
  };
  // Measured by the browser tests: time to the first rendered list, and to the
  // last filter applied.
  window.inspectorTimings = {};

  // --- API ---------------------------------------------------------------------
  async function api(path, opts = {}) {
    const headers = Object.assign({ "X-Inspector-Token": token }, opts.headers || {});
    if (opts.body !== undefined) headers["Content-Type"] = "application/json";
    const resp = await fetch(path, Object.assign({}, opts, { headers, credentials: "same-origin" }));
    const type = resp.headers.get("Content-Type") || "";
    const data = type.startsWith("application/json") ? await resp.json() : await resp.text();
    if (!resp.ok) throw new Error((data && data.error) || resp.status + " " + resp.statusText);
    return data;
  }

  // --- helpers -----------------------------------------------------------------
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }
  function pad(n, w) {
    return String(n).padStart(w, "0");
  }
  function clock(iso) {
    const d = new Date(iso);
    if (isNaN(d)) return "";
    return pad(d.getHours(), 2) + ":" + pad(d.getMinutes(), 2) + ":" + pad(d.getSeconds(), 2) + "." + pad(d.getMilliseconds(), 3);
  }
  function size(n) {
    if (n < 1024) return n + " B";
    if (n < 1 << 20) return (n / 1024).toFixed(1).replace(/\.0$/, "") + " KiB";
    return (n / (1 << 20)).toFixed(1).replace(/\.0$/, "") + " MiB";
  }
  function ms(v) {
    return (v >= 10 ? v.toFixed(0) : v.toFixed(1)) + " ms";
  }
  function matchPattern(pattern, name) {
    if (pattern.endsWith("*")) return name.startsWith(pattern.slice(0, -1));
    return pattern === name;
  }
  function toast(text, bad) {
    const t = $("toast");
    t.textContent = text;
    t.className = "toast" + (bad ? " bad" : "");
    t.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => (t.hidden = true), 4000);
  }
  function answered(e) {
    // What the sender got; for a replay, what its target answered.
    if (e.forward) return e.forward.status;
    return e.status || null;
  }
  function failed(e) {
    if (!e.forward) return false;
    return e.forward.error !== null || !(e.forward.status >= 200 && e.forward.status < 300);
  }
  function pending(e) {
    return e.kind === "delivery" && !e.forward && e.status === 0;
  }
  function checkWarnings(e) {
    return e.warnings.length - (e.duplicateOf ? 1 : 0);
  }

  // --- filters (the same rules as the API's) --------------------------------------
  // The API ignores ASCII case only (other letters match as they are): so does the page.
  function asciiLower(s) {
    return s.replace(/[A-Z]+/g, (m) => m.toLowerCase());
  }
  function bodyText(e) {
    if (e._text === undefined) {
      e._text = asciiLower(typeof e.body === "string" ? e.body : JSON.stringify(e.body));
    }
    return e._text;
  }
  function passes(e, f) {
    if (f.warnings && checkWarnings(e) <= 0) return false;
    if (f.duplicates && !e.duplicateOf) return false;
    if (f.failed && !failed(e)) return false;
    if (f.event && e.event !== f.event && !e.candidates.some((c) => matchPattern(f.event, c))) return false;
    if (f.q) {
      const q = asciiLower(f.q);
      if (!bodyText(e).includes(q) && !asciiLower(e.who).includes(q)) return false;
    }
    return true;
  }
  function query(f) {
    const p = new URLSearchParams();
    if (f.event) p.set("event", f.event);
    if (f.q) p.set("q", f.q);
    if (f.warnings) p.set("warnings", "1");
    if (f.duplicates) p.set("duplicates", "1");
    if (f.failed) p.set("failed", "1");
    return p;
  }
  function applyFilter() {
    const t0 = performance.now();
    const f = state.filter;
    state.shown = state.order.filter((id) => passes(state.entries.get(id), f));
    const p = query(f);
    if (state.selected) p.set("id", state.selected);
    const keep = new URLSearchParams(location.search).get("token");
    if (keep) p.set("token", keep);
    const qs = p.toString();
    history.replaceState(null, "", qs ? "?" + qs : location.pathname);
    const exp = query(f).toString();
    $("download").href = "/api/export" + (exp ? "?" + exp : "");
    renderList(true);
    window.inspectorTimings.filterMs = performance.now() - t0;
  }
  function readFilterFromURL() {
    const p = new URLSearchParams(location.search);
    const f = state.filter;
    f.event = p.get("event") || "";
    f.q = p.get("q") || "";
    f.warnings = p.get("warnings") === "1";
    f.duplicates = p.get("duplicates") === "1";
    f.failed = p.get("failed") === "1";
    state.selected = Number(p.get("id")) || 0;
    $("f-q").value = f.q;
    $("f-warnings").checked = f.warnings;
    $("f-duplicates").checked = f.duplicates;
    $("f-failed").checked = f.failed;
  }

  // --- the list (virtualised: only the rows on screen exist) -----------------------
  const viewport = $("viewport");
  const spacer = $("spacer");
  const pool = [];
  function rowFor(i) {
    let r = pool[i];
    if (!r) {
      r = el("div", "row");
      r.setAttribute("role", "row");
      for (const c of ["c-seq", "c-time", "c-event", "c-who", "c-status", "c-size", "c-badges"]) r.appendChild(el("span", c));
      r.addEventListener("click", () => select(Number(r.dataset.id), true));
      pool[i] = r;
      spacer.appendChild(r);
    }
    return r;
  }
  function badge(parent, cls, text, title) {
    const b = el("span", "badge " + cls, text);
    if (title) b.title = title;
    parent.appendChild(b);
  }
  function fillRow(r, e) {
    r.dataset.id = e.id;
    r.classList.toggle("sel", e.id === state.selected);
    r.classList.toggle("marked", e.id === state.mark);
    const [seq, time, event, who, status, sz, badges] = r.children;
    seq.textContent = (e.kind === "replay" ? "↻" : "#") + e.seq;
    time.textContent = clock(e.receivedAt);
    event.textContent = e.event;
    event.title = e.candidates.length > 1 ? "candidates: " + e.candidates.join(", ") : e.event;
    event.classList.toggle("inexact", e.candidates.length !== 1);
    who.textContent = e.who || e.what || "";
    who.title = [e.who, e.what].filter(Boolean).join(" · ");
    const st = answered(e);
    status.textContent = pending(e) ? "…" : st === null || st === 0 ? "—" : String(st);
    status.className = "c-status " + (pending(e) ? "wait" : st >= 200 && st < 300 ? "ok" : "bad");
    sz.textContent = size(e.size);
    clear(badges);
    const w = checkWarnings(e);
    if (w > 0) badge(badges, "warn", "⚠ " + w, e.warnings.join("\n"));
    if (e.duplicateOf) badge(badges, "dup", "dup #" + e.duplicateOf, "identical body to #" + e.duplicateOf);
    if (e.repeatOf) badge(badges, "rep", "repeat", (e.notes || []).join("\n"));
    if (e.kind === "replay") badge(badges, "rpl", "replay", "replay of #" + e.seq + " to " + e.replayTo);
  }
  let lastTop = -1;
  function renderList(force) {
    const n = state.shown.length;
    spacer.style.height = n * ROW + "px";
    const empty = $("empty");
    empty.hidden = n > 0;
    if (n === 0) {
      empty.textContent = state.order.length > 0
        ? "No delivery of the " + state.order.length + " kept matches these filters."
        : "Waiting for deliveries… send one with: tagmango-hooks trigger course.completed.50 --to " + (state.info.receiver || "RECEIVER");
    }
    const top = viewport.scrollTop;
    if (!force && top === lastTop && !state.dirty) return;
    lastTop = top;
    state.dirty = false;
    const first = Math.max(0, Math.floor(top / ROW) - OVERSCAN);
    const count = Math.min(n - first, Math.ceil(viewport.clientHeight / ROW) + 2 * OVERSCAN);
    let i = 0;
    for (; i < count; i++) {
      const idx = first + i; // display index: newest first
      const e = state.entries.get(state.shown[n - 1 - idx]);
      const r = rowFor(i);
      r.hidden = false;
      r.style.transform = "translateY(" + idx * ROW + "px)";
      fillRow(r, e);
    }
    for (; i < pool.length; i++) pool[i].hidden = true;
    renderCounts();
  }
  function renderCounts() {
    const parts = [state.shown.length + " shown"];
    if (state.shown.length !== state.order.length) parts.push(state.order.length + " kept");
    if (state.dropped > 0) parts.push(state.dropped + " dropped from view (the inspector keeps the latest " + state.info.keep + "; --save keeps all)");
    $("counts").textContent = parts.join(" · ");
  }
  viewport.addEventListener("scroll", () => requestAnimationFrame(() => renderList(false)));
  window.addEventListener("resize", () => {
    sizeChart();
    renderList(true);
  });

  function ensureVisible(id) {
    const pos = state.shown.indexOf(id);
    if (pos < 0) return;
    const idx = state.shown.length - 1 - pos;
    const top = idx * ROW;
    if (top < viewport.scrollTop) viewport.scrollTop = top;
    else if (top + ROW > viewport.scrollTop + viewport.clientHeight) viewport.scrollTop = top + ROW - viewport.clientHeight;
  }
  function move(delta) {
    const n = state.shown.length;
    if (n === 0) return;
    let idx = state.shown.indexOf(state.selected);
    // Shown newest first: down the screen (j) is an older entry, a lower index.
    idx = idx < 0 ? n - 1 : Math.min(n - 1, Math.max(0, idx + delta));
    select(state.shown[idx], false);
  }
  function select(id, open) {
    state.selected = id;
    ensureVisible(id);
    state.dirty = true;
    renderList(true);
    const p = new URLSearchParams(location.search);
    p.set("id", id);
    history.replaceState(null, "", "?" + p.toString());
    if (open || !$("detail").hidden) showDetail(id);
  }

  // --- new entries: the list, then the stream --------------------------------------
  let pendingRender = false;
  function upsert(e) {
    const known = state.entries.has(e.id);
    state.entries.set(e.id, e);
    if (!known) {
      state.order.push(e.id);
      if (state.order.length > state.info.keep) {
        const gone = state.order.shift();
        state.entries.delete(gone);
        state.dropped++;
        if (state.shown[0] === gone) state.shown.shift();
      }
      if (passes(e, state.filter)) {
        state.shown.push(e.id);
        // Stay on what is on screen when scrolled down: the newest comes on top.
        if (viewport.scrollTop > 0) viewport.scrollTop += ROW;
      }
    } else {
      const i = state.shown.indexOf(e.id);
      const ok = passes(e, state.filter);
      if (i >= 0 && !ok) state.shown.splice(i, 1);
      else if (i < 0 && ok) state.shown = state.order.filter((id) => passes(state.entries.get(id), state.filter));
      if (state.detail && state.detail.id === e.id) showDetail(e.id);
    }
    if (!seenEvents.has(e.event) && e.event !== "unknown") {
      seenEvents.add(e.event);
      eventsChanged = true;
    }
    if (!pendingRender) {
      pendingRender = true;
      requestAnimationFrame(() => {
        pendingRender = false;
        state.dirty = true;
        renderList(true);
        if (eventsChanged) {
          eventsChanged = false;
          fillEventSelect();
        }
      });
    }
  }
  // Events seen so far; eventsChanged: one came since the choices were last filled.
  const seenEvents = new Set();
  let eventsChanged = false;

  async function loadList() {
    const t0 = performance.now();
    let after = 0;
    for (;;) {
      const page = await api("/api/deliveries?view=list&limit=10000&after=" + after);
      for (const e of page.deliveries) {
        state.entries.set(e.id, e);
        state.order.push(e.id);
        seenEvents.add(e.event);
      }
      state.dropped = page.dropped;
      state.version = page.version;
      after = page.last;
      if (!page.more) break;
    }
    fillEventSelect();
    applyFilter();
    window.inspectorTimings.firstRenderMs = performance.now() - t0;
    window.inspectorTimings.entries = state.order.length;
    if (state.selected && state.entries.has(state.selected)) showDetail(state.selected);
  }

  function openStream() {
    const live = $("live");
    const es = new EventSource("/api/stream?view=list&since=" + state.version);
    es.addEventListener("open", () => {
      live.textContent = "live";
      live.className = "live on";
    });
    es.addEventListener("error", () => {
      live.textContent = state.info.mode === "inspect" ? "saved file" : "reconnecting…";
      live.className = "live off";
    });
    es.addEventListener("entry", (ev) => {
      upsert(JSON.parse(ev.data));
      chartDirty = true;
    });
  }

  // --- event filter choices ----------------------------------------------------------
  let catalogNames = [];
  function fillEventSelect() {
    const sel = $("f-event");
    const families = new Map();
    for (const n of catalogNames) {
      const i = n.lastIndexOf(".");
      if (i > 0) {
        const fam = n.slice(0, i) + ".*";
        families.set(fam, (families.get(fam) || 0) + 1);
      }
    }
    const opts = [["", "all events"]];
    const seen = [...seenEvents].filter((n) => n).sort();
    for (const n of seen) opts.push([n, n + " (seen)"]);
    for (const [fam, count] of [...families].sort()) if (count > 1 && !seenEvents.has(fam)) opts.push([fam, fam]);
    for (const n of catalogNames) if (!seenEvents.has(n)) opts.push([n, n]);
    const current = state.filter.event;
    clear(sel);
    for (const [v, label] of opts) {
      const o = el("option", "", label);
      o.value = v;
      sel.appendChild(o);
    }
    if (current && !opts.some(([v]) => v === current)) {
      const o = el("option", "", current);
      o.value = current;
      sel.appendChild(o);
    }
    sel.value = current;
  }

  // --- detail ----------------------------------------------------------------------
  async function showDetail(id) {
    let d;
    try {
      d = await api("/api/deliveries/" + id);
    } catch (err) {
      toast(err.message, true);
      return;
    }
    state.detail = d;
    $("detail").hidden = false;
    document.body.classList.add("with-detail");
    const kind = d.kind === "replay" ? "Replay of #" + d.seq : "Delivery #" + d.seq;
    $("d-title").textContent = kind + " · " + d.event;
    const st = answered(d);
    const sumParts = [clock(d.receivedAt), d.method + " " + d.path, size(d.size)];
    if (d.who) sumParts.push(d.who);
    if (d.what) sumParts.push(d.what);
    sumParts.push(pending(d) ? "answer pending" : "answered " + (st || "—"));
    if (d.file) sumParts.push(d.file);
    $("d-summary").textContent = sumParts.join(" · ");
    const target = $("d-target");
    if (!target.dataset.touched) target.value = localStorage.getItem("inspector.target") || d.target || state.info.to || "";
    if (!target.value && d.target) target.value = d.target;

    const links = $("d-links");
    clear(links);
    const link = (label, toId) => {
      const b = el("button", "link", label);
      b.type = "button";
      b.addEventListener("click", () => select(toId, true));
      links.appendChild(b);
    };
    if (d.candidates.length > 1) links.appendChild(el("span", "muted", "candidates: " + d.candidates.join(", ")));
    if (d.duplicateOfId) link("duplicate of #" + d.duplicateOf, d.duplicateOfId);
    else if (d.duplicateOf) links.appendChild(el("span", "muted", "duplicate of #" + d.duplicateOf + " (no longer kept)"));
    if (d.repeatOfId) link("repeat of #" + d.repeatOf, d.repeatOfId);
    if (d.replayOf) link("replay of entry " + d.replayOf, d.replayOf);
    $("a-mark").textContent = state.mark && state.mark !== d.id ? "Compare with " + label(state.mark) : state.mark === d.id ? "Marked — pick another" : "Compare…";

    const ws = $("d-warnings");
    clear(ws);
    for (const w of d.warnings) ws.appendChild(el("li", "warn", w));
    for (const n of d.notes || []) ws.appendChild(el("li", "note", n));

    const fw = $("d-forward");
    clear(fw);
    fw.hidden = !d.forward;
    if (d.forward) {
      const f = d.forward;
      const head = el("p", "");
      head.appendChild(el("strong", "", d.kind === "replay" ? "Sent to " : "Forwarded to "));
      head.appendChild(el("code", "", f.url));
      head.appendChild(el("span", "", " → "));
      head.appendChild(el("span", f.status >= 200 && f.status < 300 ? "ok" : "bad", f.status === null ? "no answer" : String(f.status)));
      head.appendChild(el("span", "muted", " in " + ms(f.latencyMs)));
      fw.appendChild(head);
      if (f.error) fw.appendChild(el("p", "bad", f.error));
      if (f.answer) fw.appendChild(el("pre", "answer", f.answer));
    }

    const tb = $("d-schema").tBodies[0];
    clear(tb);
    const marks = { ok: "✓", missing: "missing", "wrong type": "wrong type", undocumented: "undocumented" };
    for (const row of d.schema) {
      const tr = el("tr", "r-" + row.result.replace(" ", "-"));
      tr.appendChild(el("td", "field", row.field));
      tr.appendChild(el("td", "", row.expected || "—"));
      tr.appendChild(el("td", "", row.got || "—"));
      tr.appendChild(el("td", "mark", marks[row.result] || row.result));
      tb.appendChild(tr);
    }
    if (d.schema.length === 0) {
      const tr = el("tr");
      const td = el("td", "muted", d.candidates.length ? "the body is not a JSON object" : "unknown event: no schema to check against");
      td.colSpan = 4;
      tr.appendChild(td);
      tb.appendChild(tr);
    }
    renderBody();
    const hb = $("d-headers").tBodies[0];
    clear(hb);
    for (const [k, v] of Object.entries(d.headers)) {
      const tr = el("tr");
      tr.appendChild(el("th", "", k));
      tr.appendChild(el("td", "", v));
      hb.appendChild(tr);
    }
  }
  function rawOf(d) {
    if (d.raw !== undefined) return d.raw;
    if (d.rawBase64 !== undefined) return "(not UTF-8; base64) " + d.rawBase64;
    return typeof d.body === "string" ? d.body : JSON.stringify(d.body);
  }
  function renderBody() {
    const d = state.detail;
    const pre = $("d-body");
    clear(pre);
    $("t-pretty").classList.toggle("on", state.bodyView === "pretty");
    $("t-raw").classList.toggle("on", state.bodyView === "raw");
    if (state.bodyView === "raw" || typeof d.body === "string") {
      pre.textContent = rawOf(d);
      pre.classList.toggle("notjson", typeof d.body === "string");
      return;
    }
    pre.classList.remove("notjson");
    pretty(pre, d.body, 0);
  }
  // pretty writes v as indented JSON of coloured spans, every piece as text.
  function pretty(out, v, depth) {
    const ind = "  ".repeat(depth);
    if (Array.isArray(v)) {
      if (v.length === 0) return out.appendChild(el("span", "j-p", "[]"));
      out.appendChild(el("span", "j-p", "[\n"));
      v.forEach((x, i) => {
        out.appendChild(document.createTextNode(ind + "  "));
        pretty(out, x, depth + 1);
        out.appendChild(el("span", "j-p", i < v.length - 1 ? ",\n" : "\n"));
      });
      out.appendChild(document.createTextNode(ind));
      return out.appendChild(el("span", "j-p", "]"));
    }
    if (v !== null && typeof v === "object") {
      const keys = Object.keys(v);
      if (keys.length === 0) return out.appendChild(el("span", "j-p", "{}"));
      out.appendChild(el("span", "j-p", "{\n"));
      keys.forEach((k, i) => {
        out.appendChild(document.createTextNode(ind + "  "));
        out.appendChild(el("span", "j-k", JSON.stringify(k)));
        out.appendChild(el("span", "j-p", ": "));
        pretty(out, v[k], depth + 1);
        out.appendChild(el("span", "j-p", i < keys.length - 1 ? ",\n" : "\n"));
      });
      out.appendChild(document.createTextNode(ind));
      return out.appendChild(el("span", "j-p", "}"));
    }
    const cls = v === null ? "j-n" : typeof v === "string" ? "j-s" : typeof v === "number" ? "j-d" : "j-b";
    out.appendChild(el("span", cls, JSON.stringify(v)));
  }
  function label(id) {
    const e = state.entries.get(id);
    return e ? (e.kind === "replay" ? "↻" : "#") + e.seq : "entry " + id;
  }

  // --- actions ---------------------------------------------------------------------
  function target() {
    return $("d-target").value.trim();
  }
  async function replay(body) {
    const d = state.detail;
    if (!d) return false;
    const req = { to: target() };
    if (body !== undefined) req.body = body;
    const out = $("d-result");
    try {
      const r = await api("/api/deliveries/" + d.id + "/replay", { method: "POST", body: JSON.stringify(req) });
      out.hidden = false;
      out.className = "result " + (r.status >= 200 && r.status < 300 ? "ok" : "bad");
      clear(out);
      out.appendChild(el("span", "", (body !== undefined ? "Edited replay" : "Replay") + " of #" + d.seq + " → " + (r.status === null ? "no answer" : r.status) + " in " + ms(r.latencyMs) + " "));
      if (r.error) out.appendChild(el("span", "", "· " + r.error + " "));
      if (r.answer) out.appendChild(el("code", "", r.answer.slice(0, 120)));
      const open = el("button", "link", "open the new entry");
      open.type = "button";
      open.addEventListener("click", () => select(r.id, true));
      out.appendChild(open);
      return true;
    } catch (err) {
      out.hidden = false;
      out.className = "result bad";
      out.textContent = err.message;
      return false;
    }
  }
  function openEditor() {
    const d = state.detail;
    if (!d) return;
    let text = rawOf(d);
    try {
      text = JSON.stringify(JSON.parse(text), null, 2);
    } catch (_) {
      /* not JSON: edited as it is */
    }
    $("e-title").textContent = "Edit & replay #" + d.seq;
    $("e-target").value = target();
    $("e-body").value = text;
    $("e-error").textContent = "";
    $("editor").showModal();
    $("e-body").focus();
  }
  $("e-send").addEventListener("click", async (ev) => {
    ev.preventDefault();
    const text = $("e-body").value;
    try {
      JSON.parse(text);
    } catch (err) {
      $("e-error").textContent = "Not valid JSON: " + err.message + " — nothing was sent.";
      return;
    }
    $("d-target").value = $("e-target").value;
    const ok = await replay(text);
    if (ok) $("editor").close();
    else $("e-error").textContent = $("d-result").textContent;
  });
  async function copyCurl() {
    const d = state.detail;
    if (!d) return;
    const to = target();
    let text;
    try {
      text = await api("/api/deliveries/" + d.id + "/curl" + (to ? "?to=" + encodeURIComponent(to) : ""));
    } catch (err) {
      toast(err.message, true);
      return;
    }
    try {
      await navigator.clipboard.writeText(text);
      toast("curl command copied");
    } catch (_) {
      $("curl-text").value = text;
      $("curl").showModal();
      $("curl-text").select();
    }
  }
  async function copyText(text, what) {
    try {
      await navigator.clipboard.writeText(text);
      toast(what + " copied");
    } catch (_) {
      $("curl-text").value = text;
      $("curl").showModal();
    }
  }
  async function markOrCompare() {
    const d = state.detail;
    if (!d) return;
    if (!state.mark || state.mark === d.id) {
      state.mark = state.mark === d.id ? 0 : d.id;
      toast(state.mark ? "Marked " + label(d.id) + ": open another delivery and press Compare (x)" : "Unmarked");
      state.dirty = true;
      renderList(true);
      showDetail(d.id);
      return;
    }
    await compare(state.mark, d.id);
  }
  // flatten maps each leaf of a JSON value to its path: name, a.b, list[0].x.
  function flatten(v, path, out) {
    if (Array.isArray(v)) {
      if (v.length === 0) out.set(path, "[]");
      v.forEach((x, i) => flatten(x, path + "[" + i + "]", out));
    } else if (v !== null && typeof v === "object") {
      const keys = Object.keys(v);
      if (keys.length === 0) out.set(path, "{}");
      for (const k of keys) flatten(v[k], path ? path + "." + k : k, out);
    } else out.set(path || "(body)", JSON.stringify(v));
    return out;
  }
  async function compare(a, b) {
    let da, db;
    try {
      [da, db] = await Promise.all([api("/api/deliveries/" + a), api("/api/deliveries/" + b)]);
    } catch (err) {
      toast(err.message, true);
      return;
    }
    const fa = flatten(da.body, "", new Map());
    const fb = flatten(db.body, "", new Map());
    const keys = [...new Set([...fa.keys(), ...fb.keys()])];
    const rows = keys.map((k) => {
      const x = fa.get(k),
        y = fb.get(k);
      const st = x === undefined ? "only in B" : y === undefined ? "only in A" : x === y ? "same" : "changed";
      return { k, x, y, st };
    });
    const nDiff = rows.filter((r) => r.st !== "same").length;
    $("cmp-title").textContent = "Compare " + label(a) + " and " + label(b) + " · " + nDiff + " of " + rows.length + " fields differ";
    $("cmp-a").textContent = "A: " + label(a);
    $("cmp-b").textContent = "B: " + label(b);
    const draw = () => {
      const tb = $("cmp-table").tBodies[0];
      clear(tb);
      for (const r of rows) {
        if (r.st === "same" && !$("cmp-all").checked) continue;
        const tr = el("tr", "d-" + r.st.replace(/ /g, "-"));
        tr.appendChild(el("td", "field", r.k));
        tr.appendChild(el("td", "", r.x === undefined ? "—" : r.x));
        tr.appendChild(el("td", "", r.y === undefined ? "—" : r.y));
        tr.appendChild(el("td", "mark", r.st));
        tb.appendChild(tr);
      }
    };
    $("cmp-all").onchange = draw;
    draw();
    $("compare").showModal();
  }

  $("a-replay").addEventListener("click", () => replay());
  $("a-edit").addEventListener("click", openEditor);
  $("a-curl").addEventListener("click", copyCurl);
  $("a-mark").addEventListener("click", markOrCompare);
  $("a-copy-body").addEventListener("click", () => state.detail && copyText(rawOf(state.detail), "body"));
  $("a-copy-headers").addEventListener("click", () =>
    state.detail && copyText(Object.entries(state.detail.headers).map(([k, v]) => k + ": " + v).join("\n"), "headers"));
  $("t-pretty").addEventListener("click", () => {
    state.bodyView = "pretty";
    renderBody();
  });
  $("t-raw").addEventListener("click", () => {
    state.bodyView = "raw";
    renderBody();
  });
  $("d-close").addEventListener("click", closeDetail);
  $("d-target").addEventListener("change", () => {
    $("d-target").dataset.touched = "1";
    localStorage.setItem("inspector.target", target());
  });
  function closeDetail() {
    $("detail").hidden = true;
    document.body.classList.remove("with-detail");
    state.detail = null;
    viewport.focus();
  }

  // --- filters' inputs -------------------------------------------------------------
  $("filters").addEventListener("submit", (ev) => ev.preventDefault());
  $("f-event").addEventListener("change", () => {
    state.filter.event = $("f-event").value;
    applyFilter();
  });
  let qTimer;
  $("f-q").addEventListener("input", () => {
    clearTimeout(qTimer);
    qTimer = setTimeout(() => {
      state.filter.q = $("f-q").value.trim();
      applyFilter();
    }, 120);
  });
  for (const [id, key] of [["f-warnings", "warnings"], ["f-duplicates", "duplicates"], ["f-failed", "failed"]]) {
    $(id).addEventListener("change", () => {
      state.filter[key] = $(id).checked;
      applyFilter();
    });
  }

  // --- keyboard --------------------------------------------------------------------
  document.addEventListener("keydown", (ev) => {
    const t = ev.target;
    const typing = t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement;
    if (ev.key === "Escape") {
      if (typing && t.id === "f-q") t.blur();
      else if (!$("detail").hidden && !document.querySelector("dialog[open]")) closeDetail();
      return;
    }
    if (typing || ev.ctrlKey || ev.metaKey || ev.altKey || document.querySelector("dialog[open]")) return;
    const keys = {
      j: () => move(-1),
      ArrowDown: () => move(-1),
      k: () => move(1),
      ArrowUp: () => move(1),
      Enter: () => state.selected && showDetail(state.selected),
      "/": () => $("f-q").focus(),
      r: () => state.detail && replay(),
      e: () => state.detail && openEditor(),
      c: () => state.detail && copyCurl(),
      x: () => state.detail && markOrCompare(),
    };
    const f = keys[ev.key];
    if (f) {
      ev.preventDefault();
      f();
    }
  });

  // --- the burst chart --------------------------------------------------------------
  const canvas = $("chart");
  let chartDirty = true;
  let stats = null;
  function sizeChart() {
    const r = window.devicePixelRatio || 1;
    canvas.width = Math.max(200, canvas.clientWidth) * r;
    canvas.height = 96 * r;
    drawChart();
  }
  async function pollStats() {
    if (chartDirty && !document.hidden) {
      chartDirty = false;
      try {
        stats = await api("/api/stats");
        state.dropped = Math.max(state.dropped, stats.dropped);
        drawChart();
        renderCounts();
      } catch (_) {
        /* the next poll tries again */
      }
    }
    setTimeout(pollStats, 1000);
  }
  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }
  function drawChart() {
    const ctx = canvas.getContext("2d");
    const r = window.devicePixelRatio || 1;
    const W = canvas.width / r,
      H = canvas.height / r;
    ctx.setTransform(r, 0, 0, r, 0, 0);
    ctx.clearRect(0, 0, W, H);
    const legend = $("chart-legend");
    if (!stats || stats.perSecond.length === 0) {
      legend.textContent = "deliveries per second will show here";
      return;
    }
    const secs = stats.perSecond;
    const t0 = secs[0].t,
      t1 = secs[secs.length - 1].t;
    const span = Math.max(1, t1 - t0 + 1);
    // At least 20 seconds across, so that a one-second burst is a bar, not the chart.
    const slots = Math.max(20, span);
    const maxN = Math.max(...secs.map((s) => s.n));
    const maxL = Math.max(0, ...secs.map((s) => s.p99));
    const left = 48,
      right = maxL > 0 ? 40 : 8,
      top = 6,
      bottom = 16;
    const pw = W - left - right,
      ph = H - top - bottom;
    const bw = Math.max(1, pw / slots);
    ctx.font = "10px system-ui, sans-serif";
    ctx.fillStyle = cssVar("--muted");
    ctx.fillText(String(maxN) + "/s", 2, top + 8);
    ctx.fillText("0", 2, top + ph);
    ctx.fillStyle = cssVar("--bar");
    for (const s of secs) {
      const x = left + (s.t - t0) * bw;
      const h = (s.n / maxN) * ph;
      ctx.fillRect(x, top + ph - h, Math.max(1, bw - 1), h);
    }
    if (maxL > 0) {
      const line = (key, color) => {
        ctx.strokeStyle = color;
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        let startLine = true;
        for (const s of secs) {
          if (!s[key]) continue;
          const x = left + (s.t - t0) * bw + bw / 2;
          const y = top + ph - (s[key] / maxL) * ph;
          if (startLine) ctx.moveTo(x, y);
          else ctx.lineTo(x, y);
          startLine = false;
        }
        ctx.stroke();
      };
      line("p50", cssVar("--p50"));
      line("p99", cssVar("--p99"));
      ctx.fillStyle = cssVar("--muted");
      ctx.fillText(maxL.toFixed(0) + " ms", W - right + 4, top + 8);
    }
    const d0 = new Date(t0 * 1000),
      d1 = new Date(t1 * 1000);
    ctx.fillStyle = cssVar("--muted");
    ctx.fillText(clock(d0.toISOString()).slice(0, 8), left, H - 3);
    if (t1 > t0) {
      const endLabel = clock(d1.toISOString()).slice(0, 8);
      const x = Math.min(W - right, left + span * bw) - ctx.measureText(endLabel).width;
      ctx.fillText(endLabel, Math.max(x, left + 60), H - 3);
    }
    const l = stats.latency;
    const events = Object.entries(stats.byEvent).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => k + " " + v);
    let text = stats.deliveries + " deliveries over " + span + " s · peak " + maxN + "/s";
    if (l.count > 0) text += " · handler latency (lines) p50 " + ms(l.p50) + ", p99 " + ms(l.p99);
    text += " · " + events.join(", ");
    legend.textContent = text;
  }

  // --- start -----------------------------------------------------------------------
  async function start() {
    readFilterFromURL();
    try {
      const [info, catalog] = await Promise.all([api("/api/info"), api("/api/catalog")]);
      state.info = info;
      catalogNames = catalog.map((c) => c.type);
      $("source").textContent = info.mode === "inspect" ? "saved deliveries" : "receiver " + info.receiver;
    } catch (err) {
      toast(err.message, true);
      return;
    }
    await loadList();
    if (state.filter.event) $("f-event").value = state.filter.event;
    openStream();
    sizeChart();
    pollStats();
    viewport.focus();
  }
  start();
})();
