"""One naming of stored fields for the history and the sync conflicts list (services/field_labels.py)."""

from __future__ import annotations

import inspect_app.screens.audit as audit_screen
import inspect_app.services.conflicts as conflicts
from forms.i18n import set_language
from inspect_app.services.field_labels import field_label


def test_the_history_and_the_conflicts_list_use_the_one_function():
    assert audit_screen.field_label is field_label and conflicts.field_label is field_label


def test_the_most_particular_label_wins():
    assert field_label("tenant", "name") == "承租单位"  # the tenant form's
    assert field_label("hazard", "description") == "隐患描述"  # the hazard form's, not the general 描述
    assert field_label("reinspection", "outcome") == "复查结果"  # the re-inspection form's
    assert field_label("hazard", "status") == "状态"  # a record-keeping column
    assert field_label("hazard", "summary") == "检查小结"
    assert field_label("hazard", "no_such_column") == "no_such_column"


def test_labels_follow_the_language_shown():
    set_language("en")
    try:
        assert field_label("tenant", "name") != "承租单位" and field_label("tenant", "name") != "name"
    finally:
        set_language("zh_CN")
