/* The results map: progressive enhancement of the list. Reads the page's meetings
   from the #map-points JSON and the tile server from the map's data attributes. */
(function () {
  "use strict";
  var el = document.getElementById("map");
  var data = document.getElementById("map-points");
  if (!el || !data || typeof L === "undefined") return;
  var points = JSON.parse(data.textContent);
  el.classList.add("map-on");
  var map = L.map(el, { scrollWheelZoom: false });
  L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution }).addTo(map);
  var bounds = [];
  points.forEach(function (p) {
    var marker = L.marker([p.lat, p.lng], { title: p.name, alt: p.name }).addTo(map);
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = p.url;
    link.textContent = p.name;  // textContent: names are data, never markup
    var when = document.createElement("div");
    when.textContent = p.when;
    box.appendChild(link);
    box.appendChild(when);
    marker.bindPopup(box);
    bounds.push([p.lat, p.lng]);
  });
  if (bounds.length) {
    map.fitBounds(bounds, { padding: [24, 24], maxZoom: 15 });
  } else {
    map.setView([39.8, -98.6], 4);
  }
})();
