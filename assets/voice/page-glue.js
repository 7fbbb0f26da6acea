// Starts a voice call from the Reflex page and reports only how it started.
//
// Reflex awaits a call_script's promise before it handles the tab's next event, so the page
// must not wait for the whole call: this resolves as soon as the call is live (or could not
// start: microphone denied, no microphone, ticket refused ...). Everything after that (the
// transcript, hints, the end) reaches the page from the server.
(function () {
  "use strict";
  const START_TIMEOUT_MS = 45000;

  function socketBase() {
    return (window.location.protocol === "https:" ? "wss://" : "ws://") + window.location.host;
  }

  function callUrl(ticket) {
    return socketBase() + "/api/voice/ws?ticket=" + encodeURIComponent(ticket);
  }

  // "M" mutes and unmutes during a call, as in meeting apps; never while typing. Reflex may
  // load this script more than once: one listener only, or each press toggles twice.
  if (!window.quotahitMuteShortcut) {
    window.quotahitMuteShortcut = true;
    document.addEventListener("keydown", pressMuteOnM);
  }

  function pressMuteOnM(event) {
    if (event.key !== "m" && event.key !== "M") return;
    if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
    const target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) {
      return;
    }
    if (document.querySelector("[role=alertdialog]")) return;
    const mute = document.getElementById("call-mute");
    if (mute && !mute.disabled) {
      event.preventDefault();
      mute.click();
    }
  }

  window.quotahitVoiceBegin = function (ticket) {
    return new Promise(function (resolve) {
      let settled = false;
      const settle = function (result) {
        if (!settled) {
          settled = true;
          resolve(result);
        }
      };
      if (!window.quotahitVoice) {
        settle({ outcome: "unsupported", message: "The audio client did not load." });
        return;
      }
      window.setTimeout(function () {
        settle({ outcome: "timeout" });
      }, START_TIMEOUT_MS);
      window.quotahitVoice
        .start({
          url: callUrl(ticket),
          resumeUrl: callUrl,
          timerId: "call-timer",
          levelId: "mic-level",
          speakingId: "call-speaking",
          onEvent: function (message) {
            if (message && message.type === "ready") {
              settle({ outcome: "live" });
            }
          },
        })
        .then(function (result) {
          settle(result || { outcome: "ended" });
        });
    });
  };
})();
