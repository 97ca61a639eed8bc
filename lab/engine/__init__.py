"""The simulation engine: worlds, trials, the static attack graph and Monte Carlo runs."""
