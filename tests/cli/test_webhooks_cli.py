"""``archive webhooks``: add, list, pause, resume, the delivery log and redelivery, with
``--json``, on either stack; and a non-admin API key refused."""

from __future__ import annotations

import asyncio
import io

from archive.domain.access import Role
from archive.domain.records import Classification
from archive.factory import build_services
from archive.samples import SampleDocument, render_pdf
from archive.services import webhooks
from archive.services.deposit import deposit
from archive.services.identity import DEV_ADMIN
from archive.settings import Settings
from tests.cli.support import run, run_json
from tests.e2e.documents import metadata_for
from tests.support.receiver import receiving


def _deposit_and_dispatch(settings: Settings) -> str:
    """Deposit one record and run one outbox round in-process, loopback allowed."""
    services = build_services(settings.model_copy(update={"webhook_allow_networks": "127.0.0.0/8"}))
    try:
        doc = SampleDocument(number="9")
        record = deposit(
            services, DEV_ADMIN, io.BytesIO(render_pdf(doc)), filename="9.pdf", metadata=metadata_for(doc)
        )
        asyncio.run(webhooks.dispatch_once(services))
        return record.id
    finally:
        asyncio.run(services.close())


def test_subscriptions_and_the_delivery_log(cli_settings: Settings) -> None:
    with receiving() as receiver:
        made = run_json("webhooks", "add", receiver.url, "-e", "record.processed", "-e", "record.deposited")
        assert made["secret"].startswith("whsec_") and made["active"] is True
        assert made["eventTypes"] == ["record.deposited", "record.processed"]
        assert made["owner"].startswith("local:")
        listed = run_json("webhooks", "list")["subscriptions"]
        assert [s["id"] for s in listed] == [made["id"]] and "secret" not in listed[0]
        assert run_json("webhooks", "pause", made["id"])["active"] is False
        assert run_json("webhooks", "resume", made["id"])["active"] is True
        assert run_json("webhooks", "deliveries") == {"deliveries": [], "hasMore": False}
        assert run("webhooks", "list").split()[0] == made["id"]
        record_id = _deposit_and_dispatch(Settings())
        assert len(receiver.wait_for(1, timeout=10)) == 1
        log = run_json("webhooks", "deliveries", "--subscription", made["id"])["deliveries"]
        assert [(d["eventType"], d["subjectId"], d["status"], d["attempts"]) for d in log] == [
            ("record.deposited", record_id, "delivered", 1)
        ]
        assert run_json("webhooks", "redeliver", str(log[0]["id"]), code=1)["error"]["code"] == "NOT_FOUND"

    bad = run_json("webhooks", "add", "ftp://x.example/", "-e", "record.processed", code=1)
    assert bad["error"]["code"] == "VALIDATION"
    unknown = run_json("webhooks", "add", "https://x.example/", "-e", "record.exploded", code=1)
    assert unknown["error"]["code"] == "VALIDATION"
    assert run_json("webhooks", "deliveries", "--status", "lost", code=1)["error"]["code"] == "VALIDATION"
    assert run_json("webhooks", "redeliver", "999", code=1)["error"]["code"] == "NOT_FOUND"


def test_a_reader_key_may_not_manage_webhooks(cli_settings: Settings) -> None:
    services = build_services(Settings())
    try:
        _, issued = services.api_keys.create(
            name="portal", agencies=["UBND-HG"], roles=[Role.READER], clearance=Classification.ORDINARY
        )
    finally:
        asyncio.run(services.close())
    refused = run_json("webhooks", "list", "--api-key", issued.display, code=1)
    assert refused["error"]["code"] == "FORBIDDEN"
    added = run_json(
        "webhooks", "add", "https://x.example/", "-e", "record.processed", "--api-key", issued.display, code=1
    )
    assert added["error"]["code"] == "FORBIDDEN"
