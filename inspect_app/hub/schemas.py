"""The hub API's request and response bodies (docs/SYNC.md); FastAPI publishes them in /openapi.json."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from inspect_app.sync.protocol import Ident, TableName, WireChange

MAX_CHANGES_PER_PUSH = 500
MAX_PULL_LIMIT = 1000
MAX_CHECKPOINTS = 200

# One model for a change on the wire, shared with the device (inspect_app/sync/protocol.py): a push
# carries its `seq` as None (ignored), a pulled change the hub-wide sequence.
Change = WireChange
PulledChange = WireChange


class PushRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    changes: list[Change] = Field(max_length=MAX_CHANGES_PER_PUSH)


class Rejection(BaseModel):
    device_seq: int
    code: str = Field(description="unknown_table | unknown_field | bad_value | no_time_zone | not_null | "
                                  "bad_hlc | bad_row | append_only | row_exists | duplicate_key | "
                                  "unknown_parent | other_park | park_not_assigned | park_move | not_owner | "
                                  "clock_ahead (docs/SYNC.md)")
    message: str


class PushResponse(BaseModel):
    acked_through: int = Field(description="every change of this device up to this device_seq is applied "
                                           "or rejected; move the push cursor here")
    rejected: list[Rejection]


class ChangesPage(BaseModel):
    changes: list[PulledChange]
    next_after: int = Field(description="pass as `after` for the next page (and save as the cursor)")
    has_more: bool
    check: str = Field(description="the hub's history check at `next_after`: pass it as `check` with that cursor")


class HistoryChanged(BaseModel):
    code: Literal["history_changed"]
    message: str


class CheckpointsRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seqs: list[Annotated[int, Field(ge=0, le=2**62)]] = Field(min_length=1, max_length=MAX_CHECKPOINTS,
                                                              description="hub sequences to check")


class Checkpoint(BaseModel):
    seq: int
    check: str | None = Field(description="the hub's history check at seq; null when it holds no change there")


class Checkpoints(BaseModel):
    checks: list[Checkpoint]


class Me(BaseModel):
    name: str
    device_id: str | None = Field(description="the device id this enrolment is held to (from its first push)")
    parks: list[str] = Field(description="assigned park ids; empty = every park")
    last_device_seq: int = Field(description="highest device_seq of this device the hub holds")
    now_ms: int = Field(description="the hub's clock (unix ms): the device corrects its own clock by it")
    hub_id: str = Field(description="the hub's id (made once): devices key their cursors by it")
    epoch: int = Field(description="the hub's history epoch: goes up at each restore from a backup")
    acked_seq: int = Field(description="highest device_seq of this device the hub acknowledged (applied "
                                       "or refused): a push cursor above it is moved back to it")
    notice_block: str | None = Field(default=None, description="the block of this enrolment's notice numbers "
                                                               "(H001, …), unique on this hub")
    agency_root: str | None = Field(default=None, description="sha256 fingerprint of the agency's root "
                                                              "certificate; null: the hub has no agency")


class EnrolRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    csr: str = Field(description="PEM certificate request signed by the device's key: subject CN = the device's "
                                 "name on the hub, one SAN urn:parkinspect:device:<device id>")


class Enrolment(BaseModel):
    certificate: str = Field(description="the device certificate, PEM")
    root: str = Field(description="the agency's root certificate, PEM")
    fingerprint: str = Field(description="sha256 of the device certificate (DER), hex")
    serial: str = Field(description="the device certificate's serial number, hex")
    not_after: str = Field(description="end of validity, ISO 8601 UTC")


class Health(BaseModel):
    status: Literal["ok"]


class AttachmentStored(BaseModel):
    sha256: str
    size: int
    created: bool


class ErrorBody(BaseModel):
    detail: Any


class SnapshotPage(BaseModel):
    seq: int = Field(description="hub sequence the page is consistent with: every change up to it is in "
                                 "the rows; after the last page, pull changes after the first page's seq")
    table: str
    columns: list[str] = Field(description="the table's columns: the order of each row's values")
    # list[list], not list[tuple[...]]: schema tools (schemathesis) reject the tuple's prefixItems form.
    rows: list[list[Any]] = Field(
        description="[row_id, inserted (the insert's stamp: the clock of every field not in clocks), "
                    "clocks {field: stamp of its winning write}, seen {field: greatest base any write of it "
                    "had}, [value per column, as in a change's payload]]")
    partial: list[str] = Field(description="rows the hub holds only updates of: ask /snapshot/changes for them")
    next_row: str = Field(description="pass as `after_row` for the next page of this table")
    has_more: bool


class RowChangesRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    table: TableName
    row_ids: list[Ident] = Field(min_length=1, max_length=1000)


class RowChanges(BaseModel):
    changes: list[PulledChange]
