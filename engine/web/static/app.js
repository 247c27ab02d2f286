// evalrun serve: the only script. A filter picked from a list applies at once (the 筛选 button still works
// without it); nothing else here: every page works with scripts off.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) { select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit(); }
    });
  });
});
