// Journey migration progress: polls the run's JSON status every 2 s and updates the counts and the
// <progress> bar until the run is over. Without JavaScript the page shows the counts on reload.
(function () {
  "use strict";
  var box = document.getElementById("migration-etat");
  if (!box || box.dataset.done === "oui") { return; }
  var bar = document.getElementById("migration-progression");
  var url = box.dataset.statusUrl;

  function show(state) {
    ["processed", "total", "percent", "moved", "kept"].forEach(function (name) {
      var field = box.querySelector('[data-field="' + name + '"]');
      if (field) { field.textContent = String(state[name]); }
    });
    bar.value = state.percent;
    bar.textContent = state.percent + "\u00a0%";
    if (state.done) {
      box.querySelector('[data-field="status"]').textContent = "Terminée";
      box.dataset.done = "oui";
      window.location.reload();  // the reasons table and the end date come with the page
    }
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (state) {
        if (state) { show(state); }
        if (!state || !state.done) { window.setTimeout(poll, 2000); }
      })
      .catch(function () { window.setTimeout(poll, 2000); });
  }
  window.setTimeout(poll, 2000);
}());
