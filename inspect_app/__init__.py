"""ParkInspect (园检): the application — CLI, Textual TUI, use-case services."""


def __getattr__(name: str) -> str:
    # `inspect_app.__version__`: pyproject.toml's version, the one place it is written, read from the
    # installed package's metadata when first asked. Not at import: importlib.metadata costs start-up
    # time the first screen does not need (tests/test_startup.py).
    if name == "__version__":
        from importlib.metadata import version

        return version("parkinspect")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
