// pandafest serve's live hook: reloads the page when a file it shows
// changed, tells the screen of a new version, and shows a failed
// rebuild as a banner. Only served pages have it; built files never do.
"use strict";
(() => {
  const screen = document.documentElement.hasAttribute("data-screen");
  // The site file this page is, as the server names it.
  let self = decodeURIComponent(window.location.pathname).replace(/^\//, "");
  if (self === "" || self.endsWith("/")) self += "index.html";
  let banner = null;
  function showError(error) {
    if (!error) {
      if (banner) banner.remove();
      banner = null;
      return;
    }
    if (!banner) {
      banner = document.createElement("div");
      banner.setAttribute("role", "alert");
      banner.id = "pandafest-error";
      banner.style.cssText = "position:fixed;left:0;right:0;bottom:0;z-index:99;margin:0;padding:0.6em 1em;background:#5c0000;color:#fff;font:1rem/1.4 monospace;white-space:pre-wrap;max-height:40vh;overflow:auto";
      document.body.appendChild(banner);
    }
    banner.textContent = "The last rebuild failed; this is the last good site.\n" + error;
  }
  function rebuilt(event) {
    const changed = event.changed;
    const mine = changed === null || changed.includes(self) || changed.includes("style.css");
    if (screen) {
      const assets = ["screen/index.html", "screen/screen.js", "screen/screen.css"];
      if (changed === null || changed.some((p) => assets.includes(p))) window.location.reload();
      else window.dispatchEvent(new CustomEvent("pandafest:version", { detail: event.screen }));
    } else if (mine) {
      window.location.reload();
    }
  }
  const source = new EventSource("/_pandafest/events");
  source.onmessage = (message) => {
    let event;
    try {
      event = JSON.parse(message.data);
    } catch (_) {
      return;
    }
    if (event.kind === "status") showError(event.error);
    else if (event.kind === "rebuilt") rebuilt(event);
  };
})();
