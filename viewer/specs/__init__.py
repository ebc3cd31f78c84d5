"""The event spec registry: loading, indexing, linting and drafting AsyncAPI message specs."""
