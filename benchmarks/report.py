"""Formatting of benchmark results as Markdown tables, readable in a terminal and in docs."""


def format_seconds(seconds):
    """Format a duration with a unit that keeps three significant digits."""
    if seconds is None:
        return "n/a"
    if seconds < 1e-6:
        return f"{seconds * 1e9:.3g} ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:.3g} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds:.3g} s"


def format_ratio(ratio):
    return "n/a" if ratio is None else f"{ratio:.2f}"


def format_mib(mib):
    return "n/a" if mib is None else f"{mib:.2f}"


def markdown_table(header, rows):
    """Return a Markdown pipe table; every cell is converted with str()."""
    cells = [[str(cell) for cell in header]] + [[str(cell) for cell in row] for row in rows]
    widths = [max(len(row[column]) for row in cells) for column in range(len(header))]

    def render(row):
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths)) + " |"

    lines = [render(cells[0]), "|" + "|".join("-" * (width + 2) for width in widths) + "|"]
    lines.extend(render(row) for row in cells[1:])
    return "\n".join(lines)


def shorten(text, limit=160):
    """Cut a message to one line of at most `limit` characters, for a table cell."""
    text = " ".join(str(text).split()).replace("|", "/")
    return text if len(text) <= limit else text[:limit - 3] + "..."
