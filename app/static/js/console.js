/* Console keyboard helpers (no inline scripts: CSP script-src 'self').
   Ctrl/Cmd+Enter in a text area saves its form; Esc (outside a field) goes back to the lookup
   field; "/" (outside a field) also focuses it. Access keys: Alt+L lookup, Alt+C problem. */
(function () {
  "use strict";
  var lookup = document.getElementById("q");

  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  }

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey) && target.tagName === "TEXTAREA" && target.form) {
      event.preventDefault();
      if (target.form.requestSubmit) { target.form.requestSubmit(); } else { target.form.submit(); }
      return;
    }
    if (!lookup || event.ctrlKey || event.metaKey || event.altKey) { return; }
    if ((event.key === "/" && !typing(target)) || (event.key === "Escape" && target !== lookup)) {
      event.preventDefault();
      lookup.focus();
      lookup.select();
    }
  });
})();
