/* The studio's read-only diagrams (bpmn-js NavigatedViewer, global BpmnJS):
   - #carte: the map of waits, figures from carte.json drawn as markers and overlays;
   - [data-diff-side]: a version of the compare page, elements marked added/removed/changed from the
     rows of the differences table (tr[data-element][data-change]).
   The tables under the diagrams carry the same facts for screen readers and small screens. */
(function () {
  "use strict";

  function node(tag, className, text) {
    var el = document.createElement(tag);
    if (className) { el.className = className; }
    if (text !== undefined) { el.textContent = text; }
    return el;
  }

  function fetchOk(url, how) {
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return how === "json" ? response.json() : response.text();
    });
  }

  function say(container, text) {
    var status = container.querySelector(".diagram-status") || node("p", "diagram-status");
    status.textContent = text;
    if (!status.parentNode) { container.appendChild(status); }
  }

  /* Buttons to zoom without a mouse wheel, placed before the diagram. */
  function zoomButtons(container, canvas) {
    var bar = node("div", "diagram-tools");
    [["Agrandir", 1.25], ["Réduire", 0.8], ["Tout voir", 0]].forEach(function (entry) {
      var button = node("button", "", entry[0]);
      button.type = "button";
      button.addEventListener("click", function () {
        if (entry[1]) { canvas.zoom(canvas.zoom() * entry[1], "auto"); } else { canvas.zoom("fit-viewport", "auto"); }
      });
      bar.appendChild(button);
    });
    container.parentNode.insertBefore(bar, container);
  }

  /* A viewer drawing `xml` in `container`, fitted to it; resolves to the viewer. */
  function draw(container, xml) {
    container.textContent = "";
    var viewer = new window.BpmnJS({ container: container });
    return viewer.importXML(xml).then(function () {
      var canvas = viewer.get("canvas");
      canvas.zoom("fit-viewport", "auto");
      zoomButtons(container, canvas);
      container.classList.add("ready");
      return viewer;
    });
  }

  /* The point halfway along a connection's waypoints, relative to its bounding box. */
  function middleOf(connection) {
    var points = connection.waypoints, total = 0, i, lengths = [];
    for (i = 1; i < points.length; i++) {
      lengths.push(Math.hypot(points[i].x - points[i - 1].x, points[i].y - points[i - 1].y));
      total += lengths[i - 1];
    }
    var rest = total / 2, x = points[0].x, y = points[0].y;
    for (i = 1; i < points.length; i++) {
      if (rest <= lengths[i - 1] && lengths[i - 1] > 0) {
        var t = rest / lengths[i - 1];
        x = points[i - 1].x + t * (points[i].x - points[i - 1].x);
        y = points[i - 1].y + t * (points[i].y - points[i - 1].y);
        break;
      }
      rest -= lengths[i - 1];
    }
    var minX = Math.min.apply(null, points.map(function (p) { return p.x; }));
    var minY = Math.min.apply(null, points.map(function (p) { return p.y; }));
    return { left: x - minX, top: y - minY };
  }

  function paintMap(viewer, figures) {
    var registry = viewer.get("elementRegistry"), canvas = viewer.get("canvas"), overlays = viewer.get("overlays");
    figures.steps.forEach(function (step) {
      if (!registry.get(step.id)) { return; }
      canvas.addMarker(step.id, "heat-" + step.level);
      var badge = node("div", "map-badge heat-" + step.level);
      badge.appendChild(node("strong", "map-count", String(step.waiting)));
      badge.title = step.waiting + " en attente";
      overlays.add(step.id, "carte", { position: { top: -12, right: 24 }, html: badge });
      if (step.waiting) {
        var waits = node("div", "map-waits", "méd. " + step.median + " · max " + step.longest);
        overlays.add(step.id, "carte", { position: { bottom: -4, left: 0 }, html: waits });
      }
    });
    figures.flows.forEach(function (flow) {
      var connection = registry.get(flow.id);
      if (!connection || !connection.waypoints) { return; }
      var measured = flow.passed !== null;
      canvas.addMarker(flow.id, measured ? "flow-" + flow.level : "flow-unknown");
      var label = node("div", "map-flow" + (measured ? "" : " unknown"), measured ? String(flow.passed) : "?");
      label.title = measured ? flow.passed + " passage(s) : " + flow.how : flow.how;
      var middle = middleOf(connection);
      overlays.add(flow.id, "carte", { position: { left: middle.left - 10, top: middle.top - 10 }, html: label });
    });
  }

  /* The figures the page carries (the same as carte.json returns), else carte.json. */
  function mapFigures(container) {
    var block = document.getElementById("carte-chiffres");
    if (block) {
      try { return Promise.resolve(JSON.parse(block.textContent)); } catch (ignored) { /* fetch them instead */ }
    }
    return fetchOk(container.dataset.figuresUrl, "json");
  }

  function showMap(container) {
    Promise.all([fetchOk(container.dataset.xmlUrl, "text"), mapFigures(container)])
      .then(function (loaded) {
        return draw(container, loaded[0]).then(function (viewer) { paintMap(viewer, loaded[1]); });
      })
      .catch(function () {
        say(container, "Le diagramme n'a pas pu être affiché ; les chiffres sont dans les tableaux ci-dessous.");
      });
  }

  var CHANGE_WORDS = { added: "ajouté", removed: "supprimé", changed: "modifié" };

  /* Marks the rows' elements on one side; returns the names of those this diagram does not draw. */
  function paintDiff(viewer, side, rows) {
    var registry = viewer.get("elementRegistry"), canvas = viewer.get("canvas"), overlays = viewer.get("overlays");
    var undrawn = [];
    rows.forEach(function (row) {
      var id = row.dataset.element, change = row.dataset.change;
      if (!(change === "changed" || (change === "added" ? side === "after" : side === "before"))) { return; }
      var element = registry.get(id);
      if (!element) {
        if (row.dataset.drawable === "oui") { undrawn.push(row.dataset.name || id); }
        return;
      }
      if (element.type === "bpmn:Process" || element.type === "bpmn:Collaboration") { return; }
      canvas.addMarker(id, "diff-" + change);
      if (!element.waypoints && element.type !== "bpmn:Lane" && element.type !== "bpmn:Participant") {
        overlays.add(id, "differences", { position: { top: -12, left: 0 },
                                          html: node("div", "diff-badge diff-" + change, CHANGE_WORDS[change]) });
      }
    });
    return undrawn;
  }

  function showDiff(container) {
    var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-element][data-change]"));
    fetchOk(container.dataset.xmlUrl, "text")
      .then(function (xml) { return draw(container, xml); })
      .then(function (viewer) {
        var undrawn = paintDiff(viewer, container.dataset.diffSide, rows);
        var note = document.querySelector('[data-undrawn-for="' + container.dataset.diffSide + '"]');
        if (note && undrawn.length) {
          note.textContent = "Sans dessin sur ce diagramme (le fichier ne donne pas leur place) : « " +
            undrawn.join(" », « ") + " ».";
          note.hidden = false;
        }
      })
      .catch(function () {
        say(container, "Le diagramme n'a pas pu être affiché ; les différences sont dans le tableau ci-dessous.");
      });
  }

  function start() {
    if (!window.BpmnJS) { return; }
    var map = document.getElementById("carte");
    if (map) { showMap(map); }
    Array.prototype.forEach.call(document.querySelectorAll("[data-diff-side]"), showDiff);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
