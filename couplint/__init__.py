"""`python -m couplint`: the distribution's name, for the `couplint` command (couplint_ast)."""
