"""The GraphQL API (strawberry): one module per domain, composed in `schema.py`, served by `view.py`."""
