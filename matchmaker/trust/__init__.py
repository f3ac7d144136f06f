"""Profiles people can trust: duplicates found and merged, CORDIS records claimed."""
