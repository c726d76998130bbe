// Draws every chart of the page from its JSON block (no inline script: the CSP allows only
// files served by the app). Numbers are formatted in the page's locale (es-MX by default).
(function () {
  "use strict";
  var locale = document.documentElement.getAttribute("data-locale") || "es-MX";
  var formats = {
    money: new Intl.NumberFormat(locale, { style: "currency", currency: "MXN", maximumFractionDigits: 0 }),
    rate: new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 1 }),
    pct: new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }),
    days: new Intl.NumberFormat(locale, { maximumFractionDigits: 1 }),
    num: new Intl.NumberFormat(locale, { maximumFractionDigits: 2 })
  };
  function formatter(kind) {
    var f = formats[kind] || formats.num;
    return function (value) {
      if (value === null || value === undefined || value === "-") { return "—"; }
      var text = f.format(value);
      return kind === "pct" ? text + " %" : text;
    };
  }
  function draw(element) {
    var source = document.getElementById(element.getAttribute("data-chart"));
    if (!source || typeof echarts === "undefined") { return; }
    var option = JSON.parse(source.textContent);
    var kind = option._format;
    delete option._format;
    var fmt = formatter(kind);
    if (option.yAxis && option.yAxis.show !== false) {
      option.yAxis.axisLabel = { formatter: fmt };
    }
    option.tooltip = Object.assign({}, option.tooltip || {}, { valueFormatter: fmt });
    var chart = echarts.init(element, null, { renderer: "canvas" });
    chart.setOption(option);
    element.setAttribute("data-rendered", "true");
    window.addEventListener("resize", function () { chart.resize(); });
  }
  function drawAll() {
    var elements = document.querySelectorAll("[data-chart]");
    for (var i = 0; i < elements.length; i++) { draw(elements[i]); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", drawAll);
  } else {
    drawAll();
  }
})();
