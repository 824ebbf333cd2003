"""The Alembic migrations build, on an empty database, exactly the schema the models describe."""
import contextlib
import logging
import os
import uuid

import flask_migrate
import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from webapp import create_app
from webapp.config import TestConfig
from webapp.extensions import db


@contextlib.contextmanager
def fresh_database(tmp_path, label: str):
    """The URL of a new, empty database: a SQLite file, or a new PostgreSQL database when the
    suite runs on PostgreSQL (dropped afterwards)."""
    server = os.environ.get("SPRO_TEST_DATABASE_URL")
    if not server or not server.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / f'{label}.sqlite'}"
        return
    name = f"spro_{label}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(make_url(server).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextlib.contextmanager
def logging_preserved():
    """Alembic's env.py calls logging.fileConfig, which disables existing loggers: undo that."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    disabled = {name: lg.disabled for name, lg in logging.root.manager.loggerDict.items()
                if isinstance(lg, logging.Logger)}
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, lg in logging.root.manager.loggerDict.items():
            if isinstance(lg, logging.Logger):
                lg.disabled = disabled.get(name, False)


def describe_schema(engine) -> dict:
    """Tables, columns, keys and indexes as reflected from a live database."""
    insp = inspect(engine)
    schema = {}
    for table in insp.get_table_names():
        if table == "alembic_version":
            continue
        schema[table] = {
            "columns": {c["name"]: (str(c["type"]), c["nullable"], c.get("default"))
                        for c in insp.get_columns(table)},
            "primary_key": tuple(insp.get_pk_constraint(table)["constrained_columns"]),
            "foreign_keys": sorted((tuple(fk["constrained_columns"]), fk["referred_table"],
                                    tuple(fk["referred_columns"])) for fk in insp.get_foreign_keys(table)),
            "indexes": sorted((ix["name"], tuple(ix["column_names"]), bool(ix["unique"]))
                              for ix in insp.get_indexes(table)),
            "unique": sorted(tuple(uc["column_names"]) for uc in insp.get_unique_constraints(table)),
        }
    return schema


def build(url: str, how) -> dict:
    app = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        try:
            assert inspect(db.engine).get_table_names() == [], "the database is not empty"
            how()
            return describe_schema(db.engine)
        finally:
            db.session.remove()
            db.engine.dispose()


def upgrade():
    with logging_preserved():
        flask_migrate.upgrade()


@pytest.fixture(scope="module")
def schemas(tmp_path_factory):
    """(schema built by the migrations, schema built by create_all from the models)."""
    tmp = tmp_path_factory.mktemp("migrations")
    with fresh_database(tmp, "migrated") as migrated_url, fresh_database(tmp, "created") as created_url:
        yield build(migrated_url, upgrade), build(created_url, db.create_all)


def test_migrations_create_every_table_and_column_of_the_models(schemas):
    """Do the migrations create exactly the models' tables, each with the models' columns?"""
    migrated, _ = schemas
    expected = {name: {c.name for c in table.columns} for name, table in db.metadata.tables.items()}
    assert expected, "no model registered"
    assert {name: set(t["columns"]) for name, t in migrated.items()} == expected


@pytest.mark.parametrize("aspect", ["columns", "primary_key", "foreign_keys", "indexes", "unique"])
def test_migrations_match_the_models_in_detail(schemas, aspect):
    """Do the migrated tables have the same column types and nullability, keys and indexes as
    a database created from the models?"""
    migrated, created = schemas
    assert set(migrated) == set(created)
    differences = {table: (migrated[table][aspect], created[table][aspect])
                   for table in created if migrated[table][aspect] != created[table][aspect]}
    assert differences == {}, "migration missing for the models' changes (flask db migrate)"


def test_the_journey_lock_column_exists_after_migration(schemas):
    """Does the migrated journey table carry the non-null row_version used for optimistic locking?"""
    migrated, _ = schemas
    type_, nullable, _default = migrated["journey"]["columns"]["row_version"]
    assert "INT" in type_.upper() and nullable is False
