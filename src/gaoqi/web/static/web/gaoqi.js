// Progressive touches only: every page works without this file.
// The language switch returns to the address the user is on now, which htmx may have changed since load.
document.addEventListener("submit", function (event) {
  var form = event.target;
  if (!form.classList || !form.classList.contains("lang")) return;
  var next = form.querySelector("input[name=next]");
  if (next) next.value = window.location.pathname + window.location.search;
});
