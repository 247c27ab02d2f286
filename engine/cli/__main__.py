"""`python -m engine.cli`: the same as `evalrun`."""
from engine.cli import main

main()
