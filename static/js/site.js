/* Progressive enhancement for every page; each page works without it.
   - Forms with a `tz` input send the browser's time zone, so online meetings and
     "today" are told on the visitor's clock.
   - A meeting page tells its time in the visitor's zone first when that differs (or
     offers to), and its Share link opens the phone's share sheet or copies the link.
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
    document.querySelectorAll("p.when-local[data-start]").forEach(function (line) {
      if (line.getAttribute("data-meeting-tz") === zone) return;
      var start = new Date(line.getAttribute("data-start"));
      var end = new Date(line.getAttribute("data-end"));
      if (isNaN(start) || isNaN(end)) return;
      try {
        // In the page's language ("lun, 1 dic" on /es/), not the browser's.
        var locale = document.documentElement.lang || undefined;
        var day = new Intl.DateTimeFormat(locale, {
          weekday: "short", day: "numeric", month: "short", timeZone: zone
        });
        var time = new Intl.DateTimeFormat(locale, {
          hour: "numeric", minute: "2-digit", timeZone: zone
        });
        var named = new Intl.DateTimeFormat(locale, {
          hour: "numeric", minute: "2-digit", timeZone: zone, timeZoneName: "short"
        });
        line.textContent = line.getAttribute("data-template")
          .replace("{day}", day.format(start))
          .replace("{start}", time.format(start))
          .replace("{end}", named.format(end));
      } catch (e) {
        return;
      }
      line.hidden = false;
      var form = line.parentNode.querySelector("form.tz-form");
      if (form) form.hidden = true;
    });
  }

  document.querySelectorAll("a[data-share]").forEach(function (link) {
    var status = link.parentNode.querySelector(".share-status");
    link.addEventListener("click", function (event) {
      var url = link.href;
      if (navigator.share) {
        event.preventDefault();
        navigator.share({ title: link.getAttribute("data-share-title") || document.title, url: url })
          .catch(function () {});
      } else if (navigator.clipboard && window.isSecureContext) {
        event.preventDefault();
        navigator.clipboard.writeText(url).then(function () {
          if (status) status.textContent = link.getAttribute("data-copied");
        }, function () {
          window.location.href = url;
        });
      }
    });
  });

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
