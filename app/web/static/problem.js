// The problem page: the editor (with a draft per problem kept in this browser), Run and Submit, the
// verdict as it arrives, hints one at a time, the solution, and the list of your submissions.
"use strict";
(() => {
  const { api, el } = jj;
  const data = jj.pageData();
  const draftKey = `jaxjudge:draft:${data.user}:${data.slug}`;
  const target = verdicts.targetIn();
  const runButton = document.getElementById("run-button");
  const submitButton = document.getElementById("submit-button");
  let busy = false;

  function loadDraft() {
    try { return localStorage.getItem(draftKey); } catch (error) { return null; }
  }
  function saveDraft(text) {
    try {
      if (text === data.starter) localStorage.removeItem(draftKey);
      else localStorage.setItem(draftKey, text);
    } catch (error) { /* storage full or disabled: the editor still works */ }
  }

  const editor = jj.codeEditor(document.getElementById("editor"), {
    doc: loadDraft() ?? data.starter, onChange: saveDraft, onSubmit: () => send("submit"),
    label: "Your solution (Python)",
  });

  document.getElementById("reset-button").addEventListener("click", () => {
    if (editor.getText() !== data.starter && !window.confirm("Replace your code with the starter code?")) return;
    editor.setText(data.starter);
    saveDraft(data.starter);
    editor.focus();
  });

  function addToList(submission) {
    const body = document.getElementById("my-submissions");
    body.querySelector("tr.empty")?.remove();
    const label = submission.verdict || submission.status;
    const existing = body.querySelector(`tr[data-id="${submission.id}"]`);
    const score = submission.report?.score;
    const seconds = submission.report?.timings?.judge_s;
    const picked = existing?.querySelector("input.compare-pick")?.checked;
    const row = el("tr", { dataset: { id: String(submission.id) } },
      el("td", {}, el("a", { href: `/submissions/${submission.id}` }, String(submission.id))),
      el("td", {}, submission.mode),
      el("td", {}, el("span", { class: `verdict-badge ${label.toLowerCase()}` }, label)),
      el("td", {}, score?.max_points ? `${score.points}/${score.max_points}` : ""),
      el("td", {}, seconds !== undefined ? `${seconds.toFixed(2)} s` : ""),
      el("td", {}, "just now"),
      el("td", {}, el("input", { type: "checkbox", class: "compare-pick", value: String(submission.id),
        "data-testid": `compare-${submission.id}`, "aria-label": `Compare submission ${submission.id}`,
        checked: picked || undefined })));
    if (existing) existing.replaceWith(row);
    else body.prepend(row);
    pickedChanged();
  }

  // Compare two of your submissions: a line diff of their sources (removed lines "-", added "+").
  const compareButton = document.getElementById("compare-button");
  const picks = () => [...document.querySelectorAll("#my-submissions input.compare-pick:checked")];
  function pickedChanged() { compareButton.disabled = picks().length !== 2; }
  document.getElementById("my-submissions").addEventListener("change", pickedChanged);
  compareButton.addEventListener("click", async () => {
    const [newer, older] = picks().map((box) => Number(box.value)).sort((a, b) => b - a);
    const out = document.getElementById("compare-result");
    try {
      const [a, b] = await Promise.all([older, newer].map((id) => api("GET", `/api/submissions/${id}`)));
      out.replaceChildren(el("h3", {}, `#${a.id} (${a.verdict || a.status}) → #${b.id} (${b.verdict || b.status})`),
        el("pre", { class: "diff", "data-testid": "diff" },
          lineDiff(a.source, b.source).map(([op, line]) =>
            el("span", { class: op === "+" ? "ins" : op === "-" ? "del" : "" }, `${op} ${line}\n`))));
    } catch (error) {
      out.replaceChildren(el("p", { class: "alert error", role: "alert" }, error.message));
    }
  });

  // The lines of `a` and `b` as [op, line]: "-" only in a, "+" only in b, " " in both (a longest common
  // subsequence of lines; sources are at most 64 KiB, so a few thousand lines).
  function lineDiff(a, b) {
    const x = a.split("\n"), y = b.split("\n");
    const n = x.length, m = y.length;
    const common = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        common[i][j] = x[i] === y[j] ? common[i + 1][j + 1] + 1 : Math.max(common[i + 1][j], common[i][j + 1]);
      }
    }
    const lines = [];
    let i = 0, j = 0;
    while (i < n && j < m) {
      if (x[i] === y[j]) { lines.push([" ", x[i]]); i++; j++; }
      else if (common[i + 1][j] >= common[i][j + 1]) lines.push(["-", x[i++]]);
      else lines.push(["+", y[j++]]);
    }
    while (i < n) lines.push(["-", x[i++]]);
    while (j < m) lines.push(["+", y[j++]]);
    return lines;
  }

  async function send(mode) {
    if (busy) return;
    busy = true;
    runButton.disabled = submitButton.disabled = true;
    target.verdictEl.textContent = "";
    target.verdictEl.className = "verdict";
    target.statusEl.textContent = mode === "run" ? "Sending the sample run…" : "Sending…";
    target.bodyEl.replaceChildren();
    try {
      const created = await api("POST", `/api/problems/${data.slug}/submissions`, { source: editor.getText(), mode });
      addToList({ id: created.id, mode, status: created.status });
      const judged = await verdicts.live(created.id, target);
      addToList(judged);
      if (judged.verdict === "ACCEPTED" && mode === "submit") unlockSolution();
      if (mode === "submit") refreshAcceptance();
    } catch (error) {
      target.statusEl.textContent = "";
      target.bodyEl.replaceChildren(el("div", { class: "alert error", role: "alert", "data-testid": "submit-error" },
        error.message));
    } finally {
      busy = false;
      runButton.disabled = submitButton.disabled = false;
    }
  }
  // The "accepted X% of N" line counts judged Submits: yours just changed it.
  async function refreshAcceptance() {
    try {
      const problem = await api("GET", `/api/problems/${data.slug}`);
      document.getElementById("acceptance").textContent = problem.submissions
        ? `accepted ${Math.round(problem.acceptance_rate * 100)}% of ${problem.submissions}` : "no submissions yet";
    } catch (error) { /* the line stays as it was; the verdict is what matters */ }
  }
  runButton.addEventListener("click", () => send("run"));
  submitButton.addEventListener("click", () => send("submit"));

  // Hints, one at a time.
  const hintButton = document.getElementById("hint-button");
  hintButton?.addEventListener("click", async () => {
    hintButton.disabled = true;
    try {
      const hints = await api("POST", `/api/problems/${data.slug}/hints/next`);
      const list = document.getElementById("hints-list");
      // Rendered by the server's Markdown renderer, which escapes raw HTML (as for the statement).
      list.replaceChildren(...hints.revealed_html.map((html) => {
        const item = el("li", { class: "md" });
        item.innerHTML = html;
        return item;
      }));
      document.getElementById("hints-count").textContent = hints.revealed.length;
      hintButton.disabled = hints.revealed.length >= hints.total;
      list.lastElementChild?.setAttribute("tabindex", "-1");
      list.lastElementChild?.focus();
    } catch (error) {
      hintButton.disabled = false;
      hintButton.after(el("p", { class: "alert error", role: "alert" }, error.message));
    }
  });

  // The solution: straight away once solved; otherwise after a second click (it is recorded).
  const solutionButton = document.getElementById("solution-button");
  const confirmBox = document.getElementById("solution-confirm");
  async function showSolution(method) {
    try {
      const solution = await api(method, `/api/problems/${data.slug}/solution`);
      document.getElementById("solution-code").replaceChildren(el("pre", { class: "solution-source" }, solution.source));
      solutionButton.hidden = true;
      if (confirmBox) confirmBox.hidden = true;
    } catch (error) {
      document.getElementById("solution-code").replaceChildren(el("p", { class: "alert error", role: "alert" }, error.message));
    }
  }
  function unlockSolution() {
    if (solutionButton) solutionButton.dataset.confirmed = "1";
  }
  solutionButton?.addEventListener("click", () => {
    if (solutionButton.dataset.confirmed) showSolution("GET");
    else { confirmBox.hidden = false; document.getElementById("solution-confirm-button").focus(); }
  });
  document.getElementById("solution-confirm-button")?.addEventListener("click", () => showSolution("POST"));
})();
