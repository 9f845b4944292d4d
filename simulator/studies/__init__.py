"""Studies built from many comparisons: one-at-a-time sensitivity, and the cheapest
staffing of a space that meets a target, with the variants each one simulates."""

__all__: list[str] = []
