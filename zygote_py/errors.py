"""The exceptions zygote_py raises.

Every message says what failed, on which value, why, and what to do; where the failure belongs
to a line of the user's code, the exception carries that file and line.
"""


class UnsupportedSyntaxError(SyntaxError):
    """A construct the transform cannot differentiate, found before any code runs.

    Being a `SyntaxError`, it carries `filename`, `lineno`, `offset` and `text`, so tracebacks
    print the user's line with a caret under the construct.
    """

    def __init__(self, message, filename, lineno, offset, text):
        super().__init__(message, (filename, lineno, offset, text))


class MissingRuleError(TypeError):
    """A call reached a function with no gradient rule and no Python source to transform."""


class SourceUnavailableError(ValueError):
    """The source of a function to transform cannot be read."""


class MutationError(RuntimeError):
    """An in-place write that would make the gradient wrong."""

    def __init__(self, message, filename=None, lineno=None):
        super().__init__(message)
        self.filename = filename
        self.lineno = lineno


class NonScalarOutputError(ValueError):
    """`gradient` was asked to differentiate a function whose output is not a real scalar."""
