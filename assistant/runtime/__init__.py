"""The run-time adapters of `tandem run`: wiring the real parts from the settings, text mode,
skipping idle clock time, handing memory back, the systemd service and the health checks."""
