"""``python -m bench``: what ``bench/run`` runs."""

import sys

from bench.main import main

sys.exit(main())
