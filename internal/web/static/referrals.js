// Copy buttons of the referral page: a button with data-copy="ID" copies
// the text of the element with that id, for pasting into a platform's
// report form. A static file, as the Content-Security-Policy allows no
// inline script.
document.addEventListener("click", function (ev) {
  var b = ev.target.closest("button[data-copy]");
  if (!b) return;
  var el = document.getElementById(b.dataset.copy);
  if (!el || !navigator.clipboard) return;
  navigator.clipboard.writeText(el.textContent).then(function () {
    b.classList.add("copied");
    setTimeout(function () { b.classList.remove("copied"); }, 1500);
  });
});
