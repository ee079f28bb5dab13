// Keyboard shortcuts of the review loop, loaded by the queue and case
// pages. A file, not inline script: the Content-Security-Policy allows
// scripts from this origin only.
//   queue page: j/k select the next/previous case, Enter opens it
//   case page:  j/k open the next/previous case of the queue,
//               c confirms, e escalates, d picks a dismissal reason
//               (Enter on the reason dismisses)
(function () {
  "use strict";
  function typing(t) {
    return t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(t.tagName));
  }
  function go(id) {
    var a = document.getElementById(id);
    if (!a) return false;
    location.href = a.href;
    return true;
  }
  function submit(id) {
    var f = document.getElementById(id);
    if (!f) return false;
    if (f.requestSubmit) f.requestSubmit(); else f.submit();
    return true;
  }
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.case-row"));
  var cur = -1;
  function select(i) {
    if (!rows.length) return false;
    cur = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (r, k) { r.classList.toggle("selected", k === cur); });
    rows[cur].scrollIntoView({ block: "nearest" });
    return true;
  }
  document.addEventListener("keydown", function (e) {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    var reason = document.querySelector("#form-dismiss select");
    if (e.target === reason && e.key === "Enter" && reason.value) {
      e.preventDefault();
      submit("form-dismiss");
      return;
    }
    if (typing(e.target)) return;
    var done = false;
    switch (e.key) {
      case "j": done = rows.length ? select(cur + 1) : go("next-case"); break;
      case "k": done = rows.length ? select(cur - 1) : go("prev-case"); break;
      case "Enter":
        if (cur >= 0 && rows[cur]) { location.href = rows[cur].dataset.href; done = true; }
        break;
      case "c": done = submit("form-confirm"); break;
      case "e": done = submit("form-escalate"); break;
      case "d":
        if (reason) { reason.focus(); done = true; }
        break;
    }
    if (done) e.preventDefault();
  });
})();
