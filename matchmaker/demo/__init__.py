"""Demo data shipped with the package: real CORDIS organisations and calls (CC BY 4.0)."""
