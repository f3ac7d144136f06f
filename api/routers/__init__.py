"""HTTP routers, one per resource; thin wrappers over the matchmaker services."""
