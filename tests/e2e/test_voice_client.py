"""The browser's voice client (assets/voice/*.js) against a scripted backend, without the app.

A tiny HTTP server serves a bare page and the scripts; a `websockets` server plays the backend's
side of quotahit/voice/protocol.py, one script per test. Chromium's fake microphone plays a WAV in
a loop: espeak-ng speech, or a steady tone where the test measures the sample rate. The
microphone permission is granted per browser context, so one browser serves the tests where the
rep allows the microphone and the one where the rep refuses it.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from tests.support.app_server import CHROMIUM, CHROMIUM_ARGS, ROOT
from tests.support.speech_audio import speech_wav, tone_pcm, tone_wav

VOICE_ASSETS = ROOT / "assets" / "voice"
FRAME_BYTES = 1920  # 40 ms of PCM16 24 kHz
WIRE_RATE = 24_000  # the protocol's rate, both ways
WAIT_S = 15.0
INSECURE_HOST = "voice-client.test"  # resolved to 127.0.0.1 by Chromium: a plain-http origin
MIC_TONE_HZ = 1_000
FORCED_RATE = """
const NativeAudioContext = window.AudioContext;
window.AudioContext = class extends NativeAudioContext {
  constructor(options) { super({ ...options, sampleRate: RATE }); }
};
"""
CONTEXT_RATE = """async () => {
  const context = new AudioContext({ sampleRate: 24000 });
  await context.close();
  return context.sampleRate;
}"""
SPEECH = "Hi Sarah, thanks for taking my call. Do you have two minutes to talk about onboarding?"

PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>voice client</title>
<script src="/voice/voice-call.js"></script></head>
<body><span id="timer">--:--</span><div id="level" style="width:0"></div>
<script>
window.events = [];
window.result = null;
window.startCall = (url) => {
  window.quotahitVoice
    .start({
      url,
      resumeUrl: (token) => url.split("?")[0] + "?resume=" + encodeURIComponent(token),
      timerId: "timer",
      levelId: "level",
      onEvent: (message) => window.events.push(message),
    })
    .then((result) => { window.result = result; });
};
</script></body></html>
"""


# The page and the scripts.


class _AssetHandler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path == "/":
            body, kind = PAGE.encode(), "text/html; charset=utf-8"
        elif path.startswith("/voice/") and (VOICE_ASSETS / path.removeprefix("/voice/")).is_file():
            body, kind = (
                (VOICE_ASSETS / path.removeprefix("/voice/")).read_bytes(),
                "text/javascript",
            )
        elif path == "/favicon.ico":
            body, kind = b"", "image/x-icon"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test output is about the client."""


@pytest.fixture(scope="module")
def page_port() -> Iterator[int]:
    """Port of the HTTP server with the test page at / and the scripts under /voice/."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _AssetHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


# The scripted backend.


@dataclass
class Connection:
    """One websocket from the browser and everything it sent."""

    ws: ServerConnection
    path: str
    backend: FakeVoiceBackend
    frames: list[bytes] = field(default_factory=list)
    frame_times: list[float] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    closed: threading.Event = field(default_factory=threading.Event)

    def send(self, kind: str, **fields: Any) -> None:
        self.ws.send(json.dumps({"type": kind, **fields}))

    def ready(
        self, *, resume_token: str = "resume-1", resumed: bool = False, **fields: Any
    ) -> None:
        self.send(
            "ready",
            engine="local",
            model="test",
            voice="test",
            max_seconds=600,
            session_id="session-1",
            resumed=resumed,
            resume_token=resume_token,
            **fields,
        )

    def send_item(self, item_id: str, pcm: bytes, *, done: bool = True) -> None:
        """The buyer's audio as the backend sends it: faster than real time, in 100 ms frames."""
        self.send("audio_start", item_id=item_id)
        for offset in range(0, len(pcm), 4_800):
            self.ws.send(pcm[offset : offset + 4_800])
        if done:
            self.send("audio_done", item_id=item_id)

    def messages_of(self, kind: str) -> list[dict[str, Any]]:
        return [message for message in self.messages if message["type"] == kind]

    def wait_frames(self, count: int) -> None:
        self.backend.wait(lambda: len(self.frames) >= count, f"{count} mic frames")

    def wait_message(self, kind: str) -> dict[str, Any]:
        self.backend.wait(lambda: bool(self.messages_of(kind)), f"a {kind!r} message")
        return self.messages_of(kind)[0]

    def abort(self) -> None:
        """Drop the TCP connection without a closing handshake, as a network failure would."""
        self.ws.socket.shutdown(socket.SHUT_RDWR)


