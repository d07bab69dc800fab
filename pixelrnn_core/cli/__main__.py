"""`python -m pixelrnn_core.cli`: the headless command line."""
import sys

from . import main

sys.exit(main())
