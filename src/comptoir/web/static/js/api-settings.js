// Settings → API & webhooks: copy buttons and the scope helpers. Without this file the
// secrets can still be selected and copied by hand, and scopes ticked one by one.
(function () {
  "use strict";

  function copy(button) {
    var source = document.getElementById(button.dataset.copy);
    if (!source || !navigator.clipboard) return;
    navigator.clipboard.writeText(source.textContent.trim()).then(function () {
      var label = button.textContent;
      button.textContent = "Copied";
      setTimeout(function () {
        button.textContent = label;
      }, 2000);
    });
  }

  function selectScopes(button) {
    var form = button.closest("form");
    var boxes = form.querySelectorAll('input[type=checkbox][name="scopes"]');
    boxes.forEach(function (box) {
      if (button.dataset.scopeSelect === "none") box.checked = false;
      else if (box.value.endsWith(":" + button.dataset.scopeSelect)) box.checked = true;
    });
  }

  function tickEvents(box) {
    // Ticking an event means "only these events": choose that option for the person.
    var form = box.closest("form");
    var some = form && form.querySelector('input[type=radio][name="events"][value="some"]');
    if (box.checked && some) some.checked = true;
  }

  document.addEventListener("click", function (event) {
    var target = event.target.closest("[data-copy], [data-scope-select]");
    if (!target) return;
    if (target.dataset.copy) copy(target);
    else selectScopes(target);
  });

  // The expiry date matters only when "On a date…" is chosen.
  function showExpiryDate(select) {
    var field = select.form && select.form.querySelector(".expiry-date");
    if (field) field.hidden = select.value !== "date";
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches('input[type=checkbox][name="event_types"]')) tickEvents(event.target);
    else if (event.target.matches("select[name=expiry]")) showExpiryDate(event.target);
  });

  document.addEventListener("DOMContentLoaded", function () {
    if (navigator.clipboard) {
      document.querySelectorAll("[data-copy][hidden]").forEach(function (button) {
        button.hidden = false;
      });
    }
    document.querySelectorAll(".scope-helpers[hidden]").forEach(function (helpers) {
      helpers.hidden = false;
    });
    document.querySelectorAll("select[name=expiry]").forEach(showExpiryDate);
  });
})();