Script = Callable[[Connection], None]


class FakeVoiceBackend:
    """A websocket server running `scripts[n]` for the n-th connection (the last one after)."""

    def __init__(self) -> None:
        self.scripts: list[Script] = []
        self.connections: list[Connection] = []
        self.errors: list[BaseException] = []
        self._changed = threading.Condition()
        self._server: Server = serve(self._handle, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self._server.socket.getsockname()[1]}/api/voice/ws?ticket=t-1"

    def wait(self, condition: Callable[[], bool], what: str, timeout: float = WAIT_S) -> None:
        with self._changed:
            if not self._changed.wait_for(condition, timeout):
                raise AssertionError(f"the backend did not see {what} within {timeout}s")

    def connection(self, index: int) -> Connection:
        self.wait(lambda: len(self.connections) > index, f"connection #{index + 1}")
        return self.connections[index]

    def _handle(self, ws: ServerConnection) -> None:
        connection = Connection(ws, ws.request.path if ws.request else "", self)
        with self._changed:
            index = len(self.connections)
            self.connections.append(connection)
            self._changed.notify_all()
        receiver = threading.Thread(target=self._receive, args=(connection,), daemon=True)
        receiver.start()
        try:
            if self.scripts:
                self.scripts[min(index, len(self.scripts) - 1)](connection)
        except ConnectionClosed:
            pass
        except BaseException as error:
            self.errors.append(error)
        connection.closed.wait(WAIT_S * 4)

    def _receive(self, connection: Connection) -> None:
        try:
            for message in connection.ws:
                with self._changed:
                    if isinstance(message, bytes):
                        connection.frames.append(message)
                        connection.frame_times.append(time.monotonic())
                    else:
                        connection.messages.append(json.loads(message))
                    self._changed.notify_all()
        except (ConnectionClosed, OSError):
            pass
        finally:
            connection.closed.set()
            with self._changed:
                self._changed.notify_all()

    def close(self) -> None:
        for connection in self.connections:
            connection.closed.set()
            connection.ws.close()
        self._server.shutdown()
        self._thread.join(timeout=10)


@pytest.fixture
def backend() -> Iterator[FakeVoiceBackend]:
    fake = FakeVoiceBackend()
    try:
        yield fake
    finally:
        fake.close()
    assert not fake.errors, fake.errors


# The browser.


@pytest.fixture(autouse=True)
def _default_timeout() -> None:
    """Replaces the e2e conftest's, which would open a page in a browser without a microphone."""


