"""Flowdesk's pure core: graph, validation, planning, expressions, retry maths, step types and
the decider. Nothing in this package imports Django, so it is unit-testable in milliseconds and
shared by the API, the designer's validation call and the engine."""
