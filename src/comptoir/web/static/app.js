// Small progressive enhancements; every page works without this file.
(function () {
  "use strict";

  // Choosing a country suggests its currency, until the currency is picked by hand.
  function suggestCurrency(country) {
    var target = document.getElementById(country.dataset.currencyTarget);
    if (!target || target.dataset.touched) return;
    // Never replace a currency that was already there (an organization's saved one).
    if (target.value && target.value !== target.dataset.suggested) return;
    var option = country.options[country.selectedIndex];
    var currency = option && option.dataset.currency;
    if (currency && target.querySelector('option[value="' + currency + '"]')) {
      target.value = currency;
      target.dataset.suggested = currency;
    }
  }

  document.addEventListener("change", function (event) {
    var element = event.target;
    if (element.matches("select[data-currency-target]")) {
      suggestCurrency(element);
    } else if (element.id === "f-base_currency") {
      element.dataset.touched = "1";
    }
  });

  // The account menu is a <details>: close it on a click elsewhere or on Escape.
  function closeMenus(except) {
    document.querySelectorAll("details.user-menu[open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }

  document.addEventListener("click", function (event) {
    closeMenus(event.target.closest("details.user-menu"));
  });

  // A link or button with data-dialog opens that <dialog> instead of its page; a dialog
  // shown again with errors (rendered open) becomes modal once the page is loaded.
  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-dialog]");
    if (opener) {
      var dialog = document.getElementById(opener.dataset.dialog);
      if (dialog && dialog.showModal) {
        event.preventDefault();
        dialog.showModal();
        var field = dialog.querySelector("input:not([type=hidden]), select, textarea");
        if (field) field.focus();
      }
      return;
    }
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) closer.closest("dialog").close();
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("dialog[data-open-on-load]").forEach(function (dialog) {
      if (!dialog.showModal) return;
      dialog.close();
      dialog.showModal();
      var invalid = dialog.querySelector("[aria-invalid=true]");
      if (invalid) invalid.focus();
    });
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector("details.user-menu[open]");
    if (open) {
      open.removeAttribute("open");
      open.querySelector("summary").focus();
    }
  });
})();
