"""What a stored field is called on screen: the history (screens/audit.py) and the sync conflicts
list (services/conflicts.py) name a column of a table the same way.

The most particular label wins: the form's label for that table (`fields.<table>.<field>`, the
hazard and 五落实 form's, the re-inspection form's), then the general words for record-keeping
columns (status, deleted, found on, …), and the column's own name when nothing is known of it.
"""

from __future__ import annotations

from forms.i18n import catalogue, current_language

_FORM_KEYS = {
    "hazard": "tui.rectification.fields.{field}",
    "rectification_item": "tui.rectification.fields.{field}",
    "reinspection": "tui.reinspection.fields.{field}",
}


def field_label(table_name: str, field: str) -> str:
    """The label of `field` of a `table_name` row in the language shown."""
    messages = catalogue(current_language())
    keys = [f"fields.{table_name}.{field}"]
    if table_name in _FORM_KEYS:
        keys.append(_FORM_KEYS[table_name].format(field=field))
    keys += [f"tui.audit.fields.{field}", f"tui.sync.field_{field}"]
    return next((messages[key] for key in keys if key in messages), field)
