"""Importers: CORDIS files and call lists turned into profiles and calls, and the demo data."""
