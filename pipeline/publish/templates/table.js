(function () {
  "use strict";
  var table = document.getElementById("table_rows");
  var input = document.getElementById("table_filter");
  var count = document.getElementById("row_count");
  if (!table || !input) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var texts = rows.map(function (r) { return r.textContent.toLowerCase(); });
  rows.forEach(function (r, i) { r.setAttribute("data-i", String(i)); });
  function filter() {
    var words = input.value.toLowerCase().split(/\s+/).filter(function (w) { return w.length > 0; });
    var shown = 0;
    rows.forEach(function (r, i) {
      var ok = words.every(function (w) { return texts[i].indexOf(w) >= 0; });
      r.hidden = !ok;
      if (ok) { shown += 1; }
    });
    count.textContent = shown === rows.length ? rows.length + " rows" : shown + " of " + rows.length + " rows";
  }
  input.addEventListener("input", filter);
  var query = new URLSearchParams(window.location.search).get("q");
  if (query) { input.value = query; filter(); }
  var heads = Array.prototype.slice.call(table.tHead.rows[0].cells);
  function key(r, col) {
    var c = r.cells[col];
    return c.hasAttribute("data-v") ? c.getAttribute("data-v") : c.textContent;
  }
  function compare(x, y) {
    if (x === y) { return 0; }
    if (x === "") { return 1; }
    if (y === "") { return -1; }
    var nx = Number(x), ny = Number(y);
    if (!isNaN(nx) && !isNaN(ny)) { return nx - ny; }
    return x.localeCompare(y);
  }
  heads.forEach(function (th, col) {
    var button = th.querySelector("button");
    if (!button) { return; }
    button.addEventListener("click", function () {
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var sorted = rows.slice().sort(function (a, b) {
        var c = compare(key(a, col), key(b, col));
        if (c !== 0 && key(a, col) !== "" && key(b, col) !== "") { c = ascending ? c : -c; }
        return c !== 0 ? c : Number(a.getAttribute("data-i")) - Number(b.getAttribute("data-i"));
      });
      sorted.forEach(function (r) { body.appendChild(r); });
    });
  });
}());
