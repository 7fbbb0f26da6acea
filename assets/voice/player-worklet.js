// Voice practice, speaker side: plays the buyer's PCM16 24 kHz items back to back from a queue,
// without gaps, and counts how much of each item has been rendered so that a barge-in can tell
// the server where the rep cut the buyer off. A context not at 24 kHz is resampled linearly.
// Messages in:  {type: "start", item_id}  an item begins; chunks of unknown items are dropped
//               {type: "chunk", item_id, buffer}  PCM16 LE mono 24 kHz (ArrayBuffer, transferred)
//               {type: "end", item_id}  the item has no more chunks
//               {type: "clear", seq}  stop at once and forget everything queued
// Messages out: {type: "progress", item_id, played_ms, total_ms}  every ~50 ms while playing
//               {type: "done", item_id, played_ms, total_ms}  an ended item was fully played
//               {type: "state", playing}  audio started or stopped coming out
//               {type: "cleared", seq, item_id, played_ms, total_ms}  item_id is the item that
//                 was playing or queued (null when none), played_ms how much of it was rendered
const SOURCE_RATE = 24000;
const SAMPLES_PER_MS = SOURCE_RATE / 1000;
const PROGRESS_EVERY = SOURCE_RATE / 20;

class QuotahitPlayer extends AudioWorkletProcessor {
  constructor() {
    super();
    this.step = SOURCE_RATE / sampleRate; // source samples per output sample
    this.queue = []; // {itemId, samples: Int16Array, offset}
    this.items = new Map(); // itemId -> {played, ended}, in start order
    this.totalPlayed = 0;
    this.sinceProgress = 0;
    this.playing = false;
    // Linear interpolation between the last two source samples taken; `frac` ≥ 1 asks for more.
    this.a = 0;
    this.b = 0;
    this.frac = 1;
    this.port.onmessage = (event) => this.receive(event.data);
  }

  receive(message) {
    if (message.type === "start") {
      this.items.set(message.item_id, { played: 0, ended: false });
    } else if (message.type === "chunk") {
      if (!this.items.has(message.item_id) || !message.buffer.byteLength) return;
      const samples = new Int16Array(message.buffer, 0, message.buffer.byteLength >> 1);
      this.queue.push({ itemId: message.item_id, samples, offset: 0 });
    } else if (message.type === "end") {
      const item = this.items.get(message.item_id);
      if (!item) return;
      item.ended = true;
      const queued = this.queue.some((chunk) => chunk.itemId === message.item_id);
      if (!queued) this.finish(message.item_id);
    } else if (message.type === "clear") {
      const first = this.items.keys().next();
      const itemId = first.done ? null : first.value;
      const played = itemId === null ? 0 : this.items.get(itemId).played;
      this.queue = [];
      this.items.clear();
      this.a = this.b = 0;
      this.frac = 1;
      this.setPlaying(false);
      this.port.postMessage({
        type: "cleared",
        seq: message.seq,
        item_id: itemId,
        played_ms: Math.round(played / SAMPLES_PER_MS),
        total_ms: Math.round(this.totalPlayed / SAMPLES_PER_MS),
      });
    }
  }

  finish(itemId) {
    const item = this.items.get(itemId);
    this.items.delete(itemId);
    this.port.postMessage({
      type: "done",
      item_id: itemId,
      played_ms: Math.round(item.played / SAMPLES_PER_MS),
      total_ms: Math.round(this.totalPlayed / SAMPLES_PER_MS),
    });
  }

  // The next source sample, or null when the queue has run dry.
  take() {
    const chunk = this.queue[0];
    if (!chunk) return null;
    const value = chunk.samples[chunk.offset++] / 0x8000;
    const item = this.items.get(chunk.itemId);
    item.played++;
    this.totalPlayed++;
    this.sinceProgress++;
    if (chunk.offset >= chunk.samples.length) {
      this.queue.shift();
      if (item.ended && !this.queue.some((next) => next.itemId === chunk.itemId)) {
        this.finish(chunk.itemId);
      }
    }
    return value;
  }

  setPlaying(playing) {
    if (playing === this.playing) return;
    this.playing = playing;
    this.port.postMessage({ type: "state", playing });
  }

  process(_inputs, outputs) {
    const output = outputs[0];
    const channel = output[0];
    let rendered = false;
    for (let i = 0; i < channel.length; i++) {
      while (this.frac >= 1) {
        const value = this.take();
        if (value === null) break;
        this.a = this.b;
        this.b = value;
        this.frac -= 1;
        rendered = true;
      }
      if (this.frac >= 1) {
        channel[i] = 0;
        continue;
      }
      channel[i] = this.a + (this.b - this.a) * this.frac;
      this.frac += this.step;
    }
    for (let c = 1; c < output.length; c++) output[c].set(channel);
    this.setPlaying(rendered);
    if (rendered && this.sinceProgress >= PROGRESS_EVERY) {
      this.sinceProgress = 0;
      const head = this.queue[0];
      const itemId = head ? head.itemId : null;
      const item = itemId === null ? null : this.items.get(itemId);
      this.port.postMessage({
        type: "progress",
        item_id: itemId,
        played_ms: item ? Math.round(item.played / SAMPLES_PER_MS) : 0,
        total_ms: Math.round(this.totalPlayed / SAMPLES_PER_MS),
      });
    }
    return true;
  }
}

registerProcessor("quotahit-player", QuotahitPlayer);
