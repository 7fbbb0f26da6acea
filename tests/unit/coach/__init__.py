"""Tests: unit/coach."""
