"""The REST API for integrations (DESIGN §8): ``/api/v1/``."""
