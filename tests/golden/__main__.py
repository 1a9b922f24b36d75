"""`python -m tests.golden`: record the example plans again (after an intended change)."""

import sys

from tests.golden import write_all

sys.stdout.write("golden plans written: " + ", ".join(write_all()) + "\n")
