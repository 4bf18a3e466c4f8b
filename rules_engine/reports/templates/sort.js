/* Sort a table.sortable by the column whose header button is clicked; again to reverse.
   A cell's data-sort (if any) is its key; a header with data-type="number" sorts numerically. */
(function () {
  "use strict";
  function key(cell) {
    if (!cell) { return ""; }
    var given = cell.getAttribute("data-sort");
    return given === null ? cell.textContent.trim() : given;
  }
  function compare(a, b, numeric) {
    if (numeric) {
      var x = parseFloat(a), y = parseFloat(b);
      if (isNaN(x) && isNaN(y)) { return 0; }
      if (isNaN(x)) { return 1; }
      if (isNaN(y)) { return -1; }
      return x - y;
    }
    return a.localeCompare(b, undefined, {numeric: true, sensitivity: "base"});
  }
  function sortBy(th) {
    var table = th.closest("table");
    var body = table.tBodies[0];
    var column = Array.prototype.indexOf.call(th.parentNode.cells, th);
    var numeric = th.getAttribute("data-type") === "number";
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.filter.call(body.rows, function (row) {
      return !row.classList.contains("group-head");  /* a group's heading row, made by filter.js */
    }).map(function (row, index) {
      return {row: row, key: key(row.cells[column]), index: index};
    });
    rows.sort(function (a, b) {
      var order = compare(a.key, b.key, numeric);
      if (!ascending) { order = -order; }
      return order || a.index - b.index;
    });
    Array.prototype.forEach.call(th.parentNode.cells, function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    rows.forEach(function (item) { body.appendChild(item.row); });
    table.dispatchEvent(new CustomEvent("sorted"));  /* filter.js groups the rows again */
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable thead th"), function (th) {
    if (th.querySelector("button")) {  /* a click or Enter on the button bubbles up here */
      th.addEventListener("click", function () { sortBy(th); });
    }
  });
}());