@contextmanager
def launched_browser(playwright: Playwright, microphone_file: Path) -> Iterator[Browser]:
    """Chromium whose microphone plays `microphone_file`; permission is up to each context."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: run `bash scripts/system-deps.sh`")
    browser = playwright.chromium.launch(
        executable_path=CHROMIUM,
        headless=True,
        args=[
            *CHROMIUM_ARGS,
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-audio-capture={microphone_file}",
            "--autoplay-policy=no-user-gesture-required",
            f"--host-resolver-rules=MAP {INSECURE_HOST} 127.0.0.1",
        ],
    )
    try:
        yield browser
    finally:
        browser.close()


@pytest.fixture(scope="module")
def voice_browser(
    playwright: Playwright, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Browser]:
    """A browser whose microphone says `SPEECH` over and over."""
    speech = speech_wav(
        tmp_path_factory.mktemp("voice") / "speech.wav",
        SPEECH,
        leading_silence_s=0.2,
        trailing_silence_s=0.8,
    )
    with launched_browser(playwright, speech) as browser:
        yield browser


@pytest.fixture(scope="module")
def tone_browser(
    playwright: Playwright, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Browser]:
    """A browser whose microphone plays a steady tone of `MIC_TONE_HZ`."""
    tone = tone_wav(tmp_path_factory.mktemp("voice") / "tone.wav", 2.0, frequency=MIC_TONE_HZ)
    with launched_browser(playwright, tone) as browser:
        yield browser


@contextmanager
def open_page(
    browser: Browser, url: str, permissions: list[str], *, context_rate: int | None = None
) -> Iterator[Page]:
    """A page in a fresh context with these permissions; fails on any console error.

    With `context_rate`, every AudioContext runs at that rate whatever it asks for, as in a
    browser that cannot honour 24 kHz: the worklets must then resample.
    """
    context: BrowserContext = browser.new_context(permissions=permissions)
    page = context.new_page()
    page.set_default_timeout(WAIT_S * 1000)
    if context_rate is not None:
        page.add_init_script(FORCED_RATE.replace("RATE", str(context_rate)))
    errors: list[str] = []
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    try:
        yield page
    finally:
        context.close()
    assert not errors, errors


@pytest.fixture
def page(voice_browser: Browser, page_port: int) -> Iterator[Page]:
    """The test page, with the microphone allowed; fails on any console error."""
    with open_page(voice_browser, f"http://127.0.0.1:{page_port}/", ["microphone"]) as page:
        yield page


def start_call(page: Page, backend: FakeVoiceBackend) -> None:
    page.evaluate("url => window.startCall(url)", backend.url)


def live_call(page: Page, backend: FakeVoiceBackend, *, frames: int) -> Connection:
    """A call the backend only answers with "ready", once `frames` mic frames have arrived."""
    backend.scripts = [Connection.ready]
    start_call(page, backend)
    connection = backend.connection(0)
    connection.wait_frames(frames)
    return connection


def call_result(page: Page, timeout_s: float = WAIT_S) -> dict[str, Any]:
    page.wait_for_function("() => window.result !== null", timeout=timeout_s * 1000)
    return page.evaluate("() => window.result")


def stats(page: Page) -> dict[str, Any]:
    return page.evaluate("() => window.quotahitVoice.stats()")


def wait_stats(page: Page, condition: str) -> dict[str, Any]:
    """Wait until `condition`, a JS expression over `s` (the stats), holds; return the stats."""
    page.wait_for_function(
        f"() => {{ const s = window.quotahitVoice.stats(); return {condition}; }}"
    )
    return stats(page)


def events(page: Page) -> list[dict[str, Any]]:
    return page.evaluate("() => window.events")


def rms(pcm: bytes) -> float:
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float64)
    return float(np.sqrt(np.mean(samples**2))) if samples.size else 0.0


def hang_up(page: Page, connection: Connection) -> dict[str, Any]:
    """The rep hangs up; the backend confirms as the real one does."""
    page.evaluate("() => { window.quotahitVoice.hangup(); }")
    connection.wait_message("end")
    connection.send("ended", reason="rep", session_id="session-1")
    connection.ws.close()
    return call_result(page)


# The tests.


def test_mic_audio_reaches_the_backend_as_pcm16_24khz(page: Page, backend: FakeVoiceBackend):
    connection = live_call(page, backend, frames=75)

    frames = connection.frames[:75]
    assert {len(frame) for frame in frames} == {FRAME_BYTES}
    # Speech from the fake microphone, not silence: the loud 40 ms frames are well above -40 dBFS.
    levels = sorted(rms(frame) for frame in frames)
    assert levels[-10] > 500, levels[-10:]
    # Frames of 960 samples arrive 25 times a second: the samples are 24 kHz ones.
    span = connection.frame_times[74] - connection.frame_times[25]
    assert 49 * 0.040 * 0.8 < span < 49 * 0.040 * 1.25, span

    page.wait_for_function("() => /^00:0[1-9]$/.test(document.getElementById('timer').textContent)")
    page.wait_for_function("() => parseFloat(document.getElementById('level').style.width) > 0")
    sent = stats(page)
    assert sent["framesSent"] >= 75
    assert sent["bytesSent"] == sent["framesSent"] * FRAME_BYTES
    assert hang_up(page, connection)["outcome"] == "ended"


@pytest.mark.parametrize("context_rate", [None, 44_100, 48_000])
def test_the_mic_is_sent_at_24khz_whatever_the_context_rate(
    tone_browser: Browser, page_port: int, backend: FakeVoiceBackend, context_rate: int | None
):
    url = f"http://127.0.0.1:{page_port}/"
    with open_page(tone_browser, url, ["microphone"], context_rate=context_rate) as page:
        connection = live_call(page, backend, frames=100)
        assert page.evaluate(CONTEXT_RATE) == (context_rate or 24_000)

        samples = np.frombuffer(b"".join(connection.frames[25:100]), dtype="<i2")
        spectrum = np.abs(np.fft.rfft(samples.astype(np.float64)))
        peak_hz = np.fft.rfftfreq(samples.size, 1 / WIRE_RATE)[spectrum.argmax()]
        assert abs(peak_hz - MIC_TONE_HZ) < 5, peak_hz
        assert rms(samples.tobytes()) > 500  # noise suppression damps a steady tone
        assert hang_up(page, connection)["outcome"] == "ended"


@pytest.mark.parametrize("context_rate", [None, 44_100])
def test_buyer_audio_is_played_in_real_time(
    voice_browser: Browser, page_port: int, backend: FakeVoiceBackend, context_rate: int | None
):
    with open_page(
        voice_browser, f"http://127.0.0.1:{page_port}/", ["microphone"], context_rate=context_rate
    ) as page:
        play_buyer_item(page, backend)


def play_buyer_item(page: Page, backend: FakeVoiceBackend) -> None:
    item = tone_pcm(2.0, rate=WIRE_RATE)

    def script(connection: Connection) -> None:
        connection.ready()
        connection.send_item("item-1", item)

    backend.scripts = [script]
    start_call(page, backend)
    connection = backend.connection(0)
    assert wait_stats(page, "s.playing")["itemsStarted"] == 1
    started = time.monotonic()
    # The fake microphone talks over the buyer: the buyer gets quieter but is not cut off.
    wait_stats(page, "s.playing && s.ducked")

    done = wait_stats(page, "s.itemsPlayed === 1")
    assert time.monotonic() - started > 1.5
    assert 1_900 <= done["playedMs"] <= 2_100, done
    assert done["audioBytesReceived"] == len(item)
    assert done["bargeIns"] == 0
    assert {"type": "played", "item_id": "item-1", "played_ms": 2000} in events(page)
    assert not wait_stats(page, "!s.playing")["playing"]
    assert connection.messages_of("playback") == []
    assert hang_up(page, connection)["outcome"] == "ended"


def test_speech_started_stops_the_buyer_and_reports_what_was_heard(
    page: Page, backend: FakeVoiceBackend
):
    item = tone_pcm(3.0, rate=WIRE_RATE)

    def script(connection: Connection) -> None:
        connection.ready()
        connection.send_item("item-1", item[: len(item) // 2], done=False)

    backend.scripts = [script]
    start_call(page, backend)
    connection = backend.connection(0)
    wait_stats(page, "s.playedMs >= 800")
    connection.send("speech_started")
    playback = connection.wait_message("playback")

    assert playback["item_id"] == "item-1"
    assert 800 <= playback["played_ms"] < 1_500, playback
    # The rest of the item, already on its way, is dropped rather than played after the barge-in.
    connection.ws.send(item[len(item) // 2 :])
    connection.send("audio_done", item_id="item-1")
    connection.send("truncated", item_id="item-1", text="Hello, this is")
    page.wait_for_function("() => window.events.some(e => e.type === 'truncated')")
    after = stats(page)
    assert not after["playing"]
    assert after["bargeIns"] == 1
    assert after["itemsPlayed"] == 0
    assert after["lastPlayback"] == {"item_id": "item-1", "played_ms": playback["played_ms"]}
    assert after["audioBytesReceived"] == len(item)
    time.sleep(0.3)
    assert stats(page)["playedMs"] == after["playedMs"]

    connection.send("speech_started")
    connection.send("speech_stopped")
    page.wait_for_function("() => window.events.some(e => e.type === 'speech_stopped')")
    assert len(connection.messages_of("playback")) == 1, "nothing was playing the second time"
    assert hang_up(page, connection)["outcome"] == "ended"


def test_muting_stops_the_frames(page: Page, backend: FakeVoiceBackend):
    connection = live_call(page, backend, frames=10)

    page.evaluate("() => window.quotahitVoice.setMuted(true)")
    assert connection.wait_message("mute") == {"type": "mute", "muted": True}
    muted_at = len(connection.frames)
    time.sleep(1.0)
    assert len(connection.frames) == muted_at
    page.wait_for_function("() => document.getElementById('level').style.width === '0%'")

    page.evaluate("() => window.quotahitVoice.setMuted(false)")
    connection.wait_frames(muted_at + 10)
    assert connection.messages_of("mute")[-1] == {"type": "mute", "muted": False}
    assert hang_up(page, connection)["outcome"] == "ended"


def test_hanging_up_waits_for_ended(page: Page, backend: FakeVoiceBackend):
    connection = live_call(page, backend, frames=5)

    assert page.evaluate("() => window.quotahitVoice.active()")
    result = hang_up(page, connection)
    assert result == {"outcome": "ended", "reason": "rep", "message": "You ended the call."}
    assert not page.evaluate("() => window.quotahitVoice.active()")
    assert stats(page)["state"] == "over"
    assert [message["type"] for message in connection.messages] == ["end"]


def test_the_backend_ending_the_call(page: Page, backend: FakeVoiceBackend):
    def script(connection: Connection) -> None:
        connection.ready()
        connection.wait_frames(5)
        connection.send("ended", reason="max_length", session_id="session-1")
        connection.ws.close()

    backend.scripts = [script]
    start_call(page, backend)
    result = call_result(page)
    assert result == {
        "outcome": "ended",
        "reason": "max_length",
        "message": "The call reached its time limit.",
    }
    assert events(page)[-1]["type"] == "ended"


def test_a_second_call_while_one_runs_is_refused(page: Page, backend: FakeVoiceBackend):
    backend.scripts = [Connection.ready]
    start_call(page, backend)
    connection = backend.connection(0)
    second = page.evaluate("url => window.quotahitVoice.start({url})", backend.url)
    assert second["outcome"] == "busy"
    connection.wait_frames(5)
    assert hang_up(page, connection)["outcome"] == "ended"
    assert len(backend.connections) == 1


def test_a_refused_microphone_tells_the_rep_how_to_allow_it(
    voice_browser: Browser, page_port: int, backend: FakeVoiceBackend
):
    with open_page(voice_browser, f"http://127.0.0.1:{page_port}/", []) as page:
        start_call(page, backend)
        result = call_result(page)
        assert result["outcome"] == "mic_denied"
        assert "Microphone to Allow" in result["message"]
        assert "site settings" in result["message"]
        assert not page.evaluate("() => window.quotahitVoice.active()")
    assert backend.connections == []


def test_an_insecure_page_is_unsupported(
    voice_browser: Browser, page_port: int, backend: FakeVoiceBackend
):
    url = f"http://{INSECURE_HOST}:{page_port}/"
    with open_page(voice_browser, url, []) as page:
        start_call(page, backend)
        result = call_result(page)
        assert result["outcome"] == "unsupported"
        assert "https://" in result["message"]
    assert backend.connections == []


def test_a_dropped_socket_resumes_with_the_token(page: Page, backend: FakeVoiceBackend):
    def first(connection: Connection) -> None:
        connection.ready(resume_token="token-abc")
        connection.wait_frames(10)
        connection.abort()

    def second(connection: Connection) -> None:
        connection.ready(resume_token="token-def", resumed=True, elapsed_s=65.2)

    backend.scripts = [first, second]
    start_call(page, backend)
    resumed = backend.connection(1)
    assert resumed.path == "/api/voice/ws?resume=token-abc"
    resumed.wait_frames(10)
    page.wait_for_function("() => window.events.some(e => e.type === 'reconnected')")
    kinds = [event["type"] for event in events(page)]
    assert kinds.index("reconnecting") < kinds.index("reconnected")
    assert stats(page)["state"] == "live"
    assert {len(frame) for frame in resumed.frames} == {FRAME_BYTES}
    assert page.locator("#timer").inner_text() in ("01:05", "01:06", "01:07")
    assert hang_up(page, resumed)["outcome"] == "ended"


def test_a_socket_that_cannot_come_back_is_dropped(page: Page, backend: FakeVoiceBackend):
    def first(connection: Connection) -> None:
        connection.ready()
        connection.wait_frames(5)
        connection.abort()

    def later(connection: Connection) -> None:
        connection.abort()

    backend.scripts = [first, later]
    started = time.monotonic()
    start_call(page, backend)
    result = call_result(page, timeout_s=20)
    assert result["outcome"] == "dropped"
    assert "could not be restored" in result["message"]
    assert len(backend.connections) == 4
    assert time.monotonic() - started > 3.0  # 0.5 s + 1 s + 2 s of backoff
    assert [e["type"] for e in events(page)].count("reconnecting") == 1


@pytest.mark.parametrize(
    ("code", "outcome"), [(4409, "replaced"), (4401, "rejected"), (4403, "rejected")]
)
def test_close_codes(page: Page, backend: FakeVoiceBackend, code: int, outcome: str):
    def script(connection: Connection) -> None:
        if code == 4409:
            connection.ready()
            connection.wait_frames(3)
        connection.ws.close(code, "")

    backend.scripts = [script]
    start_call(page, backend)
    result = call_result(page)
    assert result["outcome"] == outcome
    assert result["message"]
    assert len(backend.connections) == 1
    assert not page.evaluate("() => window.quotahitVoice.active()")
