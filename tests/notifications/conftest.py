import pytest

from tests.notifications.backends import RecordingSmsBackend

NOTICE = "probe/notice"
"""A notice of the tests' own (templates written by the `notice_templates` fixture)."""


@pytest.fixture
def notice_templates(settings, tmp_path):
    """`probe/notice_{subject,body,sms}.txt` and `probe/no_sms_{subject,body}.txt`."""
    folder = tmp_path / "templates" / "probe"
    folder.mkdir(parents=True)
    (folder / "notice_subject.txt").write_text("Przerwa w dostawie {{ street }}\n")
    (folder / "notice_body.txt").write_text("Dnia {{ day }} nie będzie prądu na {{ street }}.\n")
    (folder / "notice_sms.txt").write_text("Przerwa {{ day }},\n {{ street }}\n")
    (folder / "no_sms_subject.txt").write_text("Temat {{ street }}\n")
    (folder / "no_sms_body.txt").write_text("Treść\n")
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [*engine["DIRS"], tmp_path / "templates"]}]
    return {"street": "ul. Polna", "day": "12.01"}


@pytest.fixture
def recorded_sms(settings):
    """SMS go to a recorder; returns the list of (number, text) sent."""
    settings.SMS_BACKEND = "tests.notifications.backends.RecordingSmsBackend"
    RecordingSmsBackend.sent = []
    RecordingSmsBackend.fail_with = ""
    yield RecordingSmsBackend.sent
    RecordingSmsBackend.sent = []
    RecordingSmsBackend.fail_with = ""
