// The submission page: follows the verdict until it is judged.
"use strict";
(() => {
  const { id } = jj.pageData();
  const target = verdicts.targetIn();
  verdicts.follow(id, target).catch((error) => { target.statusEl.textContent = error.message; });
})();
