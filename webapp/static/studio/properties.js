/* The studio editor's properties panel: what our engine reads on each BPMN element, in French.
   Plain JS on bpmn-js's public services (selection, modeling, moddle); exposes window.SproProperties. */
(function () {
  "use strict";

  var TIMER_KINDS = [["timeDate", "Date"], ["timeDuration", "Durée"], ["timeCycle", "Cycle"]];
  var KIND_NAMES = {
    "bpmn:UserTask": "Tâche", "bpmn:ServiceTask": "Tâche de service", "bpmn:Task": "Tâche (type à préciser)",
    "bpmn:CallActivity": "Appel de parcours", "bpmn:SubProcess": "Sous-processus", "bpmn:Lane": "Couloir",
    "bpmn:StartEvent": "Début", "bpmn:EndEvent": "Fin", "bpmn:BoundaryEvent": "Événement attaché",
    "bpmn:IntermediateCatchEvent": "Événement intermédiaire", "bpmn:ExclusiveGateway": "Passerelle exclusive",
    "bpmn:ParallelGateway": "Passerelle parallèle", "bpmn:InclusiveGateway": "Passerelle inclusive",
    "bpmn:SequenceFlow": "Flux", "bpmn:Participant": "Parcours", "bpmn:Process": "Parcours"
  };
  var DELAY_EXPRESSION = /^\s*([A-Za-z_]\w*)\s*\[\s*["']([A-Za-z_]\w*)["']\s*\]\s*$/;
  var MAX_DELAY_DAYS = 250;

  function h(tag, attrs, children) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (attrs[k] === null || attrs[k] === undefined || attrs[k] === false) return;
      if (k === "text") el.textContent = attrs[k]; else el.setAttribute(k, attrs[k] === true ? "" : attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) el.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
    return el;
  }

  function extension(bo, type) {
    var values = (bo.extensionElements && bo.extensionElements.values) || [];
    for (var i = 0; i < values.length; i++) if (values[i].$type === type) return values[i];
    return null;
  }

  function isA(bo, type) { return bo && bo.$instanceOf && bo.$instanceOf(type); }

  function timerOf(bo) {
    return (bo.eventDefinitions || []).filter(function (d) { return d.$type === "bpmn:TimerEventDefinition"; })[0] || null;
  }

  function Panel(modeler, container, catalogue, options) {
    this.modeler = modeler;
    this.container = container;
    this.catalogue = catalogue;
    this.options = options || {};
    this.element = null;
    this.uid = 0;
    var self = this;
    var bus = modeler.get("eventBus");
    bus.on("selection.changed", function (e) { self.show(e.newSelection.length === 1 ? e.newSelection[0] : null); });
    bus.on("commandStack.changed", function () {
      if (self.element && !modeler.get("elementRegistry").get(self.element.id)) self.element = null;
      self.render();
    });
  }

  Panel.prototype.show = function (element) { this.element = element; this.render(); };

  Panel.prototype.service = function (name) { return this.modeler.get(name); };

  Panel.prototype.render = function () {
    var focused = document.activeElement && this.container.contains(document.activeElement) ? document.activeElement.id : null;
    this.container.textContent = "";
    this.uid = 0;
    var element = this.element;
    if (!element || element.type === "label") {
      this.container.appendChild(h("p", { text: "Sélectionnez un élément du diagramme pour voir et modifier ses propriétés." }));
      return;
    }
    var bo = element.businessObject;
    this.container.appendChild(h("p", { "class": "panneau-type" }, [
      h("strong", { text: KIND_NAMES[bo.$type] || bo.$type.replace("bpmn:", "") }), " · ", h("code", { text: bo.id })]));
    if (isA(bo, "bpmn:Lane")) this.laneFields(element);
    else this.nameField(element);
    if (["bpmn:Task", "bpmn:UserTask", "bpmn:ServiceTask"].indexOf(bo.$type) >= 0) this.taskTypeField(element);
    if (isA(bo, "bpmn:UserTask")) this.userTaskFields(element);
    if (isA(bo, "bpmn:ServiceTask")) this.serviceFields(element);
    if (isA(bo, "bpmn:CallActivity")) this.callFields(element);
    if (timerOf(bo)) this.timerFields(element);
    if (isA(bo, "bpmn:SequenceFlow") && isA(bo.sourceRef, "bpmn:Gateway")) this.conditionField(element);
    var again = focused && document.getElementById(focused);
    if (again) again.focus();
  };

  // -- form controls ---------------------------------------------------------------------------

  Panel.prototype.field = function (label, control, help) {
    var id = "prop-" + (control.getAttribute("data-field") || ++this.uid);
    control.id = id;
    var wrap = h("div", { "class": "panneau-champ" }, [h("label", { "for": id, text: label })]);
    if (help) { control.setAttribute("aria-describedby", id + "-aide"); }
    wrap.appendChild(control);
    if (help) wrap.appendChild(h("p", { "class": "help", id: id + "-aide", text: help }));
    var error = h("p", { "class": "panneau-erreur", id: id + "-erreur", role: "alert" });
    wrap.appendChild(error);
    control.showError = function (message) {
      error.textContent = message || "";
      if (message) control.setAttribute("aria-invalid", "true"); else control.removeAttribute("aria-invalid");
    };
    this.container.appendChild(wrap);
    return control;
  };

  Panel.prototype.input = function (name, value, onChange, attrs) {
    var control = h("input", Object.assign({ type: "text", "data-field": name, value: value || "" }, attrs || {}));
    control.value = value === null || value === undefined ? "" : String(value);
    control.addEventListener("change", function () { onChange(control.value.trim(), control); });
    return control;
  };

  Panel.prototype.select = function (name, choices, value, onChange, unknownLabel) {
    var control = h("select", { "data-field": name });
    var known = false;
    choices.forEach(function (c) {
      var option = h("option", { value: c[0], text: c[1] });
      if (c[0] === (value || "")) { option.selected = true; known = true; }
      control.appendChild(option);
    });
    if (!known && value) control.insertBefore(h("option", { value: value, selected: true, text: unknownLabel(value) }), control.firstChild);
    control.addEventListener("change", function () { onChange(control.value, control); });
    return control;
  };

  // -- writing the model (every change goes through the command stack: undo, dirty flag) ---------

  Panel.prototype.extensionOf = function (element, type, attrs) {
    var modeling = this.service("modeling"), moddle = this.service("moddle"), bo = element.businessObject;
    var found = extension(bo, type);
    if (found) return found;
    var ext = bo.extensionElements;
    if (!ext) {
      ext = moddle.create("bpmn:ExtensionElements", { values: [] });
      modeling.updateProperties(element, { extensionElements: ext });
    }
    found = moddle.create(type, attrs || {});
    found.$parent = ext;
    modeling.updateModdleProperties(element, ext, { values: (ext.values || []).concat([found]) });
    return found;
  };

  Panel.prototype.setProperty = function (element, name, value) {
    var modeling = this.service("modeling"), moddle = this.service("moddle");
    var props = extension(element.businessObject, "spiffworkflow:Properties");
    var current = props && (props.values || []).filter(function (p) { return p.name === name; })[0];
    if (!value) {
      if (current) modeling.updateModdleProperties(element, props, { values: props.values.filter(function (p) { return p !== current; }) });
      return;
    }
    if (current) { modeling.updateModdleProperties(element, current, { value: value }); return; }
    props = props || this.extensionOf(element, "spiffworkflow:Properties", { values: [] });
    var created = moddle.create("spiffworkflow:Property", { name: name, value: value });
    created.$parent = props;
    modeling.updateModdleProperties(element, props, { values: (props.values || []).concat([created]) });
  };

  Panel.prototype.parametersOf = function (element) {
    var operator = this.extensionOf(element, "spiffworkflow:ServiceTaskOperator");
    if (operator.parameterList) return operator.parameterList;
    var list = this.service("moddle").create("spiffworkflow:Parameters", { values: [] });
    list.$parent = operator;
    this.service("modeling").updateModdleProperties(element, operator, { parameterList: list });
    return list;
  };

  /** Set (or, with an empty value, remove) the parameter `name` of a service task. */
  Panel.prototype.setParameter = function (element, name, value) {
    var modeling = this.service("modeling");
    var list = this.parametersOf(element);
    var current = (list.values || []).filter(function (p) { return p.id === name; })[0];
    if (!value) {
      if (current) modeling.updateModdleProperties(element, list, { values: list.values.filter(function (p) { return p !== current; }) });
      return;
    }
    if (current) { modeling.updateModdleProperties(element, current, { value: value }); return; }
    var created = this.service("moddle").create("spiffworkflow:Parameter", { id: name, type: "any", value: value });
    created.$parent = list;
    modeling.updateModdleProperties(element, list, { values: (list.values || []).concat([created]) });
  };

  Panel.prototype.expression = function (body) {
    return this.service("moddle").create("bpmn:FormalExpression", { body: body });
  };

  // -- fields by element -------------------------------------------------------------------------

  Panel.prototype.nameField = function (element) {
    var modeling = this.service("modeling");
    this.field("Nom", this.input("name", element.businessObject.name, function (value) {
      modeling.updateLabel(element, value);
    }));
  };

  Panel.prototype.taskTypeField = function (element) {
    var self = this;
    var choices = [["bpmn:UserTask", "Tâche utilisateur (formulaire)"],
                   ["bpmn:ServiceTask", "Tâche de service (opération)"]];
    if (element.businessObject.$type === "bpmn:Task") choices.unshift(["bpmn:Task", "— Type à préciser —"]);
    this.field("Type d'étape", this.select("type-etape", choices, element.businessObject.$type, function (value) {
      if (value === "bpmn:Task") return;
      var replaced = self.service("bpmnReplace").replaceElement(element, { type: value });
      self.service("selection").select(replaced);
    }, function (v) { return v; }));
  };

  Panel.prototype.laneFields = function (element) {
    var modeling = this.service("modeling");
    var roles = this.catalogue.roles.map(function (r) { return [r.id, r.label]; });
    this.field("Rôle", this.select("role", [["", "— Choisir un rôle —"]].concat(roles), element.businessObject.name,
      function (value) { if (value) modeling.updateLabel(element, value); },
      function (v) { return "Rôle inconnu : « " + v + " »"; }),
      "Le nom du couloir est le rôle des personnes qui reçoivent ses tâches.");
  };

  Panel.prototype.propertyValue = function (element, name) {
    var props = extension(element.businessObject, "spiffworkflow:Properties");
    var found = props && (props.values || []).filter(function (p) { return p.name === name; })[0];
    return found ? found.value : "";
  };

  Panel.prototype.userTaskFields = function (element) {
    var self = this;
    var form = this.propertyValue(element, "formJsonSchemaFilename");
    var choices = [["", "— Aucun formulaire —"]].concat(this.catalogue.forms.map(function (f) { return [f, f]; }));
    this.field("Formulaire", this.select("formulaire", choices, form,
      function (value) { self.setProperty(element, "formJsonSchemaFilename", value); },
      function (v) { return v + " (introuvable)"; }), "Le formulaire que la personne remplit à cette étape.");
    if (form && this.options.formEditorUrl) {
      this.container.appendChild(h("p", { "class": "panneau-lien" }, [
        h("a", { href: this.options.formEditorUrl + encodeURIComponent(form), text: "Ouvrir le formulaire « " + form + " » dans l'éditeur de formulaires" })]));
    }
    this.field("Échéance (jours ouvrés)", this.input("echeance", this.propertyValue(element, "dueInWorkingDays"), function (value, control) {
      if (value && !/^\d+$/.test(value)) { control.showError("Indiquez un nombre entier de jours ouvrés (0 ou plus), ou laissez vide."); return; }
      control.showError("");
      self.setProperty(element, "dueInWorkingDays", value ? String(parseInt(value, 10)) : "");
    }, { inputmode: "numeric" }), "Vide : pas d'échéance.");
    this.field("Structure qui reçoit la tâche", this.input("structure", this.propertyValue(element, "structureFromData"), function (value) {
      self.setProperty(element, "structureFromData", value);
    }), "Expression sur les données du parcours donnant l'identifiant de la structure (ex. envoi[\"destinataire_id\"]). Vide : la structure en charge du parcours.");
  };

  Panel.prototype.serviceOf = function (id) {
    return this.catalogue.services.filter(function (s) { return s.id === id; })[0] || null;
  };

  Panel.prototype.serviceFields = function (element) {
    var self = this, modeling = this.service("modeling");
    var operator = extension(element.businessObject, "spiffworkflow:ServiceTaskOperator");
    var choices = [["", "— Choisir une opération —"]].concat(this.catalogue.services.map(function (s) { return [s.id, s.label + " (" + s.id + ")"]; }));
    this.field("Opération", this.select("operation", choices, operator && operator.id, function (value) {
      modeling.updateModdleProperties(element, self.extensionOf(element, "spiffworkflow:ServiceTaskOperator"), { id: value || undefined });
    }, function (v) { return "« " + v + " » : opération inconnue"; }), "Seules les opérations de la liste sont exécutées par le moteur.");
    this.field("Variable du résultat", this.input("resultat", operator && operator.resultVariable, function (value, control) {
      if (value && !/^[A-Za-z][A-Za-z0-9_]*$/.test(value)) { control.showError("Un nom de variable : lettres, chiffres et _, sans accent, commençant par une lettre."); return; }
      control.showError("");
      modeling.updateModdleProperties(element, self.extensionOf(element, "spiffworkflow:ServiceTaskOperator"), { resultVariable: value || undefined });
    }), "Les données où le résultat de l'opération est rangé (les minuteurs peuvent le lire).");
    var known = operator && this.serviceOf(operator.id);
    var delays = known ? known.delays : {};
    var params = (operator && operator.parameterList && operator.parameterList.values) || [];
    Object.keys(delays).forEach(function (name) {
      var current = params.filter(function (p) { return p.id === name; })[0];
      self.delayField(element, name, current ? current.value : "", delays[name], "Délai « " + name + " » (jours ouvrés)");
    });
    this.parameterRows(element, params.filter(function (p) { return !(p.id in delays); }));
  };

  Panel.prototype.delayField = function (serviceElement, name, value, fallback, label, help) {
    var self = this;
    var byDefault = value === "" || value === null || value === undefined;
    this.field(label, this.input("delai-" + name, byDefault ? fallback : value, function (text, control) {
      var days = parseInt(text, 10);
      if (text && (!/^\d+$/.test(text) || days < 1 || days > MAX_DELAY_DAYS)) {
        control.showError("Indiquez un nombre entier de jours ouvrés entre 1 et " + MAX_DELAY_DAYS + ", ou laissez vide pour la valeur par défaut (" + fallback + ").");
        return;
      }
      control.showError("");
      self.setParameter(serviceElement, name, text ? String(days) : "");
    }, { type: "number", min: "1", max: String(MAX_DELAY_DAYS), step: "1", placeholder: String(fallback) }),
    (help ? help + " " : "") + (byDefault ? "Valeur par défaut des réglages (" + fallback + "), pas encore fixée dans le diagramme."
                                         : "Vide : " + fallback + " jours ouvrés (réglage par défaut)."));
  };

  Panel.prototype.parameterRows = function (element, params) {
    var self = this;
    var fieldset = h("fieldset", { "class": "panneau-parametres" }, [h("legend", { text: "Paramètres (valeurs : expressions)" })]);
    params.forEach(function (param, index) {
      var value = h("input", { type: "text", id: "prop-param-" + index, value: param.value || "" });
      value.value = param.value || "";
      value.addEventListener("change", function () { self.setParameter(element, param.id, value.value.trim() || "\"\""); });
      var remove = h("button", { type: "button", "class": "lien", text: "Retirer", "aria-label": "Retirer le paramètre " + param.id });
      remove.addEventListener("click", function () { self.setParameter(element, param.id, ""); });
      fieldset.appendChild(h("div", { "class": "panneau-parametre" }, [h("label", { "for": value.id, text: param.id }), value, remove]));
    });
    var name = h("input", { type: "text", id: "prop-param-nouveau", placeholder: "nom" });
    var add = h("button", { type: "button", text: "Ajouter le paramètre" });
    var error = h("p", { "class": "panneau-erreur", role: "alert" });
    add.addEventListener("click", function () {
      var id = name.value.trim();
      if (!/^[A-Za-z][A-Za-z0-9_]*$/.test(id)) { error.textContent = "Nom de paramètre : lettres, chiffres et _, commençant par une lettre."; return; }
      self.setParameter(element, id, "\"\"");
    });
    fieldset.appendChild(h("div", { "class": "panneau-parametre" }, [h("label", { "for": name.id, text: "Nouveau paramètre" }), name, add]));
    fieldset.appendChild(error);
    this.container.appendChild(fieldset);
  };

  Panel.prototype.callFields = function (element) {
    var modeling = this.service("modeling");
    var choices = [["", "— Choisir un parcours —"]].concat(this.catalogue.journeys.map(function (j) { return [j.key, j.name + " (" + j.key + ")"]; }));
    this.field("Parcours appelé", this.select("appel", choices, element.businessObject.calledElement, function (value) {
      modeling.updateProperties(element, { calledElement: value || undefined });
    }, function (v) { return "« " + v + " » : parcours inconnu"; }));
  };

  /** The service task whose result a timer expression X["f"] reads, and the delay parameter jours_f. */
  Panel.prototype.delaySource = function (body) {
    var match = DELAY_EXPRESSION.exec(body || "");
    if (!match) return null;
    var self = this, variable = match[1], parameter = "jours_" + match[2];
    var source = this.service("elementRegistry").filter(function (el) {
      var op = isA(el.businessObject, "bpmn:ServiceTask") && extension(el.businessObject, "spiffworkflow:ServiceTaskOperator");
      return op && op.resultVariable === variable;
    })[0];
    if (!source) return null;
    var operator = extension(source.businessObject, "spiffworkflow:ServiceTaskOperator");
    var params = (operator.parameterList && operator.parameterList.values) || [];
    var current = params.filter(function (p) { return p.id === parameter; })[0];
    var known = self.serviceOf(operator.id);
    if (!current && !(known && parameter in known.delays)) return null;
    return { element: source, parameter: parameter, value: current ? current.value : "",
             fallback: known && parameter in known.delays ? known.delays[parameter] : "" };
  };

  Panel.prototype.timerFields = function (element) {
    var self = this, modeling = this.service("modeling");
    var timer = timerOf(element.businessObject);
    var kind = TIMER_KINDS.filter(function (k) { return timer[k[0]]; }).map(function (k) { return k[0]; })[0] || "timeDate";
    var body = timer[kind] ? timer[kind].body : "";
    var delay = this.delaySource(body);
    var outer = this.container;
    if (delay) {
      var step = delay.element.businessObject.name || delay.element.id;
      this.delayField(delay.element, delay.parameter, delay.value, delay.fallback, "Délai (jours ouvrés)",
        "Fixé par l'étape « " + step + " » (paramètre " + delay.parameter + ").");
      var details = h("details", { "class": "panneau-avance" }, [h("summary", { text: "Avancé : expression du minuteur" })]);
      this.container.appendChild(details);
      this.container = details;
    }
    var write = function (newKind, newBody) {
      var props = { timeDate: undefined, timeDuration: undefined, timeCycle: undefined };
      props[newKind] = newBody ? self.expression(newBody) : undefined;
      modeling.updateModdleProperties(element, timer, props);
    };
    var typeSelect = this.select("minuteur-type", TIMER_KINDS.map(function (k) { return [k[0], k[1] + " (" + k[0] + ")"]; }), kind,
      function (value) { write(value, exprInput.value.trim()); }, function (v) { return v; });
    var exprInput = this.input("minuteur-expression", body, function (value) { write(typeSelect.value, value); });
    this.field("Type de minuteur", typeSelect);
    this.field("Expression", exprInput, "Une expression sur les données du parcours (ex. envoi[\"relance\"] : une date calculée en jours ouvrés).");
    this.container = outer;
  };

  Panel.prototype.conditionField = function (element) {
    var self = this, modeling = this.service("modeling"), bo = element.businessObject;
    if (bo.sourceRef.default === bo) {
      this.container.appendChild(h("p", { "class": "help", text: "Flux par défaut de la passerelle : pris quand aucune condition n'est vraie." }));
      return;
    }
    var body = bo.conditionExpression ? bo.conditionExpression.body : "";
    this.field("Condition", this.input("condition", body, function (value) {
      modeling.updateProperties(element, { conditionExpression: value ? self.expression(value) : undefined });
    }), "Expression sur les données du parcours, ex. reponse == \"refuser\".");
  };

  window.SproProperties = { Panel: Panel };
})();
