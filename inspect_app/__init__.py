"""ParkInspect (园检): the application — CLI, Textual TUI, use-case services."""

__version__ = "0.1.0"
