"""List every function, method and attribute that carries a gradient rule, with counts.

Run as `python -m zygote_py.rules`. With `--all` it also lists the non-differentiable callables.
"""

import argparse

from . import registry


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m zygote_py.rules",
        description="List the callables that carry gradient rules.")
    parser.add_argument("--all", action="store_true",
                        help="also list the callables registered as non-differentiable")
    options = parser.parse_args(argv)

    sections = [
        ("functions", registry.registered_primals()),
        ("methods", registry.registered_methods()),
        ("attributes", registry.registered_attributes()),
    ]
    for title, names in sections:
        print(f"{title} ({len(names)}):")
        for name in names:
            print(f"  {name}")
    total = sum(len(names) for _, names in sections)
    if options.all:
        names = registry.non_differentiable_primals()
        print(f"non-differentiable functions ({len(names)}):")
        for name in names:
            print(f"  {name}")
    counts = ", ".join(f"{len(names)} {title}" for title, names in sections)
    print(f"{total} callables carry gradient rules ({counts})")


if __name__ == "__main__":
    main()
