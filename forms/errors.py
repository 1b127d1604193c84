"""Turn a pydantic ValidationError into one message per field, in the user's language."""

from __future__ import annotations

from pydantic import ValidationError

from forms.catalogues import accepted_values
from forms.i18n import t

# pydantic's own error types that a form can produce, mapped to our catalogue keys.
PYDANTIC_KINDS = {
    "missing": "required",
    "string_too_long": "too_long",
    "literal_error": "choice",
    "enum": "choice",
    "bool_parsing": "yes_no",
    "bool_type": "yes_no",
    "date_from_datetime_parsing": "date_format",
    "date_parsing": "date_format",
    "date_type": "date_format",
    "int_parsing": "integer_format",
    "decimal_parsing": "number_format",
    "list_type": "choice",
    "string_unicode": "invalid",  # a lone surrogate: text no file or keyboard can hold
}


def message(kind: str, context: dict | None = None, lang: str | None = None) -> str:
    context = {k: v for k, v in (context or {}).items() if k != "error"}
    key = PYDANTIC_KINDS.get(kind, kind)
    if key in ("too_long",) and "max_length" in context:
        context["max"] = context["max_length"]
    if key == "choice":
        # A refusal against a closed list names the accepted values, in the language it is shown in.
        if "list" in context:
            context["choices"] = accepted_values(str(context.pop("list")), lang)
        elif "options" in context:
            context["choices"] = t("choices.separator", lang=lang).join(map(str, context.pop("options")))
    try:
        text = t(f"errors.{key}", lang=lang, **_safe(context))
    except (KeyError, IndexError):  # a pydantic error whose context lacks our placeholders
        return t("errors.invalid", lang=lang)
    return text if text != f"errors.{key}" else t("errors.invalid", lang=lang)


def _safe(context: dict) -> dict:
    return {k: str(v) for k, v in context.items()}


def field_messages(exc: ValidationError, lang: str | None = None) -> dict[str, str]:
    """First message per field name; model-level errors go under '' ."""
    result: dict[str, str] = {}
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else ""
        result.setdefault(field, message(err["type"], err.get("ctx"), lang))
    return result
