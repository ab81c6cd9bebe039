// Live board: fetch the board's JSON every data-refresh-seconds (30 s) and whenever the tab comes
// back into view, and redraw the lists, counts and intake in place. Text only (textContent):
// nothing from the data is ever parsed as HTML. On a failed fetch the last data stays and a quiet
// note says the page is retrying. Without JavaScript the page is the server's first view.
(function () {
  "use strict";

  // The administrator's filters show the chosen team or district as soon as they change.
  document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form) { select.form.submit(); }
    });
  });

  var root = document.getElementById("live-board");
  if (!root || !window.fetch) { return; }
  var source = root.getAttribute("data-source");
  var seconds = Math.max(1, parseInt(root.getAttribute("data-refresh-seconds"), 10) || 30);
  var timer = null;
  var busy = false;

  function el(tag, text, attrs) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    Object.keys(attrs || {}).forEach(function (name) { node.setAttribute(name, attrs[name]); });
    return node;
  }

  function replaceChildren(parent, children) {
    while (parent.firstChild) { parent.removeChild(parent.firstChild); }
    children.forEach(function (child) { parent.appendChild(child); });
  }

  function renderSummary(summary) {
    summary.forEach(function (item) {
      var badge = root.querySelector('#live-summary [data-count="' + item.key + '"]');
      if (!badge) { return; }
      badge.textContent = item.text;
      badge.classList.toggle("badge-breached", item.key === "breached" && item.count > 0);
      badge.classList.toggle("badge-at-risk", item.key === "at_risk" && item.count > 0);
    });
  }

  function urgentRow(row) {
    var tr = el("tr", null, { "class": "live-row", "data-reference": row.reference });
    var link = el("a", row.label, { href: row.url });
    var ticket = el("td");
    ticket.appendChild(link);
    var due = el("td");
    due.appendChild(el("span", row.clock, { "class": "clock" }));
    due.appendChild(document.createTextNode(" "));
    due.appendChild(el("time", row.due_label, { datetime: row.due }));
    var left = el("td");
    left.appendChild(el("span", row.left, { "class": "badge " + (row.overdue ? "badge-breached" : "badge-at-risk") }));
    var cells = [ticket, el("td", row.problem), el("td", row.address), el("td", row.status), el("td", row.assignee),
                 due, left];
    cells.forEach(function (td) { tr.appendChild(td); });
    return tr;
  }

  function renderList(key, list) {
    var section = root.querySelector('[data-list="' + key + '"]');
    if (!section) { return; }
    var total = section.querySelector("[data-total]");
    total.textContent = String(list.total);
    total.classList.toggle(key === "breached" ? "badge-breached" : "badge-at-risk", list.total > 0);
    replaceChildren(section.querySelector("tbody"), list.rows.map(urgentRow));
    section.querySelector("[data-table]").hidden = list.rows.length === 0;
    section.querySelector("[data-empty]").hidden = list.rows.length > 0;
    var more = section.querySelector("[data-more]");
    more.textContent = list.more;
    more.hidden = !list.more;
  }

  function gridRow(label, cells, total, key) {
    var tr = el("tr", null, key === undefined ? {} : { "data-key": key });
    tr.appendChild(el("th", label, { scope: "row" }));
    cells.forEach(function (cell) { tr.appendChild(el("td", cell)); });
    tr.appendChild(el("td", total, { "data-total": "" }));
    return tr;
  }

  function renderGrid(id, table) {
    var grid = document.getElementById(id);
    if (!grid) { return; }
    replaceChildren(grid.querySelector("tbody"), table.rows.map(function (row) {
      return gridRow(row.label, row.cells, row.total, row.key);
    }));
    var foot = grid.querySelector("tfoot tr");
    var label = foot.querySelector("th").textContent;
    replaceChildren(grid.querySelector("tfoot"), [gridRow(label, table.totals, table.total)]);
  }

  function render(data) {
    renderSummary(data.summary);
    renderList("breached", data.breached);
    renderList("at_risk", data.at_risk);
    renderGrid("live-counts-table", data.counts);
    renderGrid("live-intake-table", data.intake);
    document.getElementById("live-updated").textContent = data.updated;
    root.setAttribute("data-updated-at", data.updated_at);
  }

  function setOffline(offline) {
    document.getElementById("live-offline").hidden = !offline;
    root.classList.toggle("live-offline", offline);
  }

  function schedule() {
    window.clearTimeout(timer);
    timer = window.setTimeout(refresh, seconds * 1000);
  }

  function refresh() {
    if (busy) { return; }
    if (document.hidden) { return; }  // asked again when the tab is shown
    busy = true;
    // redirect "manual": an expired sign-in answers with a redirect, which counts as a failure here
    fetch(source, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store",
                    redirect: "manual" })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) { render(data); setOffline(false); })
      .catch(function () { setOffline(true); })
      .then(function () { busy = false; schedule(); });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { refresh(); }
  });
  schedule();
})();
