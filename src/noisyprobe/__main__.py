import sys

from noisyprobe.cli import main

sys.exit(main())
