/* Small improvements to the search form; everything works without them.
   - fills the hidden tz input with the browser's time zone, so online meetings are
     told in the visitor's time;
   - reveals "Use my location" where the browser can share a position;
   - reveals "Print this list". */
(function () {
  "use strict";
  var zone = "";
  try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) {}
  document.querySelectorAll('input[type="hidden"][name="tz"]').forEach(function (input) {
    if (!input.value && zone) input.value = zone;
  });

  if ("geolocation" in navigator) {
    document.querySelectorAll(".use-location").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var form = button.closest("form");
        var near = form.querySelector('input[name="near"]');
        button.disabled = true;
        button.setAttribute("aria-busy", "true");
        navigator.geolocation.getCurrentPosition(function (pos) {
          near.value = pos.coords.latitude.toFixed(4) + "," + pos.coords.longitude.toFixed(4);
          form.submit();
        }, function () {
          button.disabled = false;
          button.removeAttribute("aria-busy");
          near.focus();
        }, { enableHighAccuracy: false, timeout: 10000, maximumAge: 600000 });
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
