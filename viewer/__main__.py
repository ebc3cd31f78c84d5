"""Run the CLI with ``python -m viewer``."""

from viewer.cli import main

raise SystemExit(main())
