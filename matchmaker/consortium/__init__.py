"""Consortia: the solver that picks members, stored drafts, and proposals and gaps for a call."""
