// Chat boxes: Enter sends (Shift+Enter for a new line), and a chat log marked data-autoscroll
// follows new text while the reader is at the bottom. Delegated on the document, so it works
// for content Reflex renders after this script loads.
(function () {
  if (window.__qhChatKeys) return;
  window.__qhChatKeys = true;
  document.addEventListener("keydown", (event) => {
    const box = event.target;
    if (!box.matches || !box.matches("textarea[data-enter-submits]")) return;
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
    event.preventDefault();
    const form = box.closest("form");
    // requestSubmit() ignores a disabled or missing send button: while an answer is being
    // written the form would submit, its handler would refuse, and the draft would be cleared.
    const send = form && form.querySelector("[type=submit]");
    if (send && !send.disabled && box.value.trim()) form.requestSubmit();
  });
  const follow = new MutationObserver(() => {
    for (const log of document.querySelectorAll("[data-autoscroll]")) {
      const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 160;
      if (nearBottom || log.dataset.following !== "no") log.scrollTop = log.scrollHeight;
    }
  });
  document.addEventListener("scroll", (event) => {
    const log = event.target;
    if (!log.matches || !log.matches("[data-autoscroll]")) return;
    log.dataset.following =
      log.scrollHeight - log.scrollTop - log.clientHeight < 160 ? "yes" : "no";
  }, true);
  follow.observe(document.body, { childList: true, subtree: true, characterData: true });
})();
