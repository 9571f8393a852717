"""Database client packs: psql, mysql/mariadb, mysqladmin, sqlite3, redis-cli, pg_dump/
pg_dumpall/mysqldump, dropdb/createdb/dropuser/createuser, pg_restore, mongosh/mongo and
mongodump/mongoexport/mongorestore/mongoimport.

Every database command yields at least one target carrying a connection *locator*
without the password — ``postgresql://user@host:5432/db``, ``mysql://user@host:3306/db``,
``sqlite:/abs/path.db``, ``redis://host:6379/0``, ``mongodb://host:27017/db`` — so resolve
can map it to an environment. SQL is classified statement by statement with
:func:`airlock.classify.sql.classify_sql`; SQL we cannot see (a variable, an unreadable
file, a pipe, a client command that runs a shell or executes query output) is reported
with ``ctx.unparsed`` and the action is held.

Where the SQL comes from:

- ``psql -c SQL`` (several allowed; a ``-c`` is either all SQL or one backslash command),
  ``psql -f FILE`` (read relative to the working directory if under 1 MB), stdin (heredoc,
  here-string, ``echo … |``, ``< file``); psql backslash commands in scripts are
  understood (``\\c`` switches the database, ``\\i`` includes a file, ``\\copy`` is a COPY,
  ``\\!`` and ``\\gexec`` are held);
- ``mysql -e SQL``, ``--init-command``, stdin; client commands ``use``, ``source``,
  ``\\G``;
- ``sqlite3 DB SQL…``, ``-cmd``, ``-init``, stdin; dot-commands (``.read``, ``.import``,
  ``.restore``, ``.shell`` …);
- ``mysqladmin drop DB`` / ``kill`` / ``shutdown`` / ``flush-*``;
- ``redis-cli CMD ARGS`` or one command per stdin line;
- ``mongosh --eval JS`` / script files / stdin: method calls are recognised from the
  token stream (``db.users.drop()``, ``deleteMany({})``, ``dropDatabase()``); an unknown
  function or method is held.

A bare interactive client (no SQL, nothing on stdin) is a read of the database: the
human is at the keyboard.

One module per database family: :mod:`.postgres`, :mod:`.mysql`, :mod:`.sqlite`,
:mod:`.redis`, :mod:`.mongo`; what they share (connections, the SQL session, the
``DbPack`` base) is in :mod:`.base`.
"""

from __future__ import annotations

from airlock.classify.packs.base import Pack
from airlock.classify.packs.databases import mongo, mysql, postgres, redis, sqlite
from airlock.classify.packs.databases.postgres import psql_split

# registry order, as ``airlock packs`` lists them
_ORDER = ("psql", "mysql", "sqlite3", "redis-cli", "mysqladmin", "pg_dump", "mysqldump",
          "pg-admin", "pg_restore", "mongosh", "mongo-tools")
_BY_NAME = {p.name: p for m in (postgres, mysql, sqlite, redis, mongo) for p in m.PACKS}
PACKS: list[Pack] = [_BY_NAME[name] for name in _ORDER]

__all__ = ["PACKS", "psql_split"]
