"""Errors the tool reports instead of tracebacks: a stable code, a message and a location."""

from __future__ import annotations

from memmap_lint.visible import visible


class LintError(Exception):
    """Bad input: ``path:line:col: CODE message`` on stderr, exit status 2."""

    def __init__(
        self,
        code: str,
        message: str,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.path = path
        self.line = line
        self.column = column

    def located(self, path: str | None = None) -> LintError:
        """The same error, naming ``path`` when it had none."""
        if self.path or not path:
            return self
        return LintError(self.code, self.message, path, self.line, self.column)

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = self.path
            if self.line is not None:
                where += f":{self.line}"
                if self.column is not None:
                    where += f":{self.column}"
            where += ": "
        return visible(f"{where}{self.code} {self.message}")


class LintErrors(Exception):
    """Several errors found in one pass (every one is reported, none is lost)."""

    def __init__(self, errors: list[LintError]) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors
