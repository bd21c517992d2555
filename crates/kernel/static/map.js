/*
 * Xã Số map widget: a thin layer over the vendored Leaflet (/static/leaflet.js).
 * No build step, no dependency besides Leaflet, nothing loaded from the internet
 * unless the server sets a tile URL.
 *
 * Any element with a data-map attribute becomes a map on DOMContentLoaded (and
 * when htmx loads new content). Attributes, all set by the server:
 *   data-map="picker" | "points"    the mode (see below)
 *   data-tiles="<tile server>/{z}/{x}/{y}.png"  tile URL template; empty or
 *                                   missing = no tile layer (offline): the
 *                                   features are drawn on a plain background
 *   data-attribution="..."          tile attribution (Leaflet renders it as HTML)
 *   data-bounds="south,west,north,east"   initial view (fitBounds)
 *   data-center="lat,lon"           initial view at zoom 14 when there are no bounds
 *   data-area="/c/<code>/map-area.geojson"   the commune's boundary and village
 *                                   shapes (FeatureCollection of polygons with
 *                                   properties kind "boundary" | "village", id,
 *                                   name): drawn as labelled shapes, so a map
 *                                   without tiles is not a blank box
 * picker mode:
 *   data-lat-input="id" data-lon-input="id"   inputs that receive the clicked
 *                                   point (6 decimals); values already there
 *                                   are shown as the marker at start
 *   data-locate-label="..."         text of the "use my location" button
 *   data-locate-error="..."         optional text shown when locating fails
 *   data-readonly="true"            only show the stored pin (an official's view): no click,
 *                                   no drag, no locate button
 *   data-village-select="id"        a <select> of villages: a tap inside a village's
 *                                   shape chooses it; choosing one shows its shape
 *   data-pin-label="..."            said (role=status) when a spot is pinned
 *   The lat/lon inputs are hidden fields: nobody is shown or asked for coordinates.
 * area mode: only the commune's shapes (the office's villages page)
 * points mode:
 *   data-geojson="/url"             FeatureCollection of Points with properties
 *                                   title, url, status_label
 *
 * layers mode (the office's commune map):
 *   data-layers='[{"name": "...", "url": "/….geojson", "color": "#rrggbb",
 *                  "cluster": true, "on": true}]'
 *                                   GeoJSON layers a person turns on and off; points are
 *                                   circles on a canvas (thousands stay fast) above the
 *                                   shapes, clustered with their count below zoom 17 when
 *                                   "cluster" is set (bubbles never overlap; a tap zooms to
 *                                   the bubble's points); shapes are drawn with their name,
 *                                   placed clear of the bubbles (hidden where there is no
 *                                   room), and go with their layer. Only the commune's
 *                                   outline comes from data-area. Point popups as in points
 *                                   mode.
 *
 * The element's own content is the fallback: it is replaced only when Leaflet
 * is there; if Leaflet failed to load, the element is left as it is.
 */
(function () {
  'use strict';

  var DEFAULT_ZOOM = 14;
  var MAX_ZOOM = 19;
  var BRAND = '#0b6e4f';

  /* "a,b,c" -> [a, b, c] as numbers, or null unless there are exactly n finite numbers. */
  function numbers(text, n) {
    if (!text) return null;
    var parts = String(text).split(',');
    if (parts.length !== n) return null;
    var out = [];
    for (var i = 0; i < n; i++) {
      var v = parseFloat(parts[i]);
      if (!isFinite(v)) return null;
      out.push(v);
    }
    return out;
  }

  function validLatLon(lat, lon) {
    return isFinite(lat) && isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180;
  }

  /* data-bounds as a Leaflet LatLngBounds, or null. */
  function boundsOf(el) {
    var b = numbers(el.getAttribute('data-bounds'), 4);
    if (!b || !validLatLon(b[0], b[1]) || !validLatLon(b[2], b[3])) return null;
    return L.latLngBounds([b[0], b[1]], [b[2], b[3]]);
  }

  /* Only http(s) links (relative ones included) go into popups: no javascript: URLs. */
  function safeHref(url) {
    if (typeof url !== 'string' || !url) return null;
    try {
      var u = new URL(url, window.location.href);
      return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
    } catch (e) {
      return null;
    }
  }

  /* Sets the initial view; returns the commune bounds when given (or null). */
  function initialView(map, el) {
    var bounds = boundsOf(el);
    var center = numbers(el.getAttribute('data-center'), 2);
    if (bounds) {
      map.fitBounds(bounds, { maxZoom: 17 });
    } else if (center && validLatLon(center[0], center[1])) {
      map.setView(center, DEFAULT_ZOOM);
    } else {
      map.setView([16.0, 106.0], 5); // Viet Nam, when the server gave nothing
    }
    return bounds;
  }

  function drawBounds(map, bounds) {
    L.rectangle(bounds, { color: BRAND, weight: 1, fill: false, dashArray: '4 4', interactive: false }).addTo(map);
  }

  /* ---- the commune's map area: boundary and labelled village shapes ---- */
  var areaCache = {};

  function loadArea(url) {
    if (!url || typeof window.fetch !== 'function') return Promise.resolve(null);
    if (!areaCache[url]) {
      areaCache[url] = window.fetch(url, {
        credentials: 'same-origin',
        headers: { Accept: 'application/geo+json, application/json' }
      }).then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      }).catch(function (err) {
        if (window.console) console.warn('map: cannot load ' + url, err);
        return null;
      });
    }
    return areaCache[url];
  }

  /* Ray casting over one ring of [lon, lat] positions. */
  function inRing(ring, lat, lon) {
    var inside = false;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0], yi = ring[i][1], xj = ring[j][0], yj = ring[j][1];
      if ((yi > lat) !== (yj > lat) && lon < (xj - xi) * (lat - yi) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }

  function inGeometry(g, lat, lon) {
    if (!g || !Array.isArray(g.coordinates)) return false;
    var polys = g.type === 'Polygon' ? [g.coordinates] : g.type === 'MultiPolygon' ? g.coordinates : [];
    return polys.some(function (p) { return Array.isArray(p[0]) && inRing(p[0], lat, lon); });
  }

  /* Draws the area; answers { villages: {id: {layer, geometry}}, bounds } (or null). */
  function drawArea(map, el, hasTiles) {
    return loadArea(el.getAttribute('data-area')).then(function (data) {
      var features = data && Array.isArray(data.features) ? data.features : [];
      if (!features.length) return null;
      var out = { villages: {}, bounds: null };
      var all = L.featureGroup();
      features.forEach(function (f) {
        var props = (f && f.properties) || {};
        var boundary = props.kind === 'boundary';
        var layer = L.geoJSON(f, {
          style: boundary
            ? { color: BRAND, weight: 2, fill: false, dashArray: '6 4', interactive: false }
            : { color: BRAND, weight: 1, fillColor: BRAND, fillOpacity: hasTiles ? 0.06 : 0.12 }
        });
        if (!boundary && props.name) {
          layer.bindTooltip(String(props.name), {
            permanent: true, direction: 'center', className: 'map-label', interactive: false
          });
        }
        layer.addTo(map);
        all.addLayer(layer);
        if (!boundary && props.id != null) {
          out.villages[String(props.id)] = { layer: layer, geometry: f.geometry };
        }
      });
      if (all.getLayers().length) out.bounds = all.getBounds();
      return out;
    });
  }

  /* ---- picker: one marker whose position goes into two inputs ---- */
  function picker(map, el, bounds) {
    var latInput = document.getElementById(el.getAttribute('data-lat-input') || '');
    var lonInput = document.getElementById(el.getAttribute('data-lon-input') || '');
    var marker = null;
    var readonly = el.getAttribute('data-readonly') === 'true';
    var select = document.getElementById(el.getAttribute('data-village-select') || '');
    var area = null;
    var pinStatus = null;

    if (bounds && !el.getAttribute('data-area')) drawBounds(map, bounds);
    drawArea(map, el, !!el.getAttribute('data-tiles')).then(function (a) {
      area = a;
      if (!a) {
        if (bounds) drawBounds(map, bounds);
        return;
      }
      // The commune's own outline frames the map better than its rectangle.
      if (a.bounds && !marker) map.fitBounds(a.bounds, { maxZoom: 17, padding: [4, 4] });
      highlight();
    });

    /* The chosen village stands out; with no pin yet, the map shows it. */
    function highlight() {
      if (!area) return;
      var chosen = select ? select.value : '';
      Object.keys(area.villages).forEach(function (id) {
        area.villages[id].layer.setStyle({ weight: id === chosen ? 3 : 1, fillOpacity: id === chosen ? 0.25 : 0.12 });
      });
      if (chosen && area.villages[chosen] && !marker) {
        map.fitBounds(area.villages[chosen].layer.getBounds(), { maxZoom: 17 });
      }
    }
    if (select) select.addEventListener('change', highlight);

    /* A tap inside a village's shape chooses that village. */
    function chooseVillageAt(ll) {
      if (!area || !select) return;
      var ids = Object.keys(area.villages);
      for (var i = 0; i < ids.length; i++) {
        if (inGeometry(area.villages[ids[i]].geometry, ll.lat, ll.lng)) {
          if (select.value !== ids[i]) {
            select.value = ids[i];
            select.dispatchEvent(new Event('change', { bubbles: true }));
          }
          return;
        }
      }
    }

    function write(input, value) {
      if (!input) return;
      input.value = value;
      // Let forms, htmx and validation see the change.
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }

    function show(latlng) {
      if (marker) {
        marker.setLatLng(latlng);
      } else {
        marker = L.marker(latlng, { draggable: !readonly, autoPan: true }).addTo(map);
        if (!readonly) marker.on('dragend', function () { place(marker.getLatLng()); });
      }
    }

    function place(latlng) {
      var ll = L.latLng(latlng).wrap();
      show(ll);
      write(latInput, ll.lat.toFixed(6));
      write(lonInput, ll.lng.toFixed(6));
      chooseVillageAt(ll);
      if (pinStatus) pinStatus.textContent = el.getAttribute('data-pin-label') || '';
    }

    function fromInputs() {
      if (!latInput || !lonInput) return null;
      var lat = parseFloat(latInput.value);
      var lon = parseFloat(lonInput.value);
      return validLatLon(lat, lon) ? L.latLng(lat, lon) : null;
    }

    var start = fromInputs();
    if (start) {
      show(start);
      if (!map.getBounds().contains(start)) map.setView(start, Math.max(map.getZoom(), 16));
    }

    if (readonly) return;
    map.on('click', function (e) { place(e.latlng); });
    pinStatus = document.createElement('p');
    pinStatus.className = 'map-pinned';
    pinStatus.setAttribute('role', 'status');
    el.parentNode.insertBefore(pinStatus, el.nextSibling);

    if (navigator.geolocation) {
      var button = document.createElement('button');
      button.type = 'button'; // never submits the surrounding form
      button.className = 'button ghost map-locate';
      button.textContent = el.getAttribute('data-locate-label') || 'Dùng vị trí của tôi';
      var status = document.createElement('span');
      status.className = 'map-status';
      status.setAttribute('role', 'status');
      button.addEventListener('click', function () {
        button.disabled = true;
        status.textContent = '';
        navigator.geolocation.getCurrentPosition(function (pos) {
          button.disabled = false;
          var ll = L.latLng(pos.coords.latitude, pos.coords.longitude);
          place(ll);
          map.setView(ll, Math.max(map.getZoom(), 17));
        }, function () {
          button.disabled = false;
          status.textContent = el.getAttribute('data-locate-error') || '';
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
      var bar = document.createElement('div');
      bar.className = 'map-tools';
      bar.appendChild(button);
      bar.appendChild(status);
      el.parentNode.insertBefore(bar, el.nextSibling);
    }
  }

  /* ---- points: markers from a GeoJSON FeatureCollection ---- */
  function popupContent(props) {
    var box = document.createElement('div');
    box.className = 'map-popup';
    var title = props.title != null ? String(props.title) : '';
    var href = safeHref(props.url);
    var head;
    if (href) {
      head = document.createElement('a');
      head.href = href;
    } else {
      head = document.createElement('strong');
    }
    head.textContent = title || href || '';
    box.appendChild(head);
    if (props.status_label != null && props.status_label !== '') {
      box.appendChild(document.createElement('br'));
      var pill = document.createElement('span');
      pill.className = 'pill';
      pill.textContent = String(props.status_label);
      box.appendChild(pill);
    }
    return box;
  }

  function points(map, el, bounds, hasTiles) {
    // Without tiles the commune's shapes (or its outline) are the only landmarks there are.
    drawArea(map, el, hasTiles).then(function (a) {
      if (!a && bounds && !hasTiles) drawBounds(map, bounds);
    });
    var url = el.getAttribute('data-geojson');
    if (!url || typeof window.fetch !== 'function') return;
    window.fetch(url, {
      credentials: 'same-origin',
      headers: { Accept: 'application/geo+json, application/json' }
    }).then(function (res) {
      if (!res.ok) throw new Error('HTTP ' + res.status);
      return res.json();
    }).then(function (data) {
      var features = data && Array.isArray(data.features) ? data.features : [];
      var layer = L.featureGroup();
      features.forEach(function (f) {
        var g = f && f.geometry;
        if (!g || g.type !== 'Point' || !Array.isArray(g.coordinates)) return;
        var lon = Number(g.coordinates[0]);
        var lat = Number(g.coordinates[1]);
        if (!validLatLon(lat, lon)) return;
        var props = f.properties || {};
        var m = L.marker([lat, lon], { title: props.title != null ? String(props.title) : '' });
        m.bindPopup(popupContent(props));
        layer.addLayer(m);
      });
      layer.addTo(map);
      if (layer.getLayers().length) {
        // Room above each point for the 41px-tall marker icon.
        map.fitBounds(layer.getBounds(), {
          paddingTopLeft: [24, 48], paddingBottomRight: [24, 16], maxZoom: 17
        });
      }
    }).catch(function (err) {
      if (window.console) console.warn('map: cannot load ' + url, err);
    });
  }

  /* ---- area: the commune's shapes only ---- */
  function areaOnly(map, el) {
    drawArea(map, el, !!el.getAttribute('data-tiles')).then(function (a) {
      if (a && a.bounds) map.fitBounds(a.bounds, { maxZoom: 17, padding: [4, 4] });
    });
  }

  /* ---- layers: several GeoJSON layers with a switcher ---- */
  var CLUSTER_PX = 48;
  var CLUSTER_UNTIL_ZOOM = 17;
  var POINT_RADIUS = 6;
  // Taps this close (px) to a circle still hit it; bubbles keep twice that apart, so a tap
  // never lands on a neighbour's margin.
  var TAP_TOLERANCE = 6;
  var CLUSTER_GAP = 2 * TAP_TOLERANCE;

  function bubbleRadius(n) {
    return n === 1 ? POINT_RADIUS : Math.min(28, 11 + 3 * Math.log2(n));
  }

  /*
   * Draws one point layer into `target`: single circles from zoom 17, below it numbered
   * bubbles: points grouped by grid cells of CLUSTER_PX, then bubbles that would touch (or
   * come within CLUSTER_GAP) merged until none do, so no bubble hides another or its number.
   * A tap on a bubble zooms to its points. Answers what it drew, in pixels at the current
   * zoom ([{x, y, r, count}]), for the labels to keep clear of.
   */
  function drawPoints(map, target, pts, spec, renderer) {
    target.clearLayers();
    var zoom = map.getZoom();
    var color = spec.color || BRAND;
    var drawn = [];
    var single = function (p, xy) {
      var m = L.circleMarker([p.lat, p.lon], {
        renderer: renderer, radius: POINT_RADIUS, color: '#fff', weight: 1.5,
        fillColor: color, fillOpacity: 0.9
      });
      m.bindPopup(popupContent(p.props));
      target.addLayer(m);
      xy = xy || map.project([p.lat, p.lon], zoom);
      drawn.push({ x: xy.x, y: xy.y, r: POINT_RADIUS, count: 1 });
    };
    if (!spec.cluster || zoom >= CLUSTER_UNTIL_ZOOM) {
      pts.forEach(function (p) { single(p); });
      return drawn;
    }
    var cells = {};
    var groups = [];
    pts.forEach(function (p) {
      var xy = map.project([p.lat, p.lon], zoom);
      var key = Math.floor(xy.x / CLUSTER_PX) + ':' + Math.floor(xy.y / CLUSTER_PX);
      var g = cells[key];
      if (!g) {
        g = cells[key] = { pts: [], sx: 0, sy: 0 };
        groups.push(g);
      }
      g.pts.push(p);
      g.sx += xy.x;
      g.sy += xy.y;
    });
    for (var merged = true; merged;) {
      merged = false;
      for (var i = 0; i < groups.length; i++) {
        var a = groups[i];
        if (!a) continue;
        for (var j = i + 1; j < groups.length; j++) {
          var b = groups[j];
          if (!b) continue;
          var dx = a.sx / a.pts.length - b.sx / b.pts.length;
          var dy = a.sy / a.pts.length - b.sy / b.pts.length;
          var room = bubbleRadius(a.pts.length) + bubbleRadius(b.pts.length) + CLUSTER_GAP;
          if (dx * dx + dy * dy < room * room) {
            a.pts = a.pts.concat(b.pts);
            a.sx += b.sx;
            a.sy += b.sy;
            groups[j] = null;
            merged = true;
          }
        }
      }
      groups = groups.filter(Boolean);
    }
    groups.forEach(function (g) {
      var n = g.pts.length;
      var xy = L.point(g.sx / n, g.sy / n);
      if (n === 1) return single(g.pts[0], xy);
      var r = bubbleRadius(n);
      var c = L.circleMarker(map.unproject(xy, zoom), {
        renderer: renderer, radius: r,
        color: '#fff', weight: 2, fillColor: color, fillOpacity: 0.85
      });
      var count = document.createElement('span');
      count.textContent = String(n);
      c.bindTooltip(count, {
        permanent: true, direction: 'center', className: 'map-count', interactive: false
      });
      c.on('click', function () {
        var box = L.latLngBounds(g.pts.map(function (p) { return [p.lat, p.lon]; }));
        var fit = map.getBoundsZoom(box, false, L.point(64, 64));
        map.setView(box.getCenter(), Math.min(MAX_ZOOM, Math.max(zoom + 1, fit)));
      });
      target.addLayer(c);
      drawn.push({ x: xy.x, y: xy.y, r: r, count: n });
    });
    return drawn;
  }

  /* Spots inside a shape where its name may go, the middle first, then rows further up and
     down, each middle, left, right. */
  var LABEL_ROWS = [0.5, 0.35, 0.65, 0.2, 0.8, 0.12, 0.88];
  var LABEL_COLUMNS = [0.5, 0.3, 0.7];

  function labelSpots(geometry, box) {
    var s = box.getSouth(), w = box.getWest(), n = box.getNorth(), e = box.getEast();
    var spots = [];
    LABEL_ROWS.forEach(function (fy) {
      LABEL_COLUMNS.forEach(function (fx) {
        var lat = n - (n - s) * fy;
        var lon = w + (e - w) * fx;
        if (inGeometry(geometry, lat, lon)) spots.push(L.latLng(lat, lon));
      });
    });
    return spots.length ? spots : [box.getCenter()];
  }

  function layersMode(map, el, bounds, hasTiles) {
    // The commune's outline only: the village shapes (with their names) are a layer of their
    // own, which the switcher turns off.
    loadArea(el.getAttribute('data-area')).then(function (data) {
      var outline = (data && Array.isArray(data.features) ? data.features : []).filter(function (f) {
        return f && f.properties && f.properties.kind === 'boundary';
      });
      if (outline.length) {
        L.geoJSON({ type: 'FeatureCollection', features: outline }, {
          interactive: false,
          style: { color: BRAND, weight: 2, fill: false, dashArray: '6 4' }
        }).addTo(map);
      } else if (bounds && !hasTiles) {
        drawBounds(map, bounds);
      }
    });
    var specs;
    try {
      specs = JSON.parse(el.getAttribute('data-layers') || '[]');
    } catch (e) {
      specs = [];
    }
    if (!Array.isArray(specs) || typeof window.fetch !== 'function') return;
    var control = L.control.layers(null, null, { collapsed: false, position: 'topright' }).addTo(map);
    // Points on a canvas of their own pane, above the shapes (SVG), whichever loads first.
    map.createPane('xaso-points').style.zIndex = 450;
    var renderer = L.canvas({ padding: 0.5, tolerance: TAP_TOLERANCE, pane: 'xaso-points' });
    var pointSets = []; // {group, target, pts, spec, drawn}
    var labels = [];    // {group, tooltip, box, spots}

    /* Each shape's name at the first of its spots where it is clear of the names placed
       before it and of the bubbles, and inside the shape's box; failing that, clear of the
       numbered bubbles only (a name may cover a single point), then anywhere in the shape;
       hidden where there is no such spot. */
    function placeLabels() {
      var zoom = map.getZoom();
      var obstacles = [];
      pointSets.forEach(function (s) {
        if (map.hasLayer(s.group) && s.drawn) obstacles = obstacles.concat(s.drawn);
      });
      var placed = [];
      var clear = function (box, pass, frame) {
        if (pass < 2 && (box.x1 < frame.min.x || box.x2 > frame.max.x || box.y1 < frame.min.y || box.y2 > frame.max.y)) {
          return false;
        }
        var hitsLabel = placed.some(function (p) {
          return box.x1 < p.x2 && p.x1 < box.x2 && box.y1 < p.y2 && p.y1 < box.y2;
        });
        return !hitsLabel && !obstacles.some(function (o) {
          if (pass > 0 && o.count === 1) return false;
          var nx = Math.max(box.x1, Math.min(o.x, box.x2));
          var ny = Math.max(box.y1, Math.min(o.y, box.y2));
          return (o.x - nx) * (o.x - nx) + (o.y - ny) * (o.y - ny) < (o.r + 2) * (o.r + 2);
        });
      };
      labels.forEach(function (l) {
        var node = l.tooltip.getElement();
        if (!node || !map.hasLayer(l.group)) return;
        var w = node.offsetWidth / 2, h = node.offsetHeight / 2;
        var frame = L.bounds(map.project(l.box.getNorthWest(), zoom), map.project(l.box.getSouthEast(), zoom));
        var found = null;
        for (var pass = 0; pass < 3 && !found; pass++) {
          for (var i = 0; i < l.spots.length; i++) {
            var xy = map.project(l.spots[i], zoom);
            var box = { x1: xy.x - w, x2: xy.x + w, y1: xy.y - h, y2: xy.y + h };
            if (clear(box, pass, frame)) {
              found = l.spots[i];
              placed.push(box);
              break;
            }
          }
        }
        if (found) l.tooltip.setLatLng(found);
        node.style.visibility = found ? '' : 'hidden';
      });
    }

    function redraw() {
      pointSets.forEach(function (s) { s.drawn = drawPoints(map, s.target, s.pts, s.spec, renderer); });
      placeLabels();
    }
    map.on('zoomend', redraw);
    map.on('overlayadd overlayremove', placeLabels);

    specs.forEach(function (spec) {
      var group = L.layerGroup();
      var color = spec.color || BRAND;
      control.addOverlay(group, String(spec.name || ''));
      if (spec.on !== false) group.addTo(map);
      window.fetch(spec.url, {
        credentials: 'same-origin',
        headers: { Accept: 'application/geo+json, application/json' }
      }).then(function (res) {
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json();
      }).then(function (data) {
        var features = data && Array.isArray(data.features) ? data.features : [];
        var pts = [];
        var shapes = [];
        features.forEach(function (f) {
          var g = f && f.geometry;
          if (!g) return;
          if (g.type === 'Point' && Array.isArray(g.coordinates)) {
            var lon = Number(g.coordinates[0]);
            var lat = Number(g.coordinates[1]);
            if (validLatLon(lat, lon)) pts.push({ lat: lat, lon: lon, props: f.properties || {} });
          } else if (g.type === 'Polygon' || g.type === 'MultiPolygon') {
            shapes.push(f);
          }
        });
        if (shapes.length) {
          L.geoJSON({ type: 'FeatureCollection', features: shapes }, {
            interactive: false,
            style: { color: color, weight: 1.5, fillColor: color, fillOpacity: hasTiles ? 0.06 : 0.12 },
            onEachFeature: function (f, layer) {
              var p = f.properties || {};
              var name = p.title || p.name;
              if (!name) return;
              var text = document.createElement('span');
              text.textContent = String(name);
              var tooltip = L.tooltip({ direction: 'center', className: 'map-label', interactive: false })
                .setLatLng(layer.getBounds().getCenter())
                .setContent(text);
              group.addLayer(tooltip);
              labels.push({ group: group, tooltip: tooltip, box: layer.getBounds(), spots: labelSpots(f.geometry, layer.getBounds()) });
            }
          }).addTo(group);
        }
        if (pts.length) {
          var target = L.layerGroup().addTo(group);
          pointSets.push({ group: group, target: target, pts: pts, spec: spec, drawn: null });
        }
        redraw();
      }).catch(function (err) {
        if (window.console) console.warn('map: cannot load ' + spec.url, err);
      });
    });
  }

  var MODES = { picker: picker, points: points, area: areaOnly, layers: layersMode };

  function setup(el) {
    if (el.getAttribute('data-map-ready')) return;
    var mode = MODES[el.getAttribute('data-map')];
    if (!mode) return;
    el.setAttribute('data-map-ready', '1');

    // The fallback content goes only now that Leaflet is known to be there.
    while (el.firstChild) el.removeChild(el.firstChild);

    // Fractional zoom: a commune fills a phone-wide map instead of the next smaller step.
    var map = L.map(el, { maxZoom: MAX_ZOOM, scrollWheelZoom: false, zoomSnap: 0.25 });
    var tiles = el.getAttribute('data-tiles') || '';
    if (tiles) {
      L.tileLayer(tiles, {
        maxZoom: MAX_ZOOM,
        attribution: el.getAttribute('data-attribution') || ''
      }).addTo(map);
    } else {
      el.classList.add('map-blank'); // offline: plain light background
    }
    L.control.scale({ imperial: false }).addTo(map);

    var bounds = initialView(map, el);
    mode(map, el, bounds, !!tiles);
  }

  function initWithin(root) {
    if (typeof L === 'undefined' || !L.map) return; // Leaflet missing: keep fallbacks
    L.Icon.Default.imagePath = '/static/';
    var found = [];
    if (root.matches && root.matches('[data-map]')) found.push(root);
    if (root.querySelectorAll) {
      Array.prototype.push.apply(found, root.querySelectorAll('[data-map]'));
    }
    found.forEach(function (el) {
      try {
        setup(el);
      } catch (err) {
        if (window.console) console.warn('map: cannot set up', el, err);
      }
    });
  }

  // Exposed for pages that build map elements themselves.
  window.XasoMap = { init: initWithin };

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', function () { initWithin(document); });
  } else {
    initWithin(document);
  }
  // Content swapped in by htmx.
  document.addEventListener('htmx:load', function (e) { initWithin(e.target || document); });
})();
