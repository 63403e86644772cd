"""Thumbnails as short-lived signed links that caches can keep: the same link within a
window, the PNG the pipeline rendered, cacheable for the link's remaining life (privately
for a record that is not public), 304 on its entity tag, and 404 for a forged, expired or
no longer current link."""

from __future__ import annotations

import base64
from datetime import timedelta

from archive.samples import SampleDocument, render_pdf
from archive.services.container import Services
from archive.services.worker import drain
from tests.support.graphql import api_client, deposit, gql, metadata

THUMBNAILS = "query($id: ID!) { record(id: $id) { thumbnails { page url expiresAt dataUrl } } }"


async def test_a_thumbnail_link_serves_the_png_and_caches_can_keep_it(services: Services) -> None:
    async with api_client(services) as client:
        made = await deposit(client, render_pdf(SampleDocument(pages=1)), metadata("31"))
        record_id = made["record"]["id"]
        assert await drain(services) == 1
        [first] = (await gql(client, THUMBNAILS, id=record_id))["record"]["thumbnails"]
        [again] = (await gql(client, THUMBNAILS, id=record_id))["record"]["thumbnails"]
        assert first["url"] == again["url"]  # one link per window: a cache hit the second time

        png = base64.b64decode(first["dataUrl"].removeprefix("data:image/png;base64,"))
        answer = await client.get(first["url"])
        assert answer.status_code == 200 and answer.content == png
        assert answer.headers["content-type"] == "image/png"
        cache = answer.headers["cache-control"]
        assert cache.startswith("private, max-age=") and "immutable" in cache
        assert (
            0 < int(cache.split("max-age=")[1].split(",")[0]) <= 2 * services.settings.preview_url_ttl_seconds
        )
        unchanged = await client.get(first["url"], headers={"If-None-Match": answer.headers["etag"]})
        assert unchanged.status_code == 304 and unchanged.content == b""

        token = first["url"].rsplit("/", 1)[1]
        payload, _, signature = token.partition(".")
        forged = f"{payload[:-2]}{'A' if payload[-2] != 'A' else 'B'}{payload[-1]}.{signature}"
        for bad in (forged, "nonsense", token + "x", "é" * 10):
            refused = await client.get(f"/previews/{bad}")
            assert refused.status_code == 404 and refused.headers["cache-control"] == "no-store"

        # Past its expiry the link answers 404, like any link this service never issued.
        now = services.clock()
        services.clock = lambda: now + timedelta(seconds=2 * services.settings.preview_url_ttl_seconds + 1)
        assert (await client.get(first["url"])).status_code == 404


async def test_a_public_record_s_thumbnail_is_cacheable_by_shared_caches(services: Services) -> None:
    async with api_client(services) as client:
        made = await deposit(client, render_pdf(SampleDocument(pages=1)), metadata("32", isPublic=True))
        assert await drain(services) == 1
        [thumb] = (await gql(client, THUMBNAILS, id=made["record"]["id"]))["record"]["thumbnails"]
        answer = await client.get(thumb["url"])
        assert answer.status_code == 200 and answer.headers["cache-control"].startswith("public, max-age=")
