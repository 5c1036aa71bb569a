"""``python -m benchmarks [NAME] [options]``: run one benchmark with its options, or all with defaults."""

import importlib
import sys

from benchmarks import BENCHMARKS


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("-h", "--help"):
        print(f"usage: python -m benchmarks [{'|'.join(BENCHMARKS)}] [options]  (no name: run all)")
        return 0
    if argv and not argv[0].startswith("-"):
        name, rest = argv[0], argv[1:]
        if name not in BENCHMARKS:
            print(f"benchmarks: unknown benchmark {name!r}; expected one of {', '.join(BENCHMARKS)}", file=sys.stderr)
            return 2
        return importlib.import_module(f"benchmarks.{name}").main(rest)
    codes = [importlib.import_module(f"benchmarks.{name}").main(argv) for name in BENCHMARKS]
    return max(codes, default=0)


if __name__ == "__main__":
    sys.exit(main())
