"""The inspector using this laptop: asked for on first run, named on every record they make."""

from __future__ import annotations

from db.models import Inspector, LocalSetting
from db.store import Store
from forms.inspector import InspectorInput

PROFILE_KEY = "inspector_id"


def current_inspector(store: Store) -> Inspector | None:
    with store.read() as session:
        setting = session.get(LocalSetting, PROFILE_KEY)
        return session.get(Inspector, setting.value) if setting else None


def save_profile(store: Store, data: InspectorInput) -> Inspector:
    """Create or update this device's inspector and make them the actor of later changes."""
    with store.transaction() as session:
        setting = session.get(LocalSetting, PROFILE_KEY)
        inspector = session.get(Inspector, setting.value) if setting else None
        if inspector is None:
            inspector = Inspector(**data.model_dump())
            session.add(inspector)
            session.flush()
            session.merge(LocalSetting(key=PROFILE_KEY, value=inspector.id))
        else:
            for name, value in data.model_dump().items():
                if getattr(inspector, name) != value:
                    setattr(inspector, name, value)
    store.actor_id = inspector.id
    return inspector
