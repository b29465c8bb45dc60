// The now-and-next screen. It reads data.json (see src/screen/data.rs),
// polls version.json, and shows every time in the festival's time zone.
// Text from the logs goes into the page through textContent only.
"use strict";
(() => {
  const POLL_MS = 15000; // version.json, at least every 30 s
  const PAGE_MS = 12000; // one page of rooms
  const FADE_MS = 1500; // as #rooms' transition in screen.css
  const TICK_MS = 1000;
  const OVERTIME_S = 15 * 60; // how long an event that ran over is shown
  const SOON_S = 2 * 60 * 60; // "in N min" below this, a time above
  const CLOCK_SKEW_MS = 1500; // a device clock this wrong is corrected

  const params = new URLSearchParams(window.location.search);
  const only = params.get("location");
  const byId = (id) => document.getElementById(id);
  const state = {
    data: null,
    version: null,
    offsetMs: 0,
    page: 0,
    panels: [],
    perPage: 0,
    online: true,
    updated: 0,
    busy: false,
    again: false,
    byLocation: [],
    formats: null,
  };

  // The device clock, corrected from the server's Date header.
  const nowMs = () => Date.now() + state.offsetMs;

  function noteClock(response, sentMs, receivedMs) {
    const header = response.headers.get("Date");
    const server = header ? Date.parse(header) : NaN;
    if (Number.isNaN(server)) return;
    // The header is cut to the second: its middle is half a second on.
    const offset = server + 500 - (sentMs + receivedMs) / 2;
    state.offsetMs = Math.abs(offset) > CLOCK_SKEW_MS ? offset : 0;
  }

  async function fetchJson(path) {
    const sent = Date.now();
    const response = await fetch(path, { cache: "no-store" });
    if (!response.ok) throw new Error(path + ": HTTP " + response.status);
    noteClock(response, sent, Date.now());
    return response.json();
  }

  function formats(zone) {
    const make = (timeZone) => ({
      time: new Intl.DateTimeFormat("en-GB", { timeZone, hour: "2-digit", minute: "2-digit", hourCycle: "h23" }),
      day: new Intl.DateTimeFormat("en-GB", { timeZone, weekday: "short", day: "numeric", month: "short" }),
      date: new Intl.DateTimeFormat("en-CA", { timeZone, year: "numeric", month: "2-digit", day: "2-digit" }),
      zone: timeZone,
    });
    try {
      return make(zone);
    } catch (_) {
      return make("UTC");
    }
  }

  const time = (s) => state.formats.time.format(s * 1000);
  const dayOf = (s) => state.formats.day.format(s * 1000);
  const sameDate = (a, b) => state.formats.date.format(a * 1000) === state.formats.date.format(b * 1000);
  const minutes = (s) => Math.max(1, Math.round(s / 60));

  // Fetches the version and, when it changed, the data. Offline, the data
  // it has stays.
  async function refresh() {
    if (state.busy) {
      state.again = true;
      return;
    }
    state.busy = true;
    try {
      const version = await fetchJson("version.json");
      if (!state.data || version.version !== state.version) {
        const data = await fetchJson("data.json");
        if (data.format !== 1) throw new Error("data.json has format " + data.format);
        state.data = data;
        state.version = version.version;
        // Each room's events, in the data's order (by start).
        state.byLocation = data.locations.map(() => []);
        for (const event of data.events) {
          for (const i of event.at) if (state.byLocation[i]) state.byLocation[i].push(event);
        }
        state.formats = formats(data.zone);
        layout();
      }
      state.online = true;
      state.updated = nowMs();
    } catch (_) {
      state.online = false;
    }
    state.busy = false;
    render();
    if (state.again) {
      state.again = false;
      refresh();
    }
  }

  // The locations shown: one with ?location=ID, else all.
  function shownLocations() {
    const all = state.data.locations.map((l, index) => ({ index, id: l.id, name: l.name }));
    return only === null ? all : all.filter((l) => l.id === only);
  }

  function element(tag, className, parent) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (parent) parent.appendChild(node);
    return node;
  }

  function makeSlot(parent) {
    const slot = element("div", "slot", parent);
    const bar = element("div", "progress");
    const parts = {
      slot,
      label: element("div", "label", slot),
      title: element("div", "title", slot),
      meta: element("div", "meta", slot),
      state: element("div", "state", slot),
      fill: element("span", null, bar),
    };
    slot.appendChild(bar);
    return parts;
  }

  // Makes the panels of one page; called when the data or the window's
  // shape changes, never on a tick, so nothing jumps.
  function layout() {
    const rooms = byId("rooms");
    const single = only !== null;
    document.body.classList.toggle("single", single);
    const wide = window.innerWidth >= window.innerHeight;
    const cols = single ? 1 : wide ? 2 : 1;
    const rows = single ? 1 : 3;
    rooms.style.setProperty("--cols", String(cols));
    rooms.style.setProperty("--rows", String(rows));
    const perPage = cols * rows;
    if (perPage !== state.perPage) {
      rooms.replaceChildren();
      state.panels = [];
      for (let i = 0; i < perPage; i++) {
        const room = element("section", "room", rooms);
        state.panels.push({ room, name: element("h2", null, room), now: makeSlot(room), next: makeSlot(room) });
      }
      state.perPage = perPage;
    }
    document.title = state.data.festival + " — now and next";
    byId("festival").textContent = state.data.festival;
    byId("zone").textContent = state.formats.zone;
  }

  // What runs at one location at `t` (seconds): the event on now (a live
  // one before a cancelled one), or one that ended less than OVERTIME_S ago
  // with nothing after it yet; and the next event.
  function slotsAt(index, t) {
    let now = null;
    let next = null;
    let over = null;
    for (const event of state.byLocation[index] || []) {
      if (event.start <= t && t < event.end) {
        if (!now || (now.cancelled && !event.cancelled)) now = event;
      } else if (event.start > t) {
        if (!next) next = event;
      } else if (!event.cancelled && t - event.end < OVERTIME_S && (!over || event.end >= over.end)) {
        over = event;
      }
    }
    if (now || !over) over = null;
    return { now, next, over };
  }

  function people(event) {
    return event.people.length ? " · " + event.people.join(", ") : "";
  }

  function confirmation(event) {
    if (event.cancelled) return "";
    let text = event.requested ? event.percent + " % confirmed" : "";
    if (event.conflicts) {
      text += (text ? " · " : "") + event.conflicts + (event.conflicts === 1 ? " conflict" : " conflicts");
    }
    return text;
  }

  function when(event, t) {
    const wait = event.start - t;
    if (wait < SOON_S) return "in " + minutes(wait) + " min";
    return sameDate(event.start, t) ? "at " + time(event.start) : dayOf(event.start) + ", " + time(event.start);
  }

  function moved(event) {
    if (event.moved_from === undefined || event.cancelled) return "";
    const from = event.moved_from;
    return "moved from " + (sameDate(from, event.start) ? time(from) : dayOf(from) + ", " + time(from));
  }

  function fill(parts, event, kind, t) {
    const { slot, label, title, meta, state: line, fill: bar } = parts;
    slot.className = "slot " + kind + (event && event.cancelled ? " cancelled" : "");
    if (!event) {
      label.textContent = kind === "next" ? "Next" : "Now";
      title.textContent = kind === "next" ? "Nothing more here" : "Nothing on";
      meta.textContent = "";
      line.textContent = "";
      bar.style.transform = "scaleX(0)";
      return;
    }
    let head;
    let ratio = 0;
    if (event.cancelled) {
      head = kind === "next" ? "Next · cancelled" : "Cancelled";
    } else if (kind === "now") {
      head = "Now · ends in " + minutes(event.end - t) + " min";
      ratio = (t - event.start) / Math.max(1, event.end - event.start);
    } else if (kind === "overtime") {
      head = "Overtime · +" + minutes(t - event.end) + " min";
      ratio = 1;
    } else {
      head = "Next · " + when(event, t);
    }
    label.textContent = head;
    title.textContent = event.title;
    meta.textContent = time(event.start) + "–" + time(event.end) + people(event);
    const notes = [moved(event), confirmation(event)].filter((s) => s);
    line.textContent = notes.join(" · ");
    line.classList.toggle("warn", event.conflicts > 0 || moved(event) !== "");
    bar.style.transform = "scaleX(" + Math.min(1, Math.max(0, ratio)).toFixed(3) + ")";
  }

  // The message at the end of the day, or "" while the day goes on.
  function endOfDay(shown, t) {
    const indexes = new Set(shown.map((l) => l.index));
    const here = state.data.events.filter((e) => !e.cancelled && e.at.some((i) => indexes.has(i)));
    // An event that ran over keeps the rooms up for OVERTIME_S.
    const later = here.filter((e) => e.end + OVERTIME_S > t);
    if (here.length && !later.length) return "That was " + state.data.festival + ". Thank you!";
    const today = state.data.days.find((d) => d.start <= t && t < d.end);
    if (!today) return "";
    if (later.some((e) => e.start < today.end)) return "";
    const first = later.reduce((a, b) => (b.start < a.start ? b : a), later[0]);
    if (!first) return "That's all for today.";
    return "That's all for today. " + dayOf(first.start) + " from " + time(first.start) + ": " + first.title;
  }

  function render() {
    const clock = byId("time");
    if (!state.data) {
      byId("state").textContent = state.online ? "Loading the schedule…" : "Offline: no schedule yet";
      return;
    }
    const t = nowMs() / 1000;
    clock.textContent = time(t);
    const shown = shownLocations();
    const message = byId("message");
    let text = "";
    if (only !== null && !shown.length) text = "This festival has no location " + only + ".";
    else if (!shown.length) text = "This festival has no locations yet.";
    else text = endOfDay(shown, t);
    message.textContent = text;
    message.hidden = text === "";
    document.body.classList.toggle("ended", text !== "");
    const pages = Math.max(1, Math.ceil(shown.length / state.perPage));
    state.page %= pages;
    const start = state.page * state.perPage;
    state.panels.forEach((panel, i) => {
      const location = shown[start + i];
      panel.room.classList.toggle("empty", !location);
      if (!location) return;
      panel.name.textContent = location.name;
      const { now, next, over } = slotsAt(location.index, t);
      if (over) fill(panel.now, over, "overtime", t);
      else fill(panel.now, now, now ? "now" : "idle", t);
      fill(panel.next, next, "next", t);
    });
    byId("page").textContent = pages > 1 ? "Page " + (state.page + 1) + " of " + pages : "";
    byId("state").textContent = state.online
      ? "Updated " + time(state.updated / 1000)
      : "Offline since " + time(state.updated / 1000) + ": showing the schedule it had";
  }

  // Turns to the next page of rooms with a slow fade.
  function turnPage() {
    if (!state.data || shownLocations().length <= state.perPage) return;
    const rooms = byId("rooms");
    rooms.classList.add("fading");
    window.setTimeout(() => {
      state.page += 1;
      render();
      rooms.classList.remove("fading");
    }, FADE_MS);
  }

  let resizing = 0;
  window.addEventListener("resize", () => {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(() => {
      if (state.data) {
        layout();
        render();
      }
    }, 500);
  });
  // Under `pandafest serve`, the live hook tells the screen at once.
  window.addEventListener("pandafest:version", () => refresh());
  window.setInterval(render, TICK_MS);
  window.setInterval(refresh, POLL_MS);
  window.setInterval(turnPage, PAGE_MS);
  refresh();
})();
