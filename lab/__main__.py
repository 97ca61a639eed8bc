"""`python -m lab` runs the command line."""

from lab.cli import main

main()
