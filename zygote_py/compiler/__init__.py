"""The source-to-source compiler: one module per pass."""
