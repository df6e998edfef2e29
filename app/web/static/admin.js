// Admin pages: the problem list (import a package zip, rejudge) and the authoring form (save, live
// preview, validate, publish). Everything goes through /api/admin, as a program would.
"use strict";
(() => {
  const { api, el, sleep } = jj;
  const message = document.getElementById("admin-message");
  const say = (text, kind = "") => { message.textContent = text; message.className = kind; };

  // The problem list.
  document.getElementById("import-form")?.addEventListener("submit", async (event) => {
    event.preventDefault();
    say("Importing…");
    try {
      const result = await api("POST", "/api/admin/problems/import", new FormData(event.target));
      say(result.changed ? `Imported ${result.slug} as version ${result.version}. Reloading…`
        : `${result.slug}: identical to version ${result.version}, nothing changed.`, "ok");
      if (result.changed) setTimeout(() => location.reload(), 800);
    } catch (error) { say(error.message, "bad"); }
  });
  for (const button of document.querySelectorAll("[data-rejudge]")) {
    button.addEventListener("click", async () => {
      const slug = button.dataset.rejudge;
      if (!window.confirm(`Judge every submission of ${slug} again?`)) return;
      try {
        const result = await api("POST", `/api/admin/problems/${slug}/rejudge`);
        say(`${slug}: ${result.requeued} submissions queued again.`, "ok");
      } catch (error) { say(error.message, "bad"); }
    });
  }

  const form = document.getElementById("problem-form");
  if (!form) return;

  // The authoring form.
  const { fields } = jj.pageData();
  const creating = fields === null;
  const $ = (id) => document.getElementById(id);
  const TEMPLATE = {
    slug: "", title: "", difficulty: "easy", tags: [], prerequisites: [], device: "any", hints: [],
    entry: { name: "solve", signature: "solve(x: jax.Array) -> jax.Array", diff_argnums: [0], batch_argnums: [0] },
    limits: { wall_time_s: 20, cpu_time_s: 40, memory_mb: 2048 }, tolerance: {}, wrong_answer_hints: {},
    cases: [
      { name: "example", sample: true, description: "Shown to learners.", args: [{ values: [1.0, 2.0, 3.0], dtype: "float32" }] },
      { name: "random", seed: 1, args: [{ shape: [1000], dtype: "float32", scale: 3.0 }] },
    ],
    statement: "# Title\n\nSay what to write, with a worked example.\n\n```python\nsolve(jnp.array([1.0, 2.0]))\n```\n",
    starter: "import jax\nimport jax.numpy as jnp\n\n\ndef solve(x):\n    ...\n",
    reference: "import jax\nimport jax.numpy as jnp\n\n\ndef solve(x):\n    return x\n",
    examples: [],
  };
  const start = fields || TEMPLATE;

  const save = () => form.requestSubmit();
  const starter = jj.codeEditor($("f-starter"), { doc: start.starter, label: "Starter code", onSubmit: save });
  const reference = jj.codeEditor($("f-reference"), { doc: start.reference, label: "Reference solution", onSubmit: save });

  $("f-slug").value = start.slug;
  $("f-title").value = start.title;
  $("f-difficulty").value = start.difficulty;
  $("f-tags").value = (start.tags || []).join(", ");
  $("f-prerequisites").value = (start.prerequisites || []).join(", ");
  $("f-device").value = start.device || "any";
  $("f-entry-name").value = start.entry.name || "";
  $("f-signature").value = start.entry.signature || "";
  $("f-diff").value = (start.entry.diff_argnums || []).join(", ");
  $("f-batch").value = (start.entry.batch_argnums || []).join(", ");
  $("f-statement").value = start.statement;
  $("f-hints").value = (start.hints || []).join("\n");
  $("f-cases").value = JSON.stringify(start.cases, null, 2);
  $("f-wall").value = start.limits.wall_time_s ?? "";
  $("f-cpu").value = start.limits.cpu_time_s ?? "";
  $("f-memory").value = start.limits.memory_mb ?? "";
  $("f-tolerance").value = JSON.stringify(start.tolerance || {});
  for (const key of ["checks", "rules", "groups"]) $(`f-${key}`).value = start[key] ? JSON.stringify(start[key], null, 1) : "";
  for (const area of document.querySelectorAll("#wrong-hints textarea")) {
    area.value = (start.wrong_answer_hints || {})[area.dataset.check] || "";
  }

  const VERDICTS = ["accepted", "wrong_answer", "runtime_error", "compilation_error", "time_limit_exceeded",
    "memory_limit_exceeded", "output_limit_exceeded"];
  function addExample(example = { name: "", expected: "wrong_answer", source: start.starter }) {
    const n = document.querySelectorAll("#examples .example").length + 1;
    const box = el("div", { class: "example", "data-testid": "admin-example" },
      el("div", { class: "row" },
        el("div", { class: "field" }, el("label", { for: `ex-name-${n}` }, "Name"),
          el("input", { id: `ex-name-${n}`, class: "ex-name", value: example.name, placeholder: "plain_clip",
            pattern: "[A-Za-z0-9_.\\-]{1,64}", "data-testid": "admin-example-name" })),
        el("div", { class: "field" }, el("label", { for: `ex-expected-${n}` }, "Expected verdict"),
          el("select", { id: `ex-expected-${n}`, class: "ex-expected", "data-testid": "admin-example-expected" },
            VERDICTS.map((v) => el("option", { value: v, selected: v === example.expected }, v.toUpperCase()))))),
      el("div", { class: "field" }, el("label", { for: `ex-source-${n}` }, "Source"),
        el("textarea", { id: `ex-source-${n}`, class: "code ex-source", rows: 8, spellcheck: "false",
          "data-testid": "admin-example-source" })),
      el("button", { type: "button", class: "button small danger" }, "Remove this example"));
    box.querySelector(".ex-source").value = example.source;
    box.querySelector("button").addEventListener("click", () => box.remove());
    $("examples").append(box);
    return box;
  }
  (start.examples || []).forEach((example) => addExample(example));
  $("add-example").addEventListener("click", () => addExample().querySelector("input").focus());

  // Live preview of the statement, rendered by the server exactly as the problem page renders it.
  let previewTimer = null;
  async function preview() {
    try {
      const { html } = await api("POST", "/api/admin/preview", { markdown: $("f-statement").value });
      $("preview").innerHTML = html;  // the server's renderer escapes raw HTML and refuses unsafe links
    } catch (error) { $("preview").textContent = error.message; }
  }
  $("f-statement").addEventListener("input", () => { clearTimeout(previewTimer); previewTimer = setTimeout(preview, 250); });
  preview();

  const numbers = (text) => text.split(",").map((s) => s.trim()).filter(Boolean).map(Number);
  function parseJson(id, label) {
    try { return JSON.parse($(id).value || "null"); } catch (error) {
      throw new Error(`${label} is not valid JSON: ${error.message}`);
    }
  }
  function collect() {
    // Limits and wrong-answer hints the form has no field for are kept as they came.
    const limitFields = [["wall_time_s", "f-wall"], ["cpu_time_s", "f-cpu"], ["memory_mb", "f-memory"]];
    const limits = Object.fromEntries(Object.entries(start.limits || {})
      .filter(([key]) => !limitFields.some(([field]) => field === key)));
    for (const [key, id] of limitFields) {
      if ($(id).value !== "") limits[key] = Number($(id).value);
    }
    const areas = [...document.querySelectorAll("#wrong-hints textarea")];
    const wrongAnswerHints = Object.fromEntries(Object.entries(start.wrong_answer_hints || {})
      .filter(([check]) => !areas.some((area) => area.dataset.check === check)));
    for (const area of areas) {
      if (area.value.trim()) wrongAnswerHints[area.dataset.check] = area.value.trim();
    }
    // What the form does not edit (the checker, an entry's static arguments and batch axes) goes back
    // as it came, so saving keeps it; checks, rules and groups are JSON fields, left out when empty.
    const kept = Object.fromEntries(["checker", "checker_source"]
      .filter((key) => start[key] !== undefined && start[key] !== null).map((key) => [key, start[key]]));
    for (const [key, label] of [["checks", "Checks"], ["rules", "Rules"], ["groups", "Scoring groups"]]) {
      const value = parseJson(`f-${key}`, label);
      if (value !== null) kept[key] = value;
    }
    return {
      ...kept,
      slug: $("f-slug").value.trim(), title: $("f-title").value.trim(), difficulty: $("f-difficulty").value,
      tags: $("f-tags").value.split(",").map((s) => s.trim()).filter(Boolean), device: $("f-device").value,
      prerequisites: $("f-prerequisites").value.split(",").map((s) => s.trim()).filter(Boolean),
      hints: $("f-hints").value.split("\n").map((s) => s.trim()).filter(Boolean),
      entry: { ...start.entry, name: $("f-entry-name").value.trim(), signature: $("f-signature").value.trim(),
        diff_argnums: numbers($("f-diff").value), batch_argnums: numbers($("f-batch").value) },
      limits, tolerance: parseJson("f-tolerance", "Tolerances") || {}, wrong_answer_hints: wrongAnswerHints,
      cases: parseJson("f-cases", "Cases"), statement: $("f-statement").value,
      starter: starter.getText(), reference: reference.getText(),
      examples: [...document.querySelectorAll("#examples .example")].map((box) => ({
        name: box.querySelector(".ex-name").value.trim(), expected: box.querySelector(".ex-expected").value,
        source: box.querySelector(".ex-source").value })),
    };
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    let body;
    try { body = collect(); } catch (error) { say(error.message, "bad"); return; }
    say("Saving…");
    try {
      const result = creating ? await api("POST", "/api/admin/problems", body)
        : await api("PUT", `/api/admin/problems/${fields.slug}`, body);
      if (!result.changed) { say(`Nothing changed: still version ${result.version}.`, "ok"); return; }
      location.href = `/admin/problems/${result.slug}/edit?saved=${result.version}`;
    } catch (error) { say(error.message, "bad"); }
  });
  const saved = new URLSearchParams(location.search).get("saved");
  if (saved) say(`Saved as version ${saved}. Validate it before publishing.`, "ok");

  function renderMatrix(matrix) {
    const rows = matrix.rows.map((r) => el("tr", { dataset: { example: r.example } },
      el("td", {}, r.example), el("td", {}, r.expected),
      el("td", {}, r.verdict ? el("a", { href: `/submissions/${r.submission_id}` }, r.verdict) : r.status),
      el("td", { class: r.ok === null ? "" : r.ok ? "ok" : "bad" }, r.ok === null ? "…" : r.ok ? "✓" : "✗")));
    const outcome = !matrix.complete ? "Validating…" : matrix.passed
      ? `Validation passed on version ${matrix.version}: you can publish.`
      : `Validation failed on version ${matrix.version}: fix the rows marked ✗ and save again.`;
    $("validation").replaceChildren(
      el("p", { class: matrix.complete ? (matrix.passed ? "alert ok" : "alert error") : "muted", "data-testid": "validation-outcome" }, outcome),
      el("div", { class: "table-scroll" }, el("table", { class: "matrix" },
        el("thead", {}, el("tr", {}, ["Submission", "Expected", "Verdict", "OK"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, rows))));
  }
  async function followValidation() {
    for (;;) {
      const matrix = await api("GET", `/api/admin/problems/${fields.slug}/validation`);
      if (matrix.rows.length) renderMatrix(matrix);
      if (matrix.complete || !matrix.rows.length) return matrix;
      await sleep(1000);
    }
  }
  $("validate-button").addEventListener("click", async () => {
    $("validate-button").disabled = true;
    say("Validation queued: the reference and each example are judged like submissions.");
    try {
      renderMatrix(await api("POST", `/api/admin/problems/${fields.slug}/validate`));
      const matrix = await followValidation();
      say(matrix.passed ? "Validation passed." : "Validation failed.", matrix.passed ? "ok" : "bad");
    } catch (error) { say(error.message, "bad"); }
    $("validate-button").disabled = false;
  });

  async function setPublished(published) {
    try {
      await api("POST", `/api/admin/problems/${fields.slug}/${published ? "publish" : "unpublish"}`);
      $("publish-button").hidden = published;
      $("unpublish-button").hidden = !published;
      $("state").textContent = published ? "published" : "draft";
      say(published ? "Published: learners can see it now." : "Unpublished: only admins can see it.", "ok");
    } catch (error) { say(error.message, "bad"); }
  }
  $("publish-button").addEventListener("click", () => setPublished(true));
  $("unpublish-button").addEventListener("click", () => setPublished(false));
  if (!creating) followValidation().catch((error) => say(error.message, "bad"));
  $("save-button").disabled = false;  // disabled in the page until here, so an early click cannot post the form natively
  form.dataset.ready = "1";  // every field holds the stored value
})();
