"""`python -m scorecard ...`: the same command line as `scorecard ...`."""

from scorecard.cli import main

raise SystemExit(main())
