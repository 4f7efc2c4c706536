"""Lightweight table handles in the ``tenant`` placeholder schema, for tests of tenant binding."""

from sqlalchemy import BigInteger, Column, MetaData, String, Table

from infra.db import TENANT_SCHEMA

metadata = MetaData(schema=TENANT_SCHEMA)
units = Table("units", metadata, Column("id", BigInteger, primary_key=True), Column("code", String),
              Column("name", String))
