"""`python -m couplint ...` runs the `couplint` command."""

from __future__ import annotations

from couplint_ast.cli import main

if __name__ == "__main__":
    main(prog_name="couplint")
