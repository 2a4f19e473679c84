// The portal works without this file; it only adds conveniences.
(function () {
  "use strict";

  // The unread-notices badge: fetched after load, so no page pays a query for it.
  var badge = document.querySelector("[data-unread-count]");
  if (badge && window.fetch) {
    fetch(badge.getAttribute("data-unread-count"), { credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (data && data.unread > 0) {
          badge.textContent = data.unread > 99 ? "99+" : String(data.unread);
          badge.hidden = false;
        }
      })
      .catch(function () {});
  }

  document.addEventListener("change", function (event) {
    if (event.target.matches("select[data-autosubmit]")) {
      event.target.form.submit();
    }
  });

  document.addEventListener("click", function (event) {
    var confirmButton = event.target.closest("[data-confirm]");
    if (confirmButton && !window.confirm(confirmButton.getAttribute("data-confirm"))) {
      event.preventDefault();
      return;
    }
    var copyButton = event.target.closest("[data-copy]");
    if (copyButton) {
      var source = document.querySelector(copyButton.getAttribute("data-copy"));
      if (source && navigator.clipboard) {
        navigator.clipboard.writeText(source.textContent.trim()).then(function () {
          copyButton.textContent = copyButton.getAttribute("data-copied-label");
        });
      }
      return;
    }
    var addButton = event.target.closest("[data-add-line]");
    if (addButton) {
      var prefix = addButton.getAttribute("data-add-line");
      var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
      var template = document.getElementById(prefix + "-empty-row");
      var body = document.querySelector("[data-formset='" + prefix + "'] tbody");
      var index = parseInt(total.value, 10);
      var html = template.innerHTML.replace(/__prefix__/g, String(index));
      body.insertAdjacentHTML("beforeend", html);
      body.lastElementChild.querySelector(".pos").textContent = String(index + 1);
      total.value = String(index + 1);
    }
  });
})();
