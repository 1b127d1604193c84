"""The agency's paragraphs on a document: contact, rights notice (行政复议, 行政诉讼) and consequence, from
`[agency]` in config.toml into the content, and from the content onto the printed page."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from exports.notice_pdf import read_embedded
from inspect_app.services.notices import (
    Agency,
    agency_content,
    agency_from_config,
    issue_rectification_notice,
    notice_pdf,
)
from tests.test_notices import NOW, hazards_of_a_tenant, inspector, keys  # noqa: F401  (fixtures)

FALLBACK = Agency(name="平湖市经济和信息化局", short="平经信安整")
CONFIGURED = {"name": "平湖市经济和信息化局", "short": "平经信安整", "review_body": "平湖市人民政府",
              "court": "平湖市人民法院", "consequence": "逾期不整改的，依法移送处理。",
              "contact": {"address": "平湖市当湖街道胜利路1号", "phone": "0573-85011234", "person": "周强"}}


def test_the_config_fills_every_field_and_bad_values_fall_back():
    agency = agency_from_config(CONFIGURED, FALLBACK)
    assert (agency.review_body, agency.court, agency.administrative_organ) == ("平湖市人民政府", "平湖市人民法院", True)
    assert (agency.contact_address, agency.contact_phone, agency.contact_person) == (
        "平湖市当湖街道胜利路1号", "0573-85011234", "周强")
    odd = agency_from_config({"administrative_organ": "no", "contact": "周强", "court": ["x"], "consequence": " "},
                             FALLBACK)
    assert odd.administrative_organ is True and odd.contact_person == "" and odd.court == "" and odd.consequence == ""
    assert agency_from_config({"administrative_organ": False}, FALLBACK).administrative_organ is False


def test_the_rights_notice_names_the_configured_bodies_or_the_generic_ones():
    content = agency_content(agency_from_config(CONFIGURED, FALLBACK))
    assert "六十日内依法向平湖市人民政府申请行政复议" in content["rights_notice"]
    assert "六个月内依法向平湖市人民法院提起行政诉讼" in content["rights_notice"]
    assert content["consequence"] == "逾期不整改的，依法移送处理。"
    assert content["contact"] == {"address": "平湖市当湖街道胜利路1号", "phone": "0573-85011234", "person": "周强"}
    default = agency_content(FALLBACK)
    assert "本级人民政府" in default["rights_notice"] and "有管辖权的人民法院" in default["rights_notice"]
    assert "《中华人民共和国消防法》第六十条" in default["consequence"]
    assert default["contact"] is None


def test_an_agency_that_is_no_administrative_organ_prints_no_rights_notice():
    content = agency_content(agency_from_config({**CONFIGURED, "administrative_organ": False}, FALLBACK))
    assert content["rights_notice"] is None
    assert content["consequence"]  # the consequence still stands


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) not installed")
@pytest.mark.parametrize("organ", [True, False])
def test_an_issued_notice_prints_the_agency_paragraphs_from_the_config(store, park, inspector, keys, tmp_path,  # noqa: F811
                                                                        organ):
    agency = agency_from_config({**CONFIGURED, "administrative_organ": organ}, FALLBACK)
    issued = issue_rectification_notice(store, hazard_ids=hazards_of_a_tenant(store, park, inspector),
                                        agency=agency, keys_dir=keys, now=NOW)
    _, pdf = notice_pdf(store, issued.number)
    assert json.loads(read_embedded(pdf)[0])["agency"]["rights_notice"] == issued.content["agency"]["rights_notice"]
    path = tmp_path / "n.pdf"
    path.write_bytes(pdf)
    text = re.sub(r"\s+", "", subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                                             check=True).stdout)
    assert ("向平湖市人民政府申请行政复议" in text) is organ
    assert ("向平湖市人民法院提起行政诉讼" in text) is organ
    assert "逾期不整改的，依法移送处理。" in text and "联系电话：0573-85011234" in text
