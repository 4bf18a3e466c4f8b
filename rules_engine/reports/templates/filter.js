/* A population page's arrangements: search, filter by outcome and ICB, group by ICB.
   Reads only data attributes and form values; writes text with textContent, never markup.
   And on any page: a link to something inside a folded <details> opens it. */
(function () {
  "use strict";
  function reveal() {
    var id = location.hash ? decodeURIComponent(location.hash.slice(1)) : "";
    var target = id ? document.getElementById(id) : null;
    for (var node = target; node; node = node.parentElement) {
      if (node.tagName === "DETAILS") { node.open = true; }
    }
    if (target) { target.scrollIntoView(); }
  }
  window.addEventListener("hashchange", reveal);
  reveal();

  var form = document.getElementById("arrangement-filters");
  if (!form) { return; }
  var table = document.getElementById(form.getAttribute("data-table"));
  var body = table.tBodies[0];
  var count = document.getElementById("filter-count");
  var none = document.getElementById("filter-none");
  var columns = table.tHead.rows[0].cells.length;
  function rows() {
    return Array.prototype.filter.call(body.rows, function (row) { return !row.classList.contains("group-head"); });
  }
  function group(all) {
    Array.prototype.slice.call(body.querySelectorAll("tr.group-head")).forEach(function (head) {
      body.removeChild(head);
    });
    if (!form.elements.group.checked) { return; }
    var groups = new Map();
    all.forEach(function (row) {
      var icb = row.getAttribute("data-icb") || "";
      if (!groups.has(icb)) { groups.set(icb, []); }
      groups.get(icb).push(row);
    });
    Array.from(groups.keys()).sort().forEach(function (icb) {
      var members = groups.get(icb);
      var visible = members.filter(function (row) { return !row.hidden; });
      var failing = visible.filter(function (row) { return row.getAttribute("data-outcome") === "fail"; });
      var head = document.createElement("tr");
      head.className = "group-head";
      head.setAttribute("data-icb", icb);
      head.hidden = visible.length === 0;
      var cell = document.createElement("th");
      cell.colSpan = columns;
      cell.scope = "rowgroup";
      cell.textContent = (icb || "(no ICB given)") + ": " + visible.length + " not passing, " +
        failing.length + " failing";
      head.appendChild(cell);
      body.appendChild(head);
      members.forEach(function (row) { body.appendChild(row); });
    });
  }
  function apply() {
    var words = form.elements.q.value.toLowerCase().split(/\s+/).filter(Boolean);
    var outcome = form.elements.outcome.value;
    var icb = form.elements.icb.value;
    var all = rows();
    var shown = 0;
    all.forEach(function (row) {
      var text = row.getAttribute("data-search") || "";
      var keep = (!outcome || row.getAttribute("data-outcome") === outcome) &&
        (!icb || row.getAttribute("data-icb") === icb) &&
        words.every(function (word) { return text.indexOf(word) !== -1; });
      row.hidden = !keep;
      if (keep) { shown += 1; }
    });
    group(all);
    count.textContent = shown + " of " + all.length + " shown";
    none.hidden = shown !== 0;
  }
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (event) { event.preventDefault(); });
  table.addEventListener("sorted", apply);
  Array.prototype.forEach.call(document.querySelectorAll("button.show-icb"), function (button) {
    button.addEventListener("click", function () {
      form.elements.icb.value = button.getAttribute("data-icb");
      apply();
      form.scrollIntoView();
    });
  });
  apply();
}());
