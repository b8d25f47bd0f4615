// Progressive enhancement for the home and meeting pages; both work without it.
// - Forms with a `tz` input send the browser's time zone along.
// - A meeting page offers its time in the visitor's zone when that differs.
// - "Use my location" appears only where the browser can locate, and searches there.
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

  var button = document.querySelector("[data-locate]");
  if (!button || !("geolocation" in navigator)) return;
  var status = document.querySelector("[data-locate-status]");
  function say(text) {
    if (status) status.textContent = text || "";
  }

  button.hidden = false;
  button.addEventListener("click", function () {
    button.disabled = true;
    say(button.getAttribute("data-finding"));
    navigator.geolocation.getCurrentPosition(
      function (position) {
        var near = position.coords.latitude.toFixed(4) + "," + position.coords.longitude.toFixed(4);
        var url = button.getAttribute("data-search-url") + "?near=" + near;
        if (zone) url += "&tz=" + encodeURIComponent(zone);
        window.location.assign(url);
      },
      function () {
        button.disabled = false;
        say(button.getAttribute("data-failed"));
      },
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 600000 }
    );
  });
})();
