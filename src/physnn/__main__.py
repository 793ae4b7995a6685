"""``python -m physnn`` runs the command line."""

import sys

from physnn.cli.app import main

sys.exit(main())
