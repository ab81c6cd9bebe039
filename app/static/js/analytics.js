// Reports: draw each section's chart (vendored Chart.js) from the JSON block beside its canvas.
// The table under each chart has the same numbers, so the page reads fine without JavaScript.
(function () {
  "use strict";
  if (typeof window.Chart === "undefined") { return; }

  // Distinguishable on screen and in greyscale print; the same series keeps its colour everywhere.
  var COLOURS = ["#b4231b", "#0b57a4", "#1d6b35", "#8a5a00", "#6b3fa0"];
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function format(value, unit) {
    if (value === null || value === undefined) { return "—"; }
    return unit === "%" ? value + "%" : unit ? value + " " + unit : String(value);
  }

  function config(spec) {
    var horizontal = spec.kind === "hbar";
    var line = spec.kind === "line";
    var valueAxis = {
      type: spec.log ? "logarithmic" : "linear",
      beginAtZero: !spec.log,
      ticks: { callback: function (value) { return format(value, spec.unit); } }
    };
    if (spec.max !== null && spec.max !== undefined) { valueAxis.max = spec.max; }
    var scales = horizontal ? { x: valueAxis, y: { ticks: { autoSkip: false } } } : { y: valueAxis };
    return {
      type: line ? "line" : "bar",
      data: {
        labels: spec.labels,
        datasets: spec.series.map(function (series, i) {
          var colour = COLOURS[i % COLOURS.length];
          return {
            label: series.label, data: series.data, backgroundColor: colour, borderColor: colour,
            borderWidth: line ? 2 : 0, spanGaps: true, pointRadius: line ? 3 : 0
          };
        })
      },
      options: {
        indexAxis: horizontal ? "y" : "x",
        responsive: true,
        maintainAspectRatio: false,
        animation: reduceMotion ? false : { duration: 300 },
        scales: scales,
        plugins: {
          legend: { display: spec.series.length > 1, position: "bottom" },
          tooltip: {
            callbacks: {
              label: function (item) {
                return item.dataset.label + ": " + format(item.raw, spec.unit);
              }
            }
          }
        }
      }
    };
  }

  document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
    var block = document.getElementById(canvas.getAttribute("data-chart"));
    if (!block) { return; }
    var spec = JSON.parse(block.textContent);
    if (spec.kind === "hbar") {  // one bar per substation: give each room for its name
      canvas.parentNode.style.height = Math.max(12, spec.labels.length * 1.75 + 4) + "rem";
    }
    canvas.chart = new window.Chart(canvas, config(spec));
  });
})();
