// Call analyzer: click a transcript line, a key moment or a timeline bar to play the recording
// from there, and highlight the line being played. Delegated on the document, so it works for
// content Reflex renders after this script loads.
(function () {
  if (window.__qhTranscriptSync) return;
  window.__qhTranscriptSync = true;
  const player = () => document.getElementById("call-audio");
  document.addEventListener("click", (event) => {
    const target = event.target.closest("[data-seek]");
    const audio = player();
    if (!target || !audio) return;
    audio.currentTime = parseFloat(target.getAttribute("data-seek")) || 0;
    audio.play().catch(() => {});
  });
  document.addEventListener(
    "timeupdate",
    (event) => {
      if (event.target.id !== "call-audio") return;
      const now = event.target.currentTime;
      let current = null;
      for (const line of document.querySelectorAll("#transcript [data-start]")) {
        if (parseFloat(line.getAttribute("data-start")) <= now) current = line;
        else break;
      }
      for (const line of document.querySelectorAll("#transcript .qh-current")) {
        if (line !== current) line.classList.remove("qh-current");
      }
      if (current && !current.classList.contains("qh-current")) {
        current.classList.add("qh-current");
        current.scrollIntoView({ block: "nearest" });
      }
    },
    true,
  );
})();
