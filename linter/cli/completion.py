"""``memmap-lint completion bash|zsh|fish``: print a shell completion script
(``completion_scripts`` makes it from the parser, loaded only by this command)."""

from __future__ import annotations

import argparse

from memmap_lint.cli.common import EXIT_CLEAN, Subparsers

SHELLS = ("bash", "zsh", "fish")


def add_parser(sub: Subparsers) -> None:
    p = sub.add_parser(
        "completion",
        help="print a shell completion script",
        description='Print a completion script for SHELL. bash: eval "$(memmap-lint completion '
        'bash)" in ~/.bashrc; zsh: the same with zsh in ~/.zshrc; fish: memmap-lint completion '
        "fish > ~/.config/fish/completions/memmap-lint.fish",
    )
    p.add_argument("shell", choices=SHELLS)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import sys

    from memmap_lint.cli.completion_scripts import bash, fish, options_of

    commands = options_of(args.root_parser)  # set by cli.main.build_parser
    script = fish(commands) if args.shell == "fish" else bash(commands, zsh=args.shell == "zsh")
    sys.stdout.write(script)
    return EXIT_CLEAN
