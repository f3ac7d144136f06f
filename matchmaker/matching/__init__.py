"""Matching: what text each entity contributes, the text index, scoring, the saved index and
the service that keeps them in step with the database."""
