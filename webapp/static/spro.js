/* SPRO: small progressive enhancements. Every page works without this file. */
(function () {
  "use strict";

  /* -- conditional fields: data-show-when="reponse=accepter" ("a=x;b=y": any of them) --------- */

  function valueOf(scope, name) {
    var inputs = scope.querySelectorAll('[name="' + name + '"]');
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (input.type === "radio" || input.type === "checkbox") {
        if (input.checked) { return input.value; }
      } else {
        return input.value;
      }
    }
    return "";
  }

  function anyMet(scope, spec) {
    return spec.split(";").some(function (rule) {
      var at = rule.indexOf("=");
      return at > 0 && valueOf(scope, rule.slice(0, at)) === rule.slice(at + 1);
    });
  }

  function isoDate(text) {
    var t = (text || "").trim(), m = /^(\d{1,2})[\/.\-](\d{1,2})[\/.\-](\d{4})$/.exec(t);
    if (m) { return m[3] + "-" + ("0" + m[2]).slice(-2) + "-" + ("0" + m[1]).slice(-2); }
    return /^\d{4}-\d{2}-\d{2}$/.test(t) ? t : "";
  }

  function refresh(scope) {
    scope.querySelectorAll("[data-show-when]").forEach(function (field) {
      var on = anyMet(scope, field.getAttribute("data-show-when"));
      field.hidden = !on;
      field.querySelectorAll("input, select, textarea").forEach(function (input) {
        if (input.hasAttribute("data-was-disabled")) { return; }
        input.disabled = !on;  // a hidden field is not sent
      });
    });
    scope.querySelectorAll("[data-required-when], [data-required-before]").forEach(function (mark) {
      var on = true, when = mark.getAttribute("data-required-when"),
        before = mark.getAttribute("data-required-before");
      if (when) { on = anyMet(scope, when); }
      if (on && before) {
        var parts = before.split("|"), typed = isoDate(valueOf(scope, parts[0]));
        on = typed !== "" && typed < parts[1];
      }
      mark.hidden = !on;
      var field = mark.closest(".field");
      var control = field && field.querySelector("input:not([type=radio]):not([type=checkbox]), select, textarea");
      if (control) {
        if (on) { control.setAttribute("aria-required", "true"); } else { control.removeAttribute("aria-required"); }
      }
    });
  }

  document.querySelectorAll("[data-conditional]").forEach(function (scope) {
    scope.querySelectorAll("input:disabled, select:disabled, textarea:disabled").forEach(function (input) {
      input.setAttribute("data-was-disabled", "");
    });
    refresh(scope);
    scope.addEventListener("change", function () { refresh(scope); });
    scope.addEventListener("input", function () { refresh(scope); });
  });

  /* -- error summary: focused on load; its links move focus to the field --------------------- */

  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest("a[data-field]");
      if (!link) { return; }
      var target = document.getElementById("f-" + link.getAttribute("data-field"));
      if (!target) { return; }
      event.preventDefault();
      var field = target.closest(".field") || target;
      field.scrollIntoView({block: "start"});
      target.focus({preventScroll: true});
    });
  }

  /* -- partner picker: a text filter narrowing the list by name, commune or network ---------- */

  function fold(text) {
    return (text || "").normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase()
      .replace(/[^a-z0-9]+/g, " ").trim();
  }

  document.querySelectorAll("[data-filter]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("data-filter"));
    var box = input.closest("[data-filter-box]");
    var count = box && box.querySelector("[data-filter-count]");
    if (!list) { return; }
    if (box) { box.hidden = false; }
    var items = Array.prototype.slice.call(list.querySelectorAll("li[data-search]"));
    items.forEach(function (item) { item.setAttribute("data-folded", fold(item.getAttribute("data-search"))); });
    input.addEventListener("input", function () {
      var words = fold(input.value).split(" ").filter(Boolean), shown = 0;
      items.forEach(function (item) {
        var text = item.getAttribute("data-folded");
        var match = words.every(function (w) { return text.indexOf(w) !== -1; });
        var checked = item.querySelector("input:checked");
        item.hidden = !match && !checked;  // the chosen structure never disappears
        if (!item.hidden) { shown += 1; }
      });
      list.querySelectorAll("ol, ul.structures").forEach(function (group) {
        var visible = group.querySelector("li[data-search]:not([hidden])");
        group.hidden = !visible;
        var heading = group.previousElementSibling;
        if (heading && heading.classList.contains("group")) { heading.hidden = !visible; }
      });
      if (count) {
        count.textContent = words.length ? shown + (shown > 1 ? " structures" : " structure") : "";
      }
    });
  });

  /* -- funding plan: the total of the funders' amounts against the cost, as it is typed ------- */

  function amount(text) {  // « 8 400,50 € » -> cents; NaN when it is no amount
    var raw = (text || "").replace(/[\s\u00a0\u202f'€]/g, "").replace(",", ".");
    if (!raw) { return 0; }
    if (!/^\d+(\.\d{1,2})?$/.test(raw)) { return NaN; }
    var parts = raw.split(".");
    return parseInt(parts[0], 10) * 100 + (parts[1] ? parseInt((parts[1] + "0").slice(0, 2), 10) : 0);
  }

  function euros(cents) {
    var sign = cents < 0 ? "-" : "", abs = Math.abs(cents);
    var units = String(Math.floor(abs / 100)).replace(/\B(?=(\d{3})+(?!\d))/g, "\u00a0");
    return sign + units + "," + String(abs % 100).padStart(2, "0") + "\u00a0€";
  }

  document.querySelectorAll("[data-amounts]").forEach(function (box) {
    var out = box.querySelector("[data-amounts-total]");
    var form = box.closest("form");
    if (!out || !form) { return; }
    function cost() {
      var teaching = form.querySelector("[name=cout_pedagogique]");
      var other = form.querySelector("[name=frais_annexes]");
      return amount(teaching && teaching.value) + amount(other && other.value);
    }
    function update() {
      var funded = 0;
      box.querySelectorAll("input").forEach(function (input) { funded += amount(input.value); });
      var total = cost();
      if (isNaN(funded) || isNaN(total)) { out.textContent = "Un montant n'est pas lisible (euros et centimes)."; return; }
      var left = total - funded;
      out.textContent = "Coût : " + euros(total) + " · prévu : " + euros(funded) + " · " +
        (left === 0 ? "le plan couvre le coût." : left > 0 ? "reste à financer : " + euros(left) + "."
          : "le plan dépasse le coût de " + euros(-left) + ".");
    }
    out.hidden = false;
    form.addEventListener("input", update);
    update();
  });
}());
