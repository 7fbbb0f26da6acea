"""The AI coach: chat grounded in the user's own materials, research mode, conversations."""
