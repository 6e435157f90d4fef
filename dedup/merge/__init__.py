"""Merging: survivor choice, re-pointing, audit and undo."""
