"""How people reach a drill: the web server (pages and JSON API for participants, the
facilitator and evaluators), the facilitator's console, chat webhooks, and what each
token may see. Everything here drives a `DrillSession`; nothing here decides what
happens in the world."""

__all__: list[str] = []
