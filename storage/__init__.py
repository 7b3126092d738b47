"""Storage: SQLite (default) or PostgreSQL behind the domain's ports.

storage.engine     database_url, create_engine, open_database -> Database, StorageError
storage.uow        SqlUnitOfWork, unit_of_work_factory
storage.migrate    upgrade, downgrade, current (Alembic configured in code)
storage.maintenance  backup, purge_personal_data
storage.reports    by_topic_and_department
"""
