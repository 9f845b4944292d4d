"""Statistics of real incident history: KPIs, distribution fits written into documents,
and what a comparison built on them can detect. Nothing here simulates."""

__all__: list[str] = []
