"""`python -m couplint_ast` runs the CLI."""

from __future__ import annotations

from couplint_ast.cli import main

if __name__ == "__main__":
    main()
