"""Live voice calls: the audio pipeline, the OpenAI Realtime bridge and the browser websocket."""
