// Moves the 180px glow orb of the landing page with the pointer (product spec §5.3).
(function () {
  function move(event) {
    var orb = document.getElementById("cursor-glow");
    if (!orb) return;
    orb.style.setProperty("--glow-x", event.clientX + "px");
    orb.style.setProperty("--glow-y", event.clientY + "px");
  }
  window.addEventListener("pointermove", move, { passive: true });
  window.__qhGlowReady = true;
})();
