"""The `matchmaker` command: the place that wires settings, database, services and importers."""
