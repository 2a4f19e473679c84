// The admin header's unread-notices badge, fetched after load so no admin page pays a query for it.
(function () {
  "use strict";
  var badge = document.querySelector("[data-unread-count]");
  if (!badge || !window.fetch) {
    return;
  }
  fetch(badge.getAttribute("data-unread-count"), { credentials: "same-origin" })
    .then(function (response) { return response.ok ? response.json() : null; })
    .then(function (data) {
      if (data && data.unread > 0) {
        badge.textContent = data.unread > 99 ? "99+" : String(data.unread);
        badge.hidden = false;
      }
    })
    .catch(function () {});
})();
