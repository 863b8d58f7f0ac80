"""Alembic environment: runs on the connection handed over by :func:`tracker.store.migrate`."""

from alembic import context

from tracker.model import metadata

config = context.config


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:  # plain `alembic` command line: build an engine from the URL
        from tracker.store import get_engine

        with get_engine(config.get_main_option("sqlalchemy.url") or None).begin() as conn:
            _run(conn)
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
