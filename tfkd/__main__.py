import sys

from tfkd.cli import main

sys.exit(main())
