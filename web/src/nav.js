// nav.js - what pages share with the frame: moving to another page and the message line.
let renderer = () => {};

export function onNavigate(fn) {
  renderer = fn;
}

export function go(path) {
  history.pushState(null, "", path);
  renderer();
}

export function flash(text, isError) {
  const f = document.getElementById("flash");
  f.textContent = text || "";
  f.className = isError ? "error" : "";
  f.hidden = !text;
}
