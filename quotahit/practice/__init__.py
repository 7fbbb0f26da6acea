"""Practice role-play catalogue: the AI buyers, scenarios and training focuses a rep picks from."""
