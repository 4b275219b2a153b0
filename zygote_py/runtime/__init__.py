"""Runtime support for generated code: dispatch, accumulation, broadcasting, parameters."""
