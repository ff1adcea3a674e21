"""A Django app the test suite installs in engine processes (``FLOWDESK_APPS=tests.support``):
handlers that misbehave on purpose, so tests can drive hostile values through a real engine."""
