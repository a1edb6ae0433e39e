// dom.js - building the page without HTML strings: every text goes in as a text node
// (textContent), attributes through setAttribute, handlers as functions. Names, variables and
// task names come from files and users; nothing they contain is ever parsed as markup.

// h("a", {href: "/x", class: "c", onclick: fn}, "text", child, [more]) -> element
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "value" || k === "checked" || k === "disabled" || k === "hidden") el[k] = v;
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  append(el, children);
  return el;
}

// Appends children as h() does (text as text nodes; null, false and undefined skipped; arrays
// flattened): Element.append would turn null into the text "null".
export function put(el, ...children) {
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

// A link handled by the app's router (main.js listens for clicks on [data-nav]).
export function link(href, ...children) {
  return h("a", { href, "data-nav": true }, ...children);
}

export function table(headers, rows, attrs) {
  return h("table", attrs,
    h("thead", null, h("tr", null, headers.map((t) =>
      h("th", { class: /^(#|count|running|incidents|waiting|entered|completed|median|open|late|created|p90|avg)/i.test(t) ? "num" : null }, t)))),
    h("tbody", null, rows));
}

// "2026-03-02T09:00:00.000+0000" -> "2026-03-02 09:00"; null -> "".
export function when(iso) {
  if (!iso) return "";
  return String(iso).replace("T", " ").slice(0, 16);
}

export function duration(ms) {
  if (ms === null || ms === undefined) return "";
  const s = Math.round(ms / 1000);
  if (s < 60) return s + " s";
  if (s < 3600) return Math.round(s / 60) + " min";
  if (s < 86400) return (s / 3600).toFixed(1) + " h";
  return (s / 86400).toFixed(1) + " d";
}
