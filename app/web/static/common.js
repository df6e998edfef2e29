// Shared by every page: calls to the REST API with the session's CSRF token, and small DOM helpers.
"use strict";

const jj = (() => {
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content;

  class ApiError extends Error {
    constructor(status, detail) {
      super(typeof detail === "string" ? detail : ApiError.describe(detail));
      this.status = status;
    }
    // FastAPI's validation errors are a list of {loc, msg}; say which field and what is wrong.
    static describe(detail) {
      if (!Array.isArray(detail)) return JSON.stringify(detail);
      return detail.map((e) => `${(e.loc || []).filter((p) => p !== "body").join(".")}: ${e.msg}`).join("; ");
    }
  }

  // fetch() a JSON endpoint; resolves to the parsed body, rejects with ApiError and the server's words.
  async function api(method, url, body) {
    const headers = { Accept: "application/json" };
    if (csrf) headers["X-CSRF-Token"] = csrf;
    const options = { method, headers, credentials: "same-origin" };
    if (body instanceof FormData) options.body = body;
    else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, options);
    } catch (error) {
      throw new ApiError(0, "The server cannot be reached; check your connection and try again.");
    }
    const text = await response.text();
    let data = null;
    try { data = text ? JSON.parse(text) : null; } catch (error) { data = { detail: text.slice(0, 300) }; }
    if (!response.ok) {
      let detail = data?.detail ?? `${response.status} ${response.statusText}`;
      if (response.status === 401) detail = "Your session has ended; sign in again.";
      throw new ApiError(response.status, detail);
    }
    return data;
  }

  // el("td", {class: "x", dataset: {check: "grad"}}, "text", childNode, …)
  function el(tag, attributes = {}, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === "dataset") Object.assign(node.dataset, value);
      else if (key === "text") node.textContent = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  // A code editor in `host`: CodeMirror when its bundle is built (make install), else a plain textarea, so a
  // page never loses its editor. Returns {getText, setText, focus}.
  function codeEditor(host, { doc = "", label, onChange = () => {}, onSubmit = () => {} }) {
    if (window.jaxjudgeEditor) return window.jaxjudgeEditor.create(host, { doc, label, onChange, onSubmit });
    const area = el("textarea", { class: "code fallback-editor", spellcheck: "false", "aria-label": label });
    area.value = doc;
    area.addEventListener("input", () => onChange(area.value));
    area.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) { event.preventDefault(); onSubmit(); }
    });
    host.append(area);
    return { getText: () => area.value, setText: (text) => { area.value = text; }, focus: () => area.focus() };
  }

  const pageData = () => JSON.parse(document.getElementById("page-data")?.textContent || "{}");
  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  // Code blocks and wide tables that scroll sideways get a tab stop, so that a keyboard can scroll them
  // (arrow keys once focused); only those that overflow, so the rest add no stop. Rechecked whenever the
  // page changes (a verdict drawn, a preview) or is resized.
  const SCROLLERS = "pre, .table-scroll, .preview";
  function keyboardScrollable() {
    for (const node of document.querySelectorAll(SCROLLERS)) {
      const overflows = node.scrollWidth > node.clientWidth + 1 || node.scrollHeight > node.clientHeight + 1;
      if (overflows && !node.hasAttribute("tabindex")) {
        node.tabIndex = 0;
        node.dataset.scrollStop = "1";
      } else if (!overflows && node.dataset.scrollStop) {
        node.removeAttribute("tabindex");
        delete node.dataset.scrollStop;
      }
    }
  }
  let pending = false;
  const soon = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; keyboardScrollable(); });
  };
  document.addEventListener("DOMContentLoaded", () => {
    keyboardScrollable();
    new MutationObserver(soon).observe(document.body, { childList: true, subtree: true });
    window.addEventListener("resize", soon);
  });

  return { api, ApiError, codeEditor, el, pageData, sleep };
})();
