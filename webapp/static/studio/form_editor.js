/* The studio's form editor: the preview follows the schema as it is typed (the server renders it
   with the task pages' own renderer, ~400 ms after typing stops), and a list of the fields. */
(function () {
  "use strict";
  var form = document.getElementById("fe-form");
  if (!form) { return; }
  var schemaBox = document.getElementById("fe-schema");
  var uiBox = document.getElementById("fe-ui");
  var preview = document.getElementById("fe-apercu");
  var state = document.getElementById("fe-etat");
  var token = form.querySelector("input[name=csrf_token]").value;
  var url = form.getAttribute("data-preview-url");
  var timer = null;
  var sent = 0;

  var TYPES = { string: "texte", integer: "nombre entier", boolean: "oui / non", array: "cases à cocher",
    object: "montants" };

  function listFields() {
    var box = document.getElementById("fe-champs");
    var list = document.getElementById("fe-champs-liste");
    var schema;
    try { schema = JSON.parse(schemaBox.value); } catch (e) { box.hidden = true; return; }
    var props = schema && typeof schema.properties === "object" && schema.properties ? schema.properties : {};
    var required = Array.isArray(schema.required) ? schema.required : [];
    list.textContent = "";
    Object.keys(props).forEach(function (name) {
      var prop = props[name] || {};
      var item = document.createElement("li");
      var code = document.createElement("code");
      code.textContent = name;
      item.appendChild(code);
      var kind = prop.format === "date" ? "date" : (TYPES[prop.type] || prop.type || "type manquant");
      if (prop.enum) { kind = "choix parmi " + prop.enum.length; }
      item.appendChild(document.createTextNode(" — " + (prop.title || "sans titre") + " (" + kind +
        (required.indexOf(name) !== -1 ? ", obligatoire" : "") + ")"));
      list.appendChild(item);
    });
    box.hidden = Object.keys(props).length === 0;
  }

  function refresh() {
    var ticket = ++sent;
    state.textContent = "Mise à jour de l'aperçu…";
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token },
      body: JSON.stringify({ schema: schemaBox.value, ui: uiBox.value })
    }).then(function (response) {
      return response.text().then(function (html) { return { ok: response.ok, status: response.status, html: html }; });
    }).then(function (answer) {
      if (ticket !== sent) { return; }  // a later keystroke's answer will follow
      if (answer.ok || answer.status === 422) {
        preview.innerHTML = answer.html;  // rendered and escaped by the server's templates
        preview.dispatchEvent(new Event("change"));  // spro.js shows the branches chosen
        state.textContent = answer.ok ? "Aperçu à jour." : "Aperçu impossible : voir le message.";
      } else {
        state.textContent = "L'aperçu n'a pas pu être mis à jour (erreur " + answer.status + ").";
      }
    }).catch(function () {
      if (ticket === sent) { state.textContent = "L'aperçu n'a pas pu être mis à jour : connexion perdue ?"; }
    });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(function () { listFields(); refresh(); }, 400);
  }

  var KINDS = {  // the helper's field types, as the renderer reads them
    text: { type: "string", maxLength: 300 },
    textarea: { type: "string", maxLength: 4000 },
    date: { type: "string", format: "date" },
    integer: { type: "integer" },
    boolean: { type: "boolean" },
    radio: { type: "string", enum: ["choix_1", "choix_2"], "x-enumNames": ["Choix 1", "Choix 2"] },
    checkboxes: { type: "array", uniqueItems: true,
      items: { type: "string", enum: ["choix_1", "choix_2"], "x-enumNames": ["Choix 1", "Choix 2"] } }
  };
  var WIDGETS = { textarea: "textarea", radio: "radio", checkboxes: "checkboxes" };

  function addField() {
    var error = document.getElementById("fe-ajout-erreur");
    var name = document.getElementById("fe-ajout-nom").value.trim();
    var title = document.getElementById("fe-ajout-titre").value.trim();
    var kind = document.getElementById("fe-ajout-type").value;
    var schema, ui;
    error.textContent = "";
    if (!/^[a-z][a-z0-9_]{0,59}$/.test(name)) {
      error.textContent = "Nom invalide : lettres minuscules, chiffres et _, en commençant par une lettre.";
      return;
    }
    try {
      schema = JSON.parse(schemaBox.value);
      ui = uiBox.value.trim() ? JSON.parse(uiBox.value) : {};
    } catch (e) {
      error.textContent = "Corrigez d'abord le JSON (voir l'aperçu) : le champ ne peut pas être ajouté.";
      return;
    }
    schema.properties = schema.properties || {};
    if (schema.properties[name]) {
      error.textContent = "Le champ « " + name + " » existe déjà.";
      return;
    }
    var field = JSON.parse(JSON.stringify(KINDS[kind]));
    field.title = title || name;
    schema.properties[name] = field;
    if (document.getElementById("fe-ajout-obligatoire").checked) {
      schema.required = (schema.required || []).concat([name]);
    }
    if (Array.isArray(ui["ui:order"])) { ui["ui:order"].push(name); }
    if (WIDGETS[kind]) { ui[name] = { "ui:widget": WIDGETS[kind] }; }
    schemaBox.value = JSON.stringify(schema, null, 2);
    uiBox.value = JSON.stringify(ui, null, 2);
    document.getElementById("fe-ajout-nom").value = "";
    document.getElementById("fe-ajout-titre").value = "";
    edited();
  }

  var changed = false;  // typed and not saved yet: leaving the page asks first
  function edited() { changed = true; later(); }
  schemaBox.addEventListener("input", edited);
  uiBox.addEventListener("input", edited);
  form.addEventListener("submit", function () { changed = false; });
  window.addEventListener("beforeunload", function (event) {
    if (changed) { event.preventDefault(); event.returnValue = ""; }
  });
  document.getElementById("fe-ajout").hidden = false;
  document.getElementById("fe-ajout-bouton").addEventListener("click", addField);
  listFields();
})();
