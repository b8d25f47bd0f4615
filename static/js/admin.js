/* Both admins: Django's type filter widget puts aria-label on a plain <span> (its help
   icon), which ARIA does not allow; as an image the label is allowed and still read. */
(function () {
  "use strict";
  function fix() {
    document.querySelectorAll("span.help-tooltip[aria-label]:not([role])").forEach(function (icon) {
      icon.setAttribute("role", "img");
    });
  }
  window.addEventListener("load", function () {
    fix();
    window.setTimeout(fix, 0);
  });
})();
