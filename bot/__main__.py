import sys

from bot.cli import main

if __name__ == "__main__":  # not when a worker process (reports) imports it
    sys.exit(main())
