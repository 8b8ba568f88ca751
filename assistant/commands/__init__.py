"""One module per group of ``tandem`` subcommands; each has ``register(subparsers)``."""
