"""The live exercise (drill engine, journal, web server). Built by a later issue."""

__all__: list[str] = []
