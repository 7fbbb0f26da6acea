"""Fetching pages from the public web on a user's behalf."""
