"""``python -m pubsub_kit lab`` is ``pubsub-kit lab``: for a Python whose scripts folder is not on PATH."""

import sys

from .commands import main

sys.exit(main())
