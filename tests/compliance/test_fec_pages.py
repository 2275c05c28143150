"""The FEC page: choose the year, check, download; import form."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.compliance.scenario import SIREN, build, set_siren
from tests.conftest import Account, register
from tests.parties.test_pages import web_login


def test_check_and_download(client: TestClient, owner: Account) -> None:
    build(client, owner)
    web_login(client, owner)
    page = client.get("/accounting/fec")
    assert page.status_code == 200
    assert 'value="2026-01-01"' in page.text and "Check the file" in page.text
    checked = client.get("/accounting/fec", params={"fiscal_year": "2026-01-01", "check": "true"})
    assert "passes every check: 16 lines, 7 entries" in checked.text
    assert f"Download {SIREN}FEC20261231.txt" in checked.text
    download = client.get(
        "/accounting/fec/download",
        params={"fiscal_year": "2026-01-01", "separator": "tab", "encoding": "iso-8859-15"},
    )
    assert download.status_code == 200
    assert download.headers["content-disposition"].endswith(f'"{SIREN}FEC20261231.txt"')
    assert download.content.decode("iso-8859-15").startswith("JournalCode\tJournalLib\t")
    missing = client.get("/accounting/fec/download", params={"fiscal_year": "2019-01-01"})
    assert missing.status_code == 404


def test_check_lists_problems_without_siren(client: TestClient, owner: Account) -> None:
    build(client, owner)
    set_siren(client, owner, "")
    web_login(client, owner)
    checked = client.get("/accounting/fec", params={"fiscal_year": "2026-01-01", "check": "true"})
    assert "1 problem in the file" in checked.text
    assert "organization settings" in checked.text and "Download the FEC" not in checked.text


def test_import_form(client: TestClient, owner: Account) -> None:
    build(client, owner)
    exported = client.get(
        "/api/v1/accounting/fec", headers=owner.headers, params={"fiscal_year": "2026-01-01"}
    ).content
    other = register(client, organization_name="Nouvelle SARL")
    csrf = web_login(client, other)
    broken = exported.replace(b"|1200,00|", b"|1200.00|", 1)
    refused = client.post(
        "/accounting/fec/import",
        data={"csrf_token": csrf},
        files={"file": ("fec.txt", broken, "text/plain")},
    )
    assert refused.status_code == 422
    assert "is not an amount like 1234,56" in refused.text
    empty = client.post("/accounting/fec/import", data={"csrf_token": csrf})
    assert empty.status_code == 422 and "Choose a FEC file" in empty.text
    done = client.post(
        "/accounting/fec/import",
        data={"csrf_token": csrf},
        files={"file": ("fec.txt", exported, "text/plain")},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/accounting/fec?notice=imported"
    assert "The FEC is imported" in client.get(done.headers["location"]).text
