"""Everything warroom prints on a terminal: tables that fit, and the text of each
command's answer, built from the command's result (the command line only wires)."""

__all__: list[str] = []
