// Problem-set pages: join with an invite code, create or edit a set, enroll users, a new invite code.
// Everything goes through /api/sets and /api/enrollments, as a program would.
"use strict";
(() => {
  const { api } = jj;
  const $ = (id) => document.getElementById(id);
  const message = $("set-message");
  const say = (text, kind = "") => { if (message) { message.textContent = text; message.className = kind; } };

  $("join-form")?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = $("invite-code").value.trim();
    if (!code) { say("Enter the invite code your course staff gave you.", "bad"); return; }
    say("Joining…");
    try {
      const joined = await api("POST", "/api/enrollments", { invite_code: code });
      say(`You are in ${joined.title}.`, "ok");
      location.href = `/sets/${encodeURIComponent(joined.slug)}`;
    } catch (error) { say(error.message, "bad"); }
  });

  // <input type="datetime-local" step="1"> holds "YYYY-MM-DDTHH:MM[:SS]" with no zone; the form says UTC, so
  // it is sent as UTC. Seconds are kept, so that saving the edit form does not move a window set by the API.
  const toUtc = (local) => (local ? `${local.length === 16 ? `${local}:00` : local}Z` : "");
  const fromIso = (iso) => (iso ? new Date(iso).toISOString().slice(0, 19) : "");

  const form = $("set-form");
  if (form) {
    const { fields } = jj.pageData();
    if (fields) {
      $("s-slug").value = fields.slug;
      $("s-title").value = fields.title;
      $("s-description").value = fields.description;
      $("s-problems").value = fields.problems.map((p) => `${p.problem} ${p.points}`).join("\n");
      $("s-opens").value = fromIso(fields.opens_at);
      $("s-closes").value = fromIso(fields.closes_at);
      $("s-late").value = fields.late_policy;
      $("s-penalty").value = fields.late_penalty_percent;
      $("s-hidden").value = fields.hidden_details;
      $("s-scoreboard").value = fields.scoreboard;
    } else {
      const now = new Date();
      $("s-opens").value = fromIso(now.toISOString());
      $("s-closes").value = fromIso(new Date(now.getTime() + 7 * 86400e3).toISOString());
    }
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const problems = [];
      for (const line of $("s-problems").value.split("\n")) {
        const [problem, points] = line.trim().split(/\s+/);
        if (!problem) continue;
        problems.push({ problem, points: points === undefined ? 1 : Number(points) });
      }
      const body = {
        slug: $("s-slug").value.trim(), title: $("s-title").value.trim(), description: $("s-description").value,
        problems, opens_at: toUtc($("s-opens").value), closes_at: toUtc($("s-closes").value),
        late_policy: $("s-late").value, late_penalty_percent: Number($("s-penalty").value || 0),
        hidden_details: $("s-hidden").value, scoreboard: $("s-scoreboard").value,
      };
      say("Saving…");
      try {
        const saved = fields ? await api("PUT", `/api/sets/${encodeURIComponent(fields.slug)}`, body)
          : await api("POST", "/api/sets", body);
        location.href = `/sets/${encodeURIComponent(saved.slug)}/staff`;
      } catch (error) { say(error.message, "bad"); }
    });
  }

  const slug = jj.pageData().slug;
  $("enroll-form")?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const usernames = $("enroll-usernames").value.split(/[\s,]+/).filter(Boolean);
    if (!usernames.length) { say("Name at least one user.", "bad"); return; }
    try {
      const rows = await api("POST", `/api/sets/${encodeURIComponent(slug)}/enrollments`,
        { usernames, role: $("enroll-role").value });
      say(`Enrolled ${rows.map((r) => r.username).join(", ")}. Reloading…`, "ok");
      setTimeout(() => location.reload(), 600);
    } catch (error) { say(error.message, "bad"); }
  });
  $("new-code")?.addEventListener("click", async () => {
    if (!window.confirm("Make a new invite code? The old one stops working.")) return;
    try {
      const updated = await api("POST", `/api/sets/${encodeURIComponent(slug)}/invite-code`);
      document.querySelector("[data-testid=set-invite-code]").textContent = updated.invite_code;
      say("A new invite code is in place.", "ok");
    } catch (error) { say(error.message, "bad"); }
  });
})();
