/* The studio's decision table editor: dmn-js opened on the table itself, in French, saved as the
   table's draft; the cells the server's checks locate are marked and listed. */
(function () {
  "use strict";
  var root = document.getElementById("te");
  if (!root || !window.DmnJS) { return; }
  var state = document.getElementById("te-etat");
  var source = document.getElementById("te-source");
  var saveButton = document.getElementById("te-enregistrer");
  var container = document.getElementById("te-table");
  var problems = [];
  var changed = false;  // edited and not saved yet: leaving the page asks first
  var french = { additionalModules: [window.SproDmnFrench] };  // dmn-js reads them per view, not from `common`
  var modeler = new window.DmnJS({
    container: container,
    drd: french, decisionTable: french, literalExpression: french, boxedExpression: french
  });

  function cellsOf(id) {
    if (!id) { return []; }
    var selector = '[data-element-id="' + (window.CSS && CSS.escape ? CSS.escape(id) : id) + '"]';
    return Array.prototype.slice.call(container.querySelectorAll(selector));
  }

  function mark() {
    container.querySelectorAll("th.index-column").forEach(function (th) {  // dmn-js leaves it empty
      if (!th.textContent.trim()) { th.textContent = "N°"; }
    });
    container.querySelectorAll(".te-probleme").forEach(function (cell) {
      cell.classList.remove("te-probleme");
      cell.removeAttribute("title");
    });
    problems.forEach(function (problem) {
      cellsOf(problem.element).forEach(function (cell) {
        cell.classList.add("te-probleme");
        cell.setAttribute("title", problem.message);
      });
    });
  }

  function list() {
    var summary = document.getElementById("te-resume");
    var items = document.getElementById("te-liste");
    items.textContent = "";
    summary.textContent = problems.length ? problems.length + " problème(s) à corriger avant publication :"
      : "Aucun problème : la table peut être publiée depuis sa page.";
    problems.forEach(function (problem) {
      var item = document.createElement("li");
      var where = problem.where ? problem.where + " : " : "";
      if (cellsOf(problem.element).length) {
        var button = document.createElement("button");
        button.type = "button";
        button.className = "link";
        button.textContent = where + problem.message;
        button.addEventListener("click", function () {
          var cell = cellsOf(problem.element)[0];
          if (cell) { cell.scrollIntoView({ block: "center" }); cell.focus(); }
        });
        item.appendChild(button);
      } else {
        item.textContent = where + problem.message;
      }
      items.appendChild(item);
    });
    mark();
  }

  function follow() {  // dmn-js redraws cells as they are edited: marks are put back after each change
    var viewer = modeler.getActiveViewer();
    if (viewer) {
      viewer.get("eventBus").on("elements.changed", function () {
        changed = true;
        window.requestAnimationFrame(mark);
      });
    }
  }

  function openTable() {
    var view = modeler.getViews().filter(function (v) { return v.type === "decisionTable"; })[0];
    return view ? modeler.open(view) : Promise.resolve();
  }

  function save() {
    saveButton.disabled = true;
    state.textContent = "Enregistrement…";
    modeler.saveXML({ format: true }).then(function (result) {
      return fetch(root.getAttribute("data-save-url"), {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": root.getAttribute("data-csrf") },
        body: JSON.stringify({ xml: result.xml })
      });
    }).then(function (response) {
      return response.json().then(function (body) { return { status: response.status, body: body }; });
    }).then(function (answer) {
      problems = answer.body.problems || [];
      if (answer.body.saved) {
        changed = false;
        state.textContent = problems.length
          ? "Brouillon enregistré, avec des problèmes à corriger avant publication."
          : "Brouillon enregistré : aucun problème.";
        source.textContent = "Brouillon de la table.";
      } else {
        state.textContent = "Rien n'a été enregistré : la table contient ce qui ne peut pas être accepté " +
          "(voir les problèmes).";
      }
      list();
    }).catch(function () {
      state.textContent = "L'enregistrement a échoué : vérifiez la connexion et réessayez.";
    }).then(function () { saveButton.disabled = false; });
  }

  window.addEventListener("beforeunload", function (event) {
    if (changed) { event.preventDefault(); event.returnValue = ""; }
  });

  fetch(root.getAttribute("data-table-url"), { credentials: "same-origin" })
    .then(function (response) { return response.json(); })
    .then(function (table) {
      source.textContent = table.from_draft ? "Brouillon de la table (version en cours : " + table.version + ")."
        : "Version en cours : " + table.version + ".";
      problems = table.problems || [];
      return modeler.importXML(table.xml).then(openTable);
    })
    .then(function () {
      follow();
      list();
      saveButton.disabled = false;
      saveButton.addEventListener("click", save);
    })
    .catch(function (error) {
      var reason = error && error.message ? error.message : "erreur inconnue";
      state.textContent = "La table n'a pas pu être ouverte dans l'éditeur : " + reason + ".";
    });
})();
