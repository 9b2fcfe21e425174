"""One module per CLI command, each exposing ``register(subparsers)``.

Commands parse arguments and print; the work is done by the library packages.
"""
