"""Alembic environment: always handed a live connection by storage.migrate."""

from alembic import context

from storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("run migrations with `los migrate`, which supplies the connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
