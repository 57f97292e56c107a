"""The migrations produce exactly the schema the models declare, on SQLite and on PostgreSQL (whichever the suite
runs on), and they downgrade to nothing and upgrade again."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import app.models  # noqa: F401  (every table on the metadata)
from app.db import Base, install_sqlite_pragmas, sync_url
from app.migrate import alembic_config, head_revisions


def _diff(url: str) -> list:  # type: ignore[type-arg]
    engine = create_engine(sync_url(url))
    install_sqlite_pragmas(engine)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "render_as_batch": True})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_migrations_match_the_models(database_url: str) -> None:
    assert _diff(database_url) == []


def test_one_head_and_a_full_round_trip(tmp_path) -> None:  # type: ignore[no-untyped-def]
    assert len(head_revisions()) == 1
    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    config = alembic_config(url)
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    engine = create_engine(sync_url(url))
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()
    command.upgrade(config, "head")
    assert _diff(url) == []


def _insert_shop(conn, shop_id: str) -> None:  # type: ignore[no-untyped-def]
    """A shop row as the schema of an older revision takes it (raw SQL: the models follow the newest schema)."""
    from sqlalchemy import text

    conn.execute(text("INSERT INTO shops (id, domain, currency, timezone, tax_profile, granted_scopes, needs_reauth, "
                      "created_at, updated_at) VALUES (:id, :domain, 'EUR', 'UTC', '{}', '[]', 0, '2026-11-27', "
                      "'2026-11-27')"), {"id": shop_id, "domain": f"{shop_id[:8]}.myshopify.com"})


def test_records_stored_without_what_bulk_files_leave_out_are_marked_partial(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import uuid

    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'partial.db'}"
    config = alembic_config(url)
    command.upgrade(config, "292da1d1a947")
    engine = create_engine(sync_url(url))
    shop, with_lines, without = uuid.uuid4().hex, uuid.uuid4().hex, uuid.uuid4().hex
    with engine.begin() as conn:
        _insert_shop(conn, shop)
        for row_id, gid in ((with_lines, "gid://shopify/Fulfillment/1"), (without, "gid://shopify/Fulfillment/2")):
            conn.execute(text("INSERT INTO commerce_fulfillments (id, shop_id, shopify_id, content_hash, revision, "
                              "validation_issues, tracking_numbers, tracking_urls, created_at, updated_at) VALUES "
                              "(:id, :shop, :gid, :hash, 1, '[]', '[]', '[]', '2026-11-27', '2026-11-27')"),
                         {"id": row_id, "shop": shop, "gid": gid, "hash": "a" * 64})
        conn.execute(text("INSERT INTO commerce_fulfillment_lines (id, shop_id, fulfillment_id, position, quantity) "
                          "VALUES (:id, :shop, :fulfillment, 0, 1)"),
                     {"id": uuid.uuid4().hex, "shop": shop, "fulfillment": with_lines})
        for row_id, gid in ((with_lines, "gid://shopify/Refund/1"), (without, "gid://shopify/Refund/2")):
            conn.execute(text("INSERT INTO commerce_refunds (id, shop_id, shopify_id, content_hash, revision, "
                              "validation_issues, created_at, updated_at) VALUES "
                              "(:id, :shop, :gid, :hash, 1, '[]', '2026-11-27', '2026-11-27')"),
                         {"id": row_id, "shop": shop, "gid": gid, "hash": "b" * 64})
        conn.execute(text("INSERT INTO commerce_refund_adjustments (id, shop_id, refund_id, position, kind) "
                          "VALUES (:id, :shop, :refund, 0, 'order_adjustment')"),
                     {"id": uuid.uuid4().hex, "shop": shop, "refund": with_lines})
    command.upgrade(config, "5c1e9a7d2b40")
    with engine.connect() as conn:
        hashes = dict(conn.execute(text("SELECT id, content_hash FROM commerce_fulfillments")).all())
        refunds = dict(conn.execute(text("SELECT id, content_hash FROM commerce_refunds")).all())
    engine.dispose()
    assert hashes == {with_lines: "a" * 64, without: "-" + "a" * 63}
    assert refunds == {with_lines: "b" * 64, without: "-" + "b" * 63}


def test_records_stored_from_rest_bodies_are_marked_to_rank_below_a_graphql_read(tmp_path):  # type: ignore[no-untyped-def]
    import uuid

    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'rest.db'}"
    config = alembic_config(url)
    command.upgrade(config, "5c1e9a7d2b40")
    engine = create_engine(sync_url(url))
    shop = uuid.uuid4().hex
    stamps = "'2026-11-27', '2026-11-27'"
    rows = {"rest_fulfilment": None, "graphql_fulfilment": "fulfilled", "rest_refund": None,
            "graphql_refund": 1200, "rest_tx": None, "graphql_tx": 500, "unlinked_refund_tx": 500}
    ids = {name: uuid.uuid4().hex for name in rows}
    with engine.begin() as conn:
        _insert_shop(conn, shop)
        for name in ("rest_fulfilment", "graphql_fulfilment"):
            conn.execute(text("INSERT INTO commerce_fulfillments (id, shop_id, shopify_id, content_hash, revision, "
                              "validation_issues, tracking_numbers, tracking_urls, display_status, created_at, "
                              f"updated_at) VALUES (:id, :shop, :gid, :hash, 1, '[]', '[]', '[]', :status, {stamps})"),
                         {"id": ids[name], "shop": shop, "gid": name, "hash": "a" * 64, "status": rows[name]})
        for name in ("rest_refund", "graphql_refund"):
            conn.execute(text("INSERT INTO commerce_refunds (id, shop_id, shopify_id, content_hash, revision, "
                              f"validation_issues, total_refunded_minor, created_at, updated_at) VALUES "
                              f"(:id, :shop, :gid, :hash, 1, '[]', :total, {stamps})"),
                         {"id": ids[name], "shop": shop, "gid": name, "hash": "b" * 64, "total": rows[name]})
        for name in ("rest_tx", "graphql_tx", "unlinked_refund_tx"):
            conn.execute(text("INSERT INTO commerce_transactions (id, shop_id, shopify_id, content_hash, revision, "
                              "validation_issues, resource, kind, test, amount_minor, created_at, updated_at) VALUES "
                              f"(:id, :shop, :gid, :hash, 1, '[]', 'order_transaction', :kind, 0, :amount, {stamps})"),
                         {"id": ids[name], "shop": shop, "gid": name, "hash": "c" * 64, "amount": rows[name],
                          "kind": "refund" if name == "unlinked_refund_tx" else "sale"})
    command.upgrade(config, "8d41f0c6e2a3")
    with engine.connect() as conn:
        hashes = {}
        for table in ("commerce_fulfillments", "commerce_refunds", "commerce_transactions"):
            hashes.update(dict(conn.execute(text(f"SELECT shopify_id, content_hash FROM {table}")).all()))
    engine.dispose()
    assert {name for name, digest in hashes.items() if digest.startswith("-")} == {
        "rest_fulfilment", "rest_refund", "rest_tx", "unlinked_refund_tx"}
