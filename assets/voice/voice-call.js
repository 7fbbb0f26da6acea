// Voice practice in the browser: the rep's microphone goes to the backend's voice websocket as
// PCM16 24 kHz, the buyer's voice comes back the same way and is played without gaps. The wire
// protocol is quotahit/voice/protocol.py. One call at a time:
//
//   const result = await window.quotahitVoice.start({url, resumeUrl, timerId, levelId, speakingId,
//                                                    onEvent});
//   window.quotahitVoice.setMuted(true); await window.quotahitVoice.hangup();
//
// start() never rejects; it resolves when the call is over with {outcome, reason, message}, the
// message written for the rep. Outcomes: "ended" (reason from the server's "ended"), "mic_denied",
// "no_mic", "unsupported", "dropped" (the socket could not be restored), "replaced" (4409),
// "rejected" (4401/4403), "busy" (a call already runs), "failed" (a bug: 4400, a worklet error).
// onEvent receives every JSON message of the server, plus {type: "reconnecting"},
// {type: "reconnected"}, {type: "played", item_id, played_ms} when a buyer item has been played
// to its end, and {type: "mic_ended"} when the microphone went away.
//
// Barge-in has two steps. The server's VAD is the authority: on "speech_started" the player is
// cleared at once and the server is told how many ms of the buyer's item were played. Before
// that arrives (a round trip plus the server's VAD delay), loud mic input lasting ~120 ms while
// the buyer speaks only ducks the buyer's volume, so a cough or the echo of the buyer's own
// voice never cuts the buyer off; the volume comes back after ~400 ms of quiet.
(function () {
  if (window.quotahitVoice) return;

  const script = document.currentScript;
  const BASE = script && script.src ? new URL(".", script.src).href : "/voice/";

  const FRAME_BYTES = 1920; // 40 ms of PCM16 24 kHz, what the capture worklet posts
  const MAX_BUFFERED_BYTES = 32 * FRAME_BYTES; // beyond ~1.3 s of backlog, drop mic frames
  const LEVEL_EVERY_MS = 40; // the capture worklet's level cadence
  const DUCK_RMS = 0.03; // about -30 dBFS: speech into a laptop mic, well above room noise
  const DUCK_AFTER_MS = 120;
  const UNDUCK_AFTER_MS = 400;
  const DUCK_GAIN = 0.25;
  const PING_EVERY_MS = 15000;
  const CONNECT_TIMEOUT_MS = 10000;
  const RETRY_DELAYS_MS = [500, 1000, 2000];
  const HANGUP_WAIT_MS = 5000;
  const CLEAR_WAIT_MS = 300;
  const CLOSE_BAD_TICKET = 4401;
  const CLOSE_BAD_ORIGIN = 4403;
  const CLOSE_REPLACED = 4409;
  const CLOSE_MALFORMED = 4400;

  const MESSAGES = {
    mic_denied:
      "Your browser blocked the microphone for this site. Allow it: click the icon at the " +
      "left of the address bar (or open the browser's site settings for this page), set " +
      "Microphone to Allow, then start the call again.",
    no_mic:
      "No microphone was found. Plug one in (or pick it in your system's sound settings), " +
      "then start the call again.",
    mic_busy:
      "Your microphone could not be opened: another app or tab may be using it. Close it, " +
      "then start the call again.",
    unsupported:
      "Voice practice cannot run in this browser here: it needs microphone access, " +
      "AudioWorklet and WebSocket, which browsers only allow on https:// pages. Open the " +
      "https:// address in a current Chrome, Edge, Firefox or Safari.",
    dropped:
      "The connection to the call was lost and could not be restored. Check your network " +
      "and start a new call.",
    replaced: "This call was opened in another tab or window, so it was closed here.",
    rejected:
      "The call could not be authorised: the link expired or came from another site. " +
      "Reload the page and start again.",
    failed: "Voice practice stopped because of an unexpected error. Reload the page and retry.",
    busy: "A call is already running in this tab.",
  };
  const ENDED_MESSAGES = {
    rep: "You ended the call.",
    buyer: "The buyer ended the call.",
    max_length: "The call reached its time limit.",
    error: "The call stopped because of an error.",
    replaced: MESSAGES.replaced,
  };

  let current = null; // the call in progress
  let last = null; // the latest call, for stats() after it ended

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

  function supported() {
    return (
      window.isSecureContext !== false &&
      !!navigator.mediaDevices &&
      typeof navigator.mediaDevices.getUserMedia === "function" &&
      typeof window.AudioContext === "function" &&
      typeof window.AudioWorkletNode === "function" &&
      typeof window.WebSocket === "function"
    );
  }

  function micFailure(error) {
    const name = error && error.name;
    if (["NotAllowedError", "SecurityError", "PermissionDeniedError"].includes(name)) {
      return { outcome: "mic_denied", reason: name, message: MESSAGES.mic_denied };
    }
    if (["NotReadableError", "TrackStartError", "AbortError"].includes(name)) {
      return { outcome: "no_mic", reason: name, message: MESSAGES.mic_busy };
    }
    if (name === "TypeError") {
      return { outcome: "unsupported", reason: name, message: MESSAGES.unsupported };
    }
    return { outcome: "no_mic", reason: name || "unknown", message: MESSAGES.no_mic };
  }

  function newCall(options) {
    const call = {
      options,
      state: "starting",
      over: false,
      muted: false,
      ws: null,
      socketReady: false,
      everReady: false,
      hangingUp: false,
      resumeToken: null,
      serverError: null,
      currentItem: null, // the item whose binary frames are arriving now
      repSpeaking: false, // between the server's speech_started and speech_stopped
      stream: null,
      context: null,
      capture: null,
      player: null,
      gain: null,
      ducked: false,
      loudMs: 0,
      quietMs: 0,
      clearSeq: 0,
      pendingClears: new Map(),
      lastProgress: null,
      timers: [],
      startedAt: 0,
      cleanups: [],
      stats: {
        framesSent: 0,
        bytesSent: 0,
        audioBytesReceived: 0,
        itemsStarted: 0,
        itemsPlayed: 0,
        playedMs: 0,
        bargeIns: 0,
        playing: false,
        lastPlayback: null,
      },
    };
    call.promise = new Promise((resolve) => {
      call.resolve = resolve;
    });
    return call;
  }

  function emit(call, message) {
    const onEvent = call.options.onEvent;
    if (typeof onEvent !== "function") return;
    try {
      onEvent(message);
    } catch (error) {
      console.error("quotahitVoice: the onEvent callback failed", error);
    }
  }

  function element(id) {
    return id ? document.getElementById(id) : null;
  }

  function showElapsed(call) {
    const timer = element(call.options.timerId);
    if (!timer || !call.startedAt) return;
    const seconds = Math.floor((Date.now() - call.startedAt) / 1000);
    const mm = String(Math.floor(seconds / 60)).padStart(2, "0");
    timer.textContent = `${mm}:${String(seconds % 60).padStart(2, "0")}`;
  }

  // Who has the floor, for the page's "speaking" line (options.speakingId).
  const FLOOR = {
    buyer: "Buyer speaking",
    rep: "You're speaking",
    thinking: "Buyer thinking…",
    listening: "Listening",
  };

  function showFloor(call, who) {
    const line = element(call.options.speakingId);
    if (line && line.textContent !== FLOOR[who]) line.textContent = FLOOR[who];
  }

  function showLevel(call, rms) {
    const meter = element(call.options.levelId);
    if (!meter) return;
    // -60 dBFS .. 0 dBFS onto 0 .. 100 %.
    const db = rms > 0 ? 20 * Math.log10(rms) : -60;
    meter.style.width = `${Math.round(Math.max(0, Math.min(1, (db + 60) / 60)) * 100)}%`;
  }

  function send(call, message) {
    const ws = call.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(typeof message === "string" ? message : JSON.stringify(message));
    return true;
  }

  function release(call) {
    for (const timer of call.timers) clearInterval(timer);
    call.timers = [];
    for (const cleanup of call.cleanups.splice(0)) cleanup();
    for (const resolve of call.pendingClears.values()) resolve(null);
    call.pendingClears.clear();
    if (call.ws) {
      const ws = call.ws;
      call.ws = null;
      if (ws.readyState === WebSocket.CONNECTING || ws.readyState === WebSocket.OPEN) {
        ws.close(1000);
      }
    }
    if (call.stream) {
      for (const track of call.stream.getTracks()) track.stop();
      call.stream = null;
    }
    if (call.capture) call.capture.port.onmessage = null;
    if (call.player) call.player.port.onmessage = null;
    if (call.context) {
      call.context.close().catch(() => {});
      call.context = null;
    }
    call.stats.playing = false;
    showLevel(call, 0);
  }

  function finish(call, outcome, reason, message) {
    if (call.over) return;
    call.over = true;
    call.state = "over";
    release(call);
    if (current === call) current = null;
    call.resolve({ outcome, reason: reason || null, message: message || MESSAGES[outcome] || "" });
  }

  // Microphone and speaker.

  function duck(call, on) {
    if (!call.gain || call.ducked === on) return;
    call.ducked = on;
    call.gain.gain.setTargetAtTime(on ? DUCK_GAIN : 1, call.context.currentTime, 0.02);
  }

  function onLevel(call, rms) {
    showLevel(call, call.muted ? 0 : rms);
    if (call.muted || !call.stats.playing) {
      call.loudMs = 0;
      if (call.ducked && !call.stats.playing) duck(call, false);
      return;
    }
    if (rms >= DUCK_RMS) {
      call.loudMs += LEVEL_EVERY_MS;
      call.quietMs = 0;
      if (call.loudMs >= DUCK_AFTER_MS) duck(call, true);
    } else {
      call.loudMs = 0;
      call.quietMs += LEVEL_EVERY_MS;
      if (call.ducked && call.quietMs >= UNDUCK_AFTER_MS) duck(call, false);
    }
  }

  function onMicFrame(call, buffer) {
    const ws = call.ws;
    if (call.muted || !call.socketReady || !ws || ws.readyState !== WebSocket.OPEN) return;
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) return;
    ws.send(buffer);
    call.stats.framesSent++;
    call.stats.bytesSent += buffer.byteLength;
  }

  function onPlayerMessage(call, message) {
    if (message.type === "progress") {
      call.stats.playedMs = message.total_ms;
      if (message.item_id !== null) {
        call.lastProgress = { item_id: message.item_id, played_ms: message.played_ms };
      }
    } else if (message.type === "done") {
      call.stats.itemsPlayed++;
      call.stats.playedMs = message.total_ms;
      emit(call, { type: "played", item_id: message.item_id, played_ms: message.played_ms });
    } else if (message.type === "state") {
      call.stats.playing = message.playing;
      showFloor(call, message.playing ? "buyer" : call.repSpeaking ? "rep" : "listening");
    } else if (message.type === "cleared") {
      call.stats.playedMs = message.total_ms;
      const resolve = call.pendingClears.get(message.seq);
      call.pendingClears.delete(message.seq);
      if (resolve) resolve(message);
    }
  }

  // Stops the buyer now; resolves with the item that was playing or queued and its played ms.
  function clearPlayer(call) {
    const seq = ++call.clearSeq;
    const fallback = call.lastProgress;
    return new Promise((resolve) => {
      call.pendingClears.set(seq, resolve);
      call.player.port.postMessage({ type: "clear", seq });
      setTimeout(() => {
        if (!call.pendingClears.delete(seq)) return;
        resolve(fallback && { item_id: fallback.item_id, played_ms: fallback.played_ms });
      }, CLEAR_WAIT_MS);
    });
  }

  async function bargeIn(call) {
    call.currentItem = null; // frames of the interrupted item still in flight are dropped
    if (!call.player) return;
    const cleared = await clearPlayer(call);
    call.lastProgress = null;
    duck(call, false);
    if (call.over || !cleared || cleared.item_id === null) return;
    const playback = { type: "playback", item_id: cleared.item_id, played_ms: cleared.played_ms };
    call.stats.bargeIns++;
    call.stats.lastPlayback = { item_id: cleared.item_id, played_ms: cleared.played_ms };
    send(call, playback);
  }

  // The socket.

  function onServerMessage(call, message) {
    switch (message.type) {
      case "ready":
        call.socketReady = true;
        if (typeof message.resume_token === "string") call.resumeToken = message.resume_token;
        // The server's clock wins when it sends one: a resumed call goes on from its elapsed time.
        if (typeof message.elapsed_s === "number") {
          call.startedAt = Date.now() - message.elapsed_s * 1000;
        } else if (!call.everReady) {
          call.startedAt = Date.now();
        }
        call.everReady = true;
        showElapsed(call);
        call.state = "live";
        showFloor(call, call.stats.playing ? "buyer" : "listening");
        if (call.muted) send(call, { type: "mute", muted: true });
        break;
      case "speech_started":
        call.repSpeaking = true;
        showFloor(call, "rep");
        bargeIn(call);
        break;
      case "speech_stopped":
        call.repSpeaking = false;
        if (!call.stats.playing) showFloor(call, "thinking");
        break;
      case "audio_start":
        call.currentItem = message.item_id;
        call.stats.itemsStarted++;
        duck(call, false);
        call.player.port.postMessage({ type: "start", item_id: message.item_id });
        break;
      case "audio_done":
        if (call.currentItem === message.item_id) call.currentItem = null;
        call.player.port.postMessage({ type: "end", item_id: message.item_id });
        break;
      case "error":
        call.serverError = message.message || null;
        break;
      case "ended": {
        const reason = message.reason || "rep";
        const text =
          reason === "error" && call.serverError ? call.serverError : ENDED_MESSAGES[reason];
        emit(call, message);
        finish(call, "ended", reason, text);
        return;
      }
      default:
        break;
    }
    emit(call, message);
  }

  function onBinary(call, buffer) {
    call.stats.audioBytesReceived += buffer.byteLength;
    if (call.currentItem === null || !call.player) return;
    call.player.port.postMessage({ type: "chunk", item_id: call.currentItem, buffer }, [buffer]);
  }

  // Opens a socket; resolves {ok: true} on the server's "ready", or {ok: false, code} when the
  // socket closed before it. A socket that closes after "ready" goes to onDisconnect.
  function openSocket(call, url) {
    return new Promise((resolve) => {
      let ws;
      try {
        ws = new WebSocket(url);
      } catch (error) {
        resolve({ ok: false, code: 0 });
        return;
      }
      ws.binaryType = "arraybuffer";
      call.ws = ws;
      call.socketReady = false;
      const giveUp = setTimeout(() => {
        if (call.ws === ws && !call.socketReady) ws.close();
      }, CONNECT_TIMEOUT_MS);
      ws.onmessage = (event) => {
        if (call.ws !== ws || call.over) return;
        if (typeof event.data !== "string") {
          onBinary(call, event.data);
          return;
        }
        let message;
        try {
          message = JSON.parse(event.data);
        } catch (error) {
          return;
        }
        if (!message || typeof message.type !== "string") return;
        onServerMessage(call, message);
        if (message.type === "ready") {
          clearTimeout(giveUp);
          resolve({ ok: true });
        }
      };
      ws.onclose = (event) => {
        clearTimeout(giveUp);
        const wasReady = call.ws === ws && call.socketReady;
        if (call.ws === ws) {
          call.ws = null;
          call.socketReady = false;
        }
        if (!wasReady) {
          resolve({ ok: false, code: event.code });
        } else if (!call.over) {
          onDisconnect(call, event.code, false);
        }
      };
    });
  }

  function onDisconnect(call, code, reconnecting) {
    if (call.over) return;
    if (code === CLOSE_REPLACED) {
      finish(call, "replaced", "replaced");
    } else if (code === CLOSE_MALFORMED) {
      finish(call, "failed", "malformed");
    } else if (code === CLOSE_BAD_TICKET || code === CLOSE_BAD_ORIGIN) {
      if (reconnecting) finish(call, "dropped", "resume_rejected");
      else finish(call, "rejected", code === CLOSE_BAD_TICKET ? "bad_ticket" : "bad_origin");
    } else if (call.hangingUp) {
      finish(call, "ended", "rep", ENDED_MESSAGES.rep);
    } else if (!reconnecting) {
      reconnect(call);
    }
  }

  async function reconnect(call) {
    call.state = "reconnecting";
    call.currentItem = null;
    emit(call, { type: "reconnecting" });
    for (const delay of RETRY_DELAYS_MS) {
      await sleep(delay);
      if (call.over) return;
      let url = call.options.url;
      if (call.resumeToken && typeof call.options.resumeUrl === "function") {
        url = call.options.resumeUrl(call.resumeToken);
      }
      const result = await openSocket(call, url);
      if (call.over) return;
      if (result.ok) {
        emit(call, { type: "reconnected" });
        return;
      }
      onDisconnect(call, result.code, true);
      if (call.over) return;
    }
    finish(call, "dropped", "reconnect_failed");
  }

  // Setting up.

  async function audioGraph(call) {
    let context = null;
    let source;
    try {
      context = new AudioContext({ sampleRate: 24000, latencyHint: "interactive" });
      call.context = context;
      source = context.createMediaStreamSource(call.stream);
    } catch (error) {
      // Firefox refuses to connect a microphone to a context at another rate than the mic's,
      // and a browser may not offer 24 kHz at all: use the default rate; the worklets resample.
      if (context) context.close().catch(() => {});
      context = new AudioContext({ latencyHint: "interactive" });
      call.context = context;
      source = context.createMediaStreamSource(call.stream);
    }
    await context.audioWorklet.addModule(BASE + "capture-worklet.js");
    await context.audioWorklet.addModule(BASE + "player-worklet.js");
    if (call.over) return;

    const capture = new AudioWorkletNode(context, "quotahit-capture", {
      numberOfInputs: 1,
      numberOfOutputs: 1,
      channelCount: 1,
      channelCountMode: "explicit",
    });
    capture.port.onmessage = (event) => {
      if (event.data instanceof ArrayBuffer) onMicFrame(call, event.data);
      else if (event.data.type === "level") onLevel(call, event.data.rms);
    };
    const player = new AudioWorkletNode(context, "quotahit-player", {
      numberOfInputs: 0,
      numberOfOutputs: 1,
      outputChannelCount: [1],
    });
    player.port.onmessage = (event) => onPlayerMessage(call, event.data);
    const failed = () => finish(call, "failed", "audio_worklet");
    capture.onprocessorerror = failed;
    player.onprocessorerror = failed;
    const gain = context.createGain();
    source.connect(capture);
    // The capture node outputs silence; connecting it keeps it pulled by the graph.
    capture.connect(context.destination);
    player.connect(gain).connect(context.destination);
    Object.assign(call, { capture, player, gain });

    if (context.state !== "running") {
      // Without a recent click the autoplay policy starts a context suspended: the next
      // click or key press anywhere on the page resumes it.
      context.resume().catch(() => {});
      const resume = () => {
        if (call.context) call.context.resume().catch(() => {});
      };
      document.addEventListener("pointerdown", resume, true);
      document.addEventListener("keydown", resume, true);
      call.cleanups.push(() => {
        document.removeEventListener("pointerdown", resume, true);
        document.removeEventListener("keydown", resume, true);
      });
    }
  }

  async function run(call) {
    const options = call.options;
    if (!supported()) {
      finish(call, "unsupported", "unsupported");
      return;
    }
    try {
      call.stream = await navigator.mediaDevices.getUserMedia({
        audio: {
          echoCancellation: true,
          noiseSuppression: true,
          autoGainControl: true,
          channelCount: 1,
        },
      });
    } catch (error) {
      const failure = micFailure(error);
      finish(call, failure.outcome, failure.reason, failure.message);
      return;
    }
    if (call.over) {
      release(call);
      return;
    }
    for (const track of call.stream.getAudioTracks()) {
      track.addEventListener("ended", () => emit(call, { type: "mic_ended" }));
    }
    await audioGraph(call);
    if (call.over) {
      release(call);
      return;
    }

    call.state = "connecting";
    call.timers.push(setInterval(() => showElapsed(call), 1000));
    call.timers.push(setInterval(() => send(call, { type: "ping" }), PING_EVERY_MS));
    const leave = () => send(call, { type: "end" });
    window.addEventListener("pagehide", leave);
    call.cleanups.push(() => window.removeEventListener("pagehide", leave));

    const first = await openSocket(call, options.url);
    if (call.over || first.ok) return;
    onDisconnect(call, first.code, false);
  }

  function start(options) {
    if (current) {
      return Promise.resolve({ outcome: "busy", reason: null, message: MESSAGES.busy });
    }
    if (!options || typeof options.url !== "string") {
      console.error("quotahitVoice.start needs {url}");
      return Promise.resolve({ outcome: "failed", reason: "no_url", message: MESSAGES.failed });
    }
    const call = newCall(options);
    current = call;
    last = call;
    run(call).catch((error) => {
      if (call.over) return;
      console.error("quotahitVoice: the call failed", error);
      finish(call, "failed", (error && error.name) || "error");
    });
    return call.promise;
  }

  function hangup() {
    const call = current;
    if (!call) return Promise.resolve(null);
    call.hangingUp = true;
    if (call.socketReady && send(call, { type: "end" })) {
      setTimeout(() => finish(call, "ended", "rep", ENDED_MESSAGES.rep), HANGUP_WAIT_MS);
    } else {
      finish(call, "ended", "rep", ENDED_MESSAGES.rep);
    }
    return call.promise;
  }

  function setMuted(muted) {
    const call = current;
    if (!call) return;
    call.muted = !!muted;
    if (call.capture) call.capture.port.postMessage({ type: "mute", muted: call.muted });
    if (call.muted) showLevel(call, 0);
    if (call.socketReady) send(call, { type: "mute", muted: call.muted });
  }

  function stats() {
    const call = current || last;
    if (!call) return null;
    return {
      ...call.stats,
      lastPlayback: call.stats.lastPlayback && { ...call.stats.lastPlayback },
      ducked: call.ducked,
      state: call.state,
    };
  }

  window.quotahitVoice = {
    start,
    hangup,
    setMuted,
    active: () => current !== null,
    stats,
  };
})();
