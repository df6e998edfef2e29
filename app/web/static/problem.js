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
    const row = el("tr", { dataset: { id: String(submission.id) } },
      el("td", {}, el("a", { href: `/submissions/${submission.id}` }, String(submission.id))),
      el("td", {}, submission.mode),
      el("td", {}, el("span", { class: `verdict-badge ${label.toLowerCase()}` }, label)),
      el("td", {}, "just now"));
    if (existing) existing.replaceWith(row);
    else body.prepend(row);
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
    } catch (error) {
      target.statusEl.textContent = "";
      target.bodyEl.replaceChildren(el("div", { class: "alert error", role: "alert", "data-testid": "submit-error" },
        error.message));
    } finally {
      busy = false;
      runButton.disabled = submitButton.disabled = false;
    }
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
      list.replaceChildren(...hints.revealed.map((h) => el("li", {}, h)));
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
