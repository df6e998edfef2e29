// The submission page: follows the verdict live until it is judged; admins can rejudge it.
"use strict";
(() => {
  const { id } = jj.pageData();
  const target = verdicts.targetIn();
  const follow = () => verdicts.live(id, target).catch((error) => { target.statusEl.textContent = error.message; });
  follow();
  const rejudge = document.getElementById("rejudge-button");
  rejudge?.addEventListener("click", async () => {
    rejudge.disabled = true;
    try {
      await jj.api("POST", `/api/admin/submissions/${id}/rejudge`);
      await follow();
    } catch (error) { target.statusEl.textContent = error.message; }
    rejudge.disabled = false;
  });
})();
