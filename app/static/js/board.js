// Team board: the administrator's team selector shows the chosen team as soon as it changes.
// Without JavaScript the "Show" button next to it does the same.
(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) { select.form.submit(); }
    });
  });
})();
