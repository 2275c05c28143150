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

  // An expense's supplier brings the category and tax last used with it, into fields the
  // person has not chosen yet; without this script they are simply chosen by hand.
  function suggestForSupplier(form) {
    var picker = form.querySelector("select[data-suggest]");
    var name = form.querySelector("#f-supplier_name");
    if (!picker) return;
    var query = new URLSearchParams();
    if (picker.value) query.set("supplier", picker.value);
    else if (name && name.value.trim()) query.set("supplier_name", name.value.trim());
    else return;
    fetch(picker.dataset.suggest + "?" + query.toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (found) {
        if (!found) return;
        [
          ["#f-category", found.category],
          ["#f-tax_code", found.tax_code],
        ].forEach(function (pair) {
          var field = form.querySelector(pair[0]);
          if (!field || !pair[1] || field.dataset.touched) return;
          if (field.querySelector('option[value="' + pair[1] + '"]')) field.value = pair[1];
        });
      })
      .catch(function () {});
  }

  document.addEventListener("change", function (event) {
    var element = event.target;
    var form = element.form;
    if (!form || !form.querySelector("select[data-suggest]")) return;
    if (element.matches("select[data-suggest], #f-supplier_name")) {
      suggestForSupplier(form);
    } else if (element.id === "f-category" || element.id === "f-tax_code") {
      element.dataset.touched = "1";
    }
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
