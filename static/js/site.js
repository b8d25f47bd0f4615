/* Progressive enhancement for every page; each page works without it.
   - Forms with a `tz` input send the browser's time zone, so online meetings and
     "today" are told on the visitor's clock.
   - A meeting page offers its time in the visitor's zone when that differs.
   - "Use my location" appears where the browser can locate, and searches there,
     keeping the form's other choices.
   - "Print this list" appears on results. */
(function () {
  "use strict";

  var zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (e) {
    zone = "";
  }

  if (zone) {
    document.querySelectorAll('form input[name="tz"]').forEach(function (input) {
      if (!input.value) input.value = zone;
    });
    document.querySelectorAll("form[data-meeting-tz]").forEach(function (form) {
      if (form.getAttribute("data-meeting-tz") !== zone) form.hidden = false;
    });
  }

  if ("geolocation" in navigator) {
    document.querySelectorAll("[data-locate]").forEach(function (button) {
      var form = button.closest("form");
      var near = form && form.querySelector('input[name="near"]');
      var status = form && form.querySelector("[data-locate-status]");
      if (!near) return;
      function say(text) {
        if (status) status.textContent = text || "";
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        button.disabled = true;
        say(button.getAttribute("data-finding"));
        navigator.geolocation.getCurrentPosition(
          function (position) {
            near.value =
              position.coords.latitude.toFixed(4) + "," + position.coords.longitude.toFixed(4);
            form.submit();
          },
          function () {
            button.disabled = false;
            say(button.getAttribute("data-failed"));
            near.focus();
          },
          { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 }
        );
      });
    });
  }

  document.querySelectorAll(".print-link").forEach(function (link) {
    link.hidden = false;
    link.addEventListener("click", function (event) {
      event.preventDefault();
      window.print();
    });
  });
})();
