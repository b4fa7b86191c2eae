"""dlp_kit: Python helpers for the DLP toolchain (datasets, model training/export)."""
