"""What a person may type: input models, validators, catalogues and the translation layer.

This package is the bottom layer: it imports neither `db`, `exports`, `inspect_app` nor Textual.
"""
