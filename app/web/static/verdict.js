// Renders a submission's report: the verdict, then a table of cases × checks × transforms (each cell
// green or red with its message and hint), failing details, output, and the module error if any.
"use strict";

const verdicts = (() => {
  const { api, el, sleep } = jj;
  // The check registry's labels (grader/sandboxed/harness.py), which every page carries.
  const labels = JSON.parse(document.getElementById("check-labels")?.textContent || "{}");
  const CHECK_NAMES = labels.checks || {};
  const TRANSFORM_NAMES = labels.transforms || {};
  const PLAIN = {
    ACCEPTED: "Accepted", WRONG_ANSWER: "Wrong answer", COMPILATION_ERROR: "Compilation error",
    RUNTIME_ERROR: "Runtime error", TIME_LIMIT_EXCEEDED: "Time limit exceeded",
    MEMORY_LIMIT_EXCEEDED: "Memory limit exceeded", OUTPUT_LIMIT_EXCEEDED: "Output limit exceeded",
    INTERNAL_ERROR: "Internal error (not your code)",
  };

  function columnsOf(checks) {
    const columns = [];
    for (const c of checks) {
      if (!columns.some((k) => k.check === c.check && k.transform === c.transform)) {
        columns.push({ check: c.check, transform: c.transform });
      }
    }
    return columns;
  }

  function table(report) {
    const checks = report.checks || [];
    if (!checks.length) return null;
    sharePlots(checks);
    const columns = columnsOf(checks);
    const groups = [];
    for (const col of columns) {
      const last = groups[groups.length - 1];
      if (last && last.check === col.check) last.span += 1;
      else groups.push({ check: col.check, span: 1 });
    }
    const byKey = new Map(checks.map((c) => [`${c.case}\u0000${c.check}\u0000${c.transform}`, c]));
    const cases = [...new Set(checks.map((c) => c.case))];
    const sampleOf = new Map(checks.map((c) => [c.case, c.sample]));
    const head = el("thead", {},
      el("tr", {}, el("th", { scope: "col", rowspan: 2 }, "Case"),
        groups.map((g) => el("th", { scope: "colgroup", colspan: g.span }, CHECK_NAMES[g.check] || g.check))),
      el("tr", {}, columns.map((c) => el("th", { scope: "col", class: "transform" },
        TRANSFORM_NAMES[c.transform] || c.transform))));
    const body = el("tbody", {}, cases.map((name) => el("tr", {},
      el("th", { scope: "row" }, name, sampleOf.get(name) ? "" : el("small", { class: "muted" }, " hidden")),
      columns.map((col) => cellFor(name, byKey.get(`${name}\u0000${col.check}\u0000${col.transform}`))))));
    return el("div", {},
      el("div", { class: "table-scroll" }, el("table", { class: "checks", "data-testid": "checks-table" }, head, body)),
      el("div", { class: "cell-detail", "data-testid": "cell-detail", "aria-live": "polite", hidden: true }));
  }

  // One cell of the table: passed, failed (opens its details), or not judged yet (status "pending").
  function cellFor(name, c) {
    if (!c) return el("td", { class: "cell none" }, "");
    const dataset = { case: name, check: c.check, transform: c.transform, status: c.status };
    if (c.status === "pending") {
      return el("td", { class: "cell pending", dataset }, el("span", { "aria-hidden": "true" }, "·"),
        el("span", { class: "visually-hidden" }, "not judged yet"));
    }
    const ok = c.status === "passed";
    // A live check event carries no message (the report, at the verdict, has it).
    const message = c.message || (c.status === "not_run" ? "not run" : c.status);
    const title = ok ? "passed" : [message, c.hint].filter(Boolean).join("\n\nHint: ");
    const cell = el("td", { class: `cell ${ok ? "pass" : "fail"}`, title, dataset },
      el("span", { "aria-hidden": "true" }, ok ? "✓" : "✗"),
      el("span", { class: "visually-hidden" }, ok ? "passed" : `failed: ${message}`));
    if (!ok && c.message !== undefined) {  // keyboard and touch: a failed cell opens its details under the table
      cell.tabIndex = 0;
      cell.setAttribute("role", "button");
      const open = () => showDetail(cell, c);
      cell.addEventListener("click", open);
      cell.addEventListener("keydown", (event) => {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); open(); }
      });
    }
    return cell;
  }

  function showDetail(cell, c) {
    const box = cell.closest(".table-scroll").nextElementSibling;
    box.hidden = false;
    box.replaceChildren(
      el("strong", {}, `${c.case} · ${CHECK_NAMES[c.check] || c.check} (${TRANSFORM_NAMES[c.transform] || c.transform})`),
      el("p", {}, c.message),
      arrays(c),
      figure(c),
      c.hint ? el("p", { class: "hint" }, el("strong", {}, "Hint: "), ...withCode(c.hint)) : null);
    box.scrollIntoView({ block: "nearest" });  // under a tall table it would open off-screen
  }

  // A Run's failed sample check carries a plot of expected against got (one per case and check: the
  // other transforms of that check share it). Drawn by the uPlot bundle where `make install` built it.
  function sharePlots(checks) {
    const plots = new Map(checks.filter((c) => c.plot).map((c) => [`${c.case}\u0000${c.check}`, c.plot]));
    for (const c of checks) {
      if (!c.plot && c.status !== "passed" && plots.has(`${c.case}\u0000${c.check}`)) c.plot = plots.get(`${c.case}\u0000${c.check}`);
    }
  }

  function figure(c) {
    const data = c.plot;
    if (!data || !window.jaxjudgePlot) return null;
    const differ = data.differs.filter(Boolean).length;
    const caption = `${CHECK_NAMES[c.check] || c.check} of ${c.case}, ${data.leaf} over ${data.x_label}: expected ` +
      `(solid blue) against got (dashed red); ${differ} of ${data.differs.length} entries differ (filled red).`;
    const area = el("div", { class: "plot-area", role: "img", "aria-label": caption });
    const box = el("figure", { class: "plot", "data-testid": "check-plot", dataset: { differ: String(differ) } },
      area, el("figcaption", { class: "muted" }, caption));
    // Drawn once the figure is on the page, at the width it has there.
    requestAnimationFrame(() => window.jaxjudgePlot.draw(area, data, { width: Math.min(560, box.clientWidth || 520) }));
    return box;
  }

  // Expected and got of a sample case's check, one array per line (hidden cases carry neither).
  function arrays(c) {
    if (!c.expected && !c.got) return null;
    return el("pre", { class: "arrays" },
      (c.expected || []).map((t) => `expected  ${t}\n`).join(""),
      (c.got || []).map((t) => `got       ${t}\n`).join(""));
  }

  const labelOf = (c) => `${c.case} · ${CHECK_NAMES[c.check] || c.check} (${TRANSFORM_NAMES[c.transform] || c.transform})`;

  // The failed checks, each distinct failure once: checks that failed with the same words (the same
  // error on every hidden case, say) are one item naming them all, not one item each.
  function failures(report) {
    const failed = (report.checks || []).filter((c) => c.status !== "passed");
    if (!failed.length) return null;
    const groups = new Map();
    for (const c of failed) {
      const key = JSON.stringify([c.status, c.message, c.expected || null, c.got || null, c.traceback || null]);
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(c);
    }
    const all = [...groups.values()];
    const shown = all.slice(0, 12);
    const distinct = all.length < failed.length ? `; ${all.length} distinct` : "";
    return el("div", { class: "failures" },
      el("h3", {}, `What failed (${failed.length} of ${report.checks.length} checks${distinct})`),
      el("ul", {}, shown.map(([c, ...same]) => el("li", { "data-testid": "failure" },
        el("strong", {}, labelOf(c)),
        same.length ? el("span", { class: "muted" }, ` and ${same.length} more ${same.length === 1 ? "check" : "checks"}`) : null,
        ": ", c.message,
        arrays(c),
        figure(c),
        same.length ? el("details", {}, el("summary", {}, "Which checks"),
          el("p", {}, [c, ...same].map(labelOf).join("; "))) : null,
        c.traceback ? el("details", {}, el("summary", {}, "Traceback"), el("pre", {}, c.traceback)) : null))),
      all.length > shown.length ? el("p", { class: "muted" }, `… and ${all.length - shown.length} more.`) : null);
  }

  // A hint's `code` spans as code (as text nodes: nothing in a hint is markup).
  function withCode(text) {
    return String(text).split(/`([^`]+)`/).map((part, i) => (i % 2 ? el("code", {}, part) : part));
  }

  // Points per group of cases (a problem without groups is one group of 100, all or nothing; a Run's
  // samples score nothing).
  function score(result) {
    if (!result || !result.max_points) return null;
    const groups = result.groups || [];
    return el("p", { class: "score", "data-testid": "score" }, el("strong", {}, `Score ${result.points}/${result.max_points}`),
      groups.length > 1 ? ` (${groups.map((g) => `${g.name} ${g.points}/${g.max_points}`).join(", ")})` : "");
  }

  // The problem's implementation rules (must use lax.scan, say), each kept or broken.
  function rules(list) {
    if (!list || !list.length) return null;
    return el("div", { class: "rules", "data-testid": "rules" }, el("h3", {}, "Rules"),
      el("ul", {}, list.map((r) => el("li", { class: r.status === "passed" ? "pass" : "fail", dataset: { status: r.status } },
        el("span", { "aria-hidden": "true" }, r.status === "passed" ? "✓ " : "✗ "),
        el("span", { class: "visually-hidden" }, r.status === "passed" ? "kept: " : "broken: "),
        r.rule, r.message ? `: ${r.message}` : ""))));
  }

  function render(submission, target) {
    const { verdictEl, statusEl, bodyEl } = target;
    const report = submission.report || {};
    if (submission.status !== "judged") {
      verdictEl.textContent = "";
      verdictEl.className = "verdict";
      statusEl.textContent = submission.status === "running" ? "Judging…" : "Waiting in the queue…";
      bodyEl.replaceChildren(el("div", { class: "spinner", "aria-hidden": "true" }));
      return;
    }
    verdictEl.textContent = submission.verdict;
    verdictEl.className = `verdict ${submission.verdict.toLowerCase()}`;
    verdictEl.title = PLAIN[submission.verdict] || "";
    const timings = report.timings || {};
    statusEl.textContent = [
      PLAIN[submission.verdict],
      submission.mode === "run" ? "sample cases" : submission.mode === "submit" ? "every case" : "",
      report.device?.platform ? `on ${report.device.platform}` : "",
      timings.wall_s !== undefined ? `${timings.wall_s.toFixed(2)} s` : "",
    ].filter(Boolean).join(" · ");
    const parts = [el("p", { class: "summary", "data-testid": "summary" }, report.summary || ""),
      score(report.score), rules(report.rules)];
    const moduleError = report.module_error;
    if (moduleError) {
      parts.push(el("div", { class: "module-error", "data-testid": "module-error" },
        el("p", {}, el("strong", {}, `${moduleError.error_type}: `), moduleError.message),
        moduleError.traceback ? el("pre", {}, moduleError.traceback) : null));
    }
    parts.push(table(report));
    if ((report.hints || []).length) {
      parts.push(el("div", { class: "report-hints", "data-testid": "report-hints" }, el("h3", {}, "Hints"),
        el("ul", {}, report.hints.map((h) => el("li", {}, ...withCode(h))))));
    }
    parts.push(failures(report));
    const output = report.output || {};
    if (output.shown && (output.stdout_tail || output.stderr_tail)) {
      parts.push(el("h3", {}, "Output"), el("pre", { class: "output", "data-testid": "output" },
        (output.stdout_tail || "") + (output.stderr_tail || "")));
    } else if (output.bytes) {
      parts.push(el("p", { class: "muted" }, `Printed ${output.bytes} bytes; output is shown for Run (sample cases) only.`));
    }
    bodyEl.replaceChildren(...parts.filter(Boolean));
  }

  // Poll a submission until it is judged, rendering each state; resolves to the judged submission.
  async function follow(id, target, { interval = 500 } = {}) {
    for (let wait = interval; ; wait = Math.min(wait * 1.2, 2000)) {
      const submission = await api("GET", `/api/submissions/${id}`);
      render(submission, target);
      if (submission.status === "judged") return submission;
      await sleep(wait);
    }
  }

  // The table while judging: every case × check of the plan (from the stream's `running` event) drawn
  // pending, each cell turning green or red as its check event arrives.
  function drawPlan(plan, target) {
    const checks = [];
    for (const c of plan.cases) {
      for (const k of plan.checks) checks.push({ case: c.name, sample: c.sample, ...k, status: "pending" });
    }
    target.verdictEl.textContent = "";
    target.verdictEl.className = "verdict";
    const bar = el("progress", { max: Math.max(checks.length, 1), value: 0, "aria-label": "Checks judged",
      "data-testid": "live-progress" });
    target.statusEl.textContent = "Judging…";
    target.bodyEl.replaceChildren(bar, table({ checks }) || el("div", { class: "spinner", "aria-hidden": "true" }));
    target.bodyEl.dataset.liveChecks = "0";
    return { bar, total: checks.length };
  }

  function applyCheck(check, target, drawn) {
    const selector = `td.cell[data-case="${CSS.escape(check.case)}"][data-check="${CSS.escape(check.check)}"]` +
      `[data-transform="${CSS.escape(check.transform)}"]`;
    target.bodyEl.querySelector(selector)?.replaceWith(cellFor(check.case, check));
    // A check may come twice (the report's word after the live one): count cells, not events.
    const done = drawn ? drawn.total - target.bodyEl.querySelectorAll("td.cell.pending").length : 0;
    target.bodyEl.dataset.liveChecks = String(done);
    if (drawn) {
      drawn.bar.value = done;
      target.statusEl.textContent = `Judging… ${done} of ${drawn.total} checks`;
    }
  }

  // Follow a submission live over its event stream (GET /api/submissions/{id}/events); resolves to the
  // judged submission. Polling (`follow`) only where the stream cannot be had: no EventSource, or the
  // server refused it (a course's staff may see a submission whose stream is its owner's).
  async function live(id, target) {
    const current = await api("GET", `/api/submissions/${id}`);
    render(current, target);
    if (current.status === "judged" || !window.EventSource) {
      return current.status === "judged" ? current : follow(id, target);
    }
    return new Promise((resolve, reject) => {
      const source = new EventSource(`/api/submissions/${id}/events`);
      let drawn = null;
      const on = (name, handle) => source.addEventListener(name, (event) => handle(JSON.parse(event.data)));
      on("queued", (data) => {
        target.statusEl.textContent = `Waiting in the queue: position ${data.position}…`;
      });
      on("running", (plan) => { drawn = drawPlan(plan, target); });
      on("check", (check) => applyCheck(check, target, drawn));
      on("verdict", (data) => {
        source.close();
        const judged = { ...current, status: "judged", verdict: data.verdict, report: data.report };
        render(judged, target);
        resolve(judged);
      });
      source.onerror = () => {  // a dropped connection reconnects by itself (with Last-Event-ID)
        if (source.readyState === EventSource.CLOSED) follow(id, target).then(resolve, reject);
      };
    });
  }

  function targetIn(root = document) {
    return {
      verdictEl: root.querySelector("#verdict"),
      statusEl: root.querySelector("#result-status"),
      bodyEl: root.querySelector("#result-body"),
    };
  }

  return { render, follow, live, targetIn };
})();
