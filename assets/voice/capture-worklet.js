// Voice practice, microphone side: turns the mic into PCM16 LE mono 24 kHz frames of 40 ms
// (960 samples, 1920 bytes) and posts them to the main thread, which sends them on the socket.
// The AudioContext is asked for 24 kHz so the browser resamples; a context that ended up at
// another rate is resampled here, linearly (no low-pass: speech recognition does not mind).
// Messages out: ArrayBuffer (a frame, transferred) and {type: "level", rms} every 40 ms.
// Messages in: {type: "mute", muted}. While muted nothing is posted but the level.
const TARGET_RATE = 24000;
const FRAME_SAMPLES = 960;

class QuotahitCapture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = sampleRate / TARGET_RATE; // input samples per output sample
    this.position = 0; // where the next output sample lies, relative to this block's start
    this.previous = 0; // last input sample of the previous block (index -1)
    this.frame = new Int16Array(FRAME_SAMPLES);
    this.filled = 0;
    this.muted = false;
    this.levelEvery = Math.round(sampleRate * 0.04);
    this.levelSquares = 0;
    this.levelCount = 0;
    this.port.onmessage = (event) => {
      if (event.data && event.data.type === "mute") {
        this.muted = !!event.data.muted;
        this.filled = 0;
      }
    };
  }

  push(value) {
    const clamped = value > 1 ? 1 : value < -1 ? -1 : value;
    this.frame[this.filled++] = clamped < 0 ? clamped * 0x8000 : clamped * 0x7fff;
    if (this.filled === FRAME_SAMPLES) {
      const buffer = this.frame.buffer;
      this.port.postMessage(buffer, [buffer]);
      this.frame = new Int16Array(FRAME_SAMPLES);
      this.filled = 0;
    }
  }

  measure(channel) {
    for (let i = 0; i < channel.length; i++) this.levelSquares += channel[i] * channel[i];
    this.levelCount += channel.length;
    if (this.levelCount >= this.levelEvery) {
      const rms = this.muted ? 0 : Math.sqrt(this.levelSquares / this.levelCount);
      this.port.postMessage({ type: "level", rms });
      this.levelSquares = 0;
      this.levelCount = 0;
    }
  }

  process(inputs) {
    const channel = inputs[0] && inputs[0][0];
    if (!channel) return true;
    this.measure(channel);
    if (this.muted) return true;
    if (this.step === 1) {
      for (let i = 0; i < channel.length; i++) this.push(channel[i]);
      return true;
    }
    const last = channel.length - 1;
    let t = this.position;
    while (t < last) {
      const index = Math.floor(t);
      const left = index < 0 ? this.previous : channel[index];
      const right = channel[index + 1];
      this.push(left + (right - left) * (t - index));
      t += this.step;
    }
    this.position = t - channel.length;
    this.previous = channel[last];
    return true;
  }
}

registerProcessor("quotahit-capture", QuotahitCapture);
