/* The studio's BPMN editor: opens the draft (or the current version) in bpmn-js, saves it as the
   draft through brouillon.json and marks on the diagram the problems the server found. */
(function () {
  "use strict";
  var root = document.getElementById("editeur");
  if (!root || !window.BpmnJS || !window.SproProperties) return;

  // The SpiffWorkflow extension elements our diagrams use, so the modeler keeps and edits them.
  var SPIFF_DESCRIPTOR = {
    name: "SpiffWorkflow", uri: "http://spiffworkflow.org/bpmn/schema/1.0/core", prefix: "spiffworkflow",
    xml: { tagAlias: "lowerCase" },
    types: [
      { name: "Properties", superClass: ["Element"], meta: { allowedIn: ["*"] },
        properties: [{ name: "values", type: "Property", isMany: true }] },
      { name: "Property", superClass: ["Element"],
        properties: [{ name: "name", type: "String", isAttr: true }, { name: "value", type: "String", isAttr: true }] },
      { name: "ServiceTaskOperator", superClass: ["Element"], meta: { allowedIn: ["bpmn:ServiceTask"] },
        properties: [{ name: "id", type: "String", isAttr: true }, { name: "resultVariable", type: "String", isAttr: true },
                     { name: "parameterList", type: "Parameters" }] },
      { name: "Parameters", superClass: ["Element"], properties: [{ name: "values", type: "Parameter", isMany: true }] },
      { name: "Parameter", superClass: ["Element"],
        properties: [{ name: "id", type: "String", isAttr: true }, { name: "type", type: "String", isAttr: true },
                     { name: "value", type: "String", isAttr: true }] }
    ].concat(["InstructionsForEndUser", "PreScript", "PostScript", "CalledDecisionId", "MessageVariable",
              "MessagePayload", "SignalPayload", "AllowGuest", "GuestConfirmation"].map(function (name) {
      // Other SpiffWorkflow elements hold a text: kept as they are (the server judges them).
      return { name: name, superClass: ["Element"], meta: { allowedIn: ["*"] },
               properties: [{ name: "text", type: "String", isBody: true }] };
    }))
  };

  var status = document.getElementById("editeur-etat");
  var saveButton = document.getElementById("editeur-enregistrer");
  var summary = document.getElementById("editeur-problemes-resume");
  var list = document.getElementById("editeur-problemes-liste");
  var modeler = new window.BpmnJS({
    container: "#editeur-canvas",
    moddleExtensions: { spiffworkflow: SPIFF_DESCRIPTOR }
  });
  var dirty = false;
  var saving = false;

  function say(text, kind) {
    status.textContent = text;
    status.className = "editeur-etat" + (kind ? " " + kind : "");
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.json();
    });
  }

  /* bpmn-moddle drops references it cannot resolve, such as a multi-instance's loopDataInputRef naming a
     variable of the journey's data (SpiffWorkflow reads it as a name): keep them as plain references. */
  function keepUnresolvedReferences(warnings) {
    var moddle = modeler.get("moddle");
    (warnings || []).forEach(function (w) {
      if (w.element && typeof w.property === "string" && w.value && /^unresolved reference/.test(w.message || "")) {
        w.element.set(w.property, moddle.create("bpmn:DataObject", { id: w.value }));
      }
    });
  }

  /* What the modeler could not read is not written back: say so before the process owner saves. */
  function warnAboutDroppedContent(warnings) {
    var dropped = (warnings || []).map(function (w) {
      var match = /unparsable content <([^>]+)>[\s\S]*?line: (\d+)/.exec(w.message || "");
      return match ? "<" + match[1] + "> (ligne " + match[2] + ")" : null;
    }).filter(Boolean);
    if (!dropped.length) return;
    var box = document.getElementById("editeur-perdus");
    box.textContent = "Attention : l'éditeur ne sait pas garder " + (dropped.length > 1 ? "ces éléments" : "cet élément") +
      " du fichier, " + (dropped.length > 1 ? "ils seraient perdus" : "il serait perdu") + " à l'enregistrement : " +
      dropped.join(", ") + ". Pour les garder, modifiez le fichier hors de l'éditeur et importez-le depuis la page du parcours.";
    box.hidden = false;
  }

  // -- problems on the diagram -------------------------------------------------------------------

  var marked = [];

  function clearProblems() {
    var canvas = modeler.get("canvas");
    marked.forEach(function (id) { if (modeler.get("elementRegistry").get(id)) canvas.removeMarker(id, "spro-probleme"); });
    marked = [];
    modeler.get("overlays").remove({ type: "spro-probleme" });
    list.textContent = "";
  }

  function focusElement(id) {
    var element = modeler.get("elementRegistry").get(id);
    if (!element) return;
    modeler.get("selection").select(element);
    modeler.get("canvas").scrollToElement(element);
    document.getElementById("editeur-canvas").scrollIntoView({ block: "nearest" });
  }

  function showProblems(problems, refused) {
    clearProblems();
    var registry = modeler.get("elementRegistry"), canvas = modeler.get("canvas"), overlays = modeler.get("overlays");
    var counts = {};
    problems.forEach(function (p) {
      var onDiagram = p.element && registry.get(p.element);
      var item = document.createElement("li");
      var text = (p.where ? p.where + " : " : "") + p.message;
      if (onDiagram) {
        counts[p.element] = (counts[p.element] || 0) + 1;
        var button = document.createElement("button");
        button.type = "button";
        button.className = "lien";
        button.textContent = text;
        button.addEventListener("click", function () { focusElement(p.element); });
        item.appendChild(button);
      } else {
        item.textContent = text;
      }
      list.appendChild(item);
    });
    Object.keys(counts).forEach(function (id) {
      canvas.addMarker(id, "spro-probleme");
      marked.push(id);
      var badge = document.createElement("span");
      badge.className = "spro-badge";
      badge.textContent = String(counts[id]);
      badge.title = counts[id] + " problème" + (counts[id] > 1 ? "s" : "");
      overlays.add(id, "spro-probleme", { position: { top: -10, right: 10 }, html: badge });
    });
    if (refused) {
      summary.textContent = "Fichier refusé : rien n'a été enregistré. Corrigez ce qui suit puis enregistrez de nouveau.";
    } else if (problems.length) {
      summary.textContent = problems.length + " problème" + (problems.length > 1 ? "s" : "") +
        " à corriger avant de publier (cliquez pour voir l'élément) :";
    } else {
      summary.textContent = "Aucun problème : le brouillon peut être publié depuis la page du parcours.";
    }
  }

  // -- saving ----------------------------------------------------------------------------------

  function save() {
    if (saving) return;
    saving = true;
    saveButton.disabled = true;
    say("Enregistrement…");
    modeler.saveXML({ format: true }).then(function (result) {
      return fetch(root.dataset.saveUrl, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": root.dataset.csrf },
        body: JSON.stringify({ xml: result.xml })
      });
    }).then(function (response) {
      return response.json().catch(function () { return null; }).then(function (body) { return { response: response, body: body }; });
    }).then(function (answer) {
      var body = answer.body;
      if (!body || !Array.isArray(body.problems)) {
        throw new Error(answer.response.status === 400 ? "session" : "HTTP " + answer.response.status);
      }
      showProblems(body.problems, !body.saved);
      if (body.saved) {
        dirty = false;
        var time = new Date().toLocaleTimeString("fr-FR", { hour: "2-digit", minute: "2-digit" });
        say("Brouillon enregistré à " + time + (body.problems.length ? " avec " + body.problems.length + " problème(s) à corriger." : " : aucun problème."),
            body.problems.length ? "attention" : "ok");
        document.getElementById("editeur-source").textContent = "Ouvert depuis le brouillon.";
      } else {
        say("Fichier refusé : rien n'a été enregistré. Voir les problèmes.", "erreur");
      }
    }).catch(function (error) {
      say(error && error.message === "session"
        ? "Enregistrement refusé : la session a expiré. Rechargez la page (vos changements non enregistrés seraient perdus : exportez-les d'abord si besoin)."
        : "Enregistrement impossible (réseau ou serveur) : rien n'a été enregistré, réessayez.", "erreur");
    }).then(function () {
      saving = false;
      saveButton.disabled = false;
    });
  }

  saveButton.addEventListener("click", save);
  modeler.get("eventBus").on("commandStack.changed", function (event) {
    if (event.trigger === "clear") return;  // a diagram just opened
    dirty = true;
    say("Modifications non enregistrées.", "attention");
  });
  window.addEventListener("beforeunload", function (event) {
    if (!dirty) return undefined;
    event.preventDefault();
    event.returnValue = "";
    return "";
  });

  // -- opening ---------------------------------------------------------------------------------

  Promise.all([getJSON(root.dataset.diagramUrl), getJSON(root.dataset.catalogueUrl)]).then(function (loaded) {
    var diagram = loaded[0], catalogue = loaded[1];
    return modeler.importXML(diagram.xml).then(function (result) {
      keepUnresolvedReferences(result.warnings);
      warnAboutDroppedContent(result.warnings);
      modeler.get("canvas").zoom("fit-viewport");
      new window.SproProperties.Panel(modeler, document.getElementById("editeur-panneau"), catalogue,
        { formEditorUrl: root.dataset.formEditorUrl });
      document.getElementById("editeur-source").textContent = diagram.source === "brouillon"
        ? "Ouvert depuis le brouillon." + (diagram.stale ? " Attention : la version en cours a changé depuis ce brouillon." : "")
        : "Ouvert depuis la " + diagram.source + " (aucun brouillon).";
      if (diagram.source === "brouillon") showProblems(diagram.problems || [], false);
      saveButton.disabled = false;
      root.setAttribute("data-ready", "true");
      say("");
    });
  }).catch(function (error) {
    say("Le diagramme n'a pas pu être ouvert : " + (error && error.message ? error.message : "erreur inconnue") +
        ". Vous pouvez importer un fichier depuis la page du parcours.", "erreur");
  });

  window.sproEditor = modeler;  // for the browser tests and the console
})();
